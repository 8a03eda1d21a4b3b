#include "answer/schema_literal.hpp"

#include "answer/schema_json.hpp"

namespace lms::schema_detail {

void write_string(out_buf& o, string_view s) noexcept {
    static constexpr char HEX[] = "0123456789abcdef";
    if (s.size() + 2 <= o.cap - o.len) {  // it fits: copy while looking for what needs escaping
        char* d = o.p + o.len + 1;
        size_t i = 0;
        for (; i < s.size(); i++) {
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (c < 0x20 || c == '"' || c == '\\') { break; }
            d[i] = char(c);
        }
        if (i == s.size()) {  // nothing to escape (the bytes past o.len are o's to overwrite otherwise)
            d[-1] = '"', d[i] = '"';
            o.len += s.size() + 2;
            return;
        }
    }
    o.append('"');
    size_t from = 0;
    for (size_t i = 0; i < s.size(); i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') { continue; }
        o.append(s.substr(from, i - from));
        from = i + 1;
        if (c == '"' || c == '\\') {
            o.append('\\');
            o.append(char(c));
        } else if (c == '\n') {
            o.append("\\n");
        } else {
            o.append("\\u00");
            o.append(HEX[c >> 4]);
            o.append(HEX[c & 15]);
        }
    }
    o.append(s.substr(from));
    o.append('"');
}
void write_double(out_buf& o, double d) noexcept { o.format("{}", d); }  // shortest round-trip

// Recursion: one level per level of e, bounded by SCHEMA_MAX_DEPTH (check_schema refuses deeper).
bool write_element(out_buf& o, element e, int depth) noexcept {
    if (depth > SCHEMA_MAX_DEPTH) { return false; }
    bool first = true;
    switch (e.type()) {
        case element_type::ARRAY: {
            array a = e.get_array().value_unsafe();  // named: a range-for over the result would dangle
            o.append('[');
            for (element x : a) {
                if (!first) { o.append(','); }
                first = false;
                if (!write_element(o, x, depth + 1)) { return false; }
            }
            o.append(']');
            return true;
        }
        case element_type::OBJECT: {
            object ob = e.get_object().value_unsafe();
            o.append('{');
            for (auto kv : ob) {
                if (!first) { o.append(','); }
                first = false;
                write_string(o, kv.key);
                o.append(':');
                if (!write_element(o, kv.value, depth + 1)) { return false; }
            }
            o.append('}');
            return true;
        }
        case element_type::STRING: write_string(o, e.get_string().value_unsafe()); return true;
        case element_type::INT64: o.append_decimal(e.get_int64().value_unsafe()); return true;
        case element_type::UINT64: o.format("{}", e.get_uint64().value_unsafe()); return true;
        case element_type::DOUBLE: write_double(o, e.get_double().value_unsafe()); return true;
        case element_type::BOOL: o.append(e.get_bool().value_unsafe() ? "true" : "false"); return true;
        default: o.append("null"); return true;
    }
}


}  // namespace lms::schema_detail
