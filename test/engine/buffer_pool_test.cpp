#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <set>

#include "engine/buffer_pool.hpp"

using namespace lms;

TEST_CASE("buffer pool: lends exactly count buffers, then refuses") {
    buffer_pool p(4, 1000, 64);
    std::set<pool_buffer*> got;
    for (int i = 0; i < 4; ++i) {
        pool_buffer* b = p.acquire();
        REQUIRE(b != nullptr);
        CHECK(b->len == 0);
        CHECK(reinterpret_cast<uintptr_t>(b->data()) % 16 == 0);
        std::memset(b->data(), 'x', 1000 + 64);  // capacity and padding are writable (ASan checks)
        got.insert(b);
    }
    CHECK(got.size() == 4);
    CHECK(p.in_use() == 4);
    CHECK(p.acquire() == nullptr);
    pool_buffer* one = *got.begin();
    p.release(one);
    CHECK(p.in_use() == 3);
    CHECK(p.acquire() == one);  // LIFO: the warm buffer comes back first
    CHECK(p.acquire() == nullptr);
}
