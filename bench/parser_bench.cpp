// parser micro-benchmark: ns per request for the HTTP/1.1 parser (headers_done + complete),
// for the parser plus the one simdjson pass over the body that a chat request costs, and for
// the five header() lookups the worker makes on every chat request (its override headers).
//
// The requests are the bytes real clients send for the README's chat request, captured with
// a listening socket on the development machine (curl 7.88.1, ApacheBench 2.3, wrk 4.1 with
// bench/post.lua, and the official OpenAI SDK for Node 4.104.0). The OpenAI Python SDK could
// not be installed here (no PyPI); its request is rebuilt from the header set it sends
// (httpx's order, the Stainless headers) and labelled "reconstructed".
//
// Timing: thread CPU time (CLOCK_THREAD_CPUTIME_ID), so time spent descheduled on a shared,
// noisy machine is not counted; ITERATIONS parses per round, the median and the best of
// ROUNDS rounds are printed.
//
//   make build/bench/parser_bench && build/bench/parser_bench
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>
#include <vector>

#include "dialects/openai_reader.hpp"
#include "engine/http_parser.hpp"

namespace {

struct sample {
    const char* name;
    std::string_view bytes;
};

constexpr std::string_view CURL =
    "POST /compatible-mode/v1/chat/completions HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 68\r\n"
    "\r\n"
    R"({"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]})";

constexpr std::string_view AB =
    "POST /v1/chat/completions HTTP/1.0\r\n"
    "Connection: Keep-Alive\r\n"
    "Content-length: 68\r\n"
    "Content-type: application/json\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: ApacheBench/2.3\r\n"
    "Accept: */*\r\n"
    "\r\n"
    R"({"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]})";

constexpr std::string_view WRK =
    "POST /v1/chat/completions HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Content-Length: 68\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    R"({"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]})";

constexpr std::string_view OPENAI_NODE =
    "POST /v1/chat/completions HTTP/1.1\r\n"
    "content-length: 191\r\n"
    "accept: application/json\r\n"
    "content-type: application/json\r\n"
    "user-agent: OpenAI/JS 4.104.0\r\n"
    "x-stainless-lang: js\r\n"
    "x-stainless-package-version: 4.104.0\r\n"
    "x-stainless-os: Linux\r\n"
    "x-stainless-arch: x64\r\n"
    "x-stainless-runtime: node\r\n"
    "x-stainless-runtime-version: v20.20.2\r\n"
    "authorization: Bearer sk-test-0123456789abcdefghijklmnopqrstuvwxyz\r\n"
    "x-stainless-retry-count: 0\r\n"
    "x-stainless-timeout: 600\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "{\n"
    "  \"model\": \"qwen-plus\",\n"
    "  \"messages\": [\n"
    "    {\n"
    "      \"role\": \"system\",\n"
    "      \"content\": \"You are a helpful assistant.\"\n"
    "    },\n"
    "    {\n"
    "      \"role\": \"user\",\n"
    "      \"content\": \"Hello\"\n"
    "    }\n"
    "  ]\n"
    "}";

constexpr std::string_view OPENAI_PYTHON =
    "POST /v1/chat/completions HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n"
    "Accept: application/json\r\n"
    "Content-Type: application/json\r\n"
    "User-Agent: OpenAI/Python 1.55.0\r\n"
    "X-Stainless-Lang: python\r\n"
    "X-Stainless-Package-Version: 1.55.0\r\n"
    "X-Stainless-OS: Linux\r\n"
    "X-Stainless-Arch: x64\r\n"
    "X-Stainless-Runtime: CPython\r\n"
    "X-Stainless-Runtime-Version: 3.11.2\r\n"
    "Authorization: Bearer sk-test-0123456789abcdefghijklmnopqrstuvwxyz\r\n"
    "X-Stainless-Async: false\r\n"
    "x-stainless-retry-count: 0\r\n"
    "x-stainless-read-timeout: 600\r\n"
    "Content-Length: 137\r\n"
    "\r\n"
    R"({"messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", )"
    R"("content": "Hello"}], "model": "qwen-plus"})";

// The headers src/engine/worker.cpp reads on every chat request (per-request overrides).
const char* const OVERRIDE_HEADERS[] = {"x-mock-delay", "x-mock-ttft", "x-mock-itl", "x-mock-output-tokens",
                                        "x-return-error"};

constexpr int ROUNDS = 9;
constexpr int ITERATIONS = 200'000;

double thread_ns() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

uint64_t sink = 0;

// Parses the request to completion; exits when it does not parse as one complete request.
inline void parse_one(lms::http_parser& p, char* buf, size_t len) {
    p.reset();
    lms::parse_result r = p.parse(buf, len);
    if (r == lms::parse_result::headers_done) {
        r = p.parse(buf, len);
    }
    if (r != lms::parse_result::complete || p.consumed() != len) {
        std::fprintf(stderr, "parser_bench: request did not parse (result %d, status %d: %s)\n", int(r),
                     p.error_status(), p.error_message());
        std::exit(1);
    }
    sink += p.request().body_len + p.request().header_count;
}

struct figures {
    double median;
    double best;
};

template <class Fn>
figures measure(Fn&& fn) {
    std::vector<double> ns;
    for (int round = 0; round < ROUNDS; ++round) {
        double t0 = thread_ns();
        for (int i = 0; i < ITERATIONS; ++i) {
            fn();
        }
        ns.push_back((thread_ns() - t0) / ITERATIONS);
    }
    std::sort(ns.begin(), ns.end());
    return {ns[ns.size() / 2], ns.front()};
}

}  // namespace

int main() {
    const sample samples[] = {
        {"curl 7.88.1", CURL},
        {"ab 2.3 (HTTP/1.0 keep-alive)", AB},
        {"wrk 4.1 + bench/post.lua", WRK},
        {"OpenAI Node SDK 4.104.0", OPENAI_NODE},
        {"OpenAI Python SDK (reconstructed)", OPENAI_PYTHON},
    };
    lms::http_limits limits;
    lms::http_parser parser(limits);
    lms::json_body_parser reader(limits.max_body_bytes);

    std::printf("parser: ns per request, thread CPU time, median (best) of %d rounds x %d requests\n", ROUNDS,
                ITERATIONS);
    std::printf("  %-36s %6s %18s %22s %10s %18s\n", "client", "bytes", "parse", "parse + JSON body", "ns/byte",
                "5 header lookups");
    for (const sample& s : samples) {
        // The buffer is padded as a pool buffer is (simdjson reads up to 64 bytes past the end).
        std::vector<char> buf(s.bytes.size() + lms::json_body_parser::PADDING, '\0');
        std::memcpy(buf.data(), s.bytes.data(), s.bytes.size());
        const size_t len = s.bytes.size();
        figures parse = measure([&] { parse_one(parser, buf.data(), len); });
        figures both = measure([&] {
            parse_one(parser, buf.data(), len);
            lms::generation_request rq;
            lms::body_error err;
            const lms::http_request& h = parser.request();
            if (!lms::read_chat_request(reader, buf.data() + h.body_off, h.body_len, rq, err)) {
                std::fprintf(stderr, "parser_bench: body refused: %s\n", err.message);
                std::exit(1);
            }
            sink += rq.message_count;
        });
        // The worker looks up its five per-request override headers on every chat request
        // (http_parser::header: a case-insensitive scan of every field per lookup).
        parse_one(parser, buf.data(), len);
        figures lookups = measure([&] {
            for (const char* name : OVERRIDE_HEADERS) {
                sink += parser.header(buf.data(), name).size();
            }
        });
        std::printf("  %-36s %6zu %9.1f (%6.1f) %13.1f (%6.1f) %10.2f %9.1f (%6.1f)\n", s.name, len, parse.median,
                    parse.best, both.median, both.best, parse.median / double(len), lookups.median, lookups.best);
        std::printf("RESULT parser client=\"%s\" bytes=%zu parse_ns=%.1f parse_json_ns=%.1f lookups_ns=%.1f\n", s.name,
                    len, parse.median, both.median, lookups.median);
    }
    std::printf("  (checksum %llu)\n", static_cast<unsigned long long>(sink % 1000));
    return 0;
}
