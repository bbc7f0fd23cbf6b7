#include "clients/import/import_plan.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/name_uuid.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace missionlog {

size_t ImportPlan::events() const {
  size_t total = 0;
  for (const auto& phase : phases) {
    for (const v1::AppendRequest& append : phase) total += append.events_size();
  }
  return total;
}

PlanBuilder::PlanBuilder(ImportPlan* plan, std::string format)
    : plan_(plan), format_(std::move(format)) {}

void PlanBuilder::Add(size_t phase, const std::string& stream,
                      domain::EventType type,
                      const google::protobuf::Message& message,
                      absl::string_view key) {
  if (phases_.size() <= phase) phases_.resize(phase + 1);
  Phase& p = phases_[phase];
  auto [it, inserted] = p.events.try_emplace(stream);
  if (inserted) p.order.push_back(stream);
  v1::EventData event;
  event.set_id(NameBasedUuid(absl::StrCat("import\n", format_, "\n", key)));
  event.set_type(std::string(domain::TypeName(type)));
  event.set_source(absl::StrCat("urn:missionlog:import:", format_));
  event.set_datacontenttype("application/protobuf");
  // Deterministic bytes: the same row always makes the same event.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  event.set_data(std::move(bytes));
  it->second.push_back(std::move(event));
  ++plan_->events_by_type[std::string(domain::TypeName(type))];
}

void PlanBuilder::Finish() {
  plan_->phases.resize(std::max(plan_->phases.size(), phases_.size()));
  for (size_t i = 0; i < phases_.size(); ++i) {
    for (const std::string& stream : phases_[i].order) {
      std::vector<v1::EventData>& events = phases_[i].events[stream];
      for (size_t from = 0; from < events.size(); from += kMaxEventsPerAppend) {
        v1::AppendRequest append;
        append.set_stream(stream);
        const size_t to = std::min(events.size(), from + kMaxEventsPerAppend);
        for (size_t k = from; k < to; ++k) {
          *append.add_events() = std::move(events[k]);
        }
        plan_->phases[i].push_back(std::move(append));
      }
    }
  }
  phases_.clear();
}

}  // namespace missionlog
