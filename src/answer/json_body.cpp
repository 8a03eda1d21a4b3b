// json_body: through simdjson's error-code API only (no exceptions on the request path).
#include "answer/json_body.hpp"

#include <new>

#include <simdjson.h>

namespace lms {

static_assert(json_body_parser::PADDING == simdjson::SIMDJSON_PADDING);

json_body_parser::json_body_parser(size_t max_body_bytes) : parser_(std::make_unique<simdjson::dom::parser>()) {
    // Capacity for the largest allowed body, and the default depth: parsing then never grows.
    if (parser_->allocate(max_body_bytes < 64 ? 64 : max_body_bytes) != simdjson::SUCCESS) {
        throw std::bad_alloc();
    }
}

json_body_parser::~json_body_parser() = default;

bool json_body_parser::parse_object(const char* body, size_t len, simdjson::dom::object& out,
                                    body_error& err) noexcept {
    simdjson::dom::element doc;
    if (parser_->parse(body, len, false).get(doc) != simdjson::SUCCESS) {
        err = {"We could not parse the JSON body of your request: it is not valid JSON.", ""};
        return false;
    }
    if (doc.get(out) != simdjson::SUCCESS) {
        err = {"The request body must be a JSON object.", ""};
        return false;
    }
    return true;
}

}  // namespace lms
