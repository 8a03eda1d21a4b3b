// prefix_cache: block hash chains and a d-choice set-associative LRU table of blocks.
//
//   block     PREFIX_BLOCK_TOKENS x 4 bytes of the prompt's text (separators add none)
//   hash      h(i) = fmix64(mix(... mix(h(i-1), word 0) ..., last word)); h(-1) from the seed
//   word      8 bytes a step (mix is a bijection of the state for a given word); a word cut
//             short by a separator or the block's end is mixed with its length
//   separator mixes a marker and the role code into the state, after the cut word
//   set       one cache line: a lock, PREFIX_WAYS 32-bit stamps, PREFIX_WAYS 64-bit hashes
//   places    PREFIX_CHOICES, each PREFIX_SPAN adjacent sets from ((hash x odd_k) x places) >> 64
//   stamp     (now_ns >> 24) << 10 | (1023 - block index): last use to ~17 ms, and at one time
//             the tail older than the head (vLLM frees a request's blocks tail first); written
//             only when it grows, so at most once a unit for a block every prompt shares
//   probe     lock-free: relaxed loads of the places' hashes, place by place
//   insert    pick the oldest way of all its places (never used first); under the lock of the
//             block's place-0 set probe again, then claim the way by compare-and-swap on its stamp
//
// Why chained hashes: a block's hash then names the whole prefix up to it, so a table keyed by
// hash alone answers a prefix match (vLLM's block hash is the same chain over token ids). Not
// keyed and not cryptographic: prompts made to collide on purpose could fake a hit, which a
// mock server accepts.
//
// Why a lock for inserts and none for hits: see insert(). In the steady state most blocks hit
// (every prompt's system prompt), and a hit writes nothing shared but, once a unit, a stamp.
#include "service/prefix_cache.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "engine/spin_lock.hpp"

namespace lms {

namespace {

constexpr uint64_t K_WORD = 0xbf58476d1ce4e5b9ull;
constexpr uint64_t K_STEP = 0x94d049bb133111ebull;
constexpr uint64_t K_CUT = 0x9e3779b97f4a7c15ull;
constexpr uint64_t K_SEPARATOR = 0xd6e8feb86659fd93ull;
constexpr uint64_t K_SEED = 0xff51afd7ed558ccdull;

constexpr uint32_t NO_WAY = UINT32_MAX;  // the stamp of a way the table does not have

static_assert(PREFIX_PROMPT_BLOCKS <= 1024, "a block's index must fit the stamp's low 10 bits");
static_assert(PREFIX_MAX_BLOCK_TOKENS * PREFIX_BYTES_PER_TOKEN < (uint64_t(1) << 32), "a block's bytes in 32 bits");

// rate_key_hash's step: the word's product is independent of the state, so the chain from one
// word to the next is an xor, a rotate and a multiply (~5 cycles for 8 bytes).
inline uint64_t mix(uint64_t h, uint64_t w) noexcept { return std::rotl(h ^ (w * K_WORD), 27) * K_STEP; }

// MurmurHash3's finaliser: spreads the state into the high bits the set index uses.
inline uint64_t fmix64(uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

// A set's spinlock for one scope (spin_lock.hpp's test-and-test-and-set, on a counting word), held for one probe and one claim. The word counts the inserts
// made under it above the held bit, so that an insert that finds it where it was before its
// unlocked probe knows that probe is still true (31 bits: a wrap between the two reads would
// need two billion inserts under one lock meanwhile).
class set_guard {
public:
    explicit set_guard(uint32_t& word) noexcept : lock_(word) {
        while (((seen_ = lock_.fetch_or(1, std::memory_order_acquire)) & 1) != 0) {
            while ((lock_.load(std::memory_order_relaxed) & 1) != 0) {
                cpu_relax();
            }
        }
    }
    ~set_guard() { lock_.store(seen_ + (inserted_ ? 2 : 0), std::memory_order_release); }
    set_guard(const set_guard&) = delete;
    set_guard& operator=(const set_guard&) = delete;

    [[nodiscard]] uint32_t seen() const noexcept { return seen_; }  // the word before this lock
    void inserted() noexcept { inserted_ = true; }

private:
    std::atomic_ref<uint32_t> lock_;
    uint32_t seen_ = 0;
    bool inserted_ = false;
};

// A block's last use: the time in units of 2^PREFIX_STAMP_SHIFT ns (~17 ms) in the high 22 bits,
// then 1023 - the block's index, so that within one unit a prompt's tail is older than its
// head and goes first (a block's hash fixes its index: one block's stamps differ only by
// time). Never 0, which marks a way never used.
inline uint32_t stamp_of(uint64_t now_ns, uint32_t block) noexcept {
    const uint32_t s = uint32_t((now_ns >> PREFIX_STAMP_SHIFT) << 10) | (1023 - block);
    return s == 0 ? 1 : s == NO_WAY ? NO_WAY - 1 : s;
}

// How much older stamp b is than a (negative: newer). Serial-number arithmetic: the 22 bits of
// time wrap every 19.5 hours, and stamps are ordered right while they are within 9.7 hours of
// each other (a block unused that long, in a table under load, is long gone).
inline int32_t older_by(uint32_t a, uint32_t b) noexcept { return int32_t(a - b); }

}  // namespace

// ---- prompt_blocks ----

void prompt_blocks::reset(uint32_t block_tokens, uint64_t seed) noexcept {
    block_tokens_ = std::clamp(block_tokens, PREFIX_MIN_BLOCK_TOKENS, PREFIX_MAX_BLOCK_TOKENS);
    block_bytes_ = block_tokens_ * PREFIX_BYTES_PER_TOKEN;
    // The block size is in the seed: tables are per process, but tests compare chains.
    state_ = fmix64(seed ^ (uint64_t(block_bytes_) * K_SEED) ^ K_CUT);
    carry_ = 0;
    carry_len_ = 0;
    bytes_ = 0;
    count_ = 0;
    in_block_ = 0;
}

void prompt_blocks::flush_carry() noexcept {
    // Its length goes in with it: "a" cut by a separator differs from "a\0".
    state_ = mix(state_ ^ (uint64_t(carry_len_) * K_CUT), carry_);
    carry_ = 0;
    carry_len_ = 0;
}

void prompt_blocks::finish_block() noexcept {
    if (carry_len_ != 0) {
        flush_carry();  // a block whose size is not a multiple of 8 bytes
    }
    uint64_t h = fmix64(state_);
    h = h != 0 ? h : 1;  // 0 marks an empty way in the table
    hashes_[count_++] = h;
    state_ = h;  // the next block chains on this one
    in_block_ = 0;
}

void prompt_blocks::append(std::string_view text) noexcept {
    bytes_ += text.size();
    const char* p = text.data();
    size_t n = text.size();
    while (n != 0 && count_ < PREFIX_PROMPT_BLOCKS) {
        const uint32_t room = block_bytes_ - in_block_;
        if (carry_len_ == 0 && n >= 8 && room >= 8) {
            // The hot loop: whole words straight from the text, up to the block's end.
            const size_t words = std::min(n, size_t(room)) / 8;
            uint64_t s = state_;
            for (size_t i = 0; i < words; ++i) {
                uint64_t w;
                std::memcpy(&w, p + 8 * i, 8);
                s = mix(s, w);
            }
            state_ = s;
            p += 8 * words;
            n -= 8 * words;
            in_block_ += uint32_t(8 * words);
        } else {
            // A word split across appends, or the last bytes before the block's end: the same
            // words as the hot loop would have read, so the cut into appends does not matter.
            const size_t take = std::min({size_t(8 - carry_len_), size_t(room), n});
            uint64_t part = 0;
            std::memcpy(&part, p, take);
            carry_ |= part << (8 * carry_len_);  // byte order as the hot loop's memcpy on little-endian
            carry_len_ += uint32_t(take);
            in_block_ += uint32_t(take);
            p += take;
            n -= take;
            if (carry_len_ == 8) {
                state_ = mix(state_, carry_);
                carry_ = 0;
                carry_len_ = 0;
            }
        }
        if (in_block_ == block_bytes_) {
            finish_block();
        }
    }
}

void prompt_blocks::separate(uint8_t kind) noexcept {
    if (count_ >= PREFIX_PROMPT_BLOCKS) {
        return;
    }
    if (carry_len_ != 0) {
        flush_carry();
    }
    state_ = mix(state_ ^ K_SEPARATOR, uint64_t(kind) + 1);
}

// ---- prefix_cache ----

prefix_cache::~prefix_cache() { release_memory(); }

void prefix_cache::release_memory() noexcept {
    std::free(mem_);
    mem_ = nullptr;
    sets_ = nullptr;
    nsets_ = 0;
    blocks_ = 0;
    choices_ = 0;
    span_ = 0;
    places_ = 0;
    used_.store(0, std::memory_order_relaxed);
    for (shard_counters& c : shards_) {
        c.queries = 0;
        c.hits = 0;
        c.held = 0;
    }
}

bool prefix_cache::init(size_t blocks, std::string& err, prefix_shape shape) {
    release_memory();
    auto in_range = [&err](const char* what, size_t v, size_t lo, size_t hi) {
        if (v >= lo && v <= hi) {
            return true;
        }
        err = std::string("prefix cache: ") + what + " must be " + (lo == 0 ? "0 (off)" : std::to_string(lo)) +
              " to " + std::to_string(hi) + ", not " + std::to_string(v);
        return false;
    };
    if (!in_range("blocks", blocks, 0, PREFIX_MAX_BLOCKS) || !in_range("ways", shape.ways, 1, PREFIX_WAYS) ||
        !in_range("choices", shape.choices, 1, PREFIX_MAX_CHOICES) ||
        !in_range("span", shape.span, 1, PREFIX_MAX_SPAN)) {
        return false;
    }
    if (blocks == 0) {
        return true;  // off
    }
    // The fewest sets of at most `ways` ways, the blocks spread evenly: every set has base or
    // base + 1 ways (base <= ways since sets x ways >= blocks), so the table holds exactly
    // `blocks` and kv_usage / used_blocks are shares of the number configured.
    const size_t nsets = (blocks + shape.ways - 1) / shape.ways;
    const size_t bytes = nsets * sizeof(set) + alignof(set);
    // calloc, not aligned_alloc + memset: the zeroed pages come from mmap and stay untouched
    // (no RSS) until a block lands on them.
    mem_ = std::calloc(bytes, 1);
    if (mem_ == nullptr) {
        err = "prefix cache: cannot allocate " + std::to_string(bytes) + " bytes for " + std::to_string(blocks) +
              " blocks";
        return false;
    }
    const uintptr_t base = (reinterpret_cast<uintptr_t>(mem_) + alignof(set) - 1) & ~uintptr_t(alignof(set) - 1);
    sets_ = reinterpret_cast<set*>(base);
    nsets_ = nsets;
    blocks_ = blocks;
    // Every set has PREFIX_WAYS ways in memory; the ones past its share are marked missing
    // (base + 1 ways in the first blocks % nsets sets, base in the rest). With the full width
    // that is at most PREFIX_WAYS - 1 sets, at the end: a few lines written, not the table.
    const size_t base_ways = blocks / nsets;
    const size_t extra_sets = blocks % nsets;
    const size_t first_short = base_ways + 1 < PREFIX_WAYS ? 0 : base_ways < PREFIX_WAYS ? extra_sets : nsets;
    for (size_t i = first_short; i < nsets; ++i) {
        for (size_t w = base_ways + (i < extra_sets ? 1 : 0); w < PREFIX_WAYS; ++w) {
            sets_[i].stamp[w] = NO_WAY;
        }
    }
    choices_ = shape.choices;
    span_ = uint32_t(std::min<size_t>(shape.span, nsets));  // a tiny table is one span
    places_ = nsets - span_ + 1;
    return true;
}

// Where h is, looking in its sets in choice order. Lock-free: relaxed loads (a hash word goes
// from one block's hash to another's in one store, so a block seen here was in the table at
// the moment of the load).
bool prefix_cache::find(uint64_t h, const size_t* idx, way_ref& at) const noexcept {
    auto load = [](const uint64_t& v) { return std::atomic_ref<const uint64_t>(v).load(std::memory_order_relaxed); };
    static_assert(PREFIX_WAYS == 5, "the probe below is unrolled for 5 ways");
    for (uint32_t k = 0; k < choices_; ++k) {
        set* const end = &sets_[idx[k] + span_];
        for (set* s = &sets_[idx[k]]; s != end; ++s) {
            // Unrolled: one load and compare a way (a missing way's hash is 0: never h).
            const uint32_t w = load(s->hash[0]) == h   ? 0
                               : load(s->hash[1]) == h ? 1
                               : load(s->hash[2]) == h ? 2
                               : load(s->hash[3]) == h ? 3
                               : load(s->hash[4]) == h ? 4
                                                       : PREFIX_WAYS;
            if (w != PREFIX_WAYS) {
                at = {s, w};
                return true;
            }
        }
    }
    return false;
}

// The way used longest ago (stamp 0, never used, first) among all of h's places, and the stamp
// that made it so. Lock-free: a claim (insert) checks the stamp is still that.
prefix_cache::way_ref prefix_cache::oldest(const size_t* idx, uint32_t stamp, uint32_t& victim_stamp) const noexcept {
    way_ref v{nullptr, 0};
    int64_t oldest = INT64_MIN;
    auto offer = [&](set* s, uint32_t w) {
        const uint32_t st = std::atomic_ref<uint32_t>(s->stamp[w]).load(std::memory_order_relaxed);
        // never used: first; missing: never; else how much older than now
        const int64_t key = st == 0 ? INT64_MAX : st == NO_WAY ? INT64_MIN : older_by(stamp, st);
        if (key > oldest) {  // strict: on a tie the earlier place, set and way
            oldest = key;
            v = {s, w};
            victim_stamp = st;
        }
    };
    for (uint32_t k = 0; k < choices_; ++k) {
        set* const end = &sets_[idx[k] + span_];
        for (set* s = &sets_[idx[k]]; s != end; ++s) {
            offer(s, 0);
            offer(s, 1);
            offer(s, 2);
            offer(s, 3);
            offer(s, 4);
        }
    }
    return v;  // every set has a way that is not missing: never null
}

// Puts h in the table unless another thread has since (then at is where, and false); probed
// is h's lock word as it was before the caller's probe. That lock (of h's place-0 set)
// serialises the inserts of h: under it, look again if need be, then claim the victim by
// compare-and-swap on its stamp, since inserts of other blocks (other locks) may want the same
// way; a lost claim picks again. The stamp goes first so that between the claim and the hash
// store no other insert takes the way; readers meanwhile still see the evicted block. The
// victim is picked before taking the lock, held for a claim (and rarely a probe) only: a
// worker preempted while holding it stalls another only if that one inserts under it too.
bool prefix_cache::insert(uint64_t h, const size_t* idx, uint32_t stamp, uint32_t probed, way_ref& at) noexcept {
    for (;;) {
        uint32_t victim_stamp = 0;
        const way_ref v = oldest(idx, stamp, victim_stamp);
        set_guard g(sets_[idx[0]].lock);
        // The probe again, unless no insert was made under this lock since the first one (and
        // none was under way): inserts of h take it, so h is still not in the table.
        if ((g.seen() != probed || (probed & 1) != 0) && find(h, idx, at)) {
            return false;
        }
        probed = UINT32_MAX;  // odd: a retry probes again
        uint32_t expected = victim_stamp;
        if (std::atomic_ref<uint32_t>(v.s->stamp[v.w])
                .compare_exchange_strong(expected, stamp, std::memory_order_relaxed, std::memory_order_relaxed)) {
            std::atomic_ref<uint64_t>(v.s->hash[v.w]).store(h, std::memory_order_relaxed);
            g.inserted();
            if (victim_stamp == 0) {
                used_.fetch_add(1, std::memory_order_relaxed);
            }
            return true;
        }
    }
}

prefix_lookup prefix_cache::lookup_insert(const prompt_blocks& p, uint64_t now_ns, unsigned shard) noexcept {
    prefix_lookup r;
    if (sets_ == nullptr) {
        return r;
    }
    const std::span<const uint64_t> hs = p.hashes();
    const uint32_t limit = p.lookup_limit();
    const uint32_t n = uint32_t(hs.size());
    // A prompt's blocks are known up front: fetching the sets of a few blocks ahead overlaps
    // their cache misses instead of paying them in turn (for reading: a write prefetch would take
    // the line from the cores sharing it). A block's places are worked out once, here.
    constexpr uint32_t AHEAD = 4;
    constexpr uint32_t RING = 8;  // > AHEAD, a power of two
    size_t places[RING][PREFIX_MAX_CHOICES];
    auto prefetch = [&](uint32_t j) {
        size_t* idx = places[j % RING];
        for (uint32_t k = 0; k < choices_; ++k) {
            idx[k] = place_of(hs[j], k);
            for (uint32_t i = 0; i < span_; ++i) {
                __builtin_prefetch(&sets_[idx[k] + i], 0);
            }
        }
    };
    for (uint32_t j = 0; j < AHEAD && j < n; ++j) {
        prefetch(j);
    }
    bool matching = true;
    for (uint32_t j = 0; j < n; ++j) {
        if (j + AHEAD < n) {
            prefetch(j + AHEAD);
        }
        const uint64_t h = hs[j];
        const size_t* idx = places[j % RING];
        const uint32_t stamp = stamp_of(now_ns, j);
        way_ref at;
        // Read before the probe (acquire): an insert of h this probe misses unlocks after it.
        const uint32_t probed = std::atomic_ref<uint32_t>(sets_[idx[0]].lock).load(std::memory_order_acquire);
        const bool found = find(h, idx, at);
        if (!found && insert(h, idx, stamp, probed, at)) {
            ++r.inserted;
            matching = false;
            continue;
        }
        // Found. Its stamp only when that raises it, so a block every prompt uses is written once a
        // unit and its set stays in every core's cache. Not a claim: a racing insert may have just
        // put another block in the way, which then gets this stamp, about its insert's anyway.
        std::atomic_ref<uint32_t> st(at.s->stamp[at.w]);
        if (older_by(stamp, st.load(std::memory_order_relaxed)) > 0) {
            st.store(stamp, std::memory_order_relaxed);
        }
        if (matching && j < limit) {
            ++r.hit_blocks;
        } else {
            matching = false;
        }
    }
    r.cached_tokens = r.hit_blocks * p.block_tokens();
    shard_counters& c = shards_[shard % PREFIX_SHARDS];
    c.queries.fetch_add(p.tokens(), std::memory_order_relaxed);
    c.hits.fetch_add(r.cached_tokens, std::memory_order_relaxed);
    return r;
}

template <class T>
T prefix_cache::sum(std::atomic<T> shard_counters::*field) const noexcept {
    T n = 0;
    for (const shard_counters& c : shards_) {
        n += (c.*field).load(std::memory_order_relaxed);
    }
    return n;
}

uint64_t prefix_cache::queries() const noexcept { return sum(&shard_counters::queries); }

uint64_t prefix_cache::hits() const noexcept { return sum(&shard_counters::hits); }

double prefix_cache::hit_ratio() const noexcept {
    const uint64_t q = queries();
    return q == 0 ? 0.0 : double(hits()) / double(q);
}

double prefix_cache::kv_usage() const noexcept {
    if (blocks_ == 0) {
        return 0.0;
    }
    const int64_t held = sum(&shard_counters::held);
    // A release read before its hold (another shard, relaxed) can make the sum dip below 0;
    // more requests than blocks would be above 1 (vLLM would have queued or preempted them).
    if (held <= 0) {
        return 0.0;
    }
    const double u = double(held) / double(blocks_);
    return u < 1.0 ? u : 1.0;
}

}  // namespace lms
