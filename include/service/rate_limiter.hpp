#pragma once
// rate_limiter: per-API-key request and token limits the way OpenAI applies them (RPM, TPM),
// and the pure formatting of the rate-limit response headers.
//
// Level 0. One rate_limiter is shared by every worker: admit(), state(), busiest(),
// key_count() and set_global() may be called from any thread at once; init() only at startup,
// before the workers run, and never again while they do. Time is always an argument (monotonic nanoseconds), never read here, so
// the module is tested with a fake clock. No syscalls after init; no allocation after init
// (init allocates the whole table once with calloc, so pages no key touched cost no RSS).
//
// Each limit is a token bucket refilled continuously: a per-minute limit L holds at most L
// units and refills L/60 per second. It is kept exactly as GCRA's "theoretical arrival time"
// scaled by L (a 128-bit count of ns x L), so a unit costs exactly 60 s / L and no rounding
// ever lets through more than L per 60 s: a full bucket of L passes at one instant, the next
// unit exactly 60/L s later.
//
// Live limits: set_global() changes the global limits while the workers run (PATCH
// /admin/config, a scenario). Every bucket that follows them (every key that is not a tier,
// the overflow bucket, and the limit a tier left out) takes the new limit at its next use,
// under its own lock, keeping how far it is from full as a share of the window: a key that had
// used half its old limit has half its new one left (its theoretical arrival time in ns is
// kept; only the scale changes). A limit turned on starts full; a limit turned off is gone.
//
// Keys: only a 64-bit hash of a key is ever kept (rate_key_hash). The table holds exactly
// max_keys distinct keys; a key past capacity shares the overflow bucket (one bucket with the
// global limits, shown by busiest() as key_hash 0). Keys with their own limits (tiers) are put
// in the table at init and count towards max_keys. When the global limits are both off, keys
// that are not tiers are not put in the table at all (admit answers allowed, reports nothing).
//
// Memory: 160 bytes of address space per key when max_keys is a power of two (a 128-byte
// record, one cache line pair so two busy keys never share a line, plus two 16-byte index
// entries; up to four entries otherwise): 10 MiB for 65,536 keys.
// Locking: each record has a spinlock held for a few dozen ns (one admit's arithmetic); the
// index is insert-only and lock-free (compare-and-swap on the hash word).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/http_response.hpp"

namespace lms {

constexpr uint64_t RATE_WINDOW_NS = 60'000'000'000;  // every limit is per minute
constexpr size_t RATE_MIN_KEYS = 16;
constexpr size_t RATE_MAX_KEYS = size_t(1) << 20;    // 160 MiB of address space at most
constexpr size_t RATE_DEFAULT_KEYS = 65'536;

struct rate_limits {
    uint64_t rpm = 0;  // requests per minute; 0: off
    uint64_t tpm = 0;  // tokens per minute; 0: off
};

// Which of a bucket's limits are the global ones (and follow set_global).
constexpr uint8_t RATE_FOLLOW_RPM = 1;
constexpr uint8_t RATE_FOLLOW_TPM = 2;

// A key with its own limits (both set: the parser fills one the spec leaves out from global,
// and marks it in follows, so that it follows the global limit when that changes live).
struct rate_tier {
    uint64_t key_hash;
    rate_limits limits;
    uint8_t follows = 0;  // RATE_FOLLOW_* bits
};

// too_large: the tokens asked exceed the key's whole TPM; it can never pass (no retry).
enum class rate_outcome : uint8_t { allowed, limited_requests, limited_tokens, too_large };

// admit()'s answer. The requests fields are 0 when the key's RPM is off, the tokens fields
// when its TPM is off.
struct rate_verdict {
    rate_outcome outcome = rate_outcome::allowed;
    uint64_t limit_requests = 0;
    uint64_t remaining_requests = 0;  // rounded down; after this request's charge when allowed
    uint64_t limit_tokens = 0;
    uint64_t remaining_tokens = 0;
    uint64_t reset_requests_ns = 0;   // until that bucket is full again
    uint64_t reset_tokens_ns = 0;
    uint64_t retry_after_ns = 0;      // limited_*: the exact wait until this same request fits; else 0
    uint64_t requested_tokens = 0;    // the tokens asked ("Requested M")
    bool early_retry = false;         // came before the wait the key's last 429 told it
    bool wait_observed = false;       // the key's first request since its last 429: wait_ratio is set
    double wait_ratio = 0;            // (now - that 429) / the wait it told; 1.0 = exactly as told
};

// The hash of an API key (eight bytes a step, then MurmurHash3's 64-bit finaliser); never 0.
// Stable within a process only (it reads words in the machine's byte order).
[[nodiscard]] uint64_t rate_key_hash(std::string_view key) noexcept;

class rate_limiter {
public:
    rate_limiter() noexcept = default;
    ~rate_limiter();
    rate_limiter(const rate_limiter&) = delete;
    rate_limiter& operator=(const rate_limiter&) = delete;

    // Startup only. Sizes the table for exactly max_keys keys (RATE_MIN_KEYS to RATE_MAX_KEYS)
    // and puts the tiers in it. Returns false with a message in err when max_keys is out of
    // range, the tiers do not fit, a tier key is given twice or the memory cannot be had; the
    // limiter then stays disabled. A second init replaces the first (no worker may be running).
    [[nodiscard]] bool init(size_t max_keys, rate_limits global, const std::vector<rate_tier>& tiers,
                            std::string& err);

    // True when any limit is on anywhere (the global limits or a tier's); false before init.
    // May change with set_global (a relaxed load: the admission's cheap test).
    [[nodiscard]] bool enabled() const noexcept { return enabled_.load(std::memory_order_relaxed); }

    // The live change of the global limits (RATE_LIMIT_RPM / RATE_LIMIT_TPM): the buckets
    // that follow them take the new limits at their next use (see the top of this file).
    // False (nothing changes) before init. Any thread; no allocation.
    bool set_global(rate_limits global) noexcept;
    [[nodiscard]] rate_limits global() const noexcept {
        return {global_rpm_.load(std::memory_order_relaxed), global_tpm_.load(std::memory_order_relaxed)};
    }

    // Charges one request and `tokens` tokens to the key at now_ns if both fit. Checked in
    // order: tokens above the key's whole TPM -> too_large; the request bucket ->
    // limited_requests; the token bucket -> limited_tokens. A request that does not pass is
    // charged nothing. Every call also counts the key's retry obedience (early_retry,
    // wait_observed) against its last limited_* answer; too_large is not such an answer.
    // key_hash 0 (never a rate_key_hash) is charged to the overflow bucket. Thread-safe; no
    // allocation; spins only on the key's own lock (or, for a key being inserted by another
    // thread that very moment, until that thread has published it: two atomic operations).
    [[nodiscard]] rate_verdict admit(uint64_t key_hash, uint64_t tokens, uint64_t now_ns) noexcept;

    // Where the key stands at now_ns (limits, remaining, resets; outcome allowed), charging
    // nothing and counting no retry: the headers of an answer written after its admission.
    // A key not in the table stands in the overflow bucket when a global limit is on.
    // Thread-safe; takes the key's lock.
    [[nodiscard]] rate_verdict state(uint64_t key_hash, uint64_t now_ns) noexcept;

    struct key_row {
        uint64_t key_hash;  // 0: the overflow bucket (the keys past capacity)
        uint64_t rpm, tpm;
        uint64_t remaining_requests, remaining_tokens;  // at now_ns, rounded down; 0 when off
        uint64_t rate_limited;   // limited_requests + limited_tokens answers
        uint64_t early_retries;  // requests that came before their 429's wait was over
    };
    // Writes up to cap rows into out: the keys most rate-limited first, then by early retries,
    // then by key_hash; returns how many. The overflow bucket is a row once a key has used it.
    // O(keys + keys x log cap), taking each key's lock in turn; for the admin endpoint, not the
    // hot path. No allocation.
    size_t busiest(key_row* out, size_t cap, uint64_t now_ns) const noexcept;

    // Keys in the table now (tiers included, the overflow bucket not); at most max_keys.
    [[nodiscard]] size_t key_count() const noexcept { return count_.load(std::memory_order_acquire); }

private:
    // One key's state, guarded by lock (spinlock word, used through std::atomic_ref since the
    // memory comes zeroed from calloc). tat_*: the buckets' theoretical arrival times in ns x
    // the limit; 0 is a full bucket.
    struct alignas(64) record {
        uint32_t lock;
        uint8_t observe_pending;  // a limited_* answer was given; the next request observes its wait
        uint8_t follows;          // RATE_FOLLOW_* bits: the limits that are the global ones
        uint8_t unused[2];
        uint64_t key_hash;        // 0 until the inserting thread has written the record
        uint64_t rpm, tpm;
        unsigned __int128 tat_requests, tat_tokens;
        uint64_t told_at_ns, wait_until_ns;  // the last limited_* answer and the end of its wait
        uint64_t rate_limited, early_retries;
        uint64_t rpm_offs, tpm_offs;  // the global limits' times turned off when this followed them
    };
    // The open-addressed index (linear probing, size a power of two >= 2 x max_keys). hash 0:
    // empty; rec 0: being inserted, REC_OVERFLOW: the key is past capacity, else record rec-1.
    struct index_entry {
        uint64_t hash;
        uint32_t rec;
        uint32_t unused;
    };
    static constexpr uint32_t REC_OVERFLOW = UINT32_MAX;
    static_assert(sizeof(record) == 128 && sizeof(index_entry) == 16, "the memory per key the contract states");

    static void standing(rate_verdict& v, uint64_t rpm, uint64_t tpm, unsigned __int128 dreq,
                         unsigned __int128 dtok) noexcept;
    // Brings a record's followed limits up to the global ones (its lock held).
    void follow(record& r) const noexcept;
    [[nodiscard]] bool global_on() const noexcept { return global_on_.load(std::memory_order_relaxed); }
    // With insert, a new key gets limits and follows (a tier's at init, the global ones after).
    record* locate(uint64_t h, bool insert, rate_limits limits, uint8_t follows) noexcept;
    record* claim(index_entry& e, uint64_t h, rate_limits limits, uint8_t follows) noexcept;
    record* resolve(index_entry& e) noexcept;
    record* overflow() noexcept;
    void release() noexcept;

    void* mem_ = nullptr;  // the one calloc block holding index_ and records_
    index_entry* index_ = nullptr;
    record* records_ = nullptr;
    size_t mask_ = 0;      // index size - 1
    uint32_t max_keys_ = 0;
    bool tiers_on_ = false;  // a tier has a limit of its own (fixed at init)
    std::atomic<uint64_t> global_rpm_{0}, global_tpm_{0};
    std::atomic<uint64_t> rpm_offs_{0}, tpm_offs_{0};  // times each global limit was turned off
    std::atomic<bool> enabled_{false};
    std::atomic<bool> global_on_{false};
    alignas(64) std::atomic<uint32_t> count_{0};  // records handed out; never above max_keys_
    std::atomic<bool> overflow_used_{false};
    mutable record overflow_{};
};

// OpenAI's x-ratelimit-reset-* duration: ns rounded UP to whole milliseconds, then Go's
// time.Duration text: "0s"; below 1 s "59ms"; else "[Hh][Mm]S[.fff]s" with the fraction's
// trailing zeros trimmed and the minutes shown whenever the hours or minutes are non-zero
// ("1s", "8.64s", "1m30.5s", "6m0s", "1h0m0s"). Sets o.truncated when it does not fit.
void append_openai_duration(out_buf& o, uint64_t ns) noexcept;

// RFC 3339 UTC time, "2026-12-01T15:04:05Z" (20 bytes), for anthropic-ratelimit-*-reset.
// Times before year 0000 or after 9999 are clamped to 0000-01-01T00:00:00Z and
// 9999-12-31T23:59:59Z (RFC 3339 has four-digit years).
void append_rfc3339(out_buf& o, int64_t unix_seconds) noexcept;

// Startup only. Parses RATE_LIMIT_KEYS, "sk-gold:rpm=6000,tpm=2000000;sk-free:rpm=3": entries
// separated by ';' (empty entries skipped), each a key, ':' and comma-separated rpm=N / tpm=N
// (unsigned decimal, 0 = off for that key); whitespace around every part is ignored. A limit an
// entry leaves out is global's, marked in the tier's follows (it follows set_global). Replaces
// out's contents with one tier per entry (the keys hashed with rate_key_hash). On error returns false, out empty, and err naming the entry:
// RATE_LIMIT_KEYS: "sk-x:rpm=abc": rpm must be an unsigned integer
[[nodiscard]] bool parse_rate_limit_keys(std::string_view spec, rate_limits global, std::vector<rate_tier>& out,
                                         std::string& err);

}  // namespace lms
