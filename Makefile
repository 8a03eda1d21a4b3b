# llm-mock-server. `make run` and `make test` do all the set-up on a fresh Debian machine
# (as root they install the Debian packages they need): `make run` only the build's
# (BUILD_PACKAGES), `make test` the tests' too (TEST_PACKAGES), `make bench` the benchmarks'.

CXX      ?= g++
CXXSTD   := -std=c++20
WARN     := -Wall -Wextra -Wshadow -Wno-missing-field-initializers
VERSION  := 0.1.0
DEFS     := -DFMT_HEADER_ONLY -DLMS_VERSION=\"$(VERSION)\"
OPT      := -O2 -g
SAN      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
INC      := -Iinclude

# Debian packages: BUILD_PACKAGES are all that `make run` installs (build/.deps); the tests'
# (TEST_PACKAGES, build/.test-deps) and the benchmarks' (BENCH_PACKAGES, mk/bench.mk) come with
# `make test` and `make bench`. Each mk/*.mk adds its own. `make print-packages` lists them all.
BUILD_PACKAGES := g++ make libsimdjson-dev libfmt-dev
TEST_PACKAGES  := catch2 curl jq apache2-utils wrk prometheus dpkg-dev file procps iproute2
BENCH_PACKAGES :=
# `make static` checks its output with file(1); test/fetch_simdjson.sh needs only apt-get.
STATIC_PACKAGES := file

LIB_SRC  := $(filter-out src/main.cpp,$(wildcard src/*.cpp src/*/*.cpp))
TEST_SRC := $(wildcard test/*/*_test.cpp) test/test_main.cpp

OBJ_OPT  := $(LIB_SRC:src/%.cpp=build/opt/%.o)
OBJ_SAN  := $(LIB_SRC:src/%.cpp=build/san/%.o)
TOBJ_OPT := $(TEST_SRC:test/%.cpp=build/opt/test/%.o)
TOBJ_SAN := $(TEST_SRC:test/%.cpp=build/san/test/%.o)

SIMDJSON_SRC := build/third_party/simdjson

.PHONY: all run test unit integration static deps test-deps clean bench docs print-packages \
        print-build-packages print-test-packages print-bench-packages

# Each capability keeps its targets in mk/<name>.mk: it may add to BUILD_PACKAGES, TEST_PACKAGES
# and BENCH_PACKAGES, to TEST_DEPS (built before `make test`) and define its own targets; test
# suites are test/suite_*.sh.
TEST_DEPS :=
-include $(sort $(wildcard mk/*.mk))

all: build/llm-mock-server

# The stamps depend on the package lists' files, so a package added later is installed too
# (install_deps.sh only asks dpkg when everything is there). Objects depend on them order-only.
build/.deps: Makefile $(wildcard mk/*.mk)
	@sh test/install_deps.sh $(BUILD_PACKAGES)
	@mkdir -p build && touch $@

build/.test-deps: Makefile $(wildcard mk/*.mk) | build/.deps
	@sh test/install_deps.sh $(TEST_PACKAGES)
	@touch $@

deps: build/.deps
test-deps: build/.test-deps

build/opt/%.o: src/%.cpp | build/.deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/san/%.o: src/%.cpp | build/.deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(SAN) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/opt/test/%.o: test/%.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/san/test/%.o: test/%.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(SAN) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/llm-mock-server: $(OBJ_OPT) build/opt/main.o
	$(CXX) $(OPT) $^ -lsimdjson -pthread -o $@

build/llm-mock-server-san: $(OBJ_SAN) build/san/main.o
	$(CXX) $(SAN) $^ -lsimdjson -pthread -o $@

build/unit-tests: $(OBJ_OPT) $(TOBJ_OPT)
	$(CXX) $(OPT) $^ -lsimdjson -pthread -o $@

build/unit-tests-san: $(OBJ_SAN) $(TOBJ_SAN)
	$(CXX) $(SAN) $^ -lsimdjson -pthread -o $@

# Catch2's main pulls in <regex>, which GCC 12 warns about at -O1 with sanitizers.
build/opt/test/test_main.o build/san/test/test_main.o: WARN += -Wno-maybe-uninitialized

run: build/llm-mock-server
	./build/llm-mock-server

# Unit tests under ASan+UBSan and optimised, then the integration suite against the
# sanitised binary; the last line is "N passed, N failed".
test: test-deps build/unit-tests-san build/unit-tests build/llm-mock-server-san build/llm-mock-server $(TEST_DEPS)
	@sh test/run_all.sh

# docs/configuration.md, the settings reference, as the binary prints it (test/suite_docs_drift.sh
# fails when the two differ).
docs: build/llm-mock-server
	@mkdir -p docs
	./build/llm-mock-server --help-markdown > docs/configuration.md

# Every package any target installs (.ci/run installs them all at once); then each list alone.
print-packages:
	@echo $(sort $(BUILD_PACKAGES) $(TEST_PACKAGES) $(BENCH_PACKAGES) $(STATIC_PACKAGES))
print-build-packages:
	@echo $(BUILD_PACKAGES)
print-test-packages:
	@echo $(TEST_PACKAGES)
print-bench-packages:
	@echo $(BENCH_PACKAGES)

# A fully static binary: simdjson built from Debian's source package (Debian ships no
# static libsimdjson), fmt header-only.
$(SIMDJSON_SRC)/singleheader/simdjson.cpp: | build/.deps
	@sh test/fetch_simdjson.sh $(SIMDJSON_SRC)

build/static/simdjson.o: $(SIMDJSON_SRC)/singleheader/simdjson.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) -O2 -c $< -o $@

build/static/%.o: src/%.cpp | build/.deps $(SIMDJSON_SRC)/singleheader/simdjson.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) -O2 $(WARN) $(DEFS) $(INC) -I$(SIMDJSON_SRC)/singleheader -MMD -MP -c $< -o $@

build/llm-mock-server-static: $(LIB_SRC:src/%.cpp=build/static/%.o) build/static/main.o build/static/simdjson.o
	$(CXX) -static -O2 $^ -pthread -Wl,--whole-archive -lpthread -Wl,--no-whole-archive -s -o $@

static: build/llm-mock-server-static
	@sh test/install_deps.sh $(STATIC_PACKAGES)
	@file $< | grep -q 'statically linked' && echo "$< is statically linked ($$(stat -c %s $<) bytes)"

clean:
	rm -rf build

-include $(wildcard build/*/*.d build/*/*/*.d build/*/test/*.d build/*/test/*/*.d)
