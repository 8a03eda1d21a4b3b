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
    CHECK(token_gap_ns(p.itl_us, c, 1.0, 0, r) == 20000000ull);
    ov.has_itl = true;
    ov.itl_ms = 7;
    p = plan_answer(plan_input{chat(true), ov, c, 26, 1.0, true}, r);
    CHECK(token_gap_ns(p.itl_us, c, 2.0, 5, r) == 7000000ull);  // an override is not stretched
}

TEST_CASE("answer_plan: prefill is the overhead plus the uncached prompt tokens x the rate, streamed or whole") {
    config c;
    c.has_ttft = true;
    c.ttft = latency_model{latency_model::kind::fixed, 0.2, 0};
    c.itl = latency_model{latency_model::kind::fixed, 0.01, 0};
    c.prefill_overhead_ms = 30;
    c.prefill_per_1k = 0.5;  // 0.5 s per 1,000 tokens: 0.5 ms a token
    CHECK(prefill_ns(c, 0, 0) == 30'000'000ull);
    CHECK(prefill_ns(c, 2000, 0) == 30'000'000ull + 1'000'000'000ull);
    CHECK(prefill_ns(c, 2000, 1500) == 30'000'000ull + 250'000'000ull);  // cached tokens cost nothing
    CHECK(prefill_ns(c, 100, 400) == 30'000'000ull);                      // more cached than asked: none
    overrides ov;
    rng r(1);
    generation_request rq = chat(true);
    rq.prompt_bytes = 4000;  // 1,000 prompt tokens (4 bytes a token)
    answer_plan p = plan_answer(plan_input{rq, ov, c, 26, 1.0, false}, r);
    CHECK(p.prompt_tokens == 1000);
    CHECK(p.prefill_ns == 30'000'000ull + 500'000'000ull);
    CHECK(p.first_ns == p.prefill_ns + 200'000'000ull);  // TTFT = prefill + the TTFT model's draw
    rq.stream = false;
    p = plan_answer(plan_input{rq, ov, c, 26, 1.0, false}, r);
    CHECK(p.first_ns == p.prefill_ns + 200'000'000ull + 25 * 10'000'000ull);  // a whole answer waits as long
    plan_input cached{rq, ov, c, 26, 1.0, false};
    cached.cached_tokens = 1000;
    p = plan_answer(cached, r);
    CHECK(p.prefill_ns == 30'000'000ull);
    // Off by default: no prefill at all.
    config d;
    CHECK(prefill_ns(d, 100000, 0) == 0);
}

TEST_CASE("answer_plan: ITL_PER_RUNNING_STREAM adds to each gap per other running request") {
    config c;
    c.itl = latency_model{latency_model::kind::fixed, 0.02, 0};
    rng r(1);
    CHECK(token_gap_ns(NO_ITL_OVERRIDE, c, 1.0, 10, r) == 20'000'000ull);  // off
    c.itl_per_running = 0.001;
    CHECK(token_gap_ns(NO_ITL_OVERRIDE, c, 1.0, 0, r) == 20'000'000ull);
    CHECK(token_gap_ns(NO_ITL_OVERRIDE, c, 1.0, 10, r) == 30'000'000ull);
    CHECK(token_gap_ns(NO_ITL_OVERRIDE, c, 2.0, 10, r) == 50'000'000ull);  // the draw is stretched, the addend not
    // A whole answer's gaps use the plan's count of others.
    overrides ov;
    c.has_ttft = true;
    c.ttft = latency_model{latency_model::kind::fixed, 0, 0};
    plan_input in{chat(), ov, c, 26, 1.0, false};
    in.others_running = 20;
    CHECK(plan_answer(in, r).first_ns == 25 * 40'000'000ull);
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

TEST_CASE("answer_plan: reasoning tokens from enable_thinking, effort, the header and thinking_budget") {
    config c;
    c.reasoning_tokens = 100;
    overrides ov;
    rng r(1);
    auto plan = [&](const generation_request& rq, bool dashscope = false) {
        return plan_decide(plan_input{rq, ov, c, 26, 1.0, true, dashscope}, r);
    };
    generation_request rq = chat(true);
    CHECK(plan(rq).reasoning_tokens == 0);
    CHECK_FALSE(plan(rq).reasoning_details);
    rq.thinking = reasoning_ask::on;
    CHECK(plan(rq).reasoning_tokens == 100);
    CHECK(plan(rq).reasoning_shown);  // enable_thinking: reasoning_content on either route
    rq.has_thinking_budget = true;
    rq.thinking_budget = 30;
    CHECK(plan(rq).reasoning_tokens == 30);  // the smaller wins
    rq.thinking_budget = 300;
    CHECK(plan(rq).reasoning_tokens == 100);
    rq = chat(true);
    const struct {
        effort_level e;
        uint32_t want;
    } effort[] = {{effort_level::none, 0}, {effort_level::minimal, 0}, {effort_level::low, 25},
                  {effort_level::medium, 100}, {effort_level::high, 400}};
    for (const auto& x : effort) {
        rq.effort = x.e;
        const answer_plan p = plan(rq);
        CHECK(p.reasoning_tokens == x.want);
        CHECK(p.reasoning_details);
        CHECK_FALSE(p.reasoning_shown);          // OpenAI: only counted and waited for
        CHECK(plan(rq, true).reasoning_shown == (x.want != 0));  // DashScope shows it
    }
    rq.thinking = reasoning_ask::off;  // enable_thinking decides over reasoning_effort
    CHECK(plan(rq).reasoning_tokens == 0);
    ov.has_reasoning_tokens = true;
    ov.reasoning_tokens = 7;
    CHECK(plan(rq).reasoning_tokens == 7);  // the header overrides all
}

TEST_CASE("answer_plan: hidden reasoning delays the first token; shown reasoning is streamed") {
    config c;
    c.reasoning_tokens = 10;
    c.has_ttft = true;
    c.ttft = latency_model{latency_model::kind::fixed, 0.5, 0};
    c.itl = latency_model{latency_model::kind::fixed, 0.01, 0};
    overrides ov;
    rng r(1);
    generation_request rq = chat(true);
    rq.effort = effort_level::medium;
    answer_plan hidden = plan_answer(plan_input{rq, ov, c, 26, 1.0, true, false}, r);
    CHECK(hidden.first_ns == 500000000ull + 10 * 10000000ull);
    answer_plan shown = plan_answer(plan_input{rq, ov, c, 26, 1.0, true, true}, r);
    CHECK(shown.first_ns == 500000000ull);
    rq.stream = false;
    answer_plan whole = plan_answer(plan_input{rq, ov, c, 26, 1.0, true, false}, r);
    CHECK(whole.first_ns == 500000000ull + (25 + 10) * 10000000ull);  // every token but the first, reasoning too
}

TEST_CASE("answer_plan: when the mock calls tools, how many, and which first") {
    config c;
    overrides ov;
    rng r(1);
    auto plan = [&](const generation_request& rq) { return plan_decide(plan_input{rq, ov, c, 26, 1.0, true}, r); };
    generation_request rq = chat();
    CHECK(plan(rq).tool_calls == 0);  // no tools
    rq.tool_count = 3;
    CHECK(plan(rq).tool_calls == 1);  // auto (the default with tools), no tool turn yet
    CHECK(plan(rq).first_tool < 3);
    CHECK_FALSE(plan(rq).original_body);
    rq.tool_turns = 1;
    CHECK(plan(rq).tool_calls == 0);  // TOOL_ROUNDS (1) reached: the agent loop ends with text
    c.tool_rounds = 2;
    CHECK(plan(rq).tool_calls == 1);
    rq.tool_choice = tool_choice_kind::none;
    CHECK(plan(rq).tool_calls == 0);
    rq.tool_choice = tool_choice_kind::required;
    rq.tool_turns = 5;
    CHECK(plan(rq).tool_calls == 1);  // required: always
    rq.tool_choice = tool_choice_kind::named;
    rq.tool_choice_index = 2;
    CHECK(plan(rq).first_tool == 2);
    c.tool_calls = 3;
    CHECK(plan(rq).tool_calls == 3);
    rq.parallel_tool_calls = false;
    CHECK(plan(rq).tool_calls == 1);
    ov.has_tool_calls = true;
    ov.tool_calls = 5;
    CHECK(plan(rq).tool_calls == 5);  // the header overrides TOOL_CALLS and parallel_tool_calls
    ov.tool_calls = 0;
    CHECK(plan(rq).tool_calls == 0);
    // The same seed gives the same first tool.
    rq.tool_choice = tool_choice_kind::auto_;
    rq.tool_turns = 0;
    ov.has_tool_calls = false;
    rng a(9), b(9);
    for (int i = 0; i < 20; ++i) {
        CHECK(plan_decide(plan_input{rq, ov, c, 26, 1.0, true}, a).first_tool ==
              plan_decide(plan_input{rq, ov, c, 26, 1.0, true}, b).first_tool);
    }
}
