// The rules of the domain's concerns (one entry per event type:
// the stream kinds it belongs on, whether it is about an existing subject,
// and its field rules).
#include "absl/strings/str_cat.h"
#include "domain/rules.h"
#include "missionlog/v1/domain/concerns.pb.h"

namespace missionlog {
namespace domain {

std::vector<TypeRules> ConcernRules() {
  return {
      Rules<v1::ConcernRaised>(
          EventType::kConcernRaised, {"concern"}, false,
          [](const v1::ConcernRaised& m, Check* c) {
            c->Ref(m.has_about(), m.about(), "about", true);
            c->LongText(m.summary(), "summary", true);
            if (m.raiser_case() == v1::ConcernRaised::kRaisedBy) {
              c->Owner(true, m.raised_by(), "raised_by", true);
            } else if (m.raiser_case() ==
                       v1::ConcernRaised::kSealedRaiserSha256) {
              if (m.sealed_raiser_sha256().size() != 32) {
                c->Fail("sealed_raiser_sha256", "must be 32 bytes");
              }
            } else if (m.raiser_case() == v1::ConcernRaised::kSealedRaiser) {
              // The sender gives the value; the server seals it.
              if (m.sealed_raiser().value().empty() ||
                  m.sealed_raiser().value().size() > 4096) {
                c->Fail("sealed_raiser.value", "must be 1 to 4096 bytes");
              }
              if (!m.sealed_raiser().commitment().empty()) {
                c->Fail("sealed_raiser.commitment",
                        "is set by the server when it seals the value");
              }
            } else {
              c->Fail("raised_by", "required (or sealed_raiser)");
            }
            c->Owners_(m.raised_to(), "raised_to", true);
            c->Known(v1::Severity_IsValid(m.severity()), m.severity(),
                     "severity");
            c->Evidence(m.evidence(), "evidence");
            c->Date(m.has_raised_on(), m.raised_on(), "raised_on", true);
            c->Date(m.has_respond_by(), m.respond_by(), "respond_by", false);
            c->Ordered(m.has_raised_on(), m.raised_on(), "raised_on",
                       m.has_respond_by(), m.respond_by(), "respond_by",
                       /*strict=*/false);
          }),
      Rules<v1::ConcernAcknowledged>(
          EventType::kConcernAcknowledged, {"concern"}, true,
          [](const v1::ConcernAcknowledged& m, Check* c) {
            c->Owner(m.has_by(), m.by(), "by", true);
            c->Date(m.has_on(), m.on(), "on", true);
          }),
      Rules<v1::ConcernResponded>(EventType::kConcernResponded, {"concern"},
                                  true,
                                  [](const v1::ConcernResponded& m, Check* c) {
                                    c->Owner(m.has_by(), m.by(), "by", true);
                                    c->LongText(m.response(), "response", true);
                                    c->Ref(m.has_decision(), m.decision(),
                                           "decision", false, "decision");
                                    c->Date(m.has_on(), m.on(), "on", true);
                                  }),
      Rules<v1::ConcernEscalated>(EventType::kConcernEscalated, {"concern"},
                                  true,
                                  [](const v1::ConcernEscalated& m, Check* c) {
                                    c->Owners_(m.to(), "to", true);
                                    c->LongText(m.reason(), "reason", true);
                                    if (!v1::Severity_IsValid(m.severity())) {
                                      c->Fail("severity", "unknown value");
                                    }
                                    c->Date(m.has_on(), m.on(), "on", true);
                                  }),
      Rules<v1::ConcernClosed>(EventType::kConcernClosed, {"concern"}, true,
                               [](const v1::ConcernClosed& m, Check* c) {
                                 c->Owner(m.has_by(), m.by(), "by", true);
                                 c->Text(m.resolution(), "resolution", true);
                                 c->Date(m.has_on(), m.on(), "on", true);
                               }),
  };
}

}  // namespace domain
}  // namespace missionlog
