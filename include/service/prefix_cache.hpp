#pragma once
// prefix_cache: a simulation of vLLM's automatic prefix caching. A prompt's text is cut into
// blocks of PREFIX_BLOCK_TOKENS tokens, each named by a hash chained on the block before it
// (prompt_blocks), and one fixed table of blocks (prefix_cache) answers how many leading blocks
// are cached (their tokens cost no prefill and are reported as cached_tokens /
// cache_read_input_tokens), inserts the rest and evicts the least recently used.
//
// Level 0. prompt_blocks is a plain value: one thread at a time (a worker keeps one and resets
// it per request). One prefix_cache is shared by every worker: lookup_insert(), hold(),
// release() and the readers may be called from any thread at once; init() only at startup,
// before the workers run. Time is an argument (monotonic ns), never read here. No syscalls; no
// allocation after init (init callocs the whole table once, so pages no block touched cost no
// RSS). Memory: one 64-byte cache line per set of 5 blocks, 12.8 bytes a block: 13 MB for a
// million blocks, 215 MB at PREFIX_MAX_BLOCKS.
//
// What vLLM does and this keeps (vllm/v1/core/kv_cache_manager.py, block_pool.py):
//   - only whole blocks are cached; a block's hash covers every token before it, so a lookup
//     is a prefix match that stops at the first block not in the table;
//   - at most num_tokens - 1 tokens can hit (the last token is always computed for its
//     logits): a prompt of exactly k blocks finds at most k - 1;
//   - eviction in LRU order, a prompt's tail before its head;
//   - vllm:prefix_cache_queries counts the prompt's tokens, vllm:prefix_cache_hits its cached
//     tokens (both in tokens, not blocks or requests);
//   - vllm:kv_cache_usage_perc is the share of blocks held by running requests (1 - free /
//     total, where cached blocks no request holds are free): hold() / release() / kv_usage(),
//     not the share of the table holding a hash (used_blocks(), for /health).
// What it does not: a block is evictable while a running request uses it (vLLM's are pinned
// by their reference count); a block is a hit from the moment it is inserted (compute time is
// not modelled); last use is the lookup, not the request's end, and is kept to ~17 ms.
//
// The table. vLLM's LRU is exact (a free queue). A set-associative table, one set per block,
// is not, and for prefixes the difference is large: a block evicted because its set happens to
// be crowded takes every later block of its chain with it, so near capacity such a table finds
// far fewer tokens than vLLM would. So a block may live in any way of PREFIX_SPAN adjacent sets
// (cache lines, fetched together) at each of PREFIX_CHOICES places picked by its hash, and an
// insert evicts the oldest of all those ways (the power of d choices: crowding evens out).
// bench/prefix_cache_bench.cpp, chat trace, one thread, 100,000 requests of ~100 blocks from
// 4,000 users (`nice -n -10 taskset -c 1 build/bench/prefix_cache_bench 4000 100000 geometry`,
// 2-core EPYC VM, a build running beside it): hit ratio in tokens, median us a lookup_insert;
// places x sets x ways; exact: an exact LRU in vLLM's order:
//
//   blocks      exact  1x1x5       4x1x5       2x3x5       3x3x5 (chosen)  2x6x5
//   65,536      .407   .349  3.6   .403  5.9   .405  6.3   .408  8.5       .411  7.7
//   262,144     .683   .470  4.0   .640  5.5   .653  6.0   .666  7.4       .671  5.9
//   1,048,576   .832   .727  5.0   .832  6.8   .832  6.6   .832  8.8       .832  9.1
//
// 3x3x5 keeps within 2.5% of exact LRU at every size (1x1x5 loses up to a third of the hits)
// for 2.2x the instructions of 1x1x5 (callgrind, 262,144 blocks: 30.3k a lookup against 13.8k;
// 2x6x5 33.2k; the times above vary by a third between runs on this machine). Within a set it
// is an exact LRU to ~17 ms, ties going to the deeper block.
//
// Shared, not one per worker, because the hit ratio is the point: with SO_REUSEPORT a client's
// next turn lands on any worker, so a per-worker cache sees the client's history only when it
// happens to land where its last turn did, and the mock would report fewer hits than the one
// vLLM pod it stands in for (and a ratio that depends on the mock's thread count). Sharing
// costs nothing measurable: a found block is read without a lock and its stamp written at most
// once per ~17 ms, so the system prompt's sets, which every lookup reads, stay in every core's
// cache; inserts take one lock for a claim, and new blocks land in random sets (counted: one
// lock taking in ~45,000 found it held at 65,536 blocks, fewer in bigger tables). Same bench,
// `... 4000 100000 sharing`, 3x3x5, the same total blocks either way; hit ratio, median / p99 us:
//
//   blocks      1 thread          2 shared           2, one cache each
//   taskset -c 1 (the two threads share one core)
//   65,536      .409  6.9 / 25    .410  7.4 / 27     .352  8.6 / 28
//   262,144     .667  5.9 / 24    .671  6.2 / 25     .493  7.4 / 29
//   1,048,576   .832  8.3 / 26    .832 10.2 / 37     .703  8.0 / 31
//   both cores
//   65,536      .409  8.0 / 31    .410  7.8 / 28     .352  7.9 / 28
//   262,144     .666  7.7 / 31    .671  5.6 / 22     .492  7.9 / 35
//   1,048,576   .832  9.1 / 33    .832  8.0 / 25     .703  9.1 / 38
//
// One cache per worker loses 14-27% of the hits with only two workers; it would lose more with
// more. Hashing the prompts (prompt_blocks) costs ~0.35 ns a byte either way.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "answer/tokens.hpp"

namespace lms {

constexpr uint32_t PREFIX_BYTES_PER_TOKEN = 4;  // estimate_prompt_tokens' rule
constexpr uint32_t PREFIX_DEFAULT_BLOCK_TOKENS = 16;
constexpr uint32_t PREFIX_MIN_BLOCK_TOKENS = 1;
constexpr uint32_t PREFIX_MAX_BLOCK_TOKENS = 1024;
constexpr uint32_t PREFIX_PROMPT_BLOCKS = 1024;   // block hashes one prompt keeps; later text counts uncached
constexpr size_t PREFIX_MAX_BLOCKS = size_t(1) << 24;  // the table's size at most (0: off)
constexpr uint32_t PREFIX_WAYS = 5;               // a set's lock, stamps and hashes fill one cache line
constexpr uint32_t PREFIX_CHOICES = 3;            // places a block may live in (see the top of this file)
constexpr uint32_t PREFIX_SPAN = 3;               // adjacent sets (cache lines) at each place
constexpr uint32_t PREFIX_MAX_CHOICES = 8;
constexpr uint32_t PREFIX_MAX_SPAN = 8;
constexpr unsigned PREFIX_SHARDS = 64;            // counter shards (one per worker: no shared line)
constexpr unsigned PREFIX_STAMP_SHIFT = 24;       // last use is kept in units of 2^24 ns (~17 ms)

// The table's geometry; the defaults are the one chosen (see the top of this file). A block may
// live in any way of `span` adjacent sets at each of `choices` places picked by its hash.
struct prefix_shape {
    uint32_t ways = PREFIX_WAYS;        // 1 to PREFIX_WAYS ways a set
    uint32_t choices = PREFIX_CHOICES;  // 1 to PREFIX_MAX_CHOICES
    uint32_t span = PREFIX_SPAN;        // 1 to PREFIX_MAX_SPAN
};

// The chain of block hashes of one prompt, fed incrementally: reset(), then append() the system
// prompt and each message's text in order, with separate() before each message. The hashes
// depend only on the bytes and where the separators fall, not on how the text is cut into
// append() calls (a message given in parts hashes as the whole). Block i's hash mixes block
// i-1's hash with block i's bytes (eight bytes a step; ~0.35 ns a byte); never 0. ~8 KiB, no
// allocation; keep one per worker, not per connection.
class prompt_blocks {
public:
    explicit prompt_blocks(uint32_t block_tokens = PREFIX_DEFAULT_BLOCK_TOKENS, uint64_t seed = 0) noexcept {
        reset(block_tokens, seed);
    }

    // Starts a new prompt. block_tokens is clamped to PREFIX_MIN_BLOCK_TOKENS..
    // PREFIX_MAX_BLOCK_TOKENS. seed goes into the first block's hash, as vLLM's cache_salt
    // (and a LoRA) do: prompts with different seeds share no block.
    void reset(uint32_t block_tokens = PREFIX_DEFAULT_BLOCK_TOKENS, uint64_t seed = 0) noexcept;
    // Adds text to the prompt. Past PREFIX_PROMPT_BLOCKS whole blocks only the bytes are counted.
    void append(std::string_view text) noexcept;
    // Marks a message boundary (kind: the caller's role code, so that a user's "hi" and an
    // assistant's "hi" differ); it adds no bytes, so ["ab","c"] and ["a","bc"] differ but
    // count the same tokens.
    void separate(uint8_t kind = 0) noexcept;

    // The whole blocks' hashes, block 0 first; valid until the next reset/append/separate.
    [[nodiscard]] std::span<const uint64_t> hashes() const noexcept { return {hashes_, count_}; }
    // Whole blocks hashed (at most PREFIX_PROMPT_BLOCKS).
    [[nodiscard]] uint32_t count() const noexcept { return count_; }
    // Blocks a lookup may count as hits: the whole blocks before the prompt's last token.
    [[nodiscard]] uint32_t lookup_limit() const noexcept {
        uint32_t before_last = (tokens() - 1) / block_tokens_;
        return before_last < count_ ? before_last : count_;
    }
    [[nodiscard]] uint64_t bytes() const noexcept { return bytes_; }
    // The prompt's tokens as the usage reports them (estimate_prompt_tokens of the bytes).
    [[nodiscard]] uint32_t tokens() const noexcept { return estimate_prompt_tokens(bytes_); }
    [[nodiscard]] uint32_t block_tokens() const noexcept { return block_tokens_; }

private:
    void finish_block() noexcept;
    void flush_carry() noexcept;

    uint64_t state_ = 0;  // the current block's running hash (starts as the last block's hash)
    uint64_t carry_ = 0;  // up to 7 bytes not yet mixed, in its low bytes
    uint64_t bytes_ = 0;
    uint32_t count_ = 0;
    uint32_t in_block_ = 0;  // bytes of the current block so far
    uint32_t carry_len_ = 0;
    uint32_t block_bytes_ = 0;
    uint32_t block_tokens_ = 0;
    uint64_t hashes_[PREFIX_PROMPT_BLOCKS];
};

// lookup_insert()'s answer.
struct prefix_lookup {
    uint32_t hit_blocks = 0;     // leading blocks found (at most the prompt's lookup_limit())
    uint32_t cached_tokens = 0;  // hit_blocks x block tokens
    uint32_t inserted = 0;       // blocks put in the table by this call (each evicting one when full)
};

class prefix_cache {
public:
    prefix_cache() noexcept = default;
    ~prefix_cache();
    prefix_cache(const prefix_cache&) = delete;
    prefix_cache& operator=(const prefix_cache&) = delete;

    // Startup only. Sizes the table for exactly `blocks` blocks: 0 turns the cache off (true,
    // enabled() false); 1 to PREFIX_MAX_BLOCKS on. shape is for tests and the bench (a table of
    // at most shape.ways blocks is one set: an exact LRU). Returns false with a message in err
    // when a number is out of range or the memory cannot be had (the cache is then off). A
    // second init replaces the first and zeroes the counters (no worker may be running).
    [[nodiscard]] bool init(size_t blocks, std::string& err, prefix_shape shape = {});

    [[nodiscard]] bool enabled() const noexcept { return sets_ != nullptr; }
    [[nodiscard]] size_t blocks() const noexcept { return blocks_; }

    // Finds how many of the prompt's leading blocks are in the table (a prefix match, stopping
    // at the first miss or at p.lookup_limit()), makes every block of the prompt the most
    // recently used (the head most recent, so a prompt's tail is evicted first, as vLLM frees
    // it), inserts the ones missing, and counts p.tokens() queried and the cached tokens hit
    // in counter shard `shard` (a worker's index; any value, reduced mod PREFIX_SHARDS). A
    // block is in the table at most once, however many threads insert it at once. Returns {}
    // and counts nothing when the cache is off. Thread-safe; lock-free for the blocks found,
    // one set's lock for each block inserted; no allocation; O(p.count() x choices x span).
    [[nodiscard]] prefix_lookup lookup_insert(const prompt_blocks& p, uint64_t now_ns, unsigned shard = 0) noexcept;

    // Blocks held by running requests, for kv_usage(): a request holds ceil((prompt + output
    // tokens) / block tokens) blocks from its admission to its end. Any thread; relaxed.
    void hold(uint64_t blocks, unsigned shard = 0) noexcept {
        shards_[shard % PREFIX_SHARDS].held.fetch_add(int64_t(blocks), std::memory_order_relaxed);
    }
    void release(uint64_t blocks, unsigned shard = 0) noexcept {
        shards_[shard % PREFIX_SHARDS].held.fetch_sub(int64_t(blocks), std::memory_order_relaxed);
    }

    // Totals over the shards (relaxed loads: a scrape may miss a lookup in flight).
    [[nodiscard]] uint64_t queries() const noexcept;  // tokens asked (vllm:prefix_cache_queries)
    [[nodiscard]] uint64_t hits() const noexcept;     // tokens found (vllm:prefix_cache_hits)
    [[nodiscard]] double hit_ratio() const noexcept;  // hits / queries; 0 before any query
    // Blocks holding a hash; never above blocks(); never falls (an eviction replaces).
    [[nodiscard]] uint64_t used_blocks() const noexcept { return used_.load(std::memory_order_relaxed); }
    // vllm:kv_cache_usage_perc: held blocks / blocks, in 0..1 (0 when off).
    [[nodiscard]] double kv_usage() const noexcept;

private:
    // One set, one cache line: its lock (the lock of the blocks whose place 0 starts here, and
    // a count of their inserts), its
    // ways' stamps (last use, see stamp_of in the .cpp; 0: never used; UINT32_MAX: a way this
    // table does not have, in the few sets that hold fewer) and their block hashes (never 0
    // once used). A probe, a victim scan, a claim and a hit's stamp all touch this line only.
    // Plain integers used through std::atomic_ref, valid when zero (calloc).
    struct alignas(64) set {
        uint32_t lock;
        uint32_t stamp[PREFIX_WAYS];
        uint64_t hash[PREFIX_WAYS];
    };
    static_assert(sizeof(set) == 64, "one cache line a set: the memory the contract states");
    struct alignas(64) shard_counters {
        std::atomic<uint64_t> queries{0};
        std::atomic<uint64_t> hits{0};
        std::atomic<int64_t> held{0};  // holds minus releases in this shard (a request may end elsewhere)
    };
    struct way_ref {
        set* s;
        uint32_t w;
    };

    // The first set of a block's place k: its hash times an odd constant (place 0: the hash),
    // the product's high bits times the number of places (any count, not only powers of two).
    [[nodiscard]] size_t place_of(uint64_t h, uint32_t k) const noexcept {
        return size_t((unsigned __int128)(h * CHOICE_MUL[k]) * places_ >> 64);
    }
    [[nodiscard]] bool find(uint64_t h, const size_t* idx, way_ref& at) const noexcept;
    [[nodiscard]] way_ref oldest(const size_t* idx, uint32_t stamp, uint32_t& victim_stamp) const noexcept;
    [[nodiscard]] bool insert(uint64_t h, const size_t* idx, uint32_t stamp, uint32_t probed, way_ref& at) noexcept;
    void release_memory() noexcept;
    template <class T>
    [[nodiscard]] T sum(std::atomic<T> shard_counters::*field) const noexcept;

    void* mem_ = nullptr;  // the one calloc block
    set* sets_ = nullptr;  // at mem_'s first 64-byte boundary
    size_t nsets_ = 0;
    size_t blocks_ = 0;
    size_t places_ = 0;  // nsets_ - span_ + 1: a place's span never runs past the end
    uint32_t choices_ = 0;
    uint32_t span_ = 0;
    // Place k's multiplier (odd, so a bijection; 1 for place 0): the products' high bits are
    // independent enough that two blocks sharing one place rarely share another.
    static constexpr uint64_t CHOICE_MUL[PREFIX_MAX_CHOICES] = {
        1, 0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
        0xd6e8feb86659fd93ull, 0xa0761d6478bd642full, 0xe7037ed1a0b428dbull, 0x8ebc6af09c88c6e3ull};
    alignas(64) std::atomic<uint64_t> used_{0};
    shard_counters shards_[PREFIX_SHARDS];
};

}  // namespace lms
