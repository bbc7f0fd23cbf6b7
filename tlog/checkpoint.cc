#include "tlog/checkpoint.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace missionlog {
namespace {

constexpr char kTimePrefix[] = "time ";
constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%E*SZ";

}  // namespace

std::string FormatCheckpoint(const Checkpoint& checkpoint) {
  std::string text =
      absl::StrCat(checkpoint.origin, "\n", checkpoint.tree_size, "\n",
                   absl::Base64Escape(DigestView(checkpoint.root_hash)), "\n");
  for (const std::string& line : checkpoint.extensions) {
    absl::StrAppend(&text, line, "\n");
  }
  return text;
}

absl::StatusOr<Checkpoint> ParseCheckpoint(absl::string_view text) {
  if (!absl::ConsumeSuffix(&text, "\n")) {
    return absl::InvalidArgumentError(
        "checkpoint: the text must end in a newline");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 3) {
    return absl::InvalidArgumentError(
        "checkpoint: expected origin, tree size and root hash lines");
  }
  Checkpoint checkpoint;
  if (lines[0].empty()) {
    return absl::InvalidArgumentError("checkpoint: empty origin line");
  }
  checkpoint.origin = std::string(lines[0]);
  const absl::string_view size = lines[1];
  if (size.empty() || size.size() > 20 ||
      !std::all_of(size.begin(), size.end(), absl::ascii_isdigit) ||
      (size.size() > 1 && size[0] == '0') ||
      !absl::SimpleAtoi(size, &checkpoint.tree_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint: tree size line \"", absl::CHexEscape(size),
                     "\" is not a decimal number without leading zeros"));
  }
  std::string root;
  if (!absl::Base64Unescape(lines[2], &root) ||
      absl::Base64Escape(root) != lines[2] ||
      root.size() != checkpoint.root_hash.size()) {
    return absl::InvalidArgumentError(
        "checkpoint: root hash line is not the base64 of 32 bytes");
  }
  std::copy(root.begin(), root.end(), checkpoint.root_hash.begin());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint: extension line ", i + 1, " is empty"));
    }
    checkpoint.extensions.emplace_back(lines[i]);
  }
  return checkpoint;
}

std::string TimeExtension(absl::Time time) {
  return absl::StrCat(kTimePrefix,
                      absl::FormatTime(kTimeFormat, time, absl::UTCTimeZone()));
}

std::optional<absl::Time> CheckpointTime(const Checkpoint& checkpoint) {
  for (absl::string_view line : checkpoint.extensions) {
    if (!absl::ConsumePrefix(&line, kTimePrefix)) continue;
    absl::Time time;
    std::string error;
    if (absl::ParseTime(kTimeFormat, line, absl::UTCTimeZone(), &time,
                        &error)) {
      return time;
    }
  }
  return std::nullopt;
}

}  // namespace missionlog
