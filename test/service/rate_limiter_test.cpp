#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "service/rate_limiter.hpp"

using namespace lms;

namespace {

constexpr uint64_t MS = 1'000'000;
constexpr uint64_t S = 1'000'000'000;

// A limiter on the heap: it is 64-byte aligned and holds a record inline.
std::unique_ptr<rate_limiter> make(size_t max_keys, rate_limits global, const std::vector<rate_tier>& tiers = {}) {
    auto rl = std::make_unique<rate_limiter>();
    std::string err;
    bool ok = rl->init(max_keys, global, tiers, err);
    INFO(err);
    REQUIRE(ok);
    return rl;
}

std::string duration(uint64_t ns) {
    char b[64];
    out_buf o(b, sizeof b);
    append_openai_duration(o, ns);
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

std::string rfc3339(int64_t t) {
    char b[64];
    out_buf o(b, sizeof b);
    append_rfc3339(o, t);
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

std::string parse_error(std::string_view spec) {
    std::vector<rate_tier> out{{1, {1, 1}}};
    std::string err;
    CHECK_FALSE(parse_rate_limit_keys(spec, {10, 100}, out, err));
    CHECK(out.empty());
    return err;
}

uint64_t key(int i) { return rate_key_hash("sk-" + std::to_string(i)); }

}  // namespace

TEST_CASE("rate limiter: RPM 60 passes exactly 60 at once, then one a second") {
    auto rl = make(16, {60, 0});
    const uint64_t k = rate_key_hash("sk-a");
    for (uint64_t i = 0; i < 60; ++i) {
        rate_verdict v = rl->admit(k, 0, 0);
        REQUIRE(v.outcome == rate_outcome::allowed);
        CHECK(v.limit_requests == 60);
        CHECK(v.remaining_requests == 59 - i);
        CHECK(v.reset_requests_ns == (i + 1) * S);  // each request is one second of refill
        CHECK(v.retry_after_ns == 0);
        CHECK(v.limit_tokens == 0);  // TPM off: nothing reported
        CHECK(v.remaining_tokens == 0);
        CHECK(v.reset_tokens_ns == 0);
    }
    rate_verdict v = rl->admit(k, 0, 0);  // the 61st
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 1 * S);
    CHECK(v.remaining_requests == 0);
    CHECK(v.reset_requests_ns == 60 * S);

    v = rl->admit(k, 0, 1 * S - 1);  // one ns early
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 1);
    CHECK(v.reset_requests_ns == 59 * S + 1);

    v = rl->admit(k, 0, 1 * S);  // exactly when told: one more
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.remaining_requests == 0);
    CHECK(v.reset_requests_ns == 60 * S);
    v = rl->admit(k, 0, 1 * S);
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 1 * S);

    // Remaining rounds down: 1.5 s after being empty, 1.5 requests are free -> 1.
    rate_limiter::key_row row[2];
    REQUIRE(rl->busiest(row, 2, 2500 * MS) == 1);
    CHECK(row[0].remaining_requests == 1);
    v = rl->admit(k, 0, 2500 * MS);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.remaining_requests == 0);  // 0.5 left
    CHECK(v.reset_requests_ns == 59500 * MS);
    v = rl->admit(k, 0, 2500 * MS);
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 500 * MS);

    // Long idle: full again, and never more than full.
    v = rl->admit(k, 0, 3600 * S);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.remaining_requests == 59);
    CHECK(v.reset_requests_ns == 1 * S);
}

TEST_CASE("rate limiter: a limit that does not divide a minute is exact") {
    auto rl = make(16, {7, 0});
    const uint64_t k = rate_key_hash("sk-7");
    for (int i = 0; i < 7; ++i) {
        REQUIRE(rl->admit(k, 0, 0).outcome == rate_outcome::allowed);
    }
    rate_verdict v = rl->admit(k, 0, 0);
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 8'571'428'572);  // ceil(60 s / 7)
    CHECK(rl->admit(k, 0, 8'571'428'571).outcome == rate_outcome::limited_requests);
    CHECK(rl->admit(k, 0, 8'571'428'572).outcome == rate_outcome::allowed);

    // Polled every ms for ten minutes: the burst plus exactly 70 refills (the 70th lands at
    // exactly 600 s), never one more.
    auto fresh = make(16, {7, 0});
    uint64_t allowed = 0;
    for (uint64_t t = 0; t <= 600 * S; t += MS) {
        allowed += fresh->admit(k, 0, t).outcome == rate_outcome::allowed;
    }
    CHECK(allowed == 77);
}

TEST_CASE("rate limiter: tokens are checked after requests, and a refusal charges nothing") {
    auto rl = make(16, {10, 1000});
    const uint64_t k = rate_key_hash("sk-t");
    rate_verdict v = rl->admit(k, 400, 0);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.remaining_requests == 9);
    CHECK(v.limit_tokens == 1000);
    CHECK(v.remaining_tokens == 600);
    CHECK(v.reset_tokens_ns == 24 * S);  // 400 tokens at 1000 a minute
    CHECK(v.requested_tokens == 400);
    v = rl->admit(k, 600, 0);  // exactly the rest
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.remaining_tokens == 0);
    CHECK(v.reset_tokens_ns == 60 * S);
    CHECK(v.remaining_requests == 8);

    v = rl->admit(k, 1, 0);  // one past
    CHECK(v.outcome == rate_outcome::limited_tokens);
    CHECK(v.retry_after_ns == 60 * MS);  // one token refills in 60 ms
    CHECK(v.remaining_requests == 8);    // the request was not charged
    CHECK(v.requested_tokens == 1);
    v = rl->admit(k, 0, 0);  // no tokens: fits
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.remaining_requests == 7);
    v = rl->admit(k, 1, 60 * MS);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.remaining_tokens == 0);

    // Requests first: with both short, the answer is limited_requests, and its wait covers
    // the tokens too.
    auto both = make(16, {1, 1000});
    CHECK(both->admit(k, 1000, 0).outcome == rate_outcome::allowed);
    v = both->admit(k, 1000, 0);
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 60 * S);
    v = both->admit(k, 500, 0);
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 60 * S);  // the request's wait is the longer
    auto tok = make(16, {60, 1000});
    CHECK(tok->admit(k, 0, 0).outcome == rate_outcome::allowed);
    CHECK(tok->admit(k, 1000, 0).outcome == rate_outcome::allowed);
    for (int i = 0; i < 58; ++i) {
        REQUIRE(tok->admit(k, 0, 0).outcome == rate_outcome::allowed);
    }
    v = tok->admit(k, 500, 0);  // requests: 1 s; tokens: 30 s
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 30 * S);
    CHECK(tok->admit(k, 500, 30 * S - 1).outcome == rate_outcome::limited_tokens);
    CHECK(tok->admit(k, 500, 30 * S).outcome == rate_outcome::allowed);
}

TEST_CASE("rate limiter: too_large is the whole TPM plus one, and never retries") {
    auto rl = make(16, {10, 1000});
    const uint64_t k = rate_key_hash("sk-big");
    rate_verdict v = rl->admit(k, 1001, 0);
    CHECK(v.outcome == rate_outcome::too_large);
    CHECK(v.retry_after_ns == 0);
    CHECK(v.requested_tokens == 1001);
    CHECK(v.limit_tokens == 1000);
    CHECK(v.remaining_tokens == 1000);  // charged nothing
    CHECK(v.remaining_requests == 10);
    v = rl->admit(k, 1000, 0);  // exactly the whole limit passes on a full bucket
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.remaining_requests == 9);
    v = rl->admit(k, 1001, 0);  // too_large even though the bucket is empty
    CHECK(v.outcome == rate_outcome::too_large);
    v = rl->admit(k, 0, 0);  // too_large set no deadline
    CHECK_FALSE(v.early_retry);
    CHECK_FALSE(v.wait_observed);
    rate_limiter::key_row row[1];
    REQUIRE(rl->busiest(row, 1, 0) == 1);
    CHECK(row[0].rate_limited == 0);
    CHECK(row[0].early_retries == 0);
}

TEST_CASE("rate limiter: a limit that is off never limits and reports nothing") {
    const uint64_t k = rate_key_hash("sk-off");
    auto tokens_only = make(16, {0, 1000});
    for (int i = 0; i < 1000; ++i) {
        rate_verdict v = tokens_only->admit(k, 0, 0);
        REQUIRE(v.outcome == rate_outcome::allowed);
        REQUIRE(v.limit_requests == 0);
        REQUIRE(v.remaining_requests == 0);
        REQUIRE(v.reset_requests_ns == 0);
    }
    auto requests_only = make(16, {5, 0});
    rate_verdict v = requests_only->admit(k, UINT64_MAX, 0);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.limit_tokens == 0);
    CHECK(v.remaining_tokens == 0);
    CHECK(v.reset_tokens_ns == 0);
    CHECK(v.remaining_requests == 4);

    auto none = make(16, {0, 0});
    CHECK_FALSE(none->enabled());
    v = none->admit(k, 5, 0);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.limit_requests == 0);
    CHECK(v.limit_tokens == 0);
    CHECK(v.requested_tokens == 5);
    CHECK(none->key_count() == 0);

    rate_limiter never_init;
    CHECK_FALSE(never_init.enabled());
    CHECK(never_init.admit(k, 1, 0).outcome == rate_outcome::allowed);
    CHECK(never_init.key_count() == 0);
    rate_limiter::key_row row[1];
    CHECK(never_init.busiest(row, 1, 0) == 0);
}

TEST_CASE("rate limiter: retry obedience") {
    auto rl = make(16, {60, 0});
    const uint64_t k = rate_key_hash("sk-r");
    for (int i = 0; i < 60; ++i) {
        rate_verdict v = rl->admit(k, 0, 0);
        REQUIRE(v.outcome == rate_outcome::allowed);
        REQUIRE_FALSE(v.early_retry);
        REQUIRE_FALSE(v.wait_observed);
    }
    rate_verdict v = rl->admit(k, 0, 0);  // told: wait 1 s
    REQUIRE(v.outcome == rate_outcome::limited_requests);
    REQUIRE(v.retry_after_ns == 1 * S);
    CHECK_FALSE(v.wait_observed);

    v = rl->admit(k, 0, 2 * S);  // waited twice as long as told
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK_FALSE(v.early_retry);
    CHECK(v.wait_observed);
    CHECK(v.wait_ratio == Approx(2.0));
    v = rl->admit(k, 0, 2 * S);  // later requests observe nothing
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK_FALSE(v.wait_observed);
    v = rl->admit(k, 0, 2 * S);  // told: wait 1 s, until 3 s
    REQUIRE(v.outcome == rate_outcome::limited_requests);
    REQUIRE(v.retry_after_ns == 1 * S);

    v = rl->admit(k, 0, 2500 * MS);  // back at half the wait
    CHECK(v.early_retry);
    CHECK(v.wait_observed);
    CHECK(v.wait_ratio == Approx(0.5));
    CHECK(v.outcome == rate_outcome::limited_requests);  // told again: 0.5 s, until 3 s
    CHECK(v.retry_after_ns == 500 * MS);
    v = rl->admit(k, 0, 2750 * MS);
    CHECK(v.early_retry);
    CHECK(v.wait_observed);
    CHECK(v.wait_ratio == Approx(0.5));
    CHECK(v.retry_after_ns == 250 * MS);
    v = rl->admit(k, 0, 3 * S);  // exactly at the deadline: not early, ratio exactly 1
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK_FALSE(v.early_retry);
    CHECK(v.wait_observed);
    CHECK(v.wait_ratio == 1.0);
    v = rl->admit(k, 0, 10 * S);
    CHECK_FALSE(v.early_retry);
    CHECK_FALSE(v.wait_observed);

    rate_limiter::key_row row[1];
    REQUIRE(rl->busiest(row, 1, 10 * S) == 1);
    CHECK(row[0].key_hash == k);
    CHECK(row[0].rate_limited == 4);
    CHECK(row[0].early_retries == 2);

    // Early is early whatever the outcome: a smaller request passes before a token wait ends.
    auto tl = make(16, {0, 1000});
    CHECK(tl->admit(k, 900, 0).outcome == rate_outcome::allowed);
    v = tl->admit(k, 1000, 0);  // told: 54 s
    REQUIRE(v.outcome == rate_outcome::limited_tokens);
    REQUIRE(v.retry_after_ns == 54 * S);
    v = tl->admit(k, 100, 0);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.early_retry);
    CHECK(v.wait_observed);
    CHECK(v.wait_ratio == 0.0);
    v = tl->admit(k, 1, 54 * S - 1);
    CHECK(v.early_retry);  // still before the deadline
    CHECK_FALSE(v.wait_observed);
    CHECK(tl->admit(k, 1, 54 * S).early_retry == false);
}

TEST_CASE("rate limiter: exactly max_keys keys, the next ones share the overflow bucket") {
    auto rl = make(16, {2, 0});
    for (int i = 0; i < 16; ++i) {  // each key its own bucket
        REQUIRE(rl->admit(key(i), 0, 0).outcome == rate_outcome::allowed);
        REQUIRE(rl->admit(key(i), 0, 0).outcome == rate_outcome::allowed);
        REQUIRE(rl->admit(key(i), 0, 0).outcome == rate_outcome::limited_requests);
    }
    CHECK(rl->key_count() == 16);
    // The 17th and 18th keys drain one bucket between them.
    CHECK(rl->admit(key(16), 0, 0).outcome == rate_outcome::allowed);
    CHECK(rl->admit(key(17), 0, 0).outcome == rate_outcome::allowed);
    CHECK(rl->admit(key(16), 0, 0).outcome == rate_outcome::limited_requests);
    CHECK(rl->admit(key(17), 0, 0).outcome == rate_outcome::limited_requests);
    CHECK(rl->admit(key(99), 0, 0).outcome == rate_outcome::limited_requests);
    CHECK(rl->key_count() == 16);
    // Known keys still find their own buckets.
    CHECK(rl->admit(key(3), 0, 30 * S).outcome == rate_outcome::allowed);
    CHECK(rl->admit(key(3), 0, 30 * S).outcome == rate_outcome::limited_requests);

    rate_limiter::key_row rows[32];
    size_t n = rl->busiest(rows, 32, 30 * S);
    REQUIRE(n == 17);
    CHECK(rows[0].key_hash == 0);  // the overflow bucket, limited three times
    CHECK(rows[0].rate_limited == 3);
    CHECK(rows[0].rpm == 2);
    CHECK(rows[1].key_hash == key(3));
    CHECK(rows[1].rate_limited == 2);

    // A key hash of 0 (never a rate_key_hash) is charged to the overflow bucket.
    CHECK(rl->admit(0, 0, 30 * S).outcome == rate_outcome::allowed);
    CHECK(rl->admit(key(16), 0, 30 * S).outcome == rate_outcome::limited_requests);
}

TEST_CASE("rate limiter: tiers have their own limits and count towards max_keys") {
    std::vector<rate_tier> tiers;
    std::string err;
    REQUIRE(parse_rate_limit_keys("sk-gold:rpm=5; sk-free:tpm=100; sk-vip:rpm=0,tpm=0", {2, 1000}, tiers, err));
    auto rl = make(16, {2, 1000}, tiers);
    CHECK(rl->enabled());
    CHECK(rl->key_count() == 3);
    const uint64_t gold = rate_key_hash("sk-gold");
    const uint64_t free_ = rate_key_hash("sk-free");
    const uint64_t vip = rate_key_hash("sk-vip");
    for (int i = 0; i < 5; ++i) {
        rate_verdict v = rl->admit(gold, 1000, uint64_t(i) * 60 * S);
        REQUIRE(v.outcome == rate_outcome::allowed);
        CHECK(v.limit_requests == 5);
        CHECK(v.limit_tokens == 1000);  // inherited
    }
    auto rg = make(16, {2, 1000}, tiers);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(rg->admit(gold, 0, 0).outcome == rate_outcome::allowed);
    }
    CHECK(rg->admit(gold, 0, 0).outcome == rate_outcome::limited_requests);
    rate_verdict v = rg->admit(free_, 100, 0);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.limit_requests == 2);  // inherited
    CHECK(v.limit_tokens == 100);
    CHECK(rg->admit(free_, 101, 0).outcome == rate_outcome::too_large);
    for (int i = 0; i < 100; ++i) {  // exempt from both
        REQUIRE(rg->admit(vip, 1'000'000, 0).outcome == rate_outcome::allowed);
    }
    // 13 more keys fit, the 14th shares the overflow bucket.
    for (int i = 0; i < 13; ++i) {
        REQUIRE(rg->admit(key(i), 0, 0).outcome == rate_outcome::allowed);
    }
    CHECK(rg->key_count() == 16);
    CHECK(rg->admit(key(13), 0, 0).outcome == rate_outcome::allowed);
    CHECK(rg->admit(key(14), 0, 0).outcome == rate_outcome::allowed);
    CHECK(rg->admit(key(15), 0, 0).outcome == rate_outcome::limited_requests);
    CHECK(rg->key_count() == 16);

    // Global limits off, a tier on: enabled, and other keys are not kept at all.
    auto only = make(16, {0, 0}, tiers);
    CHECK(only->enabled());
    v = only->admit(key(1), 5, 0);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.limit_requests == 0);
    CHECK(only->key_count() == 3);
    CHECK(only->admit(gold, 0, 0).limit_requests == 5);
    CHECK(only->admit(free_, 0, 0).limit_tokens == 100);
}

TEST_CASE("rate limiter: set_global changes the limits live, keeping each bucket's share of the window") {
    rate_limiter before;
    CHECK_FALSE(before.set_global({5, 0}));  // before init: nothing to change
    CHECK_FALSE(before.enabled());

    auto rl = make(16, {10, 0});
    const uint64_t k = rate_key_hash("sk-a");
    for (int i = 0; i < 5; ++i) {
        REQUIRE(rl->admit(k, 0, 0).outcome == rate_outcome::allowed);
    }
    CHECK(rl->state(k, 0).remaining_requests == 5);
    // Half of 10 used: half of 100 is left (not 95: the debt is kept in time, not in units).
    REQUIRE(rl->set_global({100, 0}));
    CHECK(rl->global().rpm == 100);
    rate_verdict v = rl->state(k, 0);
    CHECK(v.limit_requests == 100);
    CHECK(v.remaining_requests == 50);
    CHECK(v.reset_requests_ns == 30 * S);  // still full again in 30 s
    for (int i = 0; i < 50; ++i) {
        REQUIRE(rl->admit(k, 0, 0).outcome == rate_outcome::allowed);
    }
    v = rl->admit(k, 0, 0);
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.retry_after_ns == 600 * MS);  // one unit of 100 per minute
    // Lowered to 4 with the bucket empty: still empty, the next unit in 15 s (60 s / 4).
    REQUIRE(rl->set_global({4, 0}));
    v = rl->admit(k, 0, 0);
    CHECK(v.outcome == rate_outcome::limited_requests);
    CHECK(v.limit_requests == 4);
    CHECK(v.retry_after_ns == 15 * S);
    CHECK(rl->admit(k, 0, 15 * S).outcome == rate_outcome::allowed);
    CHECK(rl->admit(k, 0, 15 * S).outcome == rate_outcome::limited_requests);

    // A key that never came before the change starts with the new limit, full.
    const uint64_t fresh = rate_key_hash("sk-fresh");
    v = rl->admit(fresh, 0, 15 * S);
    CHECK(v.limit_requests == 4);
    CHECK(v.remaining_requests == 3);

    // Turning the TPM on: every bucket starts full; turning the RPM off: gone.
    REQUIRE(rl->set_global({0, 1000}));
    v = rl->admit(k, 600, 15 * S);
    CHECK(v.outcome == rate_outcome::allowed);
    CHECK(v.limit_requests == 0);
    CHECK(v.limit_tokens == 1000);
    CHECK(v.remaining_tokens == 400);
    CHECK(rl->admit(k, 600, 15 * S).outcome == rate_outcome::limited_tokens);

    // Both off: enabled() says so, and admissions charge nothing.
    REQUIRE(rl->set_global({0, 0}));
    CHECK_FALSE(rl->enabled());
    CHECK(rl->admit(k, 1'000'000, 15 * S).limit_tokens == 0);
    // Back on: the bucket that was off starts full.
    REQUIRE(rl->set_global({0, 1000}));
    CHECK(rl->enabled());
    CHECK(rl->admit(k, 1000, 15 * S).outcome == rate_outcome::allowed);
}

TEST_CASE("rate limiter: set_global from off inserts keys; tiers follow only the limits they left out") {
    std::vector<rate_tier> tiers;
    std::string err;
    REQUIRE(parse_rate_limit_keys("sk-gold:rpm=5; sk-free:tpm=100", {0, 0}, tiers, err));
    auto rl = make(16, {0, 0}, tiers);
    const uint64_t gold = rate_key_hash("sk-gold");
    const uint64_t free_ = rate_key_hash("sk-free");
    CHECK(rl->admit(key(1), 0, 0).limit_requests == 0);
    CHECK(rl->key_count() == 2);  // no global limit: other keys are not kept
    REQUIRE(rl->set_global({2, 50}));
    rate_verdict v = rl->admit(key(1), 10, 0);
    CHECK(v.limit_requests == 2);
    CHECK(v.limit_tokens == 50);
    CHECK(rl->key_count() == 3);
    v = rl->admit(gold, 10, 0);
    CHECK(v.limit_requests == 5);  // its own
    CHECK(v.limit_tokens == 50);   // the global one it left out
    v = rl->admit(free_, 10, 0);
    CHECK(v.limit_requests == 2);
    CHECK(v.limit_tokens == 100);
    REQUIRE(rl->set_global({0, 0}));
    CHECK(rl->enabled());  // the tiers' own limits stay
    v = rl->admit(gold, 10, 0);
    CHECK(v.limit_requests == 5);
    CHECK(v.limit_tokens == 0);
    CHECK(rl->admit(key(1), 10, 0).limit_requests == 0);

    // Only tiers that follow both limits: enabled() follows the global limits.
    REQUIRE(parse_rate_limit_keys("sk-x:rpm=0", {3, 0}, tiers, err));
    REQUIRE(tiers.size() == 1);
    auto off = make(16, {0, 0}, tiers);
    CHECK_FALSE(off->enabled());
    REQUIRE(off->set_global({3, 0}));
    CHECK(off->enabled());
}

TEST_CASE("rate limiter: set_global while threads admit keeps every bucket within one of its limits") {
    auto rl = make(64, {1000, 0});
    std::atomic<bool> go{false};
    std::atomic<uint64_t> passed{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
        ts.emplace_back([&, t] {
            while (!go.load()) {
            }
            for (int i = 0; i < 20'000; ++i) {
                if (rl->admit(key(t), 0, 0).outcome == rate_outcome::allowed) {
                    passed.fetch_add(1);
                }
            }
        });
    }
    go.store(true);
    for (uint64_t l : {500u, 2000u, 10u, 1000u}) {
        (void)rl->set_global({l, 0});
        std::this_thread::yield();
    }
    for (auto& t : ts) {
        t.join();
    }
    // At one instant, no key ever passes more than the largest limit it was given.
    CHECK(passed.load() <= 4 * 2000);
    CHECK(passed.load() >= 4 * 10);
}

TEST_CASE("rate limiter: init limits") {
    rate_limiter rl;
    std::string err;
    CHECK_FALSE(rl.init(RATE_MIN_KEYS - 1, {1, 0}, {}, err));
    CHECK(err == "rate limiter: max_keys must be 16 to 1048576, not 15");
    CHECK_FALSE(rl.enabled());
    CHECK(rl.init(RATE_MIN_KEYS, {1, 0}, {}, err));
    CHECK(rl.enabled());
    CHECK(rl.init(RATE_MAX_KEYS, {1, 0}, {}, err));  // address space only: nothing is touched
    CHECK(rl.admit(key(1), 0, 0).outcome == rate_outcome::allowed);
    CHECK(rl.key_count() == 1);
    CHECK_FALSE(rl.init(RATE_MAX_KEYS + 1, {1, 0}, {}, err));
    CHECK(err == "rate limiter: max_keys must be 16 to 1048576, not 1048577");
    CHECK_FALSE(rl.enabled());
    CHECK(rl.key_count() == 0);

    std::vector<rate_tier> tiers;
    for (int i = 0; i < 16; ++i) {
        tiers.push_back({key(i), {1, 1}});
    }
    CHECK(rl.init(16, {}, tiers, err));  // exactly max_keys tiers
    CHECK(rl.key_count() == 16);
    CHECK(rl.admit(key(15), 1, 0).outcome == rate_outcome::allowed);
    CHECK(rl.admit(key(15), 1, 0).outcome == rate_outcome::limited_requests);
    tiers.push_back({key(16), {1, 1}});
    CHECK_FALSE(rl.init(16, {}, tiers, err));  // one past
    CHECK(err == "rate limiter: 17 keys with their own limits do not fit in 16 keys");
    tiers.pop_back();
    tiers.back() = tiers.front();
    CHECK_FALSE(rl.init(16, {}, tiers, err));
    CHECK(err == "rate limiter: a key with its own limits is given twice");
    CHECK_FALSE(rl.init(16, {}, {{0, {1, 1}}}, err));
    CHECK_FALSE(rl.enabled());
}

TEST_CASE("rate limiter: threads share one key's bucket exactly") {
    auto rl = make(16, {1000, 0});
    const uint64_t k = rate_key_hash("sk-hot");
    std::atomic<uint64_t> allowed{0};
    std::atomic<uint64_t> limited{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                rate_outcome o = rl->admit(k, 0, 5 * S).outcome;
                (o == rate_outcome::allowed ? allowed : limited).fetch_add(1);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(allowed.load() == 1000);
    CHECK(limited.load() == 7000);
    CHECK(rl->key_count() == 1);
    rate_limiter::key_row row[1];
    REQUIRE(rl->busiest(row, 1, 5 * S) == 1);
    CHECK(row[0].rate_limited == 7000);
    CHECK(row[0].early_retries == 7000 - 1);  // every 429 but the first came before its wait
}

TEST_CASE("rate limiter: keys inserted by many threads at once get one bucket each") {
    constexpr int KEYS = 500;
    constexpr uint64_t RPM = 5;
    std::vector<uint64_t> hashes;
    for (int i = 0; i < KEYS; ++i) {
        hashes.push_back(key(i));
    }
    auto run = [&](rate_limiter& rl, std::vector<std::atomic<uint64_t>>& allowed) {
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int round = 0; round < 3; ++round) {
                    for (int j = 0; j < KEYS; ++j) {
                        int i = (j + t * 7) % KEYS;  // threads meet on the same new keys
                        if (rl.admit(hashes[size_t(i)], 0, 0).outcome == rate_outcome::allowed) {
                            allowed[size_t(i)].fetch_add(1);
                        }
                    }
                }
            });
        }
        for (auto& th : threads) {
            th.join();
        }
    };

    SECTION("room for all") {
        auto rl = make(1024, {RPM, 0});
        std::vector<std::atomic<uint64_t>> allowed(KEYS);
        run(*rl, allowed);
        CHECK(rl->key_count() == KEYS);
        int wrong = 0;
        for (auto& a : allowed) {
            wrong += a.load() != RPM;  // a key with two buckets would pass 10
        }
        CHECK(wrong == 0);
    }
    SECTION("past capacity: the table fills while threads race") {
        constexpr size_t MAX = 64;
        auto rl = make(MAX, {RPM, 0});
        std::vector<std::atomic<uint64_t>> allowed(KEYS);
        run(*rl, allowed);
        CHECK(rl->key_count() == MAX);
        std::vector<rate_limiter::key_row> rows(KEYS + 1);
        size_t n = rl->busiest(rows.data(), rows.size(), 0);
        REQUIRE(n == MAX + 1);  // the table's keys and the overflow bucket
        uint64_t in_table = 0;
        int overflow_rows = 0;
        std::vector<bool> listed(KEYS);
        for (size_t r = 0; r < n; ++r) {
            if (rows[r].key_hash == 0) {
                ++overflow_rows;
                continue;
            }
            for (int i = 0; i < KEYS; ++i) {
                if (hashes[size_t(i)] == rows[r].key_hash) {
                    CHECK_FALSE(listed[size_t(i)]);
                    listed[size_t(i)] = true;
                    CHECK(allowed[size_t(i)].load() == RPM);  // none of its requests went elsewhere
                    in_table += allowed[size_t(i)].load();
                }
            }
        }
        CHECK(overflow_rows == 1);
        CHECK(in_table == MAX * RPM);
        uint64_t outside = 0;
        for (int i = 0; i < KEYS; ++i) {
            if (!listed[size_t(i)]) {
                outside += allowed[size_t(i)].load();
            }
        }
        CHECK(outside == RPM);  // the others drained one shared bucket
    }
}

TEST_CASE("rate limiter: busiest orders by 429s, then early retries, then hash, and stops at cap") {
    auto rl = make(16, {1, 0});
    const uint64_t a = key(1), b = key(2), c = key(3), d = key(4), e = key(5);
    for (uint64_t h : {a, b, c, d, e}) {
        REQUIRE(rl->admit(h, 0, 0).outcome == rate_outcome::allowed);
    }
    // a: three 429s, each after waiting as told.
    for (uint64_t t : {0 * S, 60 * S, 120 * S}) {
        REQUIRE(rl->admit(a, 0, t).outcome == (t == 0 ? rate_outcome::limited_requests : rate_outcome::allowed));
        if (t != 0) {
            REQUIRE(rl->admit(a, 0, t).outcome == rate_outcome::limited_requests);
        }
    }
    // b: three 429s too, two of them early retries.
    REQUIRE(rl->admit(b, 0, 0).outcome == rate_outcome::limited_requests);  // told 60 s
    REQUIRE(rl->admit(b, 0, 1 * S).early_retry);
    REQUIRE(rl->admit(b, 0, 2 * S).early_retry);
    // c and e: one 429 each, no early retry: ordered by hash.
    REQUIRE(rl->admit(c, 0, 0).outcome == rate_outcome::limited_requests);
    REQUIRE(rl->admit(e, 0, 0).outcome == rate_outcome::limited_requests);

    rate_limiter::key_row rows[8];
    size_t n = rl->busiest(rows, 8, 150 * S);
    REQUIRE(n == 5);
    CHECK(rows[0].key_hash == b);
    CHECK(rows[0].rate_limited == 3);
    CHECK(rows[0].early_retries == 2);
    CHECK(rows[1].key_hash == a);
    CHECK(rows[1].rate_limited == 3);
    CHECK(rows[1].early_retries == 0);
    CHECK(rows[1].rpm == 1);
    CHECK(rows[1].remaining_requests == 0);  // charged at 120 s: half refilled at 150 s
    CHECK(rows[2].key_hash == std::min(c, e));
    CHECK(rows[3].key_hash == std::max(c, e));
    CHECK(rows[2].rate_limited == 1);
    CHECK(rows[3].rate_limited == 1);
    CHECK(rows[4].key_hash == d);
    CHECK(rows[4].rate_limited == 0);
    CHECK(rows[4].remaining_requests == 1);
    CHECK(rl->busiest(rows, 8, 180 * S) == 5);
    CHECK(rows[1].remaining_requests == 1);

    n = rl->busiest(rows, 2, 150 * S);  // exactly the cap: the best two
    REQUIRE(n == 2);
    CHECK(rows[0].key_hash == b);
    CHECK(rows[1].key_hash == a);
    n = rl->busiest(rows, 4, 150 * S);  // one short of all five
    REQUIRE(n == 4);
    CHECK(rows[3].key_hash == std::max(c, e));
    CHECK(rl->busiest(rows, 0, 150 * S) == 0);
    CHECK(rl->busiest(nullptr, 0, 150 * S) == 0);
}

TEST_CASE("rate limiter: key hash") {
    CHECK(rate_key_hash("sk-a") == rate_key_hash("sk-a"));
    CHECK(rate_key_hash("sk-a") != rate_key_hash("sk-b"));
    CHECK(rate_key_hash("") != 0);
    std::vector<uint64_t> seen;
    for (int i = 0; i < 1000; ++i) {
        uint64_t h = key(i);
        REQUIRE(h != 0);
        seen.push_back(h);
    }
    // Every length 0 to 40, trailing NULs, and a one-byte change at every position.
    std::string s;
    for (int len = 0; len <= 40; ++len) {
        seen.push_back(rate_key_hash(s));
        seen.push_back(rate_key_hash(std::string_view(s.c_str(), s.size() + 1)));  // one NUL more
        s += 'x';
    }
    const std::string base = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < base.size(); ++i) {
        std::string t = base;
        t[i] ^= 1;
        seen.push_back(rate_key_hash(t));
    }
    std::sort(seen.begin(), seen.end());
    CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
}

TEST_CASE("append_openai_duration: Go's Duration after rounding up to ms") {
    CHECK(duration(0) == "0s");
    CHECK(duration(1) == "1ms");
    CHECK(duration(1 * MS) == "1ms");
    CHECK(duration(1 * MS + 1) == "2ms");
    CHECK(duration(59 * MS) == "59ms");
    CHECK(duration(999 * MS) == "999ms");
    CHECK(duration(999 * MS + 500'000) == "1s");  // 999.5 ms rounds up to 1000 ms
    CHECK(duration(1 * S) == "1s");
    CHECK(duration(1 * S + 1) == "1.001s");
    CHECK(duration(1 * S + 5 * MS) == "1.005s");
    CHECK(duration(8640 * MS) == "8.64s");
    CHECK(duration(59 * S + 999 * MS) == "59.999s");
    CHECK(duration(60 * S) == "1m0s");
    CHECK(duration(90500 * MS) == "1m30.5s");
    CHECK(duration(360 * S) == "6m0s");
    CHECK(duration(3600 * S - 1) == "1h0m0s");
    CHECK(duration(3600 * S) == "1h0m0s");
    CHECK(duration(3661 * S + 100 * MS) == "1h1m1.1s");
    CHECK(duration(UINT64_MAX) == "5124095h34m33.71s");  // 18446744073709.552 s, rounded up

    char b[6];
    out_buf o(b, sizeof b);
    append_openai_duration(o, 90500 * MS);  // "1m30.5s" is 7 bytes
    CHECK(o.truncated);
}

TEST_CASE("append_rfc3339: civil dates, clamped to four-digit years") {
    CHECK(rfc3339(0) == "1970-01-01T00:00:00Z");
    CHECK(rfc3339(951782400) == "2000-02-29T00:00:00Z");
    CHECK(rfc3339(951782399) == "2000-02-28T23:59:59Z");
    CHECK(rfc3339(1796137445) == "2026-12-01T15:04:05Z");
    CHECK(rfc3339(-1) == "1969-12-31T23:59:59Z");
    CHECK(rfc3339(253402300799) == "9999-12-31T23:59:59Z");  // the last
    CHECK(rfc3339(253402300800) == "9999-12-31T23:59:59Z");  // one past: clamped
    CHECK(rfc3339(-62167219200) == "0000-01-01T00:00:00Z");  // the first
    CHECK(rfc3339(-62167219201) == "0000-01-01T00:00:00Z");  // one before: clamped
    CHECK(rfc3339(INT64_MIN) == "0000-01-01T00:00:00Z");
    CHECK(rfc3339(INT64_MAX) == "9999-12-31T23:59:59Z");

    char b[19];
    out_buf o(b, sizeof b);
    append_rfc3339(o, 0);
    CHECK(o.truncated);
}

TEST_CASE("parse_rate_limit_keys: entries, whitespace and inheritance") {
    std::vector<rate_tier> out{{1, {1, 1}}};
    std::string err;
    REQUIRE(parse_rate_limit_keys("sk-gold:rpm=6000,tpm=2000000;sk-free:rpm=3", {10, 100}, out, err));
    REQUIRE(out.size() == 2);
    CHECK(out[0].key_hash == rate_key_hash("sk-gold"));
    CHECK(out[0].limits.rpm == 6000);
    CHECK(out[0].limits.tpm == 2000000);
    CHECK(out[1].key_hash == rate_key_hash("sk-free"));
    CHECK(out[1].limits.rpm == 3);
    CHECK(out[1].limits.tpm == 100);  // inherited
    CHECK(out[0].follows == 0);
    CHECK(out[1].follows == RATE_FOLLOW_TPM);

    REQUIRE(parse_rate_limit_keys("  sk-a : tpm = 5 , rpm=0 ;\t; sk-b:tpm=18446744073709551615 ;", {10, 100},
                                  out, err));
    REQUIRE(out.size() == 2);
    CHECK(out[0].key_hash == rate_key_hash("sk-a"));
    CHECK(out[0].limits.rpm == 0);  // off for this key
    CHECK(out[0].limits.tpm == 5);
    CHECK(out[1].limits.rpm == 10);
    CHECK(out[1].limits.tpm == UINT64_MAX);  // the largest value

    REQUIRE(parse_rate_limit_keys("", {10, 100}, out, err));
    CHECK(out.empty());
    REQUIRE(parse_rate_limit_keys(" ; ", {10, 100}, out, err));
    CHECK(out.empty());
}

TEST_CASE("parse_rate_limit_keys: every error names its entry") {
    CHECK(parse_error("sk-x:rpm=abc") == "RATE_LIMIT_KEYS: \"sk-x:rpm=abc\": rpm must be an unsigned integer");
    CHECK(parse_error("sk-ok:rpm=1; sk-x:tpm=-1 ") ==
          "RATE_LIMIT_KEYS: \"sk-x:tpm=-1\": tpm must be an unsigned integer");
    CHECK(parse_error("sk-x:rpm=") == "RATE_LIMIT_KEYS: \"sk-x:rpm=\": rpm must be an unsigned integer");
    CHECK(parse_error("sk-x:rpm=1 0") == "RATE_LIMIT_KEYS: \"sk-x:rpm=1 0\": rpm must be an unsigned integer");
    CHECK(parse_error("sk-x:rpm=+1") == "RATE_LIMIT_KEYS: \"sk-x:rpm=+1\": rpm must be an unsigned integer");
    CHECK(parse_error("sk-x:tpm=18446744073709551616") ==  // one past UINT64_MAX
          "RATE_LIMIT_KEYS: \"sk-x:tpm=18446744073709551616\": tpm must be at most 18446744073709551615");
    CHECK(parse_error("sk-x") == "RATE_LIMIT_KEYS: \"sk-x\": expected key:rpm=N,tpm=N");
    CHECK(parse_error(" :rpm=1") == "RATE_LIMIT_KEYS: \":rpm=1\": the key is empty");
    CHECK(parse_error("sk-x: ") == "RATE_LIMIT_KEYS: \"sk-x:\": no limits given (rpm=N, tpm=N)");
    CHECK(parse_error("sk-x:rpm") == "RATE_LIMIT_KEYS: \"sk-x:rpm\": expected rpm=N or tpm=N, not \"rpm\"");
    CHECK(parse_error("sk-x:rpm=1,") == "RATE_LIMIT_KEYS: \"sk-x:rpm=1,\": expected rpm=N or tpm=N, not \"\"");
    CHECK(parse_error("sk-x:rpd=1") == "RATE_LIMIT_KEYS: \"sk-x:rpd=1\": unknown limit \"rpd\" (rpm, tpm)");
    CHECK(parse_error("sk-x:rpm=1,rpm=2") == "RATE_LIMIT_KEYS: \"sk-x:rpm=1,rpm=2\": rpm is given twice");
    CHECK(parse_error("sk-x:rpm=1;sk-x:tpm=2") == "RATE_LIMIT_KEYS: \"sk-x:tpm=2\": key \"sk-x\" is given twice");
}

TEST_CASE("rate limiter: state() tells where a key stands and charges nothing") {
    auto rl = make(16, {60, 1000});
    const uint64_t k = rate_key_hash("sk-state");
    // Never seen: a full bucket (the overflow bucket's view when the key is not in the table).
    rate_verdict s = rl->state(k, 10 * S);
    CHECK(s.limit_requests == 60);
    CHECK(s.remaining_requests == 60);
    CHECK(s.remaining_tokens == 1000);
    CHECK(s.reset_requests_ns == 0);
    rate_verdict a = rl->admit(k, 100, 10 * S);
    REQUIRE(a.outcome == rate_outcome::allowed);
    for (int i = 0; i < 3; ++i) {  // asked again and again: the same, nothing charged
        s = rl->state(k, 10 * S);
        CHECK(s.remaining_requests == a.remaining_requests);
        CHECK(s.remaining_tokens == a.remaining_tokens);
        CHECK(s.reset_requests_ns == a.reset_requests_ns);
        CHECK(s.reset_tokens_ns == a.reset_tokens_ns);
        CHECK_FALSE(s.early_retry);
        CHECK_FALSE(s.wait_observed);
    }
    CHECK(a.remaining_requests == 59);
    CHECK(a.remaining_tokens == 900);
    CHECK(a.reset_requests_ns == 1 * S);
    CHECK(a.reset_tokens_ns == 6 * S);  // 100 tokens at 1000 a minute
    // Half a second later: the token bucket refilled 8.33 tokens (rounded down).
    s = rl->state(k, 10 * S + 500 * MS);
    CHECK(s.remaining_requests == 59);
    CHECK(s.remaining_tokens == 908);
    CHECK(s.reset_requests_ns == 500 * MS);
    // A limiter with no global limit: an unknown key stands nowhere.
    auto tiers_only = make(16, {0, 0}, {{rate_key_hash("sk-t"), {5, 0}}});
    CHECK(tiers_only->state(k, S).limit_requests == 0);
    CHECK(tiers_only->state(rate_key_hash("sk-t"), S).limit_requests == 5);
}
