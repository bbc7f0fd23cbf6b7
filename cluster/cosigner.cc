#include "cluster/cosigner.h"

#include <cstdio>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tlog/checkpoint.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

// The signature lines of `signed_note` (each without its newline).
std::vector<std::string> SignatureLines(absl::string_view signed_note) {
  const absl::string_view text = note::Text(signed_note);
  std::vector<std::string> lines;
  if (signed_note.size() <= text.size() + 1) return lines;
  for (absl::string_view line : absl::StrSplit(
           signed_note.substr(text.size() + 1), '\n', absl::SkipEmpty())) {
    lines.emplace_back(line);
  }
  return lines;
}

}  // namespace

std::unique_ptr<Cosigner> Cosigner::Start(EventStore* store, EtcdClient* etcd,
                                          ClusterConfig config,
                                          note::Signer key,
                                          CosignerOptions options) {
  std::unique_ptr<Cosigner> cosigner(new Cosigner(
      store, etcd, std::move(config), std::move(key), std::move(options)));
  cosigner->thread_ = std::thread([raw = cosigner.get()] { raw->Run(); });
  return cosigner;
}

Cosigner::Cosigner(EventStore* store, EtcdClient* etcd, ClusterConfig config,
                   note::Signer key, CosignerOptions options)
    : store_(store),
      etcd_(etcd),
      config_(std::move(config)),
      key_(std::move(key)),
      options_(std::move(options)) {}

Cosigner::~Cosigner() { Stop(); }

void Cosigner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    signing_ = false;
  }
  if (thread_.joinable()) thread_.join();
  // Another node may sign at once, not a lease's lifetime later.
  if (lease_ != 0) etcd_->RevokeLease(lease_).IgnoreError();
  lease_ = 0;
}

bool Cosigner::Signing() {
  absl::MutexLock lock(&mu_);
  return signing_ && !diverged_;
}

std::string Cosigner::CheckpointKey(uint64_t size) const {
  return absl::StrFormat("%scp/%020d", options_.prefix, size);
}

void Cosigner::Signed(uint64_t size) {
  absl::StatusOr<CheckpointStore::StoredCheckpoint> stored =
      store_->GetCheckpoint(size);
  if (!stored.ok()) return;
  etcdserverpb::PutRequest put;
  put.set_key(CheckpointKey(size));
  put.set_value(stored->signed_note);
  absl::Status published = etcd_->Put(put).status();
  if (!published.ok()) {
    std::fprintf(stderr,
                 "missionlogd: checkpoint %llu not put up for co-signing: %s\n",
                 static_cast<unsigned long long>(size),
                 std::string(published.message()).c_str());
  }
}

void Cosigner::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                               options_.interval)) {
        return;
      }
    }
    // etcd unreachable: every step waits for the next round.
    if (!HoldLease().ok()) continue;
    if (!CosignNew().ok()) continue;
    Trim().IgnoreError();
  }
}

absl::Status Cosigner::HoldLease() {
  if (lease_ == 0) {
    absl::StatusOr<int64_t> granted = etcd_->GrantLease(options_.lease_seconds);
    if (!granted.ok()) return granted.status();
    lease_ = *granted;
  }
  const std::string key = options_.prefix + "signer";
  etcdserverpb::TxnRequest txn;
  etcdserverpb::Compare* absent = txn.add_compare();
  absent->set_key(key);
  absent->set_target(etcdserverpb::Compare::CREATE);
  absent->set_result(etcdserverpb::Compare::EQUAL);
  absent->set_create_revision(0);
  etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(options_.node);
  put->set_lease(lease_);
  txn.add_failure()->mutable_request_range()->set_key(key);
  absl::StatusOr<etcdserverpb::TxnResponse> taken = etcd_->Txn(txn);
  if (!taken.ok()) return taken.status();
  bool holds = taken->succeeded();
  if (!holds && taken->responses_size() == 1 &&
      taken->responses(0).response_range().kvs_size() == 1) {
    const etcdserverpb::KeyValue& holder =
        taken->responses(0).response_range().kvs(0);
    holds = holder.value() == options_.node && holder.lease() == lease_;
  }
  absl::Status alive = etcd_->KeepAlive(lease_);
  if (absl::IsNotFound(alive)) {
    lease_ = 0;  // expired: a new one next round
    holds = false;
  }
  absl::MutexLock lock(&mu_);
  signing_ = holds && alive.ok();
  return alive.ok() || absl::IsNotFound(alive) ? absl::OkStatus() : alive;
}

absl::Status Cosigner::CosignNew() {
  etcdserverpb::RangeRequest range;
  range.set_key(CheckpointKey(seen_ + 1));
  range.set_range_end(EtcdClient::PrefixEnd(options_.prefix + "cp/"));
  range.set_limit(16);
  absl::StatusOr<etcdserverpb::RangeResponse> found = etcd_->Range(range);
  if (!found.ok()) return found.status();
  const uint64_t head = store_->GetHead().next_position;
  for (const etcdserverpb::KeyValue& kv : found->kvs()) {
    uint64_t size = 0;
    if (!absl::SimpleAtoi(kv.key().substr(kv.key().rfind('/') + 1), &size)) {
      continue;
    }
    if (size > head) break;  // not applied that far yet: next round
    seen_ = size;
    const std::string& signed_note = kv.value();
    const std::string text(note::Text(signed_note));
    absl::StatusOr<Checkpoint> checkpoint = ParseCheckpoint(text);
    bool signed_by_node = false;
    for (const ClusterNode& node : config_.nodes()) {
      signed_by_node = signed_by_node || note::Open(signed_note, node.key).ok();
    }
    if (!checkpoint.ok() || checkpoint->origin != config_.origin() ||
        checkpoint->tree_size != size || !signed_by_node) {
      std::fprintf(stderr,
                   "missionlogd: ignoring the checkpoint put up at %s: not "
                   "this cluster's or not signed by one of its nodes\n",
                   kv.key().c_str());
      continue;
    }
    absl::StatusOr<std::string> root = store_->GetTreeRoot(size);
    if (!root.ok()) return root.status();
    if (*root != DigestView(checkpoint->root_hash)) {
      const absl::Status diverged = absl::DataLossError(absl::StrCat(
          "another node signed a root at size ", size,
          " that this node's tree does not have: this replica diverged and "
          "accepts no more appends"));
      {
        absl::MutexLock lock(&mu_);
        diverged_ = true;
      }
      std::fprintf(stderr, "missionlogd: %s\n",
                   std::string(diverged.message()).c_str());
      if (options_.on_diverged) options_.on_diverged(diverged);
      return diverged;
    }
    if (note::Open(signed_note, config_.Find(options_.node)->key).ok()) {
      // Signed here: its line is in the note already.
    } else {
      absl::StatusOr<std::string> mine = key_.Sign(text);
      if (!mine.ok()) return mine.status();
      std::vector<std::string> lines = SignatureLines(*mine);
      etcdserverpb::PutRequest put;
      put.set_key(absl::StrFormat("%scs/%020d/%s", options_.prefix, size,
                                  options_.node));
      put.set_value(lines.empty() ? "" : lines.back());
      absl::Status published = etcd_->Put(put).status();
      if (!published.ok()) return published;
    }
    incomplete_[size] = {
        text + "\n" + absl::StrJoin(SignatureLines(signed_note), "\n"), 0};
  }
  // Gather the lines of the newest checkpoints not yet signed by all.
  while (incomplete_.size() > 16) incomplete_.erase(incomplete_.begin());
  std::vector<uint64_t> done;
  for (auto& [size, entry] : incomplete_) {
    absl::Status gathered = Gather(size);
    if (!gathered.ok()) return gathered;
    if (entry.second == static_cast<int>(config_.nodes().size())) {
      done.push_back(size);
    }
  }
  for (uint64_t size : done) incomplete_.erase(size);
  return absl::OkStatus();
}

absl::Status Cosigner::Gather(uint64_t size) {
  auto& [signed_text, stored_lines] = incomplete_[size];
  const std::string text(note::Text(signed_text + "\n"));
  std::vector<std::string> lines = SignatureLines(signed_text + "\n");
  const std::string prefix =
      absl::StrFormat("%scs/%020d/", options_.prefix, size);
  etcdserverpb::RangeRequest range;
  range.set_key(prefix);
  range.set_range_end(EtcdClient::PrefixEnd(prefix));
  absl::StatusOr<etcdserverpb::RangeResponse> found = etcd_->Range(range);
  if (!found.ok()) return found.status();
  for (const etcdserverpb::KeyValue& kv : found->kvs()) {
    lines.push_back(kv.value());
  }
  // Each node's valid line once, in the configuration's order.
  std::vector<std::string> valid;
  for (const ClusterNode& node : config_.nodes()) {
    for (const std::string& line : lines) {
      if (note::Open(absl::StrCat(text, "\n", line, "\n"), node.key).ok()) {
        valid.push_back(line);
        break;
      }
    }
  }
  if (static_cast<int>(valid.size()) <= stored_lines) return absl::OkStatus();
  const std::string merged =
      absl::StrCat(text, "\n", absl::StrJoin(valid, "\n"), "\n");
  absl::Status stored = store_->PutCheckpoint(size, merged);
  if (!stored.ok()) return stored;
  stored_lines = static_cast<int>(valid.size());
  return absl::OkStatus();
}

absl::Status Cosigner::Trim() {
  if (!Signing()) return absl::OkStatus();
  const std::string prefix = options_.prefix + "cp/";
  etcdserverpb::RangeRequest range;
  range.set_key(prefix);
  range.set_range_end(EtcdClient::PrefixEnd(prefix));
  range.set_keys_only(true);
  absl::StatusOr<etcdserverpb::RangeResponse> found = etcd_->Range(range);
  if (!found.ok()) return found.status();
  if (found->kvs_size() <= options_.keep) return absl::OkStatus();
  const std::string& first_kept =
      found->kvs(found->kvs_size() - options_.keep).key();
  const std::string size = first_kept.substr(first_kept.rfind('/') + 1);
  for (const std::string& area : {std::string("cp/"), std::string("cs/")}) {
    etcdserverpb::DeleteRangeRequest remove;
    remove.set_key(options_.prefix + area);
    remove.set_range_end(options_.prefix + area + size);
    absl::Status removed = etcd_->DeleteRange(remove).status();
    if (!removed.ok()) return removed;
  }
  return absl::OkStatus();
}

}  // namespace missionlog
