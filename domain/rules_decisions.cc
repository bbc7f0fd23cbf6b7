// The rules of the domain's decisions and spending (one entry per event type:
// the stream kinds it belongs on, whether it is about an existing subject,
// and its field rules).
#include "absl/strings/str_cat.h"
#include "domain/rules.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/spending.pb.h"

namespace missionlog {
namespace domain {

std::vector<TypeRules> DecisionRules() {
  return {
      Rules<v1::DecisionRecorded>(
          EventType::kDecisionRecorded, {"decision"}, false,
          [](const v1::DecisionRecorded& m, Check* c) {
            c->Text(m.title(), "title", true);
            c->LongText(m.decision(), "decision", true);
            c->Text(m.forum(), "forum", true);
            c->Known(v1::DecisionLevel_IsValid(m.level()), m.level(), "level");
            c->Owners_(m.decided_by(), "decided_by", true);
            for (int i = 0; i < m.options_size(); ++i) {
              c->LongText(m.options(i).description(),
                          absl::StrCat("options[", i, "].description"), true);
            }
            c->LongText(m.rationale(), "rationale", false);
            c->Evidence(m.evidence(), "evidence");
            c->LongText(m.expected_effect(), "expected_effect", false);
            c->Refs_(m.missions(), "missions", false, "mission");
            c->Date(m.has_decided_on(), m.decided_on(), "decided_on", true);
            c->Ref(m.has_about(), m.about(), "about", false);
          }),
      Rules<v1::DecisionRevised>(
          EventType::kDecisionRevised, {"decision"}, true,
          [](const v1::DecisionRevised& m, Check* c) {
            c->LongText(m.decision(), "decision", true);
            c->LongText(m.reason(), "reason", true);
            c->Owners_(m.decided_by(), "decided_by", false);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            c->Evidence(m.evidence(), "evidence");
          }),
      Rules<v1::DecisionReversed>(
          EventType::kDecisionReversed, {"decision"}, true,
          [](const v1::DecisionReversed& m, Check* c) {
            c->LongText(m.reason(), "reason", true);
            c->Owners_(m.decided_by(), "decided_by", false);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
      Rules<v1::DecisionOutcomeObserved>(
          EventType::kDecisionOutcomeObserved, {"decision"}, true,
          [](const v1::DecisionOutcomeObserved& m, Check* c) {
            c->LongText(m.outcome(), "outcome", true);
            c->Evidence(m.evidence(), "evidence");
            c->Date(m.has_observed_on(), m.observed_on(), "observed_on", true);
          }),
      Rules<v1::BudgetAllocated>(
          EventType::kBudgetAllocated, {"budget"}, false,
          [](const v1::BudgetAllocated& m, Check* c) {
            c->Money(m.has_amount(), m.amount(), "amount", Sign::kPositive);
            c->Ref(m.has_from(), m.from(), "from", true, "organisation");
            c->Ref(m.has_to(), m.to(), "to", true, "organisation");
            c->Refs_(m.missions(), "missions", false, "mission");
            c->Text(m.fiscal_year(), "fiscal_year", true);
            c->Ref(m.has_decision(), m.decision(), "decision", false,
                   "decision");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
      Rules<v1::SpendCommitted>(
          EventType::kSpendCommitted, {"contract"}, false,
          [](const v1::SpendCommitted& m, Check* c) {
            c->Money(m.has_amount(), m.amount(), "amount", Sign::kPositive);
            c->Text(m.supplier(), "supplier", true);
            c->Text(m.ocid(), "ocid", false);
            c->LongText(m.description(), "description", false);
            c->Refs_(m.missions(), "missions", false, "mission");
            c->Ref(m.has_budget(), m.budget(), "budget", false, "budget");
            c->Date(m.has_committed_on(), m.committed_on(), "committed_on",
                    true);
            c->Date(m.has_period_start(), m.period_start(), "period_start",
                    false);
            c->Date(m.has_period_end(), m.period_end(), "period_end", false);
            c->Ordered(m.has_period_start(), m.period_start(), "period_start",
                       m.has_period_end(), m.period_end(), "period_end",
                       /*strict=*/false);
          }),
      Rules<v1::SpendIncurred>(
          EventType::kSpendIncurred, {"spend"}, false,
          [](const v1::SpendIncurred& m, Check* c) {
            c->Money(m.has_amount(), m.amount(), "amount", Sign::kNonZero);
            c->Text(m.supplier(), "supplier", true);
            c->Date(m.has_paid_on(), m.paid_on(), "paid_on", true);
            c->Text(m.expense_type(), "expense_type", false);
            c->Text(m.expense_area(), "expense_area", false);
            c->Text(m.transaction_number(), "transaction_number", false);
            c->LongText(m.description(), "description", false);
            c->Refs_(m.missions(), "missions", false, "mission");
            c->Ref(m.has_commitment(), m.commitment(), "commitment", false,
                   "contract");
          }),
      Rules<v1::SpendReallocated>(
          EventType::kSpendReallocated, {"budget"}, true,
          [](const v1::SpendReallocated& m, Check* c) {
            c->Money(m.has_amount(), m.amount(), "amount", Sign::kPositive);
            c->Ref(m.has_to_budget(), m.to_budget(), "to_budget", true,
                   "budget");
            c->LongText(m.reason(), "reason", true);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            c->Ref(m.has_decision(), m.decision(), "decision", false,
                   "decision");
          }),
      Rules<v1::SpendCancelled>(
          EventType::kSpendCancelled, {"budget", "contract"}, true,
          [](const v1::SpendCancelled& m, Check* c) {
            c->Money(m.has_amount(), m.amount(), "amount", Sign::kPositive);
            c->LongText(m.reason(), "reason", true);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
  };
}

}  // namespace domain
}  // namespace missionlog
