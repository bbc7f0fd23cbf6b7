// The ceiling of gRPC itself on this machine: a callback-API server whose
// GetHead does no work at all (no store, no access control, no other
// services), with the same gRPC build and settings as missionlogd. `make
// bench-grpc` drives it and missionlogd with the same clients, so
// missionlogd's `noop` can be told apart from what gRPC costs anyway.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "grpcpp/grpcpp.h"
#include "missionlog/v1/store.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "Address to listen on.");

namespace missionlog {
namespace {

class EmptyEventStore : public v1::EventStore::CallbackService {
  grpc::ServerUnaryReactor* GetHead(
      grpc::CallbackServerContext* context,
      const v1::GetHeadRequest* /*request*/,
      v1::GetHeadResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

int Main() {
  const std::string listen = absl::GetFlag(FLAGS_listen);
  EmptyEventStore service;
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
  absl::ParseCommandLine(argc, argv);
  return missionlog::Main();
}
