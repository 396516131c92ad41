# The two set-up commands: `make run` and `make test` (see README.md).
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
FUZZ_RUNS ?=
FUZZ_SECONDS ?= 300
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: deps build run test test-release test-asan test-tsan test-fuzz fuzz format clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/andon $(ARGS)

test: test-release test-asan test-tsan test-fuzz

test-release: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DANDON_SANITIZE=address
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

# ThreadSanitizer over the layers with background threads (HTTP server, tsdb, registry,
# scrape loops and discovery, rule evaluation, the alert dispatcher, outbound HTTP and alert
# delivery, remote-write queues).
# Debian's librocksdb is not built with TSan: its internal races are suppressed, ours not.
# The kill -9 crash tests (separate processes re-opening RocksDB) run in the other builds.
test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANDON_SANITIZE=thread
	cmake --build $(TSAN_DIR) -j $(JOBS) --target common_test tsdb_test web_test scrape_test rules_test alerting_test remote_test
	for t in common_test tsdb_test web_test scrape_test rules_test alerting_test remote_test; do \
	  TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsdb/tsan_rocksdb.supp" \
	    ./$(TSAN_DIR)/$$t --gtest_brief=1 --gtest_filter='-*Crash*' || exit 1; \
	done

# libFuzzer (clang) targets for the parsers and decoders of untrusted input, a fixed number
# of inputs each (per target, or FUZZ_RUNS for all) from a fixed seed, so CI repeats a local
# run exactly; fails on a crash.
test-fuzz: deps
	bash fuzz/run.sh "$(FUZZ_RUNS)" $(CURDIR)/build-fuzz

# The long exploratory run (docs/security.md): every target for FUZZ_SECONDS from a random
# seed, growing its corpus in build-fuzz-explore/ from one run to the next.
fuzz: deps
	FUZZ_SEED=0 FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_KEEP_CORPUS=1 \
	  bash fuzz/run.sh -1 $(CURDIR)/build-fuzz-explore

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) build-fuzz build-fuzz-explore
