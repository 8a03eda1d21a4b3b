// schema_json_cli: drives generate_json for the schema-json suite (a test tool: it may allocate).
// usage: schema-json-cli SCHEMAS.json SEEDS [BUFFER_BYTES]
// SCHEMAS.json holds an array of schemas; for each schema i and each seed 1..SEEDS it prints
// "i<TAB>JSON", or "i<TAB>!too_large" / "i<TAB>!bad_schema" (then, for bad_schema, check_schema's
// message and path after another TAB). The buffer is BUFFER_BYTES (default 65536) per value.
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "answer/schema_json.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s SCHEMAS.json SEEDS [BUFFER_BYTES]\n", argv[0]);
        return 2;
    }
    long seeds = std::atol(argv[2]);
    size_t cap = argc > 3 ? size_t(std::atol(argv[3])) : 65536;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto err = parser.load(argv[1]).get(doc)) {
        std::fprintf(stderr, "%s: %s\n", argv[1], simdjson::error_message(err));
        return 2;
    }
    simdjson::dom::array schemas;
    if (doc.get_array().get(schemas)) {
        std::fprintf(stderr, "%s: not an array\n", argv[1]);
        return 2;
    }
    std::vector<char> mem(cap), path(256);
    size_t index = 0;
    for (simdjson::dom::element schema : schemas) {
        for (long seed = 1; seed <= seeds; seed++) {
            lms::rng r{uint64_t(seed)};
            lms::out_buf o(mem.data(), mem.size());
            lms::schema_status st = lms::generate_json(schema, o, r);
            if (st == lms::schema_status::ok) {
                std::printf("%zu\t%.*s\n", index, int(o.len), o.p);
            } else if (st == lms::schema_status::too_large) {
                std::printf("%zu\t!too_large\n", index);
            } else {
                lms::out_buf where(path.data(), path.size());
                const char* why = lms::check_schema(schema, &where);
                std::printf("%zu\t!bad_schema\t%s\t%.*s\n", index, why ? why : "(found while generating)",
                            int(where.len), where.p);
            }
        }
        index++;
    }
    return 0;
}
