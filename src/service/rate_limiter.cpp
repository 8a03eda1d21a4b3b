// rate_limiter: GCRA buckets per key in an insert-only open-addressed table.
//
//   bucket      one per limit; tat = theoretical arrival time, kept in ns x limit (128 bits)
//   unit cost   60 s / limit, i.e. exactly RATE_WINDOW_NS in the scaled time: never rounded
//   debt        max(tat, now) - now: how far the bucket is from full (0 = full)
//   fits k      debt + k x 60 s <= 60 s x limit        (scaled: both sides times the limit)
//   remaining   floor((60 s x limit - debt) / 60 s)    units still free, rounded down
//   reset       ceil(debt / limit) ns                  until full again
//   retry wait  ceil((debt + k x 60 s - 60 s x limit) / limit) ns: the first instant k fits
//
// Scaling by the limit keeps every quantity an integer, so a burst of exactly `limit` passes
// at one instant and the next unit exactly 60/limit s later (a unit cost rounded to ns would
// either let one extra through per window or refuse the last of the burst). Magnitudes: now
// (< 2^63 ns) x limit (< 2^64) < 2^127, k x 60 s < 2^100: no 128-bit sum overflows.
//
// The index never deletes, so an entry goes empty -> hash once, which is what makes a lookup
// safe without a lock and two inserts of one key meet at one entry: both probe the same
// sequence and the first entry that is either empty or the key is CASed by exactly one of
// them. The count of records is reserved only after the entry is won, so it counts distinct
// keys exactly; a key whose reservation fails is marked REC_OVERFLOW in its entry, so every
// thread sends it to the same (overflow) bucket.
#include "service/rate_limiter.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "engine/spin_lock.hpp"

namespace lms {

namespace {

using u128 = unsigned __int128;

constexpr u128 WINDOW = RATE_WINDOW_NS;

// The record's spinlock for one scope. Held for one admit's arithmetic (a few dozen ns).
template <class R>
class record_guard {
public:
    explicit record_guard(R& r) noexcept : lock_(r.lock) { spin_acquire(lock_); }
    ~record_guard() { spin_release(lock_); }
    record_guard(const record_guard&) = delete;
    record_guard& operator=(const record_guard&) = delete;

private:
    std::atomic_ref<uint32_t> lock_;
};

uint64_t saturate(u128 v) noexcept { return v > UINT64_MAX ? UINT64_MAX : uint64_t(v); }

u128 debt_of(u128 tat, uint64_t now_ns, uint64_t limit) noexcept {
    u128 now = u128(now_ns) * limit;
    return tat > now ? tat - now : 0;
}

bool fits(u128 debt, uint64_t k, uint64_t limit) noexcept { return debt + u128(k) * WINDOW <= WINDOW * limit; }

uint64_t remaining_of(u128 debt, uint64_t limit) noexcept {
    u128 cap = WINDOW * limit;
    // debt can exceed the capacity when another thread charged with a later now_ns
    return debt >= cap ? 0 : saturate((cap - debt) / WINDOW);
}

uint64_t ceil_ns(u128 scaled, uint64_t limit) noexcept { return saturate((scaled + (limit - 1)) / limit); }

uint64_t wait_of(u128 debt, uint64_t k, uint64_t limit) noexcept {
    u128 need = debt + u128(k) * WINDOW;
    u128 cap = WINDOW * limit;
    return need <= cap ? 0 : ceil_ns(need - cap, limit);
}

void append_u64(out_buf& o, uint64_t v) noexcept {
    char d[20];
    size_t n = sizeof d;
    do {
        d[--n] = char('0' + v % 10);
        v /= 10;
    } while (v != 0);
    o.append(std::string_view(d + n, sizeof d - n));
}

// Writes v as exactly `width` digits (v < 10^width).
void put_digits(char* p, uint64_t v, int width) noexcept {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = char('0' + v % 10);
        v /= 10;
    }
}

std::string_view trim(std::string_view s) noexcept {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

uint64_t rate_key_hash(std::string_view key) noexcept {
    // Eight bytes a step (a 51-byte sk-proj key: ~18 ns, FNV-1a byte by byte ~50 ns, same box):
    // each step is a bijection of h for a given word, the length seeds h so that keys differing
    // only in trailing NULs differ, and MurmurHash3's fmix64 spreads the result into the low
    // bits the index uses. Not keyed: keys made to collide on purpose would lengthen the probes
    // of their cluster (at most max_keys of them are ever kept); a mock server accepts that.
    auto step = [](uint64_t h, uint64_t w) {
        return std::rotl(h ^ (w * 0xbf58476d1ce4e5b9ull), 27) * 0x94d049bb133111ebull;
    };
    const char* p = key.data();
    size_t n = key.size();
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t(n) * 0xff51afd7ed558ccdull);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = step(h, w);
    }
    uint64_t tail = 0;
    if (n != 0) {  // an empty view's data() may be null
        std::memcpy(&tail, p, n);
    }
    h = step(h, tail);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h != 0 ? h : 1;  // 0 marks an empty index entry
}

rate_limiter::~rate_limiter() { release(); }

void rate_limiter::release() noexcept {
    std::free(mem_);
    mem_ = nullptr;
    index_ = nullptr;
    records_ = nullptr;
    mask_ = 0;
    max_keys_ = 0;
    tiers_on_ = false;
    global_rpm_.store(0, std::memory_order_relaxed);
    global_tpm_.store(0, std::memory_order_relaxed);
    rpm_offs_.store(0, std::memory_order_relaxed);
    tpm_offs_.store(0, std::memory_order_relaxed);
    enabled_.store(false, std::memory_order_relaxed);
    global_on_.store(false, std::memory_order_relaxed);
    count_.store(0, std::memory_order_relaxed);
    overflow_used_.store(false, std::memory_order_relaxed);
    overflow_ = record{};
}

bool rate_limiter::init(size_t max_keys, rate_limits global, const std::vector<rate_tier>& tiers, std::string& err) {
    release();
    if (max_keys < RATE_MIN_KEYS || max_keys > RATE_MAX_KEYS) {
        err = "rate limiter: max_keys must be " + std::to_string(RATE_MIN_KEYS) + " to " +
              std::to_string(RATE_MAX_KEYS) + ", not " + std::to_string(max_keys);
        return false;
    }
    if (tiers.size() > max_keys) {
        err = "rate limiter: " + std::to_string(tiers.size()) + " keys with their own limits do not fit in " +
              std::to_string(max_keys) + " keys";
        return false;
    }
    // At most half full, so a probe for a missing key ends after a couple of entries.
    size_t entries = std::bit_ceil(2 * max_keys);
    size_t bytes = entries * sizeof(index_entry) + max_keys * sizeof(record) + alignof(record);
    // calloc, not new[]: the zeroed pages come from mmap and stay untouched (no RSS) until a
    // key lands on them. Records and index entries are plain integers, valid when zero.
    mem_ = std::calloc(bytes, 1);
    if (mem_ == nullptr) {
        err = "rate limiter: cannot allocate " + std::to_string(bytes) + " bytes for " + std::to_string(max_keys) +
              " keys";
        return false;
    }
    uintptr_t base = (reinterpret_cast<uintptr_t>(mem_) + alignof(record) - 1) & ~uintptr_t(alignof(record) - 1);
    index_ = reinterpret_cast<index_entry*>(base);  // entries x 16 bytes: a multiple of 64
    records_ = reinterpret_cast<record*>(base + entries * sizeof(index_entry));
    mask_ = entries - 1;
    max_keys_ = uint32_t(max_keys);
    overflow_.rpm = global.rpm;
    overflow_.tpm = global.tpm;
    overflow_.follows = RATE_FOLLOW_RPM | RATE_FOLLOW_TPM;
    for (const rate_tier& t : tiers) {
        if (t.key_hash == 0 || locate(t.key_hash, false, {}, 0) != nullptr) {
            release();
            err = t.key_hash == 0 ? "rate limiter: a key hash of 0 (rate_key_hash never gives 0)"
                                  : "rate limiter: a key with its own limits is given twice";
            return false;
        }
        (void)locate(t.key_hash, true, t.limits, t.follows);  // fits: tiers.size() <= max_keys
        // A limit a tier takes from the global ones is on exactly when the global one is.
        tiers_on_ = tiers_on_ || (t.limits.rpm != 0 && (t.follows & RATE_FOLLOW_RPM) == 0) ||
                    (t.limits.tpm != 0 && (t.follows & RATE_FOLLOW_TPM) == 0);
    }
    (void)set_global(global);
    return true;
}

bool rate_limiter::set_global(rate_limits global) noexcept {
    if (mem_ == nullptr) {
        return false;
    }
    // A limit turned off counts first: a bucket that sees the count change starts full, even
    // if it was not used while the limit was off (and so never saw it at 0).
    if (global.rpm == 0 && global_rpm_.load(std::memory_order_relaxed) != 0) {
        rpm_offs_.fetch_add(1, std::memory_order_relaxed);
    }
    if (global.tpm == 0 && global_tpm_.load(std::memory_order_relaxed) != 0) {
        tpm_offs_.fetch_add(1, std::memory_order_relaxed);
    }
    global_rpm_.store(global.rpm, std::memory_order_relaxed);
    global_tpm_.store(global.tpm, std::memory_order_relaxed);
    const bool on = global.rpm != 0 || global.tpm != 0;
    global_on_.store(on, std::memory_order_relaxed);
    enabled_.store(on || tiers_on_, std::memory_order_relaxed);
    return true;
}

namespace {

// A bucket's theoretical arrival time scaled by limit `from`, rescaled to limit `to`: the same
// instant in ns (to the ns below), so the bucket keeps its distance from full as a share of the
// window. A limit turned on (from 0) starts full (0), as does one turned off.
u128 rescale(u128 tat, uint64_t from, uint64_t to) noexcept {
    if (from == 0 || to == 0) {
        return 0;
    }
    return tat / from * to;  // tat / from < 2^64 (an instant in ns): the product fits in 128 bits
}

}  // namespace

void rate_limiter::follow(record& r) const noexcept {
    if ((r.follows & RATE_FOLLOW_RPM) != 0) {
        const uint64_t l = global_rpm_.load(std::memory_order_relaxed);
        const uint64_t offs = rpm_offs_.load(std::memory_order_relaxed);
        if (offs != r.rpm_offs) {
            r.tat_requests = 0;  // off since it last looked: a limit turned on starts full
            r.rpm_offs = offs;
        } else if (l != r.rpm) {
            r.tat_requests = rescale(r.tat_requests, r.rpm, l);
        }
        r.rpm = l;
    }
    if ((r.follows & RATE_FOLLOW_TPM) != 0) {
        const uint64_t l = global_tpm_.load(std::memory_order_relaxed);
        const uint64_t offs = tpm_offs_.load(std::memory_order_relaxed);
        if (offs != r.tpm_offs) {
            r.tat_tokens = 0;
            r.tpm_offs = offs;
        } else if (l != r.tpm) {
            r.tat_tokens = rescale(r.tat_tokens, r.tpm, l);
        }
        r.tpm = l;
    }
}

rate_limiter::record* rate_limiter::overflow() noexcept {
    if (!overflow_used_.load(std::memory_order_relaxed)) {  // read first: no line ping-pong
        overflow_used_.store(true, std::memory_order_relaxed);
    }
    return &overflow_;
}

rate_limiter::record* rate_limiter::resolve(index_entry& e) noexcept {
    std::atomic_ref<uint32_t> rec(e.rec);
    uint32_t r;
    // 0: the inserting thread won the entry and is between its count reservation and the
    // publish below (two atomic operations and the record's four stores).
    while ((r = rec.load(std::memory_order_acquire)) == 0) {
        cpu_relax();
    }
    return r == REC_OVERFLOW ? overflow() : &records_[r - 1];
}

rate_limiter::record* rate_limiter::claim(index_entry& e, uint64_t h, rate_limits limits, uint8_t follows) noexcept {
    uint32_t n = count_.load(std::memory_order_relaxed);
    do {
        if (n >= max_keys_) {
            // Lost the race for the last record after winning the entry. Bounded: an entry is
            // won only after seeing count < max_keys, so this happens at most once per thread
            // racing at the moment the table fills.
            std::atomic_ref<uint32_t>(e.rec).store(REC_OVERFLOW, std::memory_order_release);
            return overflow();
        }
    } while (!count_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel, std::memory_order_relaxed));
    record& r = records_[n];
    {
        // busiest() may read records [0, count) at any time: it sees key_hash 0 until this is done.
        record_guard g(r);
        r.key_hash = h;
        r.rpm = limits.rpm;
        r.tpm = limits.tpm;
        r.follows = follows;
        r.rpm_offs = rpm_offs_.load(std::memory_order_relaxed);
        r.tpm_offs = tpm_offs_.load(std::memory_order_relaxed);
    }
    std::atomic_ref<uint32_t>(e.rec).store(n + 1, std::memory_order_release);
    return &r;
}

// The key's record; nullptr when it is not in the table and insert is false. With insert, a
// key that does not fit gets the overflow record.
rate_limiter::record* rate_limiter::locate(uint64_t h, bool insert, rate_limits limits, uint8_t follows) noexcept {
    size_t i = h & mask_;
    for (size_t probes = 0; probes <= mask_; ++probes, i = (i + 1) & mask_) {
        index_entry& e = index_[i];
        std::atomic_ref<uint64_t> slot(e.hash);
        uint64_t cur = slot.load(std::memory_order_acquire);
        if (cur == 0) {
            if (!insert) {
                return nullptr;
            }
            if (count_.load(std::memory_order_acquire) >= max_keys_) {
                // Full. This key may be going in at this very entry by a thread whose
                // reservation filled the table: that reservation (an acq_rel RMW, heading the
                // release sequence this load read from) came after its CAS on the entry, so
                // one more look sees it. A thread whose reservation fails marks the entry
                // REC_OVERFLOW, which agrees with the overflow answer here.
                cur = slot.load(std::memory_order_acquire);
                if (cur == 0) {
                    return overflow();
                }
            } else if (slot.compare_exchange_strong(cur, h, std::memory_order_acq_rel, std::memory_order_acquire)) {
                return claim(e, h, limits, follows);
            }
            // cur: the hash that got to this entry first
        }
        if (cur == h) {
            return resolve(e);
        }
    }
    // Never reached while entries >= 2 x max_keys (at most max_keys + racing threads are used).
    return insert ? overflow() : nullptr;
}

// The limits, remaining and resets of buckets with debts dreq and dtok (a limit 0 is off).
void rate_limiter::standing(rate_verdict& v, uint64_t rpm, uint64_t tpm, u128 dreq, u128 dtok) noexcept {
    if (rpm != 0) {
        v.limit_requests = rpm;
        v.remaining_requests = remaining_of(dreq, rpm);
        v.reset_requests_ns = ceil_ns(dreq, rpm);
    }
    if (tpm != 0) {
        v.limit_tokens = tpm;
        v.remaining_tokens = remaining_of(dtok, tpm);
        v.reset_tokens_ns = ceil_ns(dtok, tpm);
    }
}

rate_verdict rate_limiter::state(uint64_t key_hash, uint64_t now_ns) noexcept {
    rate_verdict v;
    if (!enabled()) {
        return v;
    }
    record* r = key_hash == 0 ? nullptr : locate(key_hash, false, {}, 0);
    if (r == nullptr) {
        if (!global_on()) {
            return v;  // not a tier and no global limit
        }
        r = &overflow_;  // past capacity (or key 0): the shared bucket
    }
    record_guard g(*r);
    follow(*r);
    const uint64_t rpm = r->rpm;
    const uint64_t tpm = r->tpm;
    standing(v, rpm, tpm, rpm != 0 ? debt_of(r->tat_requests, now_ns, rpm) : 0,
             tpm != 0 ? debt_of(r->tat_tokens, now_ns, tpm) : 0);
    return v;
}

rate_verdict rate_limiter::admit(uint64_t key_hash, uint64_t tokens, uint64_t now_ns) noexcept {
    rate_verdict v;
    v.requested_tokens = tokens;
    if (!enabled()) {
        return v;
    }
    const bool global_limits = global_on();
    record* r = key_hash == 0 ? (global_limits ? overflow() : nullptr)
                              : locate(key_hash, global_limits, global(), RATE_FOLLOW_RPM | RATE_FOLLOW_TPM);
    if (r == nullptr) {
        return v;  // not a tier and no global limit: nothing to keep
    }
    record_guard g(*r);
    follow(*r);
    const uint64_t rpm = r->rpm;
    const uint64_t tpm = r->tpm;
    if (rpm == 0 && tpm == 0) {
        return v;  // a tier exempt from both
    }

    // Retry obedience, against the last limited_* answer, whatever this request's outcome.
    if (now_ns < r->wait_until_ns) {
        v.early_retry = true;
        ++r->early_retries;
    }
    if (r->observe_pending != 0) {
        r->observe_pending = 0;
        v.wait_observed = true;
        uint64_t told = r->wait_until_ns - r->told_at_ns;  // > 0: a limited answer waits >= 1 ns
        uint64_t waited = now_ns > r->told_at_ns ? now_ns - r->told_at_ns : 0;
        v.wait_ratio = told != 0 ? double(waited) / double(told) : 1.0;
    }

    u128 dreq = rpm != 0 ? debt_of(r->tat_requests, now_ns, rpm) : 0;
    u128 dtok = tpm != 0 ? debt_of(r->tat_tokens, now_ns, tpm) : 0;
    if (tpm != 0 && tokens > tpm) {
        v.outcome = rate_outcome::too_large;  // first: no wait would make it pass
    } else if (rpm != 0 && !fits(dreq, 1, rpm)) {
        v.outcome = rate_outcome::limited_requests;
        // The same request must also find its tokens when it comes back.
        v.retry_after_ns = std::max(wait_of(dreq, 1, rpm), tpm != 0 ? wait_of(dtok, tokens, tpm) : 0);
    } else if (tpm != 0 && !fits(dtok, tokens, tpm)) {
        v.outcome = rate_outcome::limited_tokens;
        // The request bucket only fills further meanwhile: the tokens' wait is the whole wait.
        v.retry_after_ns = wait_of(dtok, tokens, tpm);
    } else {
        if (rpm != 0) {
            dreq += WINDOW;
            r->tat_requests = u128(now_ns) * rpm + dreq;
        }
        if (tpm != 0) {
            dtok += u128(tokens) * WINDOW;
            r->tat_tokens = u128(now_ns) * tpm + dtok;
        }
    }
    standing(v, rpm, tpm, dreq, dtok);
    if (v.outcome == rate_outcome::limited_requests || v.outcome == rate_outcome::limited_tokens) {
        ++r->rate_limited;
        r->told_at_ns = now_ns;
        r->wait_until_ns = now_ns + std::min(v.retry_after_ns, UINT64_MAX - now_ns);
        r->observe_pending = 1;
    }
    return v;
}

size_t rate_limiter::busiest(key_row* out, size_t cap, uint64_t now_ns) const noexcept {
    if (cap == 0 || out == nullptr) {
        return 0;
    }
    // better(a, b): a ranks above b. As the heap's "less", it keeps the worst kept row on top.
    auto better = [](const key_row& a, const key_row& b) {
        if (a.rate_limited != b.rate_limited) {
            return a.rate_limited > b.rate_limited;
        }
        if (a.early_retries != b.early_retries) {
            return a.early_retries > b.early_retries;
        }
        return a.key_hash < b.key_hash;
    };
    auto snapshot = [this, now_ns](record& r) {
        follow(r);
        key_row row{r.key_hash, r.rpm, r.tpm, 0, 0, r.rate_limited, r.early_retries};
        if (r.rpm != 0) {
            row.remaining_requests = remaining_of(debt_of(r.tat_requests, now_ns, r.rpm), r.rpm);
        }
        if (r.tpm != 0) {
            row.remaining_tokens = remaining_of(debt_of(r.tat_tokens, now_ns, r.tpm), r.tpm);
        }
        return row;
    };
    size_t n = 0;
    auto offer = [&](const key_row& row) {
        if (n < cap) {
            out[n++] = row;
            std::push_heap(out, out + n, better);
        } else if (better(row, out[0])) {
            std::pop_heap(out, out + n, better);
            out[n - 1] = row;
            std::push_heap(out, out + n, better);
        }
    };
    const uint32_t count = count_.load(std::memory_order_acquire);
    for (uint32_t i = 0; i < count; ++i) {
        record& r = records_[i];
        key_row row;
        {
            record_guard g(r);
            if (r.key_hash == 0) {
                continue;  // reserved, not yet written by its inserting thread
            }
            row = snapshot(r);
        }
        offer(row);
    }
    if (overflow_used_.load(std::memory_order_relaxed)) {
        key_row row;
        {
            record_guard g(overflow_);
            row = snapshot(overflow_);
        }
        offer(row);
    }
    std::sort_heap(out, out + n, better);
    return n;
}

void append_openai_duration(out_buf& o, uint64_t ns) noexcept {
    uint64_t ms = ns / 1'000'000 + (ns % 1'000'000 != 0);  // up: a client that waits this long fits
    if (ms == 0) {
        o.append("0s");
        return;
    }
    if (ms < 1000) {
        append_u64(o, ms);
        o.append("ms");
        return;
    }
    uint64_t h = ms / 3'600'000;
    uint64_t m = ms / 60'000 % 60;
    uint64_t s = ms / 1000 % 60;
    uint64_t frac = ms % 1000;
    if (h != 0) {
        append_u64(o, h);
        o.append('h');
    }
    if (h != 0 || m != 0) {
        append_u64(o, m);
        o.append('m');
    }
    append_u64(o, s);
    if (frac != 0) {
        char d[4] = {'.'};
        put_digits(d + 1, frac, 3);
        size_t len = 4;
        while (d[len - 1] == '0') {
            --len;
        }
        o.append(std::string_view(d, len));
    }
    o.append('s');
}

void append_rfc3339(out_buf& o, int64_t unix_seconds) noexcept {
    constexpr int64_t FIRST = -62'167'219'200;  // 0000-01-01T00:00:00Z
    constexpr int64_t LAST = 253'402'300'799;   // 9999-12-31T23:59:59Z
    int64_t t = std::clamp(unix_seconds, FIRST, LAST);
    int64_t days = t / 86400;
    int64_t secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    // Howard Hinnant's civil_from_days: eras of 400 years (146097 days) starting 0000-03-01.
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    char d[20] = {0, 0, 0, 0, '-', 0, 0, '-', 0, 0, 'T', 0, 0, ':', 0, 0, ':', 0, 0, 'Z'};
    put_digits(d, uint64_t(year), 4);
    put_digits(d + 5, uint64_t(month), 2);
    put_digits(d + 8, uint64_t(day), 2);
    put_digits(d + 11, uint64_t(secs / 3600), 2);
    put_digits(d + 14, uint64_t(secs / 60 % 60), 2);
    put_digits(d + 17, uint64_t(secs % 60), 2);
    o.append(std::string_view(d, sizeof d));
}

bool parse_rate_limit_keys(std::string_view spec, rate_limits global, std::vector<rate_tier>& out,
                           std::string& err) {
    out.clear();
    std::string_view entry;
    auto fail = [&](std::string_view what) {
        out.clear();
        err = "RATE_LIMIT_KEYS: \"";
        err += entry;
        err += "\": ";
        err += what;
        return false;
    };
    for (size_t pos = 0;;) {
        size_t semi = std::min(spec.find(';', pos), spec.size());
        entry = trim(spec.substr(pos, semi - pos));
        if (!entry.empty()) {
            size_t colon = entry.find(':');
            if (colon == std::string_view::npos) {
                return fail("expected key:rpm=N,tpm=N");
            }
            std::string_view key = trim(entry.substr(0, colon));
            if (key.empty()) {
                return fail("the key is empty");
            }
            std::string_view list = entry.substr(colon + 1);
            if (trim(list).empty()) {
                return fail("no limits given (rpm=N, tpm=N)");
            }
            rate_limits lim = global;  // a limit left out is the global one
            bool seen_rpm = false;
            bool seen_tpm = false;
            for (size_t p = 0;;) {
                size_t comma = std::min(list.find(',', p), list.size());
                std::string_view part = trim(list.substr(p, comma - p));
                size_t eq = part.find('=');
                if (eq == std::string_view::npos) {
                    return fail("expected rpm=N or tpm=N, not \"" + std::string(part) + "\"");
                }
                std::string_view name = trim(part.substr(0, eq));
                std::string_view value = trim(part.substr(eq + 1));
                uint64_t* field;
                bool* seen;
                if (name == "rpm") {
                    field = &lim.rpm;
                    seen = &seen_rpm;
                } else if (name == "tpm") {
                    field = &lim.tpm;
                    seen = &seen_tpm;
                } else {
                    return fail("unknown limit \"" + std::string(name) + "\" (rpm, tpm)");
                }
                if (*seen) {
                    return fail(std::string(name) + " is given twice");
                }
                *seen = true;
                if (value.empty()) {
                    return fail(std::string(name) + " must be an unsigned integer");
                }
                uint64_t n = 0;
                for (char c : value) {
                    if (c < '0' || c > '9') {
                        return fail(std::string(name) + " must be an unsigned integer");
                    }
                    uint64_t digit = uint64_t(c - '0');
                    if (n > (UINT64_MAX - digit) / 10) {
                        return fail(std::string(name) + " must be at most 18446744073709551615");
                    }
                    n = n * 10 + digit;
                }
                *field = n;
                if (comma == list.size()) {
                    break;
                }
                p = comma + 1;
            }
            uint64_t h = rate_key_hash(key);
            for (const rate_tier& t : out) {
                if (t.key_hash == h) {
                    return fail("key \"" + std::string(key) + "\" is given twice");
                }
            }
            const uint8_t follows = uint8_t((seen_rpm ? 0 : RATE_FOLLOW_RPM) | (seen_tpm ? 0 : RATE_FOLLOW_TPM));
            out.push_back({h, lim, follows});
        }
        if (semi == spec.size()) {
            break;
        }
        pos = semi + 1;
    }
    return true;
}

}  // namespace lms
