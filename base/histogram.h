// A latency histogram for Prometheus (cumulative buckets, a sum and a
// count), lock-free: Observe is a few relaxed atomic adds, cheap enough for
// every append and every call.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_BASE_HISTOGRAM_H_
#define MISSIONLOG_BASE_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace missionlog {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds: 100 µs to 10 s.
  static constexpr std::array<int64_t, 16> kBoundsMicros = {
      100,   250,    500,    1000,   2500,    5000,    10000,   25000,
      50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

  void ObserveMicros(int64_t micros) {
    size_t i = 0;
    while (i < kBoundsMicros.size() && micros > kBoundsMicros[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(micros > 0 ? static_cast<uint64_t>(micros) : 0,
                          std::memory_order_relaxed);
  }

  // The _bucket, _sum and _count lines of metric `name` (in seconds), each
  // with `labels` (`key="value",...`, may be empty) before `le`.
  void AppendPrometheus(absl::string_view name, absl::string_view labels,
                        std::string* out) const {
    const std::string prefix = labels.empty() ? "" : absl::StrCat(labels, ",");
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= kBoundsMicros.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      const std::string le =
          i < kBoundsMicros.size()
              ? absl::StrCat(static_cast<double>(kBoundsMicros[i]) / 1e6)
              : "+Inf";
      absl::StrAppend(out, name, "_bucket{", prefix, "le=\"", le, "\"} ",
                      cumulative, "\n");
    }
    const std::string braces =
        labels.empty() ? "" : absl::StrCat("{", labels, "}");
    absl::StrAppend(
        out, name, "_sum", braces, " ",
        static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6,
        "\n", name, "_count", braces, " ", cumulative, "\n");
  }

 private:
  std::array<std::atomic<uint64_t>, kBoundsMicros.size() + 1> counts_{};
  std::atomic<uint64_t> sum_micros_{0};
};

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_HISTOGRAM_H_
