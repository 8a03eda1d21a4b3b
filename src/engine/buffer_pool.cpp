// buffer_pool: one contiguous allocation, carved into buffers: those never lent are handed out
// in address order from a bump index, those given back are reused LIFO from a free list. Pages
// are touched only when a buffer is first lent, so an oversized pool costs address space, not
// resident memory (the constructor writes nothing into the buffers).
#include "engine/buffer_pool.hpp"


namespace lms {

buffer_pool::buffer_pool(size_t count, size_t capacity, size_t padding)
    : capacity_(capacity), count_(count) {
    stride_ = (sizeof(pool_buffer) + capacity + padding + 63) & ~size_t(63);
    memory_.reset(new char[stride_ * count + 64]);
    base_ = memory_.get() + (64 - reinterpret_cast<uintptr_t>(memory_.get()) % 64) % 64;
}

pool_buffer* buffer_pool::acquire() noexcept {
    pool_buffer* b = free_;
    if (b != nullptr) {
        free_ = b->next_free;
    } else if (fresh_ < count_) {
        b = reinterpret_cast<pool_buffer*>(base_ + fresh_++ * stride_);  // first lent: its pages come in now
    } else {
        return nullptr;
    }
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
