// alloc_check: counts every heap allocation of the process it is linked into, for the
// zero-allocation check (test/suite_tsan.sh links it into build/llm-mock-server-alloc; the
// server's sources are unchanged).
//
// Test code, not part of the shipped server or of the Catch2 unit tests (its name does not
// match test/*_test.cpp). It replaces glibc's malloc family with counting wrappers over
// __libc_malloc & co. (glibc supports replacing malloc this way; libstdc++'s operator new and
// every library call that allocates land here too), and installs a SIGUSR2 handler that writes
//   alloc_check: seq=S allocations=A frees=F bytes=B
// to stderr with write(2) (async-signal-safe; no allocation). A reader takes a dump, drives
// requests, takes another dump: the difference is what the request path allocated.
// With ALLOC_CHECK_BACKTRACE=1 in the environment, every allocation after the first dump also
// writes its backtrace to stderr, to find the allocating call.
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t size);
void __libc_free(void* p);
void* __libc_memalign(size_t alignment, size_t size);
void* __libc_valloc(size_t size);
void* __libc_pvalloc(size_t size);
}

namespace {

std::atomic<uint64_t> allocations{0};
std::atomic<uint64_t> frees{0};
std::atomic<uint64_t> bytes{0};
std::atomic<uint64_t> dumps{0};
bool trace = false;
thread_local bool in_trace = false;

void counted(size_t n) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    bytes.fetch_add(n, std::memory_order_relaxed);
    if (trace && !in_trace && dumps.load(std::memory_order_relaxed) > 0) {
        in_trace = true;  // backtrace() itself must not recurse into this
        void* frames[24];
        int n_frames = backtrace(frames, 24);
        static const char head[] = "alloc_check: allocation after the first dump:\n";
        [[maybe_unused]] ssize_t w = write(2, head, sizeof head - 1);
        backtrace_symbols_fd(frames, n_frames, 2);
        in_trace = false;
    }
}

// Appends "NAME=VALUE" to p; returns the new end.
char* put(char* p, const char* name, uint64_t v) noexcept {
    while (*name != '\0') {
        *p++ = *name++;
    }
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) {
        *p++ = digits[--n];
    }
    return p;
}

void dump(int) noexcept {
    const int saved = errno;
    char line[160];
    char* p = line;
    for (const char* s = "alloc_check:"; *s != '\0'; ++s) {
        *p++ = *s;
    }
    p = put(p, " seq=", dumps.fetch_add(1, std::memory_order_relaxed) + 1);
    p = put(p, " allocations=", allocations.load(std::memory_order_relaxed));
    p = put(p, " frees=", frees.load(std::memory_order_relaxed));
    p = put(p, " bytes=", bytes.load(std::memory_order_relaxed));
    *p++ = '\n';
    [[maybe_unused]] ssize_t w = write(2, line, size_t(p - line));
    errno = saved;
}

__attribute__((constructor)) void install() {
    const char* t = getenv("ALLOC_CHECK_BACKTRACE");
    trace = t != nullptr && t[0] == '1';
    if (trace) {
        void* f[2];
        backtrace(f, 2);  // loads libgcc's unwinder now, not inside a later allocation
    }
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = dump;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, nullptr);
}

}  // namespace

extern "C" {

void* malloc(size_t size) noexcept {
    counted(size);
    return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) noexcept {
    counted(n * size);
    return __libc_calloc(n, size);
}

void* realloc(void* p, size_t size) noexcept {
    counted(size);
    return __libc_realloc(p, size);
}

void free(void* p) noexcept {
    if (p != nullptr) {
        frees.fetch_add(1, std::memory_order_relaxed);
    }
    __libc_free(p);
}

void* memalign(size_t alignment, size_t size) noexcept {
    counted(size);
    return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) noexcept {
    counted(size);
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    counted(size);
    void* p = __libc_memalign(alignment, size);
    if (p == nullptr) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void* valloc(size_t size) noexcept {
    counted(size);
    return __libc_valloc(size);
}

void* pvalloc(size_t size) noexcept {
    counted(size);
    return __libc_pvalloc(size);
}

}  // extern "C"
