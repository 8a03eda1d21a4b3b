#pragma once
// golden_files: the dialect tests' golden sequences (test/dialects/golden/, read from the
// project root, where make test runs the unit tests) and the check that a renderer cut short
// by its buffer writes exactly the golden prefix that fits and says truncated.
//
// Test-only. LMS_WRITE_GOLDEN=1 rewrites the files a test compares with matches_golden (a wire
// change: review the diff and say so in the commit).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/http_response.hpp"

namespace lms::golden_files {

inline std::string golden(const char* name) {
    std::ifstream f(std::string("test/dialects/golden/") + name, std::ios::binary);
    REQUIRE(f.good());
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// got against golden file name; with LMS_WRITE_GOLDEN=1 the file is (re)written first.
inline bool matches_golden(const char* name, const std::string& got) {
    if (const char* w = std::getenv("LMS_WRITE_GOLDEN"); w != nullptr && std::string(w) == "1") {
        std::ofstream(std::string("test/dialects/golden/") + name, std::ios::binary) << got;
    }
    return got == golden(name);
}

// render (every event of an answer, into the buffer it is given) into a buffer of every size
// below whole's length: exactly the prefix that fits, and truncated. Each write boundary (an
// event, a field, a token) thus meets every cut.
template <class Render>
void check_cut_everywhere(const std::string& whole, Render render) {
    std::vector<char> mem(whole.size());
    for (size_t cap = 0; cap < whole.size(); ++cap) {
        out_buf o(mem.data(), cap);
        render(o);
        INFO("cap " << cap);
        REQUIRE(o.truncated);
        REQUIRE(o.len == cap);
        REQUIRE(std::string(o.view()) == whole.substr(0, cap));
    }
    out_buf o(mem.data(), whole.size());
    render(o);
    REQUIRE_FALSE(o.truncated);
    REQUIRE(std::string(o.view()) == whole);
}

}  // namespace lms::golden_files
