// buffer_pool: one contiguous allocation, carved into buffers and threaded on a free list.
// Pages are touched only when a buffer is first lent, so an oversized pool costs address
// space, not resident memory.
#include "engine/buffer_pool.hpp"


namespace lms {

buffer_pool::buffer_pool(size_t count, size_t capacity, size_t padding)
    : capacity_(capacity), count_(count) {
    stride_ = (sizeof(pool_buffer) + capacity + padding + 63) & ~size_t(63);
    memory_.reset(new char[stride_ * count + 64]);
    char* base = memory_.get() + (64 - reinterpret_cast<uintptr_t>(memory_.get()) % 64) % 64;
    // Thread in reverse so that the first buffers lent are the lowest addresses, reused LIFO
    // (warm in cache, and untouched pages stay untouched).
    for (size_t i = count; i-- > 0;) {
        auto* b = reinterpret_cast<pool_buffer*>(base + i * stride_);
        b->next_free = free_;
        free_ = b;
    }
}

pool_buffer* buffer_pool::acquire() noexcept {
    pool_buffer* b = free_;
    if (b == nullptr) {
        return nullptr;
    }
    free_ = b->next_free;
    b->next_free = nullptr;
    b->len = 0;
    b->off = 0;
    ++in_use_;
    return b;
}

void buffer_pool::release(pool_buffer* b) noexcept {
    b->next_free = free_;
    free_ = b;
    --in_use_;
}

}  // namespace lms
