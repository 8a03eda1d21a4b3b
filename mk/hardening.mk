# hardening (issue 6): fuzzing, TSan, the allocation counter, hostile clients, soak.
#
#   make fuzz            each libFuzzer target for FUZZ_SECONDS (default 120) from fuzz/corpus/<target>;
#                        new inputs go to build/fuzz/corpus/<target>, crashes to build/fuzz/crashes/
#   make fuzz-merge      add what make fuzz found (new coverage only) to fuzz/corpus/<target>
#   make fuzz-replay     replay the corpus with the g++ ASan+UBSan replay binaries (make test does too)
#   make soak            bench/soak.sh (SOAK_SECONDS, default 600); not part of make test
#
# make test builds everything below first (TEST_DEPS) and runs test/suite_fuzz_replay.sh
# (corpus replay + a short libFuzzer pass), test/suite_tsan.sh (TSan server and slot limiter,
# the allocation counter) and test/suite_hostile.sh (hostile clients, floods, shutdown).

TEST_PACKAGES += clang libclang-rt-14-dev python3 util-linux

FUZZ_TARGETS  := fuzz_http_parser fuzz_http_differential fuzz_chat_body fuzz_responses_body fuzz_anthropic_body
FUZZ_CXX      ?= clang++
FUZZ_CXXFLAGS := -std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS  ?= 120
TSAN          := -O1 -g -fno-omit-frame-pointer -fsanitize=thread

# The parser and the body reader instrumented for libFuzzer (clang), and for replay (g++ SAN).
build/fuzz/obj/%.o: src/%.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/fuzz/obj/fuzz_%.o: fuzz/fuzz_%.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/fuzz/fuzz_http_parser build/fuzz/fuzz_http_differential: build/fuzz/%: build/fuzz/obj/%.o build/fuzz/obj/engine/http_parser.o
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $^ -o $@

# Every request-body reader (the OpenAI family, the Responses API, Anthropic) and what they use.
READER_SRC := src/answer/json_body.cpp src/dialects/openai_reader.cpp src/dialects/responses_reader.cpp \
              src/dialects/anthropic_reader.cpp src/dialects/vllm_tokenize.cpp $(wildcard src/answer/schema_*.cpp) \
              src/answer/latency_model.cpp src/engine/http_response.cpp src/service/prefix_cache.cpp
# The body targets; the Responses target also renders the request's echo (its dialect's renderer).
ECHO_SRC   := src/dialects/openai_responses.cpp src/dialects/openai_error.cpp src/dialects/dialect.cpp \
              src/answer/json_text.cpp src/answer/tokens.cpp
BODY_FUZZ  := fuzz_chat_body fuzz_responses_body fuzz_anthropic_body
$(BODY_FUZZ:%=build/fuzz/%): build/fuzz/%: build/fuzz/obj/%.o $(READER_SRC:src/%.cpp=build/fuzz/obj/%.o) \
                                           $(ECHO_SRC:src/%.cpp=build/fuzz/obj/%.o)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $^ -lsimdjson -o $@

build/fuzz-replay/%.o: fuzz/%.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(SAN) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/fuzz-replay/fuzz_http_parser build/fuzz-replay/fuzz_http_differential: build/fuzz-replay/%: build/fuzz-replay/%.o build/fuzz-replay/replay_main.o build/san/engine/http_parser.o
	$(CXX) $(SAN) $^ -o $@

$(BODY_FUZZ:%=build/fuzz-replay/%): build/fuzz-replay/%: build/fuzz-replay/%.o build/fuzz-replay/replay_main.o \
                                                         $(READER_SRC:src/%.cpp=build/san/%.o) $(ECHO_SRC:src/%.cpp=build/san/%.o)
	$(CXX) $(SAN) $^ -lsimdjson -o $@

.PHONY: fuzz fuzz-build fuzz-merge fuzz-replay soak
fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/%)

fuzz: fuzz-build
	@sh fuzz/run.sh build/fuzz $(FUZZ_SECONDS) build/fuzz $(FUZZ_TARGETS)

# Adds to fuzz/corpus/<target> the inputs `make fuzz` found that reach new coverage (libFuzzer
# -merge=1): the replay in make test then guards them too.
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/corpus/$$t; \
	    build/fuzz/$$t -merge=1 fuzz/corpus/$$t build/fuzz/corpus/$$t 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' | sed "s/^/$$t: /"; done

fuzz-replay: $(FUZZ_TARGETS:%=build/fuzz-replay/%)
	@for t in $(FUZZ_TARGETS); do echo "$$t: $$(build/fuzz-replay/$$t fuzz/corpus/$$t 2>/dev/null)"; done

# ThreadSanitizer: the whole server (objects in build/tsan/), and the slot limiter's unit test.
build/tsan/%.o: src/%.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(TSAN) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/tsan/test/%.o: test/%.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(TSAN) $(WARN) -Wno-maybe-uninitialized $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/llm-mock-server-tsan: $(LIB_SRC:src/%.cpp=build/tsan/%.o) build/tsan/main.o
	$(CXX) $(TSAN) $^ -lsimdjson -pthread -o $@

build/slot-limiter-tsan: build/tsan/test/engine/slot_limiter_test.o build/tsan/test/test_main.o
	$(CXX) $(TSAN) $^ -pthread -o $@

# The other shared structures' unit tests under TSan: the rate limiter's key table and buckets,
# the live settings' snapshots and the waiting queue (their threads count failures in atomics;
# Catch2 is not thread-safe).
build/concurrency-tsan: build/tsan/test/service/rate_limiter_test.o build/tsan/test/service/live_config_test.o \
                        build/tsan/test/engine/wait_queue_test.o build/tsan/test/test_main.o \
                        $(LIB_SRC:src/%.cpp=build/tsan/%.o)
	$(CXX) $(TSAN) $^ -lsimdjson -pthread -o $@

# The allocation counter: the optimised server plus one object replacing malloc & co.
build/alloc/alloc_check.o: test/alloc_check.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/llm-mock-server-alloc: $(OBJ_OPT) build/opt/main.o build/alloc/alloc_check.o
	$(CXX) $(OPT) $^ -lsimdjson -pthread -o $@

TEST_DEPS += $(FUZZ_TARGETS:%=build/fuzz-replay/%) $(FUZZ_TARGETS:%=build/fuzz/%) \
             build/llm-mock-server-tsan build/slot-limiter-tsan build/concurrency-tsan build/llm-mock-server-alloc

soak: build/llm-mock-server
	@sh test/install_deps.sh gnuplot-nox || echo "soak: no gnuplot; the CSV is written, the plot is not" >&2
	bash bench/soak.sh

# (build/tsan, build/alloc and build/fuzz-replay dependency files are included by the Makefile.)
-include $(wildcard build/fuzz/obj/*.d build/fuzz/obj/*/*.d)
