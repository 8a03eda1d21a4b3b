#pragma once
// json_position: where in a JSON text an error is, for messages that name a line. simdjson's
// DOM keeps no source positions, so the line of a field is found afterwards in the raw text by
// walking it along the field's path (phases, [i], duration, ...), and the first syntax error by
// a small RFC 8259 scanner that stops at the first offending byte (scenario files and bodies).
//
// Level 0. Pure: reads the caller's text, allocates only path_text's string; any thread. Runs
// only when there is an error to report, never on the request path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lms::json_position {

// A place in the document as steps from the root: an object's key (its nth occurrence, for
// duplicates) or an array's element. The deepest a scenario needs is phases[i].ramp.NAME[j].
struct step {
    std::string_view key;
    size_t index = SIZE_MAX;  // SIZE_MAX: a key step
    unsigned nth = 0;
};

// The steps, appended with then() (a key) and at() (an element).
struct where {
    step steps[6];
    size_t n = 0;

    [[nodiscard]] where then(std::string_view key, unsigned nth = 0) const {
        where w = *this;
        w.steps[w.n++] = step{key, SIZE_MAX, nth};
        return w;
    }
    [[nodiscard]] where at(size_t index) const {
        where w = *this;
        w.steps[w.n++] = step{{}, index, 0};
        return w;
    }
};

// The path as text: "phases[1].duration".
[[nodiscard]] std::string path_text(const where& w);

// The offset in t (a text simdjson accepted) of the value at w, or of the deepest step found
// (the object that lacks a key).
[[nodiscard]] size_t locate(std::string_view t, const where& w);

// The 1-based line of offset pos in t.
[[nodiscard]] size_t line_of(std::string_view t, size_t pos);

// The first syntax error of t: its offset and what was expected there.
struct syntax_error {
    size_t pos = 0;
    const char* what = "";
};


// True and e filled when this scanner sees a syntax error in t (it does not check what
// simdjson alone refuses, such as nesting deeper than its limit or lone surrogates in \u
// escapes).
[[nodiscard]] bool find_syntax_error(std::string_view t, syntax_error& e);

}  // namespace lms::json_position
