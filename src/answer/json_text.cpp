// json_text: escaping copies the unescaped runs in one append each (most text has none).
#include "answer/json_text.hpp"

namespace lms {

void json_escape(out_buf& o, std::string_view s) noexcept {
    static const char HEX[] = "0123456789abcdef";
    size_t run = 0;  // copy unescaped runs in one append
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        o.append(s.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"': o.append("\\\""); break;
        case '\\': o.append("\\\\"); break;
        case '\n': o.append("\\n"); break;
        case '\r': o.append("\\r"); break;
        case '\t': o.append("\\t"); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
            o.append(std::string_view(u, 6));
        }
        }
    }
    o.append(s.substr(run));
}

void json_nullable(out_buf& o, std::string_view s) noexcept {
    if (s.empty()) {
        o.append("null");
        return;
    }
    o.append('"');
    json_escape(o, s);
    o.append('"');
}

}  // namespace lms
