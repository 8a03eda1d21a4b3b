// fuzz_http_parser: libFuzzer target for lms::http_parser. The input is the raw byte stream
// of one connection (one or more pipelined requests). It is fed in 1 to 8 pieces at cut points
// drawn from a hash of the input (so a replay repeats them), once under the default limits and
// once under tight ones (120-byte header section, 4 fields, 40-byte body), with every result
// checked against the parser's contract (fuzz/http_driver.hpp): offsets inside the buffer,
// tokens and values well-formed, Content-Length bodies equal to the bytes received, chunked
// bodies equal to an independent decoding, errors sticky with a known status. ASan reports
// any read past the bytes handed over. A broken invariant aborts with the input described.
#include <cstdio>
#include <cstdlib>

#include "http_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace lms_fuzz;
    const uint64_t seed = fnv1a(data, size);
    const http_limits limits[2] = {http_limits{}, tight_limits()};
    for (int i = 0; i < 2; ++i) {
        const std::vector<outcome> out = feed(data, size, random_cuts(size, seed + i), limits[i]);
        for (const outcome& o : out) {
            if (!o.broken.empty()) {
                std::fprintf(stderr, "fuzz_http_parser: invariant broken (%s limits): %s\n",
                             i == 0 ? "default" : "tight", describe(out).c_str());
                std::abort();
            }
        }
    }
    return 0;
}
