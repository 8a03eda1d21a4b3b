// openai_embeddings: the vectors are a splitmix64 sequence seeded by the input's hash, scaled
// to unit length (two passes over the same sequence: the norm, then the values).
#include "dialects/openai_embeddings.hpp"

#include "answer/latency_model.hpp"

#include <cmath>
#include <cstring>

#include "answer/json_text.hpp"

namespace lms {

namespace {


}  // namespace

void render_embeddings(out_buf& o, const embedding_request& r, uint32_t dimensions, std::string_view model,
                       uint32_t prompt_tokens) noexcept {
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    o.append(R"({"object":"list","data":[)");
    for (uint32_t i = 0; i < r.count && !o.truncated; ++i) {
        // Two passes over the same pseudo-random sequence: the norm, then the values.
        uint64_t seed = splitmix64(r.input_hash[i]);
        double norm = 0;
        for (uint32_t d = 0; d < dimensions; ++d) {
            double v = double(splitmix64(seed + d) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
            norm += v * v;
        }
        norm = norm > 0 ? 1.0 / std::sqrt(norm) : 0;
        o.format(R"({}{{"object":"embedding","index":{},"embedding":)", i ? "," : "", i);
        if (r.base64) {
            o.append('"');
            unsigned char chunk[3];
            unsigned have = 0;
            auto flush3 = [&](unsigned n) {
                char q[4] = {B64[chunk[0] >> 2], B64[((chunk[0] & 3) << 4) | (n > 1 ? chunk[1] >> 4 : 0)],
                             n > 1 ? B64[((chunk[1] & 15) << 2) | (n > 2 ? chunk[2] >> 6 : 0)] : '=',
                             n > 2 ? B64[chunk[2] & 63] : '='};
                o.append(std::string_view(q, 4));
            };
            for (uint32_t d = 0; d < dimensions; ++d) {
                float f = float((double(splitmix64(seed + d) >> 11) * (2.0 / 9007199254740992.0) - 1.0) * norm);
                unsigned char b[4];
                std::memcpy(b, &f, 4);  // little-endian float32, as numpy.frombuffer reads it
                for (unsigned char byte : b) {
                    chunk[have++] = byte;
                    if (have == 3) {
                        flush3(3);
                        have = 0;
                    }
                }
            }
            if (have != 0) {
                for (unsigned k = have; k < 3; ++k) {
                    chunk[k] = 0;
                }
                flush3(have);
            }
            o.append('"');
        } else {
            o.append('[');
            for (uint32_t d = 0; d < dimensions; ++d) {
                double v = (double(splitmix64(seed + d) >> 11) * (2.0 / 9007199254740992.0) - 1.0) * norm;
                if (d != 0) {
                    o.append(',');
                }
                o.format("{:.6f}", v);
            }
            o.append(']');
        }
        o.append('}');
    }
    o.append(R"(],"model":")");
    json_escape(o, model);
    o.format(R"(","usage":{{"prompt_tokens":{},"total_tokens":{}}}}})", prompt_tokens, prompt_tokens);
}

}  // namespace lms
