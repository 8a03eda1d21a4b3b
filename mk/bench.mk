# Benchmarks (bench/): `make bench` runs every scenario against llm-mock-server, nginx with the
# echo module and the speed-of-light reference server in one bounded run (under 15 minutes),
# prints the table and writes bench/results/. See README "## Performance (benchmarks)".
#
#   make bench          everything (micro-benchmarks, hold, throughput, reject, stream)
#   BENCH_SCENARIOS=stream make bench   one scenario (here: per-token streaming precision and CPU)
#   make bench-micro    parser, timer wheel and rendering micro-benchmarks only
#   make bench-tools    build the load client, the reference server and the micro-benchmarks
#   bench/compare.sh, bench/stream_compare.sh, bench/callgrind.sh BEFORE AFTER: two builds side
#                       by side in one run (delay-0 CPU, CPU per streamed token, instructions)

# A rule in an included fragment would otherwise become the default goal.
.DEFAULT_GOAL := all

# nginx + echo module: the baseline; linux-perf: profiles. gnuplot (the plots, 44 packages)
# is installed by `make bench` only, not by every build.
BENCH_PACKAGES += nginx libnginx-mod-http-echo linux-perf

BENCH_CXXFLAGS := $(CXXSTD) -O2 -g $(WARN) $(DEFS) $(INC)
BENCH_MICRO := build/bench/parser_bench build/bench/render_bench build/bench/timer_wheel_bench
BENCH_TOOLS := build/bench/load_client build/bench/reference_server build/bench/reference_stream $(BENCH_MICRO)

# test/suite_stream_load.sh drives the load client's streaming mode against both servers.
TEST_DEPS += build/bench/load_client build/bench/reference_stream

.PHONY: bench bench-micro bench-tools bench-deps

# Installed by `make bench` alone: `make run` and `make test` need none of them.
bench-deps: | build/.deps
	@sh test/install_deps.sh $(BENCH_PACKAGES) gnuplot-nox

build/bench/load_client: bench/load_client.cpp | build/.deps
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) $< -o $@

build/bench/reference_server: bench/reference_server.cpp | build/.deps
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) $< -o $@

build/bench/reference_stream: bench/reference_stream.cpp | build/.deps
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) $< -o $@

# Micro-benchmarks link the server's own optimised objects.
build/bench/parser_bench: bench/parser_bench.cpp build/opt/engine/http_parser.o build/opt/answer/json_body.o build/opt/dialects/openai_reader.o build/opt/service/prefix_cache.o build/opt/answer/schema_json.o build/opt/answer/schema_check.o build/opt/answer/schema_keywords.o build/opt/answer/schema_literal.o build/opt/answer/schema_value.o build/opt/answer/schema_string.o build/opt/answer/schema_pattern.o build/opt/answer/schema_number.o build/opt/answer/schema_object.o build/opt/answer/schema_array.o build/opt/answer/latency_model.o build/opt/engine/http_response.o
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) $^ -lsimdjson -o $@

build/bench/render_bench: bench/render_bench.cpp build/opt/engine/http_response.o build/opt/dialects/openai_chat.o build/opt/dialects/openai_error.o build/opt/dialects/dialect.o build/opt/answer/json_text.o build/opt/answer/tokens.o build/opt/answer/json_body.o build/opt/dialects/openai_reader.o build/opt/service/prefix_cache.o build/opt/answer/schema_json.o build/opt/answer/schema_check.o build/opt/answer/schema_keywords.o build/opt/answer/schema_literal.o build/opt/answer/schema_value.o build/opt/answer/schema_string.o build/opt/answer/schema_pattern.o build/opt/answer/schema_number.o build/opt/answer/schema_object.o build/opt/answer/schema_array.o build/opt/answer/latency_model.o
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) $^ -lsimdjson -o $@

build/bench/timer_wheel_bench: bench/timer_wheel_bench.cpp build/opt/engine/timer_wheel.o
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) $^ -o $@

# The prefix cache's geometry and sharing figures (include/service/prefix_cache.hpp's tables).
build/bench/prefix_cache_bench: bench/prefix_cache_bench.cpp build/opt/service/prefix_cache.o build/opt/answer/tokens.o
	@mkdir -p $(dir $@)
	$(CXX) $(BENCH_CXXFLAGS) $^ -pthread -o $@

bench-tools: $(BENCH_TOOLS)

bench-micro: $(BENCH_MICRO)
	@for b in $(BENCH_MICRO); do $$b; done

bench: bench-deps build/llm-mock-server $(BENCH_TOOLS)
	@bash bench/run.sh
