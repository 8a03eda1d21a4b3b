// render micro-benchmark: ns to render one chat answer as the worker does it — the id
// (format_completion_id), the body (render_chat_body) and the head (render_head) into fixed
// buffers — and each part alone, plus the 503 overload answer (render_error_body + head).
//
// Timing: thread CPU time, ITERATIONS renders per round, median (best) of ROUNDS rounds.
//
//   make build/bench/render_bench && build/bench/render_bench
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "dialects/openai_chat.hpp"
#include "dialects/openai_error.hpp"
#include "engine/http_response.hpp"

namespace {

constexpr int ROUNDS = 9;
constexpr int ITERATIONS = 500'000;

double thread_ns() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

uint64_t sink = 0;

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
            fn(uint64_t(i));
        }
        ns.push_back((thread_ns() - t0) / ITERATIONS);
    }
    std::sort(ns.begin(), ns.end());
    return {ns[ns.size() / 2], ns.front()};
}

void check(const lms::out_buf& o) {
    if (o.truncated) {
        std::fprintf(stderr, "render_bench: output truncated\n");
        std::exit(1);
    }
    sink += o.len;
}

}  // namespace

int main() {
    char body[4096];
    char head[1024];
    char id[41];
    char date[29];
    lms::format_http_date(1795668621, date);
    const std::string_view date29(date, sizeof date);
    const std::string_view overload_headers = "Retry-After: 1\r\n";

    figures id_only = measure([&](uint64_t i) {
        sink += lms::format_completion_id(i * 0x9e3779b97f4a7c15ull, ~i, id).size();
    });
    figures body_only = measure([&](uint64_t i) {
        lms::out_buf b(body, sizeof body);
        lms::render_chat_body(b, {std::string_view(id, sizeof id), 1795668621 + int64_t(i & 1), "qwen-plus"});
        check(b);
    });
    figures head_only = measure([&](uint64_t i) {
        lms::out_buf h(head, sizeof head);
        lms::render_head(h, 200, "application/json", 451 + (i & 1), true, date29, "");
        check(h);
    });
    figures answer = measure([&](uint64_t i) {
        lms::out_buf b(body, sizeof body);
        lms::render_chat_body(b, {lms::format_completion_id(i * 0x9e3779b97f4a7c15ull, ~i, id), 1795668621,
                                  "qwen-plus"});
        check(b);
        lms::out_buf h(head, sizeof head);
        lms::render_head(h, 200, "application/json", b.len, true, date29, "");
        check(h);
    });
    figures overload = measure([&](uint64_t) {
        lms::out_buf b(body, sizeof body);
        lms::error_kind k = lms::error_kind_for(503);
        lms::render_error_body(b, "The server is overloaded: all MAX_CONCURRENT slots are in use. Retry later.", k.type,
                               "", k.code);
        check(b);
        lms::out_buf h(head, sizeof head);
        lms::render_head(h, 503, "application/json", b.len, true, date29, overload_headers);
        check(h);
    });

    std::printf("render: ns per response, thread CPU time, median (best) of %d rounds x %d renders\n", ROUNDS,
                ITERATIONS);
    std::printf("  %-52s %9.1f (%6.1f)\n", "format_completion_id", id_only.median, id_only.best);
    std::printf("  %-52s %9.1f (%6.1f)\n", "render_chat_body (451 bytes)", body_only.median, body_only.best);
    std::printf("  %-52s %9.1f (%6.1f)\n", "render_head (200, keep-alive)", head_only.median, head_only.best);
    std::printf("  %-52s %9.1f (%6.1f)\n", "chat answer: id + body + head", answer.median, answer.best);
    std::printf("  %-52s %9.1f (%6.1f)\n", "503 overload answer: error body + head", overload.median, overload.best);
    std::printf("RESULT render id_ns=%.1f body_ns=%.1f head_ns=%.1f answer_ns=%.1f overload_ns=%.1f\n", id_only.median,
                body_only.median, head_only.median, answer.median, overload.median);
    std::printf("  (checksum %llu)\n", static_cast<unsigned long long>(sink % 1000));
    return 0;
}
