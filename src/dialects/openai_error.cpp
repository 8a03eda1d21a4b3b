// openai_error: the types follow the OpenAI SDKs' status-to-class mapping (openai-node
// APIError.generate, openai-python _exceptions): 401 AuthenticationError, 403
// PermissionDeniedError, 404 NotFoundError, 409 ConflictError, 422 UnprocessableEntityError,
// 429 RateLimitError, >= 500 InternalServerError. The statuses this server sends of its own
// keep the types and codes they always had.
#include "dialects/openai_error.hpp"

#include "answer/json_text.hpp"

namespace lms {

void render_error_body(out_buf& o, std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code) noexcept {
    o.append(R"({"error":{"message":")");
    json_escape(o, message);
    o.append(R"(","type":")");
    o.append(type);
    o.append(R"(","param":)");
    json_nullable(o, param);
    o.append(R"(,"code":)");
    json_nullable(o, code);
    o.append("}}");
}

error_kind error_kind_for(int status) noexcept {
    switch (status) {
    case 400: return {"invalid_request_error", "invalid_request"};
    case 401: return {"authentication_error", "invalid_api_key"};
    case 403: return {"permission_denied_error", "permission_denied"};
    case 404: return {"invalid_request_error", "not_found"};
    case 405: return {"invalid_request_error", "method_not_allowed"};
    case 408: return {"invalid_request_error", "request_timeout"};
    case 409: return {"conflict_error", "conflict"};
    case 413: return {"invalid_request_error", "request_too_large"};
    case 414: return {"invalid_request_error", "uri_too_long"};
    case 422: return {"unprocessable_entity_error", "unprocessable_entity"};
    case 429: return {"rate_limit_error", "rate_limit_exceeded"};
    case 431: return {"invalid_request_error", "headers_too_large"};
    case 500: return {"server_error", "server_error"};
    case 501: return {"invalid_request_error", "not_implemented"};
    case 503: return {"service_unavailable_error", "server_is_overloaded"};
    case 505: return {"invalid_request_error", "http_version_not_supported"};
    default: break;
    }
    if (status >= 400 && status < 500) {
        return {"invalid_request_error", "invalid_request"};
    }
    return {"api_error", "server_error"};  // other 5xx: the SDKs' InternalServerError
}

void render_openai_error(out_buf& o, int status, std::string_view message, std::string_view param) noexcept {
    error_kind k = error_kind_for(status);
    render_error_body(o, message, k.type, param, k.code);
}

void render_openai_error_code(out_buf& o, int status, std::string_view message, std::string_view param,
                              std::string_view code) noexcept {
    error_kind k = error_kind_for(status);
    render_error_body(o, message, k.type, param, code.empty() ? k.code : code);
}

void render_openai_envelope(out_buf& o, int status, std::string_view message, std::string_view param,
                            std::string_view code, std::string_view type, std::string_view) noexcept {
    const error_kind k = error_kind_for(status);
    render_error_body(o, message, type.empty() ? k.type : type, param, code.empty() ? k.code : code);
}

void render_dashscope_error(out_buf& o, int status, std::string_view message, std::string_view param,
                            std::string_view code, std::string_view given_type, std::string_view request_id) noexcept {
    std::string_view type = "invalid_request_error";
    std::string_view dflt = "invalid_parameter_error";
    switch (status) {
    case 401: dflt = "invalid_api_key"; break;
    case 404: dflt = "model_not_found"; break;
    case 429: dflt = type = "limit_requests"; type = code.empty() ? type : code; break;
    default:
        if (status >= 500) {
            dflt = type = "internal_server_error";
        }
        break;
    }
    o.append(R"({"error":{"code":")");
    o.append(code.empty() ? dflt : code);
    o.append(R"(","param":)");
    json_nullable(o, param);
    o.append(R"(,"message":")");
    json_escape(o, message);
    o.append(R"(","type":")");
    o.append(given_type.empty() ? type : given_type);
    o.append(R"("},"request_id":")");
    o.append(request_id);
    o.append("\"}");
}

void render_error_event(out_buf& o, std::string_view message, std::string_view type, std::string_view code) noexcept {
    o.append("data: ");
    render_error_body(o, message, type, "", code);
    o.append("\n\n");
}

void render_openai_stream_error(out_buf& o, std::string_view message) noexcept {
    render_error_event(o, message, "server_error", "server_error");
}

}  // namespace lms
