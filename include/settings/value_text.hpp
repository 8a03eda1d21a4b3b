#pragma once
// value_text: the text forms of settings' values, read and written with no knowledge of the
// settings table (settings/config uses them; the admin API and the overrides too).
//
// Level 0. Pure functions of their arguments: no syscalls, no shared state, any thread. The
// readers never allocate; append_json_string appends to a caller's std::string (admin path).
#include <cstdint>
#include <string>
#include <string_view>

namespace lms {

// Parses a non-negative decimal number of seconds ("10", "0.25", "1e-3" is refused) into
// milliseconds, rounding to the nearest ms. False when the text is not such a number.
[[nodiscard]] bool parse_seconds_ms(std::string_view text, uint64_t& ms);

// Parses a whole decimal number (digits only, no sign, no spaces) that fits in 64 bits.
[[nodiscard]] bool parse_u64(std::string_view s, uint64_t& v);

// Parses a percentage above 0 and at most 100, decimals allowed ("90", "92.5").
[[nodiscard]] bool parse_percent(std::string_view s, double& v);

// Appends s to out as a JSON string, quotes included (control bytes as \u00XX, bytes that are not
// well-formed UTF-8 as U+FFFD, so the document always parses). Admin path: it may allocate.
void append_json_string(std::string& out, std::string_view s);

}  // namespace lms
