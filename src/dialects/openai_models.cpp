// openai_models: the list object of the OpenAI API reference (object "list", data of "model").
#include "dialects/openai_models.hpp"

#include "answer/json_text.hpp"

namespace lms {

void render_models(out_buf& o, std::string_view models_csv, int64_t created) noexcept {
    o.append(R"({"object":"list","data":[)");
    bool first = true;
    while (!models_csv.empty()) {
        size_t comma = models_csv.find(',');
        std::string_view name = models_csv.substr(0, comma);
        o.append(first ? "" : ",");
        first = false;
        o.append(R"({"id":")");
        json_escape(o, name);
        o.format(R"(","object":"model","created":{},"owned_by":"llm-mock-server"}})", created);
        models_csv = comma == std::string_view::npos ? std::string_view() : models_csv.substr(comma + 1);
    }
    o.append("]}");
}

}  // namespace lms
