# User-facing targets over CMake (the build itself is CMake + Ninja):
#   make          install missing Debian packages, configure and build into build/
#   make demo     run the metrics pipeline on the embedded demo cluster (no setup)
#   make test     unit tests (also under ASan+UBSan), integration tests on a real broker,
#                 and each fuzz harness for 5 s
#   make chaos    the chaos suite: kills, rebalances, a broker restart, on a broker of its
#                 own (KAFKA_PORT, default 9292); about 10 minutes; not part of make test
#   make bench    micro benchmarks and end-to-end scenarios on the real broker
#   make fuzz     every libFuzzer harness of fuzz/ for FUZZ_SECONDS (60) each, in build-fuzz/
#   make format   clang-format every C++ source
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")

.PHONY: all build deps asan demo test chaos bench fuzz format clean broker-start broker-stop

all: build

deps:
	@scripts/install-deps

build: deps
	@test -f $(BUILD_DIR)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD_DIR) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR)

asan: deps
	@test -f $(ASAN_DIR)/CMakeCache.txt || \
	  cmake -S . -B $(ASAN_DIR) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Debug \
	    -DBROOK_SANITIZE=ON -DBROOK_BUILD_BENCH=OFF
	cmake --build $(ASAN_DIR) --target brook_unit_tests

demo: build
	$(BUILD_DIR)/bin/brook-metrics --demo

test: build asan
	@BUILD_DIR=$(BUILD_DIR) ASAN_DIR=$(ASAN_DIR) FUZZ_DIR=$(FUZZ_DIR) scripts/run-tests

chaos: build
	@BUILD_DIR=$(BUILD_DIR) scripts/run-chaos

bench: build
	@BUILD_DIR=$(BUILD_DIR) scripts/run-bench

fuzz: deps
	@FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzz

broker-start:
	@scripts/kafka start

broker-stop:
	@scripts/kafka stop

format:
	@find engine operators state apps tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
