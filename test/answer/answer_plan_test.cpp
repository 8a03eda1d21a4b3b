#include <catch2/catch.hpp>

#include "answer/answer_plan.hpp"
#include "answer/tokens.hpp"

using namespace lms;

namespace {

generation_request chat(bool stream = false) {
    generation_request r;
    r.last_user = "hello there";
    r.prompt_bytes = 11;
    r.stream = stream;
    r.message_count = 1;
    return r;
}

bool same(const answer_plan& a, const answer_plan& b) {
    return a.refuse == b.refuse && a.mid == b.mid && a.fault_at == b.fault_at && a.echo == b.echo &&
           a.stream == b.stream && a.include_usage == b.include_usage && a.finish_length == b.finish_length &&
           a.original_body == b.original_body && a.tokens == b.tokens && a.prompt_tokens == b.prompt_tokens &&
           a.itl_us == b.itl_us && a.first_ns == b.first_ns && a.keepalive_ns == b.keepalive_ns;
}

}  // namespace

TEST_CASE("answer_plan: the same inputs and seed give the same plan") {
    config c;
    std::string why;
    REQUIRE(parse_latency_model("lognormal:0.5,0.4", c.delay_model, why));
    c.fault_disconnect = 0.3;
    c.fault_stall = 0.3;
    generation_request rq = chat();
    overrides ov;
    for (uint64_t seed = 1; seed < 50; ++seed) {
        rng a(seed), b(seed);
        answer_plan pa = plan_answer(plan_input{rq, ov, c, 26, 1.0, true}, a);
        answer_plan pb = plan_answer(plan_input{rq, ov, c, 26, 1.0, true}, b);
        CHECK(same(pa, pb));
        CHECK(a.next() == b.next());  // and the same number of draws
    }
}

TEST_CASE("answer_plan: the original body, its delay and what turns it off") {
    config c;  // 10 s fixed delay, original content
    generation_request rq = chat();
    overrides ov;
    rng r(7);
    answer_plan p = plan_answer(plan_input{rq, ov, c, 26, 1.0, true}, r);
    CHECK(p.refuse == fault::none);
    CHECK(p.mid == fault::none);
    CHECK(p.original_body);
    CHECK(p.first_ns == 10000000000ull);
    CHECK(p.tokens == 26);
    CHECK_FALSE(p.finish_length);
    CHECK(p.prompt_tokens == estimate_prompt_tokens(11));
    CHECK_FALSE(plan_answer(plan_input{rq, ov, c, 26, 1.0, false}, r).original_body);  // a dialect without it
    rq.has_max_tokens = true;
    rq.max_tokens = 5;
    p = plan_answer(plan_input{rq, ov, c, 26, 1.0, true}, r);
    CHECK_FALSE(p.original_body);
    CHECK(p.tokens == 5);
    CHECK(p.finish_length);
    rq.max_tokens = 26;  // exactly the natural length: not cut
    p = plan_answer(plan_input{rq, ov, c, 26, 1.0, true}, r);
    CHECK(p.tokens == 26);
    CHECK_FALSE(p.finish_length);
    // The load factor stretches the delay.
    p = plan_answer(plan_input{chat(), ov, c, 26, 1.5, true}, r);
    CHECK(p.first_ns == 15000000000ull);
}

TEST_CASE("answer_plan: TTFT and ITL schedule a whole timed answer; streams get TTFT and keep-alives") {
    config c;
    c.has_ttft = true;
    c.ttft = latency_model{latency_model::kind::fixed, 0.5, 0};
    c.itl = latency_model{latency_model::kind::fixed, 0.02, 0};
    c.sse_keepalive_ms = 100;
    overrides ov;
    rng r(1);
    answer_plan p = plan_answer(plan_input{chat(), ov, c, 26, 1.0, true}, r);
    CHECK_FALSE(p.original_body);
    CHECK(p.first_ns == 500000000ull + 25 * 20000000ull);
    CHECK(p.keepalive_ns == 0);
    p = plan_answer(plan_input{chat(true), ov, c, 26, 1.0, true}, r);
    CHECK(p.stream);
    CHECK(p.first_ns == 500000000ull);
    CHECK(p.keepalive_ns == 100000000ull);
    CHECK(token_gap_ns(p.itl_us, c, 1.0, r) == 20000000ull);
    ov.has_itl = true;
    ov.itl_ms = 7;
    p = plan_answer(plan_input{chat(true), ov, c, 26, 1.0, true}, r);
    CHECK(token_gap_ns(p.itl_us, c, 2.0, r) == 7000000ull);  // an override is not stretched
}

TEST_CASE("answer_plan: faults, overrides and echo") {
    config c;
    overrides ov;
    rng r(3);
    c.fault_429 = 1;
    CHECK(plan_answer(plan_input{chat(), ov, c, 26, 1.0, true}, r).refuse == fault::http_429);
    c.fault_429 = 0;
    c.fault_500 = 1;
    CHECK(plan_answer(plan_input{chat(), ov, c, 26, 1.0, true}, r).refuse == fault::http_500);
    c.fault_500 = 0;
    c.fault_stream_error = 1;
    CHECK(plan_answer(plan_input{chat(), ov, c, 26, 1.0, true}, r).mid == fault::none);  // only streams
    answer_plan p = plan_answer(plan_input{chat(true), ov, c, 26, 1.0, true}, r);
    CHECK(p.mid == fault::stream_error);
    CHECK(p.fault_at == c.fault_after_tokens);
    c.fault_stream_error = 0;
    c.fault_stall = 1;
    p = plan_answer(plan_input{chat(), ov, c, 26, 1.0, true}, r);
    CHECK(p.mid == fault::stall);
    CHECK(p.first_ns == 10000000000ull + c.fault_stall_ms * 1000000);  // a whole answer stalls as a delay
    c.fault_stall = 0;
    ov.has_delay = true;
    ov.delay_ms = 250;
    ov.has_tokens = true;
    ov.tokens = 9;
    p = plan_answer(plan_input{chat(), ov, c, 26, 1.0, true}, r);
    CHECK(p.first_ns == 250000000ull);
    CHECK(p.tokens == 9);
    CHECK_FALSE(p.original_body);
    overrides none;
    c.content = content_mode::echo;
    p = plan_answer(plan_input{chat(), none, c, 26, 1.0, true}, r);
    CHECK(p.echo);
    CHECK(p.tokens == count_tokens("hello there"));
    c.max_output_tokens = 1;  // the cap, exactly
    CHECK(plan_answer(plan_input{chat(), none, c, 26, 1.0, true}, r).tokens == 1);
}
