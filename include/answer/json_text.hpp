#pragma once
// json_text: the JSON string pieces every renderer writes.
//
// Level 0. No allocation; appends into a caller's out_buf (truncation reported there).
#include <cstdint>
#include <string_view>

#include "engine/http_response.hpp"

namespace lms {

// Appends s as the inside of a JSON string (quotes not included): escapes ", \ and control
// bytes; passes UTF-8 through.
void json_escape(out_buf& o, std::string_view s) noexcept;

// A JSON string of s, or null when s is empty.
void json_nullable(out_buf& o, std::string_view s) noexcept;

// Appends bytes that need not be well-formed UTF-8 as the inside of a JSON string, fed in any
// number of pieces (a character may be cut between two): escaped as json_escape does, and
// each maximal ill-formed subpart (Unicode 15 section 3.9, the way Python's
// decode(errors="replace") reads bytes) replaced by U+FFFD, so the string always parses. Ill-formed:
// a byte that cannot start a character, an overlong form, a surrogate, past U+10FFFF, a
// character cut short by the next byte or by finish().
class json_utf8_writer {
public:
    explicit json_utf8_writer(out_buf& o) noexcept : o_(o) {}
    void feed(std::string_view bytes) noexcept;
    // The end of the text: a character still incomplete becomes one U+FFFD.
    void finish() noexcept;

private:
    out_buf& o_;
    char held_[4] = {};
    uint8_t have_ = 0;   // bytes of an incomplete character held
    uint8_t need_ = 0;   // its length
    uint8_t lo_ = 0x80;  // the range of its second byte (table 3-7)
    uint8_t hi_ = 0xbf;
};

}  // namespace lms
