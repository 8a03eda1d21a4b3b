# llm-mock-server. `make run` and `make test` do all the set-up on a fresh Debian machine
# (as root they install the Debian packages they need).

CXX      ?= g++
CXXSTD   := -std=c++20
WARN     := -Wall -Wextra -Wshadow -Wno-missing-field-initializers
VERSION  := 0.1.0
DEFS     := -DFMT_HEADER_ONLY -DLMS_VERSION=\"$(VERSION)\"
OPT      := -O2 -g
SAN      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
INC      := -Iinclude

# Debian packages the build, the tests and the benchmarks need.
PACKAGES := g++ make libsimdjson-dev libfmt-dev catch2 curl jq apache2-utils wrk prometheus \
            dpkg-dev file procps iproute2

LIB_SRC  := $(filter-out src/main.cpp,$(wildcard src/*.cpp src/*/*.cpp))
TEST_SRC := $(wildcard test/*/*_test.cpp) test/test_main.cpp

OBJ_OPT  := $(LIB_SRC:src/%.cpp=build/opt/%.o)
OBJ_SAN  := $(LIB_SRC:src/%.cpp=build/san/%.o)
TOBJ_OPT := $(TEST_SRC:test/%.cpp=build/opt/test/%.o)
TOBJ_SAN := $(TEST_SRC:test/%.cpp=build/san/test/%.o)

SIMDJSON_SRC := build/third_party/simdjson

.PHONY: all run test unit integration static deps clean bench print-packages

# Each capability keeps its targets in mk/<name>.mk: it may add to PACKAGES, to TEST_DEPS
# (built before `make test`) and define its own targets; test suites are test/suite_*.sh.
TEST_DEPS :=
-include $(sort $(wildcard mk/*.mk))

all: build/llm-mock-server

build/.deps:
	@sh test/install_deps.sh $(PACKAGES)
	@mkdir -p build && touch $@

deps: build/.deps

build/opt/%.o: src/%.cpp | build/.deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/san/%.o: src/%.cpp | build/.deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(SAN) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/opt/test/%.o: test/%.cpp | build/.deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/san/test/%.o: test/%.cpp | build/.deps
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
test: build/unit-tests-san build/unit-tests build/llm-mock-server-san build/llm-mock-server $(TEST_DEPS)
	@sh test/run_all.sh

print-packages:
	@echo $(PACKAGES)

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
	@file $< | grep -q 'statically linked' && echo "$< is statically linked ($$(stat -c %s $<) bytes)"

clean:
	rm -rf build

-include $(wildcard build/*/*.d build/*/*/*.d build/*/test/*.d build/*/test/*/*.d)
