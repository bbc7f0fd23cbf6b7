#include "clients/proofs.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tlog/leaf.h"
#include "tlog/merkle.h"
#include "tlog/sha256.h"

namespace missionlog {
absl::Status VerifyEventInclusion(const v1::RecordedEvent& event,
                                  const v1::InclusionProof& proof,
                                  const v1::TreeHead& head) {
  const Digest leaf = LeafHash(event.header());
  if (DigestView(leaf) != event.leaf_hash()) {
    return absl::DataLossError(absl::StrCat(
        "event ", event.position(), ": leaf hash does not match its header"));
  }
  // The payload against the digest in the header itself, not the copy
  // beside it. An erased payload leaves the header to prove.
  LeafFields fields;
  if (!ParseLeafFields(event.header(), &fields) ||
      fields.position != event.position()) {
    return absl::DataLossError(absl::StrCat(
        "event ", event.position(), ": malformed header, or another position"));
  }
  if (!event.data_erased() &&
      !PayloadMatches(fields, event.data_salt(), event.data())) {
    return absl::DataLossError(absl::StrCat(
        "event ", event.position(), ": payload does not match its digest"));
  }
  Digest root;
  if (!DigestFromBytes(head.root_hash(), &root) ||
      proof.tree_size() != head.tree_size() ||
      proof.position() != event.position()) {
    return absl::InvalidArgumentError("proof and tree head do not match");
  }
  std::vector<Digest> hashes;
  for (const std::string& hash : proof.hashes()) {
    Digest digest;
    if (!DigestFromBytes(hash, &digest)) {
      return absl::InvalidArgumentError("malformed proof hash");
    }
    hashes.push_back(digest);
  }
  return merkle::VerifyInclusion(event.position(), head.tree_size(), leaf,
                                 hashes, root);
}

}  // namespace missionlog
