// fuzz_http_differential: libFuzzer target asserting that the incremental parser's verdict does
// not depend on how the bytes arrive. The input (a connection's byte stream) is parsed one-shot,
// byte by byte, and cut at hash-drawn points; all three runs must give identical outcomes for
// every pipelined request (method, target, version, flags, every header, decoded body, bytes
// consumed, error status and message), under the default and under tight limits. This is
// http-parser's test_scan / llhttp's chunk-size replay turned into a fuzz oracle.
#include <cstdio>
#include <cstdlib>

#include "http_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace lms_fuzz;
    const uint64_t seed = fnv1a(data, size);
    std::vector<size_t> every;
    every.reserve(size);
    for (size_t k = 1; k < size; ++k) {
        every.push_back(k);
    }
    const http_limits limits[2] = {http_limits{}, tight_limits()};
    for (int i = 0; i < 2; ++i) {
        const std::vector<outcome> whole = feed(data, size, {}, limits[i]);
        const std::vector<outcome> bytes = feed(data, size, every, limits[i]);
        const std::vector<outcome> split = feed(data, size, random_cuts(size, seed ^ 0x5bd1e995u), limits[i]);
        for (const outcome& o : whole) {
            if (!o.broken.empty()) {
                std::fprintf(stderr, "fuzz_http_differential: invariant broken: %s\n", describe(whole).c_str());
                std::abort();
            }
        }
        if (bytes != whole || split != whole) {
            std::fprintf(stderr,
                         "fuzz_http_differential: runs disagree (%s limits)\n  one-shot:     %s\n"
                         "  byte by byte: %s\n  random cuts:  %s\n",
                         i == 0 ? "default" : "tight", describe(whole).c_str(), describe(bytes).c_str(),
                         describe(split).c_str());
            std::abort();
        }
    }
    return 0;
}
