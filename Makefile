# The two commands: `make run` and `make test`. Both install missing Debian
# packages first (deploy/install-deps.sh), then configure and build.
BUILD_DIR ?= build
LINT_DIR ?= build-lint
JOBS ?= 2
DATA_DIR ?= ./missionlog-data

.PHONY: all deps configure build run test demo cluster lint format bench package \
  bench-cluster bench-engine \
  bench-projections bench-tls bench-grpc fuzz clean

all: build

deps:
	@bash deploy/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

LISTEN ?= 127.0.0.1:7600

# The main job: missionlogd on its embedded default store, until Ctrl-C.
run: build
	./$(BUILD_DIR)/services/missionlogd --listen=$(LISTEN) --data_dir=$(DATA_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Three etcd members and three missionlogd nodes on loopback, until Ctrl-C
# (README "Running three nodes"; deploy/cluster.sh).
CLUSTER_DIR ?= ./missionlog-cluster
cluster: build
	BUILD_DIR=$(BUILD_DIR) CLUSTER_DIR=$(CLUSTER_DIR) deploy/cluster.sh

# A tour: missionlogd on a temporary directory, the demo dataset in data/
# imported, a decision appended with the CLI (deploy/demo.sh).
demo: build
	BUILD_DIR=$(BUILD_DIR) deploy/demo.sh

# The server under load: missionlogd and an empty gRPC server side by side,
# the engine in process; the targets as ratios measured in the one run.
bench: build
	BUILD_DIR=$(BUILD_DIR) bench/run_server_bench.sh

# The append workloads in development mode, then with TLS (client
# certificate, then bearer token) and an access policy; the ratio of each.
bench-tls: build
	BUILD_DIR=$(BUILD_DIR) bench/tls_bench.sh

# What a unary call costs here before Missionlog does anything: GetHead on an
# empty gRPC server and on missionlogd, with two different clients.
bench-grpc: build
	BUILD_DIR=$(BUILD_DIR) bench/grpc_ceiling.sh

# The append and read workloads on one node and on the three-node cluster
# in the same run, the failover time and a wiped node's catch-up rate.
bench-cluster: build
	BUILD_DIR=$(BUILD_DIR) bench/cluster_bench.sh

# The engine alone, on a scratch store (wiped first).
bench-engine: build
	./$(BUILD_DIR)/bench/eventstore_bench --db=$(BUILD_DIR)/bench-data

# The projections over a 1,000,000-event log, in process (scratch store).
bench-projections: build
	./$(BUILD_DIR)/bench/projections_bench --db=$(BUILD_DIR)/bench-projections

# The Debian packages, missionlog and missionlog-demo, in $(BUILD_DIR)/
# (cmake/packaging.cmake; README "Operating Missionlog").
package: build
	cmake --build $(BUILD_DIR) --target package

# Formatting, then a clang build with -Wthread-safety -Werror.
lint: deps
	clang-format --dry-run -Werror $$(git ls-files '*.cc' '*.h')
	@CXX=clang++ cmake -S . -B $(LINT_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DMISSIONLOG_WERROR=ON -DMISSIONLOG_THREAD_SAFETY=ON >/dev/null
	cmake --build $(LINT_DIR) -j $(JOBS)

# libFuzzer targets (fuzz/) with ASan and UBSan, each for FUZZ_SECONDS from
# its committed corpus; FUZZ_MERGE=1 adds new coverage to fuzz/corpus/.
# (`make test` replays the committed corpora with the normal build.)
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZERS ?= append_request_fuzzer domain_event_fuzzer csv_fuzzer ocds_fuzzer \
  govuk_orgs_fuzzer checkpoint_fuzzer proof_fuzzer sealed_opening_fuzzer
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMISSIONLOG_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(JOBS) \
	  fuzz/run.sh $(FUZZERS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR) $(LINT_DIR) $(FUZZ_DIR)
