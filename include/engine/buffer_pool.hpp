#pragma once
// buffer_pool: a fixed set of equal-sized buffers, allocated once at startup and lent to
// connections while they have bytes to hold (a request being read, a response not yet fully
// written), then given back (Redis's reusable query buffer, memcached's rbuf).
//
// Level 0. One pool per worker; not thread-safe. No allocation after construction: when the
// pool is empty, acquire() returns nullptr and the caller refuses or waits, never grows.
// Every buffer has `padding` readable bytes past its capacity (simdjson reads up to
// SIMDJSON_PADDING past the end of its input).
#include <cstddef>
#include <cstdint>
#include <memory>

namespace lms {

struct pool_buffer {
    pool_buffer* next_free;  // free-list link while in the pool
    uint32_t len;            // bytes in use, kept by the borrower
    uint32_t off;            // borrower's cursor (e.g. bytes already written)
    char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
};

class buffer_pool {
public:
    // count buffers of capacity bytes each (+ padding). Throws std::bad_alloc at startup only.
    buffer_pool(size_t count, size_t capacity, size_t padding);
    buffer_pool(const buffer_pool&) = delete;
    buffer_pool& operator=(const buffer_pool&) = delete;

    // A buffer with len = off = 0, or nullptr when all are lent. O(1).
    [[nodiscard]] pool_buffer* acquire() noexcept;
    // Gives b back. O(1). b must come from this pool and not be used afterwards.
    void release(pool_buffer* b) noexcept;

    [[nodiscard]] size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] size_t count() const noexcept { return count_; }
    [[nodiscard]] size_t in_use() const noexcept { return in_use_; }

private:
    size_t capacity_;
    size_t stride_;
    size_t count_;
    size_t in_use_ = 0;
    size_t fresh_ = 0;              // buffers never lent start here (in stride units)
    char* base_ = nullptr;
    pool_buffer* free_ = nullptr;   // given back, reused first
    std::unique_ptr<char[]> memory_;
};

}  // namespace lms
