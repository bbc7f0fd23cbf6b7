// The ceiling of gRPC itself on this machine: a callback-API server with
// the same gRPC build and settings as missionlogd but no store, no access
// control and no other services. `make bench-grpc` drives it and
// missionlogd with the same clients, so what missionlogd adds can be told
// apart from what gRPC and the kernel cost anyway:
//   GetHead    does no work at all (the `noop` workload);
//   Read       streams --read_events canned events, --batch_events to a
//              message, one pre-encoded message sent again and again (the
//              `read_all` workload: transport and client only);
//   Append     stores nothing: it turns the request's events into one
//              EventBatch, encoded once, queues it to every subscriber and
//              answers at once, or with --append_sync_file only once an
//              fdatasync begun after it arrived has ended (below), or
//              with --append_store stores them through the engine itself
//              (missionlogd's store without its services: no access
//              control, quotas, domain checks, bus or projections);
//   Subscribe  says caught_up, then sends what Append queued (the
//              `subscribe_fanout` workload without a store or a disk).
// The canned events have the size and fields of the load generator's as
// missionlogd returns them (300-byte data, header, hashes, timestamps).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "bench/workloads.h"
#include "eventstore/event_store.h"
#include "grpcpp/grpcpp.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/conversions.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "Address to listen on.");
ABSL_FLAG(int64_t, read_events, 1000000, "Events one Read streams.");
ABSL_FLAG(int, batch_events, 1000, "Events per Read message.");
ABSL_FLAG(std::string, append_sync_file, "",
          "Answer each Append only once an fdatasync of this file, begun "
          "after the append arrived, has ended (a thread of the server's "
          "own appends 512 bytes and syncs per group). Empty: answer in "
          "gRPC's callback.");
ABSL_FLAG(std::string, append_store, "",
          "Store each Append through the engine in this directory (created "
          "if missing; the engine's defaults, sync on) and answer once it "
          "is durable, as missionlogd does but without its services.");

namespace missionlog {
namespace {

// An event as missionlogd records one of the load generator's: `data` as
// sent, the rest of the sizes it has there.
void FillEvent(uint64_t position, const std::string& data,
               v1::RecordedEvent* event) {
  event->set_position(position);
  event->set_subject("loadgen/batch/12");
  event->set_stream_version(position);
  event->set_id("01932c4e-8b7a-7c3d-9f21-4a5b6c7d8e9f");
  event->set_type("bench.event.v1");
  event->set_source("urn:missionlog:loadgen");
  event->mutable_time()->set_seconds(1764000000);
  event->mutable_time()->set_nanos(123456000);
  event->mutable_recorded_time()->set_seconds(1764000000);
  event->mutable_recorded_time()->set_nanos(123456000);
  event->set_recorded_by("anonymous");
  event->set_datacontenttype("application/octet-stream");
  event->set_data_sha256(std::string(32, 's'));
  event->set_leaf_hash(std::string(32, 'l'));
  // The stored header: fixed fields (position, version, times, flags, id,
  // data size, data digest) and the length-prefixed strings.
  event->set_header(std::string(87 + 17 + 15 + 23 + 10 + 1 + 1 + 25, 'h'));
  event->set_data(data);
}

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  grpc::ByteBuffer buffer;
  bool own = false;
  grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::Message>(
      message, &buffer, &own)
      .IgnoreError();
  return buffer;
}

// One Read: the same encoded batch until --read_events are sent.
class CannedRead : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  CannedRead(const grpc::ByteBuffer* batch, const grpc::ByteBuffer* last,
             int64_t batches)
      : batch_(batch), last_(last), left_(batches) {
    Next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::CANCELLED);
    } else if (left_ < 0) {
      Finish(grpc::Status::OK);
    } else {
      Next();
    }
  }
  void OnDone() override { delete this; }

 private:
  void Next() { StartWrite(left_-- > 0 ? batch_ : last_); }

  const grpc::ByteBuffer* const batch_;
  const grpc::ByteBuffer* const last_;  // done, end
  int64_t left_;
};

class Subscriber;

// The subscribers Append sends to.
class Fanout {
 public:
  void Add(Subscriber* subscriber) {
    absl::MutexLock lock(&mu_);
    subscribers_.insert(subscriber);
  }
  void Remove(Subscriber* subscriber) {
    absl::MutexLock lock(&mu_);
    subscribers_.erase(subscriber);
  }
  void Send(const grpc::ByteBuffer& message);

 private:
  absl::Mutex mu_;
  absl::flat_hash_set<Subscriber*> subscribers_ ABSL_GUARDED_BY(mu_);
};

// One Subscribe: caught_up, then every batch Append queues, one write at a
// time.
class Subscriber : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit Subscriber(Fanout* fanout) : fanout_(fanout) {
    v1::SubscribeResponse caught_up;
    caught_up.mutable_caught_up();
    fanout_->Add(this);
    Queue(Serialize(caught_up));
  }
  // Unbounded: a bench server, driven by subscribers that keep up.
  void Queue(const grpc::ByteBuffer& message) {
    absl::MutexLock lock(&mu_);
    if (ending_) return;
    queued_.push_back(message);
    if (!writing_) StartNext();
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    queued_.pop_front();
    if (!ok || ending_) {
      End();
    } else if (!queued_.empty()) {
      StartNext();
    }
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    if (!writing_) End();
  }
  void OnDone() override {
    fanout_->Remove(this);
    delete this;
  }

 private:
  void StartNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    StartWrite(&queued_.front());
  }
  void End() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(grpc::Status::CANCELLED);
  }

  Fanout* const fanout_;
  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> queued_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

void Fanout::Send(const grpc::ByteBuffer& message) {
  absl::MutexLock lock(&mu_);
  for (Subscriber* subscriber : subscribers_) subscriber->Queue(message);
}

// What a durable store's answers cannot avoid, without the store: group
// commit at its leanest. A thread of its own takes every append waiting,
// appends 512 bytes to a file and fdatasyncs it, then answers them; those
// that arrive meanwhile wait for the next sync. A durable server on the
// same disk and gRPC can do no better.
class GroupCommit {
 public:
  explicit GroupCommit(int fd) : fd_(fd), thread_([this] { Run(); }) {}
  ~GroupCommit() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
    close(fd_);
  }
  void Add(grpc::ServerUnaryReactor* reactor) {
    absl::MutexLock lock(&mu_);
    waiting_.push_back(reactor);
  }

 private:
  void Run() {
    const std::string record(512, 'r');
    off_t end = 0;
    while (true) {
      std::vector<grpc::ServerUnaryReactor*> group;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || !waiting_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (stopping_) return;
        group.swap(waiting_);
      }
      const bool durable = pwrite(fd_, record.data(), record.size(), end) ==
                               static_cast<ssize_t>(record.size()) &&
                           fdatasync(fd_) == 0;
      end += static_cast<off_t>(record.size());
      const grpc::Status status =
          durable ? grpc::Status::OK
                  : grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "empty_server: the sync file's write failed");
      for (grpc::ServerUnaryReactor* reactor : group) reactor->Finish(status);
    }
  }

  const int fd_;
  absl::Mutex mu_;
  std::vector<grpc::ServerUnaryReactor*> waiting_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class EmptyEventStore : public v1::EventStore::WithRawCallbackMethod_Read<
                            v1::EventStore::WithRawCallbackMethod_Subscribe<
                                v1::EventStore::CallbackService>> {
 public:
  EmptyEventStore() {
    v1::ReadResponse batch;
    const std::string data(300, 'x');
    for (int i = 0; i < absl::GetFlag(FLAGS_batch_events); ++i) {
      FillEvent(static_cast<uint64_t>(i), data, batch.add_events());
    }
    batch_ = Serialize(batch);
    v1::ReadResponse last;
    last.set_done(true);
    last.set_end(true);
    last_ = Serialize(last);
  }

  grpc::ServerUnaryReactor* GetHead(
      grpc::CallbackServerContext* context,
      const v1::GetHeadRequest* /*request*/,
      v1::GetHeadResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Read(
      grpc::CallbackServerContext* /*context*/,
      const grpc::ByteBuffer* /*request*/) override {
    const int64_t batches =
        absl::GetFlag(FLAGS_read_events) / absl::GetFlag(FLAGS_batch_events);
    return new CannedRead(&batch_, &last_, batches);
  }

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const v1::AppendRequest* request,
                                   v1::AppendResponse* response) override {
    if (store_ != nullptr) return Store(context, request, response);
    v1::SubscribeResponse message;
    for (const v1::EventData& event : request->events()) {
      FillEvent(next_position_++, event.data(),
                message.mutable_events()->add_events());
    }
    fanout_.Send(Serialize(message));
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (group_commit_ != nullptr) {
      group_commit_->Add(reactor);
    } else {
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(
      grpc::CallbackServerContext* /*context*/,
      const grpc::ByteBuffer* /*request*/) override {
    return new Subscriber(&fanout_);
  }

  // Appends are answered by a GroupCommit on `fd` (which it owns) from now.
  void CommitAppendsTo(int fd) {
    group_commit_ = std::make_unique<GroupCommit>(fd);
  }

  // Appends are stored through `store` from now (and nothing is sent to
  // subscribers).
  void StoreAppendsIn(std::unique_ptr<EventStore> store) {
    store_ = std::move(store);
  }

 private:
  // What missionlogd's Append does once the caller is authorized and
  // charged: the request's strings moved into the engine's append (gRPC's
  // default allocator made the request, which is not const), answered on
  // the engine's completion thread once durable.
  grpc::ServerUnaryReactor* Store(grpc::CallbackServerContext* context,
                                  const v1::AppendRequest* request,
                                  v1::AppendResponse* response) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    absl::StatusOr<AppendRequest> append =
        TakeFromProto(const_cast<v1::AppendRequest*>(request), "anonymous");
    if (!append.ok()) {
      reactor->Finish(ToGrpcStatus(append.status()));
      return reactor;
    }
    store_->AppendAsync(
        std::move(append).value(),
        [reactor, request, response](absl::StatusOr<AppendResult> result) {
          if (result.ok()) {
            ToProto(*result, response);
            reactor->Finish(grpc::Status::OK);
          } else {
            reactor->Finish(ToGrpcStatus(result.status(), request));
          }
        });
    return reactor;
  }

  grpc::ByteBuffer batch_;
  grpc::ByteBuffer last_;
  std::atomic<uint64_t> next_position_{0};
  Fanout fanout_;
  std::unique_ptr<GroupCommit> group_commit_;
  std::unique_ptr<EventStore> store_;
};

int Main() {
  const std::string listen = absl::GetFlag(FLAGS_listen);
  EmptyEventStore service;
  const std::string sync_file = absl::GetFlag(FLAGS_append_sync_file);
  if (!sync_file.empty()) {
    const int fd =
        open(sync_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "empty_server: cannot open %s\n", sync_file.c_str());
      return 1;
    }
    service.CommitAppendsTo(fd);
  }
  const std::string store_dir = absl::GetFlag(FLAGS_append_store);
  if (!store_dir.empty()) {
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        EventStore::Open(Options(), store_dir);
    if (!store.ok()) {
      std::fprintf(stderr, "empty_server: cannot open the store in %s: %s\n",
                   store_dir.c_str(), store.status().ToString().c_str());
      return 1;
    }
    service.StoreAppendsIn(std::move(store).value());
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "empty_server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::printf("empty_server: listening on %s:%d\n",
              listen.substr(0, listen.rfind(':')).c_str(), port);
  std::fflush(stdout);
  server->Wait();  // until killed
  return 0;
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) {
  return missionlog::BenchMain(argc, argv, missionlog::Main);
}
