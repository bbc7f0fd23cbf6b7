#include "clients/auditor.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "domain/event_types.h"
#include "tlog/checkpoint.h"
#include "tlog/leaf.h"
#include "tlog/merkle.h"

namespace missionlog {
namespace {

constexpr char kStateMagic[] = "missionlog-verify-state 1";
constexpr uint32_t kNodesPerCall = 65536;

bool FromBase64(absl::string_view text, Digest* digest) {
  std::string bytes;
  return absl::Base64Unescape(text, &bytes) && DigestFromBytes(bytes, digest);
}

std::string Base64(const Digest& digest) {
  return absl::Base64Escape(DigestView(digest));
}

absl::Status CheckConsistency(Client* client, uint64_t old_size,
                              const Digest& old_root, uint64_t new_size,
                              const Digest& new_root) {
  absl::StatusOr<v1::ConsistencyProof> proof =
      client->GetConsistencyProof(old_size, new_size);
  if (!proof.ok()) return proof.status();
  std::vector<Digest> hashes(proof->hashes_size());
  for (int i = 0; i < proof->hashes_size(); ++i) {
    if (!DigestFromBytes(proof->hashes(i), &hashes[i])) {
      return absl::FailedPreconditionError("malformed consistency proof");
    }
  }
  return merkle::VerifyConsistency(old_size, new_size, hashes, old_root,
                                   new_root);
}

// What one run accumulates while streaming entries.
struct Walk {
  merkle::CompactRange range;  // over every leaf so far
  merkle::CompactRange start;  // as it was at the first verified position
  std::vector<Digest> leaves;  // the verified leaves, for locating a fault
  // Nodes the verified leaves completed, per level, and the index of each
  // level's first one.
  std::vector<std::vector<Digest>> nodes = std::vector<std::vector<Digest>>(64);
  std::vector<uint64_t> first_node = std::vector<uint64_t>(64, 0);
  // Entries whose payload is erased, and the positions the Erased events
  // (whole_payload) among the entries account for.
  std::vector<uint64_t> erased;
  absl::flat_hash_set<uint64_t> covered;
};

// Batches handed from the receiving thread to the checking thread, at most
// kDepth at a time; checked messages go back to be parsed into again.
class BatchPipe {
 public:
  // On the receiving thread: takes `batch`'s contents. False once the
  // checker has stopped.
  bool Produce(v1::GetEntriesResponse* batch) {
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return full_.size() < kDepth || stopped_;
    };
    mu_.Await(absl::Condition(&room));
    if (stopped_) return false;
    full_.emplace_back();
    full_.back().Swap(batch);
    if (!empty_.empty()) {
      batch->Swap(&empty_.back());  // reuse its allocated entries
      empty_.pop_back();
    }
    return true;
  }

  // No more batches.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  // On the checking thread: runs `check` on each batch until it returns
  // false or the pipe is closed and drained.
  void Consume(
      const std::function<bool(const v1::GetEntriesResponse&)>& check) {
    while (true) {
      v1::GetEntriesResponse batch;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !full_.empty() || closed_;
        };
        mu_.Await(absl::Condition(&ready));
        if (full_.empty()) return;
        batch.Swap(&full_.front());
        full_.pop_front();
      }
      const bool go_on = check(batch);
      absl::MutexLock lock(&mu_);
      if (!go_on) {
        stopped_ = true;
        return;
      }
      batch.Clear();
      empty_.emplace_back();
      empty_.back().Swap(&batch);
    }
  }

 private:
  static constexpr size_t kDepth = 4;
  absl::Mutex mu_;
  std::deque<v1::GetEntriesResponse> full_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::GetEntriesResponse> empty_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// Checks one entry and appends its leaf. DATA_LOSS naming the position.
absl::Status CheckEntry(const v1::LogEntry& entry, uint64_t expected,
                        Walk* walk) {
  if (entry.position() != expected) {
    return absl::DataLossError(absl::StrCat("position ", expected,
                                            ": the server sent position ",
                                            entry.position(), " instead"));
  }
  LeafFields fields;
  if (!ParseLeafFields(entry.header(), &fields)) {
    return absl::DataLossError(
        absl::StrCat("position ", expected, ": malformed record header"));
  }
  if (fields.position != expected) {
    return absl::DataLossError(
        absl::StrCat("position ", expected, ": its header names position ",
                     fields.position, " (a record moved or replaced)"));
  }
  const Digest leaf = LeafHash(entry.header());
  if (DigestView(leaf) != entry.leaf_hash()) {
    return absl::DataLossError(
        absl::StrCat("position ", expected,
                     ": the leaf hash does not match the record header"));
  }
  if (entry.data_erased()) {
    // Accepted at the end only if an Erased event covers it.
    if (!entry.data().empty() || !entry.data_salt().empty()) {
      return absl::DataLossError(absl::StrCat(
          "position ", expected, ": an erased entry that still has data"));
    }
    walk->erased.push_back(expected);
  } else if (!PayloadMatches(fields, entry.data_salt(), entry.data())) {
    return absl::DataLossError(
        absl::StrCat("position ", expected,
                     ": the payload does not match the digest in its header"));
  } else if (fields.type == domain::kErasedType) {
    v1::Erased erased;
    if (!erased.ParseFromString(entry.data())) {
      return absl::DataLossError(absl::StrCat(
          "position ", expected, ": an Erased event that does not parse"));
    }
    if (erased.whole_payload() && erased.position() < expected) {
      walk->covered.insert(erased.position());
    }
  }
  walk->leaves.push_back(leaf);
  walk->range.Append(leaf,
                     [walk](int level, uint64_t index, const Digest& node) {
                       std::vector<Digest>& nodes = walk->nodes[level];
                       if (nodes.empty()) walk->first_node[level] = index;
                       nodes.push_back(node);
                     });
  return absl::OkStatus();
}

// The root of the first `size` leaves as this run computed them.
Digest LocalRoot(const Walk& walk, uint64_t size) {
  merkle::CompactRange range = walk.start;
  const uint64_t begin = range.size();
  for (uint64_t i = begin; i < size; ++i) {
    range.Append(walk.leaves[i - begin], [](int, uint64_t, const Digest&) {});
  }
  return range.Root();
}

// The root of the verified leaves differs from the signed one: finds the
// first position whose leaf is not the signed tree's, with consistency
// proofs from prefixes of the local leaves to the signed tree (a prefix
// proves consistent exactly when its leaves are the signed ones).
absl::Status LocateMismatch(Client* client, const Walk& walk,
                            uint64_t tree_size, const Digest& signed_root) {
  uint64_t good = walk.start.size();  // longest prefix known to match
  uint64_t bad = tree_size;           // shortest prefix known to differ
  while (bad - good > 1) {
    const uint64_t mid = good + (bad - good) / 2;
    if (CheckConsistency(client, mid, LocalRoot(walk, mid), tree_size,
                         signed_root)
            .ok()) {
      good = mid;
    } else {
      bad = mid;
    }
  }
  return absl::DataLossError(absl::StrCat(
      "position ", bad - 1,
      ": the entry is not the one the signed checkpoint of size ", tree_size,
      " covers (the root of the entries differs from the signed root)"));
}

// Compares the server's stored nodes with the ones computed locally.
absl::StatusOr<uint64_t> CompareTreeNodes(Client* client, const Walk& walk) {
  uint64_t compared = 0;
  // The server stores every fourth level (the others are hashed from them).
  for (int level = 4; level < 64; level += 4) {
    const std::vector<Digest>& local = walk.nodes[level];
    const uint64_t first = walk.first_node[level];
    for (size_t done = 0; done < local.size();) {
      const uint32_t count = static_cast<uint32_t>(
          std::min<size_t>(kNodesPerCall, local.size() - done));
      absl::StatusOr<v1::TreeNodes> nodes = client->GetTreeNodes(
          static_cast<uint32_t>(level), first + done, count);
      if (!nodes.ok()) return nodes.status();
      if (nodes->hashes_size() != static_cast<int>(count)) {
        return absl::DataLossError(
            absl::StrCat("the server is missing tree nodes at level ", level,
                         " from index ", first + done));
      }
      for (uint32_t i = 0; i < count; ++i) {
        if (nodes->hashes(static_cast<int>(i)) != DigestView(local[done + i])) {
          const uint64_t index = first + done + i;
          return absl::DataLossError(absl::StrCat(
              "position ", index << level, ": the server's tree node at level ",
              level, " index ", index, " (positions ", index << level, "..",
              ((index + 1) << level) - 1,
              ") does not match the entries under it"));
        }
      }
      done += count;
      compared += count;
    }
  }
  return compared;
}

// Positions of the Erased events (whole_payload) below `size` cover.
absl::StatusOr<absl::flat_hash_set<uint64_t>> CoveredByErasures(Client* client,
                                                                uint64_t size) {
  absl::flat_hash_set<uint64_t> covered;
  v1::ReadRequest read;
  read.mutable_all()->mutable_filter()->set_type_prefix(domain::kErasedType);
  absl::Status failed;
  absl::StatusOr<Client::ReadEnd> end =
      client->Read(read, [&](const v1::ReadResponse& batch) {
        for (const v1::RecordedEvent& event : batch.events()) {
          if (event.position() >= size) return false;
          LeafFields fields;
          v1::Erased erased;
          if (!ParseLeafFields(event.header(), &fields) ||
              fields.type != domain::kErasedType ||
              !PayloadMatches(fields, event.data_salt(), event.data()) ||
              !erased.ParseFromString(event.data())) {
            failed = absl::DataLossError(absl::StrCat(
                "position ", event.position(), ": a malformed Erased event"));
            return false;
          }
          if (erased.whole_payload() && erased.position() < event.position()) {
            covered.insert(erased.position());
          }
        }
        return true;
      });
  if (!end.ok()) return end.status();
  if (!failed.ok()) return failed;
  return covered;
}

// Checks `count` distinct entries chosen at random below `older` (all of
// them if there are fewer): each entry as CheckEntry does, then its
// inclusion proof in the tree of `size` leaves with root `root`. Returns
// how many were checked; DATA_LOSS naming the first that fails.
absl::StatusOr<uint64_t> CheckSample(Client* client, uint64_t older,
                                     uint64_t size, const Digest& root,
                                     uint64_t count) {
  std::vector<uint64_t> positions;
  if (count >= older) {
    for (uint64_t p = 0; p < older; ++p) positions.push_back(p);
  } else {
    absl::BitGen random;
    absl::flat_hash_set<uint64_t> chosen;
    while (chosen.size() < count) {
      chosen.insert(absl::Uniform<uint64_t>(random, 0, older));
    }
    positions.assign(chosen.begin(), chosen.end());
    std::sort(positions.begin(), positions.end());
  }
  std::optional<absl::flat_hash_set<uint64_t>> covered;
  for (uint64_t position : positions) {
    v1::LogEntry entry;
    absl::Status fetched = client->GetEntries(
        position, 1, [&entry](v1::GetEntriesResponse* batch) {
          if (batch->entries_size() > 0) entry.Swap(batch->mutable_entries(0));
          return false;
        });
    if (!fetched.ok() && entry.header().empty()) return fetched;
    Walk scratch;
    RETURN_IF_ERROR(CheckEntry(entry, position, &scratch));
    if (!scratch.erased.empty()) {
      if (!covered) {
        ASSIGN_OR_RETURN(covered, CoveredByErasures(client, size));
      }
      if (!covered->contains(position)) {
        return absl::DataLossError(absl::StrCat(
            "position ", position,
            ": the payload is missing and no Erased event in the log "
            "accounts for it"));
      }
    }
    ASSIGN_OR_RETURN(v1::InclusionProof proof,
                     client->GetInclusionProof(position, size));
    std::vector<Digest> hashes;
    for (const std::string& hash : proof.hashes()) {
      Digest digest;
      if (!DigestFromBytes(hash, &digest)) {
        return absl::DataLossError("a malformed inclusion proof hash");
      }
      hashes.push_back(digest);
    }
    absl::Status included = merkle::VerifyInclusion(
        position, size, scratch.leaves.at(0), hashes, root);
    if (!included.ok()) {
      return absl::DataLossError(absl::StrCat(
          "position ", position,
          ": the entry is not the one the signed checkpoint of size ", size,
          " covers (its inclusion proof fails: rewritten?)"));
    }
  }
  return positions.size();
}

}  // namespace

absl::StatusOr<std::optional<TrustedState>> LoadTrustedState(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::optional<TrustedState>();
  std::stringstream contents;
  contents << in.rdbuf();
  std::vector<std::string> lines =
      absl::StrSplit(contents.str(), '\n', absl::SkipEmpty());
  auto malformed = [&path](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("state file ", path, " is malformed: ", what));
  };
  if (lines.empty() || lines[0] != kStateMagic) return malformed("header");
  TrustedState state;
  bool has_size = false, has_root = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (absl::ConsumePrefix(&line, "origin ")) {
      state.origin = std::string(line);
    } else if (absl::ConsumePrefix(&line, "size ")) {
      if (!absl::SimpleAtoi(line, &state.tree_size)) return malformed("size");
      has_size = true;
    } else if (absl::ConsumePrefix(&line, "root ")) {
      if (!FromBase64(line, &state.root_hash)) return malformed("root");
      has_root = true;
    } else if (absl::ConsumePrefix(&line, "peak ")) {
      Digest peak;
      if (!FromBase64(line, &peak)) return malformed("peak");
      state.peaks.push_back(peak);
    } else if (absl::ConsumePrefix(&line, "checkpoint ")) {
      if (!absl::Base64Unescape(line, &state.checkpoint)) {
        return malformed("checkpoint");
      }
    } else {
      return malformed(absl::StrCat("line ", i + 1));
    }
  }
  if (!has_size || !has_root || state.origin.empty()) {
    return malformed("missing origin, size or root");
  }
  absl::StatusOr<merkle::CompactRange> range =
      merkle::CompactRange::FromPeaks(state.tree_size, state.peaks);
  if (!range.ok() || range->Root() != state.root_hash) {
    return malformed("its peaks do not make its root");
  }
  return std::optional<TrustedState>(std::move(state));
}

absl::Status SaveTrustedState(const std::string& path,
                              const TrustedState& state) {
  std::string text =
      absl::StrCat(kStateMagic, "\norigin ", state.origin, "\nsize ",
                   state.tree_size, "\nroot ", Base64(state.root_hash), "\n");
  for (const Digest& peak : state.peaks) {
    absl::StrAppend(&text, "peak ", Base64(peak), "\n");
  }
  absl::StrAppend(&text, "checkpoint ", absl::Base64Escape(state.checkpoint),
                  "\n");
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return absl::InternalError(absl::StrCat("cannot write ", temporary));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename to ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifyReport> VerifyLog(Client* client,
                                       const std::vector<note::Verifier>& keys,
                                       std::optional<TrustedState>* state,
                                       const VerifyOptions& options) {
  const absl::Time started = absl::Now();
  VerifyReport report;
  if (keys.empty()) return absl::InvalidArgumentError("no key to verify with");

  // 1. The latest checkpoint, signed by enough of the pinned keys, all
  // named after its origin.
  absl::StatusOr<v1::SignedCheckpoint> signed_checkpoint =
      client->GetCheckpoint(0);
  if (!signed_checkpoint.ok()) return signed_checkpoint.status();
  std::optional<std::string> text;
  std::string why;
  for (const note::Verifier& key : keys) {
    absl::StatusOr<std::string> opened =
        note::Open(signed_checkpoint->note(), key);
    if (!opened.ok()) {
      absl::StrAppend(&why, why.empty() ? "" : "; ", key.name(), " (",
                      absl::StrFormat("%08x", key.key_id()),
                      "): ", opened.status().message());
      continue;
    }
    text = *std::move(opened);
    ++report.signatures;
  }
  const int required = std::max(1, options.required_signatures);
  if (report.signatures < required) {
    return absl::FailedPreconditionError(
        absl::StrCat("the latest checkpoint is not validly signed by enough "
                     "of the keys given (",
                     report.signatures, " of ", keys.size(), ", ", required,
                     " required): ", why));
  }
  absl::StatusOr<Checkpoint> checkpoint = ParseCheckpoint(*text);
  if (!checkpoint.ok()) return checkpoint.status();
  for (const note::Verifier& key : keys) {
    if (checkpoint->origin != key.name()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the checkpoint's origin is ", checkpoint->origin,
                       ", not the key's name ", key.name()));
    }
  }
  const uint64_t size = checkpoint->tree_size;
  report.origin = checkpoint->origin;
  report.tree_size = size;
  report.root_hash = checkpoint->root_hash;
  report.checkpoint_time = CheckpointTime(*checkpoint);

  // 2. Consistency with the checkpoint trusted before.
  const TrustedState* trusted = state->has_value() ? &**state : nullptr;
  if (trusted != nullptr) {
    report.previously_trusted = trusted->tree_size;
    if (trusted->origin != checkpoint->origin) {
      return absl::FailedPreconditionError(
          absl::StrCat("the state file trusts log ", trusted->origin, ", not ",
                       checkpoint->origin));
    }
    if (size < trusted->tree_size) {
      return absl::FailedPreconditionError(
          absl::StrCat("inconsistent sizes: the latest checkpoint has ", size,
                       " events but one of ", trusted->tree_size,
                       " was trusted before (the log was rolled back)"));
    }
    if (size == trusted->tree_size &&
        checkpoint->root_hash != trusted->root_hash) {
      return absl::FailedPreconditionError(absl::StrCat(
          "inconsistent checkpoints: two different roots for size ", size,
          " (the log forked)"));
    }
    if (size > trusted->tree_size) {
      absl::Status consistent =
          CheckConsistency(client, trusted->tree_size, trusted->root_hash, size,
                           checkpoint->root_hash);
      if (!consistent.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "inconsistent sizes ", trusted->tree_size, " -> ", size,
            ": the log is not an extension of the checkpoint trusted before "
            "(truncated and rewritten?): ",
            consistent.message()));
      }
    }
  }

  // 3. The entries.
  Walk walk;
  if (trusted != nullptr && !options.full) {
    absl::StatusOr<merkle::CompactRange> range =
        merkle::CompactRange::FromPeaks(trusted->tree_size, trusted->peaks);
    if (!range.ok()) return range.status();
    walk.range = *range;
  }
  walk.start = walk.range;
  report.from = walk.range.size();
  const uint64_t to_do = size - report.from;
  walk.leaves.reserve(to_do);
  uint64_t next = report.from;
  absl::Status entry_status;
  // A full run found the leaves up to the trusted size changed.
  bool trusted_prefix_differs = false;
  // Checks one batch; false once an entry fails or the size is reached.
  auto check_batch = [&](const v1::GetEntriesResponse& batch) {
    for (const v1::LogEntry& entry : batch.entries()) {
      if (next >= size) return false;
      entry_status = CheckEntry(entry, next, &walk);
      if (!entry_status.ok()) return false;
      ++next;
      if (trusted != nullptr && next == trusted->tree_size &&
          walk.range.Root() != trusted->root_hash) {
        trusted_prefix_differs = true;
      }
    }
    if (options.progress) options.progress(next - report.from, to_do);
    return true;
  };
  absl::Status streamed = absl::OkStatus();
  if (to_do > 0) {
    // Receiving (gRPC, parsing) on this thread and checking (hashing) on
    // another overlap: a few batches in between.
    BatchPipe pipe;
    std::thread checker([&pipe, &check_batch] { pipe.Consume(check_batch); });
    streamed = client->GetEntries(
        report.from, to_do,
        [&pipe](v1::GetEntriesResponse* batch) { return pipe.Produce(batch); });
    pipe.Close();
    checker.join();
  }
  if (!entry_status.ok()) return entry_status;
  if (!streamed.ok()) {
    return absl::Status(streamed.code(), absl::StrCat("position ", next, ": ",
                                                      streamed.message()));
  }
  if (next != size) {
    return absl::DataLossError(
        absl::StrCat("position ", next,
                     ": the server ended the entries before the "
                     "checkpoint's size ",
                     size));
  }
  report.entries = next - report.from;
  for (uint64_t position : walk.erased) {
    if (!walk.covered.contains(position)) {
      return absl::DataLossError(absl::StrCat(
          "position ", position,
          ": the payload is missing and no Erased event in the verified log "
          "accounts for it"));
    }
  }
  report.erased_payloads = walk.erased.size();

  // 4 and 5. The root, and the server's stored nodes. When the root
  // differs, the lowest stored node that disagrees with the entries under
  // it names the smallest range the fault is in (a rewritten record whose
  // leaf hash was recomputed leaves the nodes written with the original);
  // only if every node agrees (the tree was rewritten too) do consistency
  // proofs locate the first differing position.
  const bool root_matches = walk.range.Root() == checkpoint->root_hash;
  absl::StatusOr<uint64_t> compared = CompareTreeNodes(client, walk);
  if (!compared.ok()) return compared.status();
  if (trusted_prefix_differs) {
    return LocateMismatch(client, walk, trusted->tree_size, trusted->root_hash);
  }
  if (!root_matches) {
    return LocateMismatch(client, walk, size, checkpoint->root_hash);
  }
  report.tree_nodes = *compared;

  // 6. A random sample of the older entries.
  if (trusted != nullptr && !options.full && options.sample > 0) {
    absl::StatusOr<uint64_t> sampled = CheckSample(
        client, walk.start.size(), size, checkpoint->root_hash, options.sample);
    if (!sampled.ok()) return sampled.status();
    report.sampled = *sampled;
  }

  absl::StatusOr<v1::GetHeadResponse> head = client->GetHead();
  if (head.ok()) report.server_head = head->next_position();

  TrustedState next_state;
  next_state.origin = checkpoint->origin;
  next_state.tree_size = size;
  next_state.root_hash = checkpoint->root_hash;
  next_state.peaks = walk.range.peaks();
  next_state.checkpoint = signed_checkpoint->note();
  *state = std::move(next_state);
  report.elapsed = absl::Now() - started;
  return report;
}

}  // namespace missionlog
