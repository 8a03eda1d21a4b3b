// fuzz_chat_body: libFuzzer target for lms::chat_body_reader (simdjson DOM, error-code API).
// The input is a request body. It is copied into a buffer with exactly PADDING (64) readable
// bytes after it, as a pool buffer provides (filled with 0xff, not zeros, so nothing may rely
// on the padding's content); ASan reports a read beyond. Checked: the verdict is deterministic
// (a second read of the same bytes by the same reader gives the same answer: no state leaks
// between requests), an accepted body has at least one message and a model that is safe to
// copy, a refused one names its problem. Bodies over the reader's capacity never reach it (the
// HTTP parser refuses them with 413), so they are skipped here.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "answer/chat_body.hpp"

namespace {

constexpr size_t MAX_BODY = 16384;  // the server's default MAX_BODY_BYTES

struct result {
    bool ok;
    lms::generation_request req;
    std::string model;
    std::string message;
    std::string param;
};

result read_once(lms::chat_body_reader& reader, const char* body, size_t len) {
    result r{};
    lms::body_error err;
    r.ok = reader.read(body, len, r.req, err);
    r.model.assign(r.req.model.data(), r.req.model.size());  // ASan checks the view is live
    r.message = err.message != nullptr ? err.message : "<null>";
    r.param = err.param != nullptr ? err.param : "<null>";
    return r;
}

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "fuzz_chat_body: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static lms::chat_body_reader reader(MAX_BODY);
    if (size > MAX_BODY) {
        return 0;
    }
    std::unique_ptr<char[]> buf(new char[size + lms::chat_body_reader::PADDING]);
    std::memcpy(buf.get(), data, size);
    std::memset(buf.get() + size, 0xff, lms::chat_body_reader::PADDING);

    const result a = read_once(reader, buf.get(), size);
    const result b = read_once(reader, buf.get(), size);
    if (a.ok != b.ok || a.model != b.model || a.req.stream != b.req.stream ||
        a.req.include_usage != b.req.include_usage || a.req.has_max_tokens != b.req.has_max_tokens ||
        a.req.max_tokens != b.req.max_tokens || a.req.message_count != b.req.message_count ||
        (!a.ok && (a.message != b.message || a.param != b.param))) {
        broken("two reads of the same body disagree");
    }
    if (std::memcmp(buf.get(), data, size) != 0) {
        broken("the body was modified");
    }
    if (a.ok) {
        if (a.req.message_count == 0) {
            broken("accepted with no messages");
        }
        if (a.req.has_max_tokens && a.req.max_tokens == 0) {
            broken("accepted max_tokens 0");
        }
        if (!a.req.has_max_tokens && a.req.max_tokens != 0) {
            broken("max_tokens set without has_max_tokens");
        }
    } else if (a.message.empty() || a.message == "<null>" || a.param == "<null>") {
        broken("refused without naming the problem");
    }
    return 0;
}
