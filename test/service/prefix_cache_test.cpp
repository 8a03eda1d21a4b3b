#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "service/prefix_cache.hpp"

using namespace lms;

namespace {

constexpr uint64_t UNIT = uint64_t(1) << PREFIX_STAMP_SHIFT;  // one stamp time unit in ns

// Text of n bytes that differs from block to block (so no two blocks hash alike by accident).
std::string text(size_t n, char salt = 'a') {
    std::string s(n, ' ');
    for (size_t i = 0; i < n; ++i) {
        s[i] = char(salt + (i * 7 + i / 64) % 23);
    }
    return s;
}

std::vector<uint64_t> chain(const std::vector<std::string>& messages, uint32_t block_tokens = 16) {
    prompt_blocks p(block_tokens);
    for (const std::string& m : messages) {
        p.separate(1);
        p.append(m);
    }
    auto h = p.hashes();
    return {h.begin(), h.end()};
}

// A cache on the heap (it holds 4 KiB of counter shards inline).
std::unique_ptr<prefix_cache> make(size_t blocks, prefix_shape shape = {}) {
    auto c = std::make_unique<prefix_cache>();
    std::string err;
    bool ok = c->init(blocks, err, shape);
    INFO(err);
    REQUIRE(ok);
    return c;
}

// A prompt of 4-byte blocks (block_tokens 1), one per letter: "abc" is "aaaa" "bbbb" "cccc".
std::unique_ptr<prompt_blocks> blocks_of(const std::string& names) {
    auto p = std::make_unique<prompt_blocks>(1);
    for (char c : names) {
        p->append(std::string(4, c));
    }
    p->append("!");  // one more token, so that every whole block may hit (lookup_limit)
    return p;
}

// Runs fn(t) on n threads started together.
template <class F>
void on_threads(int n, F fn) {
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < n; ++t) {
        ts.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < n) {
            }
            fn(t);
        });
    }
    for (auto& th : ts) {
        th.join();
    }
}

}  // namespace

TEST_CASE("prompt blocks: whole blocks only, 4 bytes a token") {
    prompt_blocks p;  // 16 tokens: 64-byte blocks
    CHECK(p.block_tokens() == 16);
    p.append(text(63));
    CHECK(p.count() == 0);
    CHECK(p.tokens() == 16);
    p.append("x");
    CHECK(p.count() == 1);  // exactly one block
    CHECK(p.lookup_limit() == 0);  // the prompt's last token is in it: vLLM computes it
    p.append("y");
    CHECK(p.count() == 1);
    CHECK(p.lookup_limit() == 1);
    CHECK(p.bytes() == 65);
    CHECK(p.tokens() == 17);

    prompt_blocks empty;
    CHECK(empty.count() == 0);
    CHECK(empty.lookup_limit() == 0);
    CHECK(empty.tokens() == 1);  // estimate_prompt_tokens' floor

    prompt_blocks odd(3);  // 12-byte blocks: words cut by the block's end
    odd.append(text(36));
    CHECK(odd.count() == 3);
    CHECK(odd.lookup_limit() == 2);
}

TEST_CASE("prompt blocks: block sizes are clamped to their limits") {
    prompt_blocks p(0);
    CHECK(p.block_tokens() == PREFIX_MIN_BLOCK_TOKENS);
    p.reset(PREFIX_MAX_BLOCK_TOKENS);
    CHECK(p.block_tokens() == PREFIX_MAX_BLOCK_TOKENS);
    p.reset(PREFIX_MAX_BLOCK_TOKENS + 1);
    CHECK(p.block_tokens() == PREFIX_MAX_BLOCK_TOKENS);
    p.append(text(PREFIX_MAX_BLOCK_TOKENS * 4));
    CHECK(p.count() == 1);
}

TEST_CASE("prompt blocks: a chain, each block's hash covering everything before it") {
    const std::string a = text(64 * 5, 'a');
    std::string b = a;
    b[64 * 2 + 10] ^= 1;  // one byte of block 2
    const auto ha = chain({a});
    const auto hb = chain({b});
    REQUIRE(ha.size() == 5);
    REQUIRE(hb.size() == 5);
    CHECK(ha[0] == hb[0]);
    CHECK(ha[1] == hb[1]);
    for (size_t k = 2; k < 5; ++k) {
        CHECK(ha[k] != hb[k]);  // block 2 and all after it
    }
    for (uint64_t h : ha) {
        CHECK(h != 0);
    }
    // The same prefix gives the same leading hashes, whatever follows.
    const auto longer = chain({a + text(200, 'q')});
    REQUIRE(longer.size() == 8);
    CHECK(std::vector<uint64_t>(longer.begin(), longer.begin() + 5) == ha);
    // Equal blocks at different places differ: the chain is in each hash.
    const auto same = chain({std::string(128, 'z')});
    CHECK(same[0] != same[1]);
}

TEST_CASE("prompt blocks: the cut into appends does not matter, at every byte and byte by byte") {
    const std::string t = text(64 * 4 + 13);
    for (uint32_t block_tokens : {16u, 3u}) {  // 3: 12-byte blocks, whose words straddle block ends
        const auto whole = chain({t}, block_tokens);
        auto hashes = [](const prompt_blocks& p) { return std::vector<uint64_t>(p.hashes().begin(), p.hashes().end()); };
        for (size_t cut = 0; cut <= t.size(); ++cut) {
            prompt_blocks p(block_tokens);
            p.separate(1);
            p.append(std::string_view(t).substr(0, cut));
            p.append(std::string_view(t).substr(cut));
            INFO(block_tokens << " tokens a block, cut at " << cut);
            CHECK(hashes(p) == whole);
        }
        prompt_blocks bytes(block_tokens);
        bytes.separate(1);
        for (char c : t) {
            bytes.append(std::string_view(&c, 1));
        }
        CHECK(hashes(bytes) == whole);
    }
}

TEST_CASE("prompt blocks: message separators, roles and seeds") {
    // ["ab","c"] and ["a","bc"]: the same bytes, the same tokens, other blocks.
    const std::string x = text(30, 'a');
    const std::string y = text(34, 'k');
    const auto one = chain({x + y.substr(0, 2), y.substr(2)});
    const auto two = chain({x, y});
    REQUIRE(one.size() == 1);
    REQUIRE(two.size() == 1);
    CHECK(one[0] != two[0]);
    CHECK(chain({x + y})[0] != two[0]);  // one message is not two

    prompt_blocks user;
    prompt_blocks assistant;
    user.separate(1);
    assistant.separate(2);
    user.append(text(64));
    assistant.append(text(64));
    CHECK(user.hashes()[0] != assistant.hashes()[0]);
    CHECK(user.bytes() == 64);  // a separator adds no bytes

    prompt_blocks salted(16, 42);
    salted.separate(1);
    salted.append(text(64));
    CHECK(salted.hashes()[0] != user.hashes()[0]);
    CHECK(chain({text(64)}, 16)[0] == user.hashes()[0]);  // reset to the same: the same hash
}

TEST_CASE("prompt blocks: at most PREFIX_PROMPT_BLOCKS hashes, the rest counted uncached") {
    prompt_blocks p(1);
    p.append(text(4 * PREFIX_PROMPT_BLOCKS - 1));
    CHECK(p.count() == PREFIX_PROMPT_BLOCKS - 1);
    p.append("z");
    CHECK(p.count() == PREFIX_PROMPT_BLOCKS);  // exactly the limit
    const uint64_t last = p.hashes().back();
    p.separate(2);
    p.append(text(4));  // one block past it
    CHECK(p.count() == PREFIX_PROMPT_BLOCKS);
    CHECK(p.hashes().back() == last);
    CHECK(p.bytes() == 4 * PREFIX_PROMPT_BLOCKS + 4);
    CHECK(p.tokens() == PREFIX_PROMPT_BLOCKS + 1);
    CHECK(p.lookup_limit() == PREFIX_PROMPT_BLOCKS);
    p.reset(1);
    CHECK(p.count() == 0);
    CHECK(p.bytes() == 0);
}

TEST_CASE("prefix cache: init limits") {
    prefix_cache c;
    std::string err;
    CHECK(c.init(0, err));  // off
    CHECK_FALSE(c.enabled());
    CHECK(c.lookup_insert(*blocks_of("abc"), 0).hit_blocks == 0);
    CHECK(c.queries() == 0);  // off counts nothing
    CHECK(c.kv_usage() == 0.0);

    CHECK(c.init(PREFIX_MAX_BLOCKS, err));
    CHECK(c.enabled());
    CHECK(c.blocks() == PREFIX_MAX_BLOCKS);
    CHECK_FALSE(c.init(PREFIX_MAX_BLOCKS + 1, err));
    CHECK(err == "prefix cache: blocks must be 0 (off) to 16777216, not 16777217");
    CHECK_FALSE(c.enabled());  // a failed init leaves it off

    CHECK(c.init(1, err));
    CHECK(c.blocks() == 1);
    CHECK_FALSE(c.init(8, err, {0, 1, 1}));
    CHECK(err == "prefix cache: ways must be 1 to 5, not 0");
    CHECK_FALSE(c.init(8, err, {PREFIX_WAYS + 1, 1, 1}));
    CHECK(c.init(8, err, {PREFIX_WAYS, PREFIX_MAX_CHOICES, PREFIX_MAX_SPAN}));
    CHECK_FALSE(c.init(8, err, {PREFIX_WAYS, 0, 1}));
    CHECK_FALSE(c.init(8, err, {PREFIX_WAYS, PREFIX_MAX_CHOICES + 1, 1}));
    CHECK(err == "prefix cache: choices must be 1 to 8, not 9");
    CHECK_FALSE(c.init(8, err, {PREFIX_WAYS, 1, 0}));
    CHECK_FALSE(c.init(8, err, {PREFIX_WAYS, 1, PREFIX_MAX_SPAN + 1}));
    CHECK(err == "prefix cache: span must be 1 to 8, not 9");
}

TEST_CASE("prefix cache: holds exactly the blocks configured, at any size") {
    // A block takes an empty way only when one is among its places, so a table fills up only
    // after more inserts than it holds (1,050 into 1,000 left 23 ways empty); 200 prompts of
    // 21 or more blocks fill it.
    for (size_t blocks : {size_t(1), size_t(4), size_t(5), size_t(6), size_t(999), size_t(1000)}) {
        auto c = make(blocks);
        for (int i = 0; i < 200; ++i) {
            auto p = blocks_of(std::to_string(i) + "bcdefghijklmnopqrstu");
            (void)c->lookup_insert(*p, uint64_t(i) * UNIT);
            REQUIRE(c->used_blocks() <= blocks);
        }
        INFO(blocks << " blocks");
        CHECK(c->used_blocks() == blocks);
    }
    // Narrow sets too (uneven: some sets one way more than others), and the widest geometry.
    for (prefix_shape shape : {prefix_shape{3, 1, 1}, prefix_shape{2, 2, 2}, prefix_shape{4, 3, 1},
                               prefix_shape{PREFIX_WAYS, PREFIX_MAX_CHOICES, PREFIX_MAX_SPAN}}) {
        for (size_t blocks : {size_t(7), size_t(8), size_t(100)}) {
            auto c = make(blocks, shape);
            for (int i = 0; i < 100; ++i) {
                (void)c->lookup_insert(*blocks_of(std::to_string(i) + "bcdefghijk"), uint64_t(i) * UNIT);
            }
            INFO(blocks << " blocks of " << shape.ways << " ways");
            CHECK(c->used_blocks() == blocks);
        }
    }
}

TEST_CASE("prefix cache: a second lookup finds the prompt; counters in tokens") {
    auto c = make(1000);
    prompt_blocks p;
    p.separate(0);
    p.append(text(64 * 3 + 20));  // 3 whole blocks, 53 tokens
    prefix_lookup r = c->lookup_insert(p, UNIT);
    CHECK(r.hit_blocks == 0);
    CHECK(r.cached_tokens == 0);
    CHECK(r.inserted == 3);
    CHECK(c->used_blocks() == 3);
    r = c->lookup_insert(p, 2 * UNIT);
    CHECK(r.hit_blocks == 3);
    CHECK(r.cached_tokens == 48);
    CHECK(r.inserted == 0);
    CHECK(c->used_blocks() == 3);
    CHECK(c->queries() == 2 * 53);  // vLLM: every prompt token is queried
    CHECK(c->hits() == 48);
    CHECK(c->hit_ratio() == Approx(48.0 / 106.0));

    // A prompt of exactly 3 blocks finds 2: its last token is always computed.
    prompt_blocks exact;
    exact.separate(0);
    exact.append(text(64 * 3));
    CHECK(exact.lookup_limit() == 2);
    // (its 3 blocks are p's: the same text)
    CHECK(c->lookup_insert(exact, 3 * UNIT).hit_blocks == 2);

    // Counter shards add up, whatever the shard number.
    (void)c->lookup_insert(p, 4 * UNIT, 7);
    (void)c->lookup_insert(p, 4 * UNIT, 7 + PREFIX_SHARDS * 3);
    CHECK(c->hits() == 48 + 32 + 48 + 48);
}

TEST_CASE("prefix cache: the match is a prefix and stops at the first miss") {
    auto c = make(100);
    (void)c->lookup_insert(*blocks_of("abcdef"), UNIT);
    CHECK(c->lookup_insert(*blocks_of("abcXYZ"), 2 * UNIT).hit_blocks == 3);
    // Blocks "d", "e", "f" after a different head are other blocks (the chain).
    CHECK(c->lookup_insert(*blocks_of("Qbcdef"), 3 * UNIT).hit_blocks == 0);

    // Block 0 evicted while block 1 stays: block 1 is found but does not count. A table of two
    // one-way sets; a two-block prompt whose blocks land in different sets (both kept), then a
    // one-block prompt that lands in block 0's set (block 1 kept).
    bool seen = false;
    for (char x = 'a'; x <= 'z' && !seen; ++x) {
        auto pair = blocks_of(std::string(1, x) + "y");
        for (char z = 'A'; z <= 'Z' && !seen; ++z) {
            auto two = make(2, {1, 1, 1});
            (void)two->lookup_insert(*pair, UNIT);
            if (two->used_blocks() != 2) {
                break;  // both blocks in one set: try another pair
            }
            (void)two->lookup_insert(*blocks_of(std::string(1, z)), 2 * UNIT);
            const prefix_lookup r = two->lookup_insert(*pair, 3 * UNIT);
            if (r.hit_blocks == 0 && r.inserted == 1) {
                seen = true;  // block 1 was there (not inserted again), yet no hit: it follows a miss
            } else {
                CHECK(r.hit_blocks == 1);  // z took block 1's set instead
                CHECK(r.inserted == 1);
            }
        }
    }
    CHECK(seen);
}

TEST_CASE("prefix cache: LRU order within a set") {
    // One set of 3 ways: an exact LRU (stamps in time units; within one unit the tail first).
    auto c = make(3, {3, 1, 1});
    auto a = blocks_of("a");
    auto b = blocks_of("b");
    auto d = blocks_of("d");
    auto e = blocks_of("e");
    (void)c->lookup_insert(*a, 1 * UNIT);
    (void)c->lookup_insert(*b, 2 * UNIT);
    (void)c->lookup_insert(*d, 3 * UNIT);
    CHECK(c->used_blocks() == 3);
    CHECK(c->lookup_insert(*a, 4 * UNIT).hit_blocks == 1);  // a is now the most recent
    CHECK(c->lookup_insert(*e, 5 * UNIT).inserted == 1);    // evicts b, the least recent
    CHECK(c->used_blocks() == 3);
    CHECK(c->lookup_insert(*a, 6 * UNIT).hit_blocks == 1);
    CHECK(c->lookup_insert(*d, 7 * UNIT).hit_blocks == 1);
    CHECK(c->lookup_insert(*e, 8 * UNIT).hit_blocks == 1);
    CHECK(c->lookup_insert(*b, 9 * UNIT).hit_blocks == 0);  // b was gone; it evicts a
    CHECK(c->lookup_insert(*a, 10 * UNIT).hit_blocks == 0);

    // Within one time unit uses are not ordered (a stamp is written only when it grows): a and
    // b tie, and the lower way (a's) goes first even though a was used last.
    auto s = make(2, {2, 1, 1});
    (void)s->lookup_insert(*a, 1 * UNIT);
    (void)s->lookup_insert(*b, 1 * UNIT + 1);
    (void)s->lookup_insert(*a, 1 * UNIT + 2);
    (void)s->lookup_insert(*d, 2 * UNIT);
    CHECK(s->lookup_insert(*b, 3 * UNIT).hit_blocks == 1);
    CHECK(s->lookup_insert(*a, 4 * UNIT).hit_blocks == 0);

    // Within one unit, a prompt's deeper blocks are older: "xyz" loses z, then y, keeping x.
    auto t = make(3, {3, 1, 1});
    (void)t->lookup_insert(*blocks_of("xyz"), 1 * UNIT);
    (void)t->lookup_insert(*blocks_of("p"), 2 * UNIT);
    CHECK(t->lookup_insert(*blocks_of("xy"), 3 * UNIT).hit_blocks == 2);
    (void)t->lookup_insert(*blocks_of("q"), 4 * UNIT);  // evicts p (unit 2)
    (void)t->lookup_insert(*blocks_of("r"), 5 * UNIT);  // evicts y (unit 3, deeper than x)
    CHECK(t->lookup_insert(*blocks_of("xy"), 6 * UNIT).hit_blocks == 1);
}

TEST_CASE("prefix cache: kv usage is the held blocks' share") {
    auto c = make(100);
    c->hold(30, 0);
    c->hold(20, 1);
    CHECK(c->kv_usage() == Approx(0.5));
    c->release(30, 1);  // a request may end on another shard than it began
    CHECK(c->kv_usage() == Approx(0.2));
    c->hold(500, 2);
    CHECK(c->kv_usage() == 1.0);
    c->release(520, 3);
    CHECK(c->kv_usage() == 0.0);
}

TEST_CASE("prefix cache: threads inserting the same prompts at once") {
    // 4 threads look up the same prompt at once, round after round (8 prompts of 40 blocks,
    // each new in its first round, where all 4 race to insert it). Each block is inserted
    // exactly once (the table has room for all), so used_blocks counts it once; every lookup
    // counts its tokens; hits are what each thread found already there when it looked.
    auto c = make(4096);
    std::vector<std::unique_ptr<prompt_blocks>> ps;
    for (int i = 0; i < 8; ++i) {
        auto p = std::make_unique<prompt_blocks>();
        p->separate(0);
        p->append(text(64 * 40, char('a' + i)));
        p->append("!");
        ps.push_back(std::move(p));
    }
    constexpr int THREADS = 4;
    constexpr int ROUNDS = 200;
    std::atomic<uint64_t> inserted{0};
    on_threads(THREADS, [&](int t) {
        uint64_t mine = 0;
        for (int r = 0; r < ROUNDS; ++r) {
            mine += c->lookup_insert(*ps[size_t(r) % ps.size()], uint64_t(r) * UNIT, unsigned(t)).inserted;
        }
        inserted.fetch_add(mine);
    });
    CHECK(inserted.load() == 8 * 40);
    CHECK(c->used_blocks() == 8 * 40);
    CHECK(c->queries() == uint64_t(THREADS) * ROUNDS * ps[0]->tokens());
    // Every lookup after a prompt's first insert finds all of it; the first few may race.
    CHECK(c->hits() <= uint64_t(THREADS) * ROUNDS * 40 * 16);
    CHECK(c->hits() >= (uint64_t(THREADS) * ROUNDS - 8 * THREADS) * 40 * 16);
    for (const auto& p : ps) {
        CHECK(c->lookup_insert(*p, ROUNDS * UNIT).hit_blocks == 40);
    }
}

TEST_CASE("prefix cache: threads evicting each other's blocks") {
    // A table far smaller than the working set, so that inserts race for the same victims
    // (the stamp claims) while others read the ways being replaced. Run under TSan too.
    auto c = make(64, {PREFIX_WAYS, 4, 2});
    std::atomic<int> too_many{0};  // lookups with more hits than they may have (Catch is not thread-safe)
    on_threads(4, [&](int t) {
        prompt_blocks p;
        for (int r = 0; r < 2000; ++r) {
            p.reset();
            p.separate(0);
            p.append(text(64 * 4));  // shared by every prompt
            p.separate(1);
            p.append(text(64 * (1 + r % 7), char('a' + (t * 5 + r) % 20)));
            p.append("!");
            if (c->lookup_insert(p, uint64_t(r / 10) * UNIT, unsigned(t)).hit_blocks > p.lookup_limit()) {
                too_many.fetch_add(1);
            }
        }
    });
    CHECK(too_many.load() == 0);
    CHECK(c->used_blocks() == 64);
    CHECK(c->hits() <= c->queries());
    CHECK(c->hits() > 0);  // the shared head stays: it is used by every prompt
}
