#include "clients/import/import_runner.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace missionlog {
namespace {

// Appends per AppendStream call: the client keeps a chunk's requests and
// results in memory.
constexpr size_t kChunk = 2000;

class Sender {
 public:
  Sender(Client* client, size_t total, const ImportProgress& progress)
      : client_(client), total_(total), progress_(progress) {}

  // Sends `appends` in chunks; the results land in `summary_`.
  absl::Status Send(std::vector<v1::AppendRequest> appends) {
    for (size_t from = 0; from < appends.size(); from += kChunk) {
      const size_t to = std::min(appends.size(), from + kChunk);
      std::vector<v1::AppendRequest> chunk(
          std::make_move_iterator(appends.begin() + from),
          std::make_move_iterator(appends.begin() + to));
      std::vector<v1::AppendRequest> copies = chunk;
      auto results = client_->AppendPipelined(std::move(copies));
      if (!results.ok()) return results.status();
      std::vector<v1::AppendRequest> one_by_one;
      for (size_t i = 0; i < chunk.size(); ++i) {
        Count(chunk[i], (*results)[i], &one_by_one);
      }
      if (!one_by_one.empty()) {
        auto singles = client_->AppendPipelined(one_by_one);
        if (!singles.ok()) return singles.status();
        for (size_t i = 0; i < one_by_one.size(); ++i) {
          Count(one_by_one[i], (*singles)[i], nullptr);
        }
      }
    }
    return absl::OkStatus();
  }

  ImportSummary& summary() { return summary_; }

 private:
  void Count(const v1::AppendRequest& append,
             const absl::StatusOr<v1::AppendResponse>& result,
             std::vector<v1::AppendRequest>* one_by_one) {
    const size_t n = static_cast<size_t>(append.events_size());
    if (result.ok()) {
      (result->deduplicated() ? summary_.events_already_present
                              : summary_.events_appended) += n;
      Progress(n);
      return;
    }
    if (one_by_one != nullptr && n > 1 &&
        result.status().code() == absl::StatusCode::kAlreadyExists &&
        absl::StrContains(result.status().message(), "mixes new events")) {
      for (const v1::EventData& event : append.events()) {
        v1::AppendRequest single;
        single.set_stream(append.stream());
        *single.add_events() = event;
        one_by_one->push_back(std::move(single));
      }
      return;
    }
    summary_.events_rejected += n;
    summary_.rejections.push_back(absl::StrCat(
        append.stream(), ": ", absl::StatusCodeToString(result.status().code()),
        ": ", result.status().message()));
    Progress(n);
  }

  void Progress(size_t n) {
    done_ += n;
    if (progress_) progress_(done_, total_);
  }

  Client* const client_;
  const size_t total_;
  const ImportProgress& progress_;
  size_t done_ = 0;
  ImportSummary summary_;
};

}  // namespace

absl::StatusOr<ImportSummary> RunImport(Client* client, ImportPlan plan,
                                        const ImportProgress& progress) {
  Sender sender(client, plan.events(), progress);
  for (std::vector<v1::AppendRequest>& phase : plan.phases) {
    absl::Status status = sender.Send(std::move(phase));
    if (!status.ok()) return status;
  }
  return std::move(sender.summary());
}

}  // namespace missionlog
