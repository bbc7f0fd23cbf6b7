// The Merkle proof verifiers an auditor runs on what a server sends:
// inclusion and consistency proofs with arbitrary sizes, indexes and
// hashes, and VerifyEventInclusion on an arbitrary event.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "clients/proofs.h"
#include "missionlog/v1/audit.pb.h"
#include "missionlog/v1/event.pb.h"
#include "tlog/merkle.h"
#include "tlog/sha256.h"

namespace {

// Reads from the input; zeros once it runs out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint64_t Number() {
    uint64_t value = 0;
    Bytes(&value, sizeof value);
    return value;
  }
  missionlog::Digest Hash() {
    missionlog::Digest digest{};
    Bytes(digest.data(), digest.size());
    return digest;
  }
  size_t left() const { return size_ - at_; }

 private:
  void Bytes(void* out, size_t n) {
    std::memset(out, 0, n);
    const size_t take = n < left() ? n : left();
    std::memcpy(out, data_ + at_, take);
    at_ += take;
  }
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace missionlog;
  Input in(data, size);
  // Small sizes most of the time, so the arithmetic meets real shapes.
  const uint64_t selector = in.Number();
  uint64_t index = in.Number();
  uint64_t tree_size = in.Number();
  if (selector & 1) {
    tree_size %= 1 << 20;
    index %= tree_size + 1;
  }
  const Digest leaf = in.Hash();
  const Digest root = in.Hash();
  std::vector<Digest> proof(in.Number() % 70);
  for (Digest& hash : proof) hash = in.Hash();
  (void)merkle::VerifyInclusion(index, tree_size, leaf, proof, root);
  (void)merkle::VerifyConsistency(index, tree_size, proof, leaf, root);

  v1::RecordedEvent event;
  event.set_position(index);
  event.set_header(std::string(reinterpret_cast<const char*>(data),
                               size < 200 ? size : 200));
  // Consistent hashes, so that verification reaches the proof.
  event.set_leaf_hash(std::string(DigestView(LeafHash(event.header()))));
  event.set_data_sha256(std::string(DigestView(Sha256(event.data()))));
  v1::InclusionProof wire;
  wire.set_position(index);
  wire.set_tree_size(tree_size);
  for (const Digest& hash : proof) wire.add_hashes(DigestView(hash).data(), 32);
  v1::TreeHead head;
  head.set_tree_size(tree_size);
  head.set_root_hash(std::string(DigestView(root)));
  (void)VerifyEventInclusion(event, wire, head);
  return 0;
}
