// chat_body: simdjson's DOM parser validates the whole document (the on-demand API would
// not, and "not JSON" must be a 400), through its error-code API only.
#include "chat_body.hpp"

#include <simdjson.h>

namespace lms {

static_assert(chat_body_reader::PADDING == simdjson::SIMDJSON_PADDING);

chat_body_reader::chat_body_reader(size_t max_body_bytes) : parser_(std::make_unique<simdjson::dom::parser>()) {
    // Capacity for the largest allowed body, and the default depth: read() then never grows.
    if (parser_->allocate(max_body_bytes < 64 ? 64 : max_body_bytes) != simdjson::SUCCESS) {
        throw std::bad_alloc();
    }
}

chat_body_reader::~chat_body_reader() = default;

bool chat_body_reader::read(const char* body, size_t len, chat_request& out, body_error& err) noexcept {
    out = chat_request{};
    simdjson::dom::element doc;
    if (parser_->parse(body, len, false).get(doc) != simdjson::SUCCESS) {
        err = {"We could not parse the JSON body of your request: it is not valid JSON.", ""};
        return false;
    }
    simdjson::dom::object obj;
    if (doc.get(obj) != simdjson::SUCCESS) {
        err = {"The request body must be a JSON object.", ""};
        return false;
    }
    simdjson::dom::element v;
    simdjson::dom::array messages;
    if (obj["messages"].get(v) != simdjson::SUCCESS) {
        err = {"Missing required parameter: 'messages'.", "messages"};
        return false;
    }
    if (v.get(messages) != simdjson::SUCCESS) {
        err = {"Invalid type for 'messages': expected an array of message objects.", "messages"};
        return false;
    }
    out.message_count = uint32_t(messages.size());
    if (out.message_count == 0) {
        err = {"Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages"};
        return false;
    }
    if (obj["model"].get(v) == simdjson::SUCCESS && !v.is_null()) {
        if (v.get(out.model) != simdjson::SUCCESS) {
            err = {"Invalid type for 'model': expected a string.", "model"};
            return false;
        }
    }
    if (obj["stream"].get(v) == simdjson::SUCCESS && !v.is_null()) {
        if (v.get(out.stream) != simdjson::SUCCESS) {
            err = {"Invalid type for 'stream': expected a boolean.", "stream"};
            return false;
        }
    }
    if (obj["stream_options"].get(v) == simdjson::SUCCESS && !v.is_null()) {
        simdjson::dom::element iu;
        if (v["include_usage"].get(iu) == simdjson::SUCCESS && iu.get(out.include_usage) != simdjson::SUCCESS) {
            err = {"Invalid type for 'stream_options.include_usage': expected a boolean.",
                   "stream_options.include_usage"};
            return false;
        }
    }
    for (const char* name : {"max_completion_tokens", "max_tokens"}) {
        if (obj[name].get(v) == simdjson::SUCCESS && !v.is_null()) {
            uint64_t n;
            if (v.get(n) != simdjson::SUCCESS || n == 0) {
                err = {name[4] == 'c' ? "Invalid 'max_completion_tokens': expected a positive integer."
                                      : "Invalid 'max_tokens': expected a positive integer.",
                       name};
                return false;
            }
            out.has_max_tokens = true;
            out.max_tokens = n;
            break;
        }
    }
    return true;
}

}  // namespace lms
