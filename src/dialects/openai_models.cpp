// openai_models: the list object of the OpenAI API reference (object "list", data of "model").
#include "dialects/openai_models.hpp"

#include "answer/json_text.hpp"

namespace lms {

namespace {

// Calls f(name) for every name of the comma-separated list; stops when f returns false.
template <class F>
void each_model(std::string_view csv, F f) noexcept {
    while (!csv.empty()) {
        size_t comma = csv.find(',');
        if (!f(csv.substr(0, comma))) {
            return;
        }
        csv = comma == std::string_view::npos ? std::string_view() : csv.substr(comma + 1);
    }
}

}  // namespace

void render_model(out_buf& o, std::string_view name, int64_t created, uint64_t max_model_len) noexcept {
    o.append(R"({"id":")");
    json_escape(o, name);
    o.format(R"(","object":"model","created":{},"owned_by":"llm-mock-server","max_model_len":{}}})", created,
             max_model_len);
}

void render_models(out_buf& o, std::string_view models_csv, int64_t created, uint64_t max_model_len) noexcept {
    o.append(R"({"object":"list","data":[)");
    bool first = true;
    each_model(models_csv, [&](std::string_view name) {
        o.append(first ? "" : ",");
        first = false;
        render_model(o, name, created, max_model_len);
        return true;
    });
    o.append("]}");
}

bool model_listed(std::string_view models_csv, std::string_view name) noexcept {
    bool found = false;
    each_model(models_csv, [&](std::string_view m) {
        found = m == name;
        return !found;
    });
    return found;
}

}  // namespace lms
