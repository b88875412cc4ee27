# Thin wrapper around CMake. The real build is CMakeLists.txt.
#
#   make [CONFIG=site.json]   build build/<site>/kiln (default: examples/default.json)
#   make run                  build the demo site and serve it on 127.0.0.1:8080
#   make test                 build everything and run every test (ctest)
#   make test SANITIZE=1      the same under AddressSanitizer + UBSan
#   make deps                 install missing Debian packages (apt-get)
#
# Every target installs what it is missing first, so a fresh Debian machine
# needs nothing but make.

CONFIG   ?= examples/default.json
SANITIZE ?= 0
STRICT   ?= 0
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SANITIZE),1)
BUILD ?= build-sanitize
CMAKE_FLAGS += -DKILN_SANITIZE=ON
else
BUILD ?= build
endif
ifeq ($(STRICT),1)
CMAKE_FLAGS += -DKILN_STRICT=ON
else
CMAKE_FLAGS += -DKILN_STRICT=OFF
endif

# Ninja: a no-op check of the shared targets takes milliseconds, so building
# one more site costs only its generated C (make's walk alone takes ~1 s).
export CMAKE_GENERATOR ?= Ninja

# Debian packages: to build a site, to run the tests, to run the demo.
# CMake configures the test targets too, so a plain build needs cmocka and
# python3; libc6-dev is only a Recommends of gcc, which apt skips here.
DEPS_BUILD := cmake ninja-build make gcc libc6-dev pkg-config gperf libevent-dev \
              libjansson-dev libssl-dev libcrypt-dev libcmocka-dev python3
DEPS_TEST  := php-fpm python3-pytest clang libclang-rt-14-dev binutils wrk
DEPS_BENCH := wrk nginx-light haproxy gnuplot-nox valgrind strace

.PHONY: all site run test fuzz deps deps-test deps-bench configure clean bench bench-profile \
        bench-idle soak

all: site

deps:
	@$(MAKE) --no-print-directory -s _apt PKGS="$(DEPS_BUILD)"
deps-test: deps
	@$(MAKE) --no-print-directory -s _apt PKGS="$(DEPS_TEST)"
deps-bench: deps-test
	@$(MAKE) --no-print-directory -s _apt PKGS="$(DEPS_BENCH)"

# Installs only what dpkg says is missing, with sudo when not root.
_apt:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing Debian packages:$$missing"; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi

configure: deps
	@cmake -S . -B $(BUILD) -DKILN_CONFIG:FILEPATH="$(CONFIG)" $(CMAKE_FLAGS) >/dev/null

# The `site` target is the config CMake was given: the Makefile never
# guesses the name CMake derived from it.
site: configure
	@cmake --build $(BUILD) --target site -j $(JOBS)
	@echo "built $$(cat $(BUILD)/site.path)"

run: deps-test
	@$(MAKE) --no-print-directory site CONFIG=examples/default.json
	@examples/run-demo.sh $(BUILD)/default/kiln

test: deps-test
	@cmake -S . -B $(BUILD) -DKILN_CONFIG:FILEPATH="$(CONFIG)" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="http_parse ..."]: each libFuzzer
# harness for N seconds on a copy of its corpus; any finding fails.
FUZZ_SECONDS ?= 60
fuzz: deps-test
	@CC=clang cmake -S . -B build-fuzz -DKILN_FUZZ=ON -DKILN_SANITIZE=ON \
	  -DKILN_CONFIG:FILEPATH="$(CONFIG)" $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@tests/fuzz/run.sh build-fuzz/tests/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build build-sanitize build-fuzz

# make bench [BENCH_QUICK=1] [BENCH_SECONDS=7] [BENCH_ROUNDS=3]
#            [BENCH_SCENARIOS=min,null] [BENCH_TARGETS=kiln,nginx] [BENCH_CHART=1]
#   kiln (bench/bench.json, built as $(BUILD)/bench/kiln) against nginx with
#   and without upstream keepalive and HAProxy, on loopback: req/s, latency,
#   proxy CPU per request (bench/README.md). Results in build/bench/.
# make bench-profile: instructions (callgrind), syscalls (strace) and
#   allocator calls per request on the null FastCGI backend.
# A target that fails its pre-flight check, dies, or (kiln) errs under load
# fails the run; BENCH_STRICT=0 reports it and measures the others.
BENCH_STRICT ?= 1
BENCH_PY := /usr/bin/python3

bench: deps-bench
	@kb=ok; $(MAKE) --no-print-directory site CONFIG=bench/bench.json || kb=failed; \
	KILN_BUILD=$$kb KILN_BIN="$(abspath $(BUILD))/bench/kiln" BENCH_STRICT="$(BENCH_STRICT)" \
	  $(BENCH_PY) bench/run.py

bench-profile: deps-bench
	@kb=ok; $(MAKE) --no-print-directory site CONFIG=bench/bench.json || kb=failed; \
	KILN_BUILD=$$kb KILN_BIN="$(abspath $(BUILD))/bench/kiln" BENCH_STRICT="$(BENCH_STRICT)" \
	  $(BENCH_PY) bench/profile.py

# make bench-idle [BENCH_IDLE_CONNS=10000]: memory of an idle keep-alive
#   connection, kiln (bench/idle.json) and nginx in the same run.
bench-idle: deps-bench
	@$(MAKE) --no-print-directory site CONFIG=bench/idle.json
	@KILN_IDLE_BIN="$(abspath $(BUILD))/idle/kiln" $(BENCH_PY) bench/idle.py

# make soak [SOAK_SECONDS=300] [SANITIZE=1]: kiln (tests/integration/sites/
#   soak_main.json) and a real php-fpm on loopback under a mixed load for N
#   seconds (tests/integration/soak.py: keep-alive and new connections, GET,
#   HEAD, POST, chunked and pipelined requests, streamed downloads, clients
#   that leave mid-request). Fails on any unexpected response, RSS growth over
#   16 MiB after warm-up, or a descriptor not returned. `make test` runs 30 s.
SOAK_SECONDS ?= 300
soak: deps-test
	@cmake -S . -B $(BUILD) -DKILN_CONFIG:FILEPATH="$(CONFIG)" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) --target site_it_soak_main -j $(JOBS)
	@KILN_BUILD_DIR="$(abspath $(BUILD))" /usr/bin/python3 tests/integration/soak.py \
	  --seconds $(SOAK_SECONDS)
