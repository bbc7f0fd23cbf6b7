#include "cluster/cluster_config.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace missionlog {

absl::StatusOr<ClusterConfig> ClusterConfig::Parse(absl::string_view text) {
  ClusterConfig config;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    const size_t comment = line.find('#');
    if (comment != absl::string_view::npos) line = line.substr(0, comment);
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster configuration line ", number, ": ", why));
    };
    if (words[0] != "node" || words.size() != 4) {
      return bad("expected `node NAME ADDRESS VERIFIER_KEY`");
    }
    absl::StatusOr<note::Verifier> key = note::Verifier::FromKey(words[3]);
    if (!key.ok()) return bad(key.status().message());
    if (!config.nodes_.empty() && key->name() != config.origin()) {
      return bad(absl::StrCat("the key is named ", key->name(),
                              "; every node's key carries the log's name, ",
                              config.origin()));
    }
    for (const ClusterNode& node : config.nodes_) {
      if (node.name == words[1] || node.address == words[2] ||
          node.key.key_id() == key->key_id()) {
        return bad(absl::StrCat(node.name == words[1]      ? words[1]
                                : node.address == words[2] ? words[2]
                                                           : "the key",
                                " is given twice"));
      }
    }
    config.nodes_.push_back(ClusterNode{
        std::string(words[1]), std::string(words[2]), *std::move(key)});
  }
  if (config.nodes_.empty()) {
    return absl::InvalidArgumentError("cluster configuration has no node");
  }
  return config;
}

absl::StatusOr<ClusterConfig> ClusterConfig::Read(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<ClusterConfig> config = Parse(text.str());
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

const ClusterNode* ClusterConfig::Find(absl::string_view name) const {
  for (const ClusterNode& node : nodes_) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

}  // namespace missionlog
