// RocksDB column families and key layouts of the event store.
//
//   column family "log"      -- one entry per event, in position order
//     key   := position: fixed64
//     value := record (grammar in record.cc)
//
//   column family "streams"  -- stream index
//     key   := stream: byte[] 0x00 stream_version: fixed64
//     value := position: fixed64
//
//   column family "ids"      -- event id index, kept forever
//     key   := event_id: byte[16]
//     value := position: fixed64
//
//   column family "tree"     -- RFC 6962 Merkle tree, complete subtrees at
//                               every fourth level
//     key   := level: byte (4, 8, .., 60) index: fixed64
//     value := hash: byte[32]  -- root of leaves [index << level,
//                                 (index + 1) << level)
//   Level 0 (the leaf hashes) is not repeated here: it is in each log
//   record. The three levels between two stored ones are not stored: such a
//   node is hashed from the 2, 4 or 8 nodes (or leaves) of the stored level
//   below it. Storing every level put one key per event into the tree and
//   cost appends ~14%; every fourth level is a fifteenth of a key per event
//   (~4%) and any node still costs at most 8 reads. A node is written in
//   the WriteBatch of the event that completes it, so the tree never lags
//   the log, and the root of any past size, and any inclusion or
//   consistency proof, is O(log n) reads (merkle.h). Stores written before
//   this rule also hold other levels; they are ignored.
//     key   := 0xFF                -- the frontier
//     value := tree_size: fixed64 peak: byte[32]*
//   The frontier is the right edge of the tree after the last commit: the
//   roots of the complete subtrees that make up tree_size leaves, largest
//   first. Rewritten in each commit group's WriteBatch, it lets reopening
//   continue the tree without reading the leaves under its unstored levels
//   (so one damaged record does not stop the store from opening).
//
//   column family "checkpoints" -- signed checkpoints, kept forever
//     key   := tree_size: fixed64
//     value := signed note (checkpoint.h, signed_note.h), verbatim
//   Written with a synced write of its own, never in an event's batch.
//
//   column family "sealed"  -- sealed fields' encrypted openings
//     key   := position: fixed64
//     value := the event's SealedData (proto/missionlog/v1/sealing.proto):
//              its data key wrapped for each unsealing role, and each
//              sealed field's path, commitment and encrypted opening
//   Written in the event's own WriteBatch; never in the log, never hashed.
//   Removed for good by erasure (README "Sealed fields").
//
//   column family "default"  -- the store's own facts
//     key   := "applied"
//     value := revision: fixed64 || index: fixed32
//   In a replica of a cluster (README "Running three nodes"), the last
//   replicated append the store has applied (ReplicaPosition), written in
//   that append's WriteBatch: a restart resumes applying after it.
//
//   fixed64 := 64-bit unsigned integer, big-endian (byte order = numeric order)
//
// Stream names never contain 0x00 (validation rejects control characters),
// so 0x00 ends a stream name unambiguously and "a" sorts before "a/b".
// Every event adds exactly one key to each of log, streams and ids, and on
// average a fifteenth of one to tree, all in one WriteBatch.
// The next position is one past the last "log" key, a stream's head is its
// last "streams" key, and the id index is "ids": reopening recovers all three
// from disk.
#ifndef MISSIONLOG_EVENTSTORE_KEYS_H_
#define MISSIONLOG_EVENTSTORE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "base/coding.h"

namespace missionlog {

inline constexpr char kLogColumnFamily[] = "log";
inline constexpr char kStreamsColumnFamily[] = "streams";
inline constexpr char kIdsColumnFamily[] = "ids";
inline constexpr char kTreeColumnFamily[] = "tree";
inline constexpr char kCheckpointsColumnFamily[] = "checkpoints";
inline constexpr char kSealedColumnFamily[] = "sealed";

// Stored levels are the multiples of this.
inline constexpr int kTreeTileHeight = 4;

inline constexpr char kTreeFrontierKey[] = "\xff";
inline constexpr char kAppliedKey[] = "applied";

// Whether nodes of `level` are in the "tree" family.
inline bool IsStoredTreeLevel(int level) {
  return level >= kTreeTileHeight && level % kTreeTileHeight == 0;
}

inline std::string TreeKey(int level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  PutFixed64(&key, index);
  return key;
}

inline std::string LogKey(uint64_t position) {
  std::string key;
  PutFixed64(&key, position);
  return key;
}

inline std::string StreamKeyPrefix(absl::string_view stream) {
  std::string key(stream);
  key.push_back('\0');
  return key;
}

inline std::string StreamKey(absl::string_view stream, uint64_t version) {
  std::string key = StreamKeyPrefix(stream);
  PutFixed64(&key, version);
  return key;
}

// The version in a "streams" key. REQUIRES: key.size() >= 8.
inline uint64_t StreamKeyVersion(absl::string_view key) {
  return DecodeFixed64(key.data() + key.size() - 8);
}

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_KEYS_H_
