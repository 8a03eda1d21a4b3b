// admin_api: see the header. Locks: live_.lock() (the base and publishing) is taken first,
// mu_ (the scenario) inside it; tick() takes them in the same order.
#include "service/admin_api.hpp"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

#include <fmt/format.h>

#include "dialects/openai_error.hpp"
#include "engine/clock.hpp"
#include "engine/server.hpp"
#include "service/rate_limiter.hpp"

namespace lms {

namespace {

std::string error_json(int status, std::string_view message, std::string_view param = {}) {
    char buf[2048];
    out_buf o(buf, sizeof buf);
    render_openai_error(o, status, message, param);
    return std::string(o.view());
}

// s as a JSON string (quotes included).
std::string json_string(std::string_view s) {
    std::string o;
    append_json_string(o, s);
    return o;
}

// The scenario's values were checked against the live settings when it was loaded.
bool validate_setting(std::string_view name, std::string_view value, std::string& why) {
    config probe;
    return apply_one(probe, name, value, why);
}

void log_line(std::string_view line) {
    std::fprintf(stderr, "llm-mock-server: %.*s\n", int(line.size()), line.data());
}

}  // namespace

admin_api::admin_api(server& s, std::string token) : srv_(s), live_(*s.live), token_(std::move(token)) {}

bool admin_api::authorized(std::string_view authorization) const noexcept {
    std::string_view given = authorization;
    if (given.size() > 7 && (given.substr(0, 7) == "Bearer " || given.substr(0, 7) == "bearer ")) {
        given.remove_prefix(7);
    } else {
        given = {};
    }
    // Constant time in the token's length: every byte is compared whatever the first mismatch.
    unsigned diff = given.size() == token_.size() ? 0 : 1;
    for (size_t i = 0; i < token_.size(); ++i) {
        diff |= unsigned(static_cast<unsigned char>(token_[i]) ^
                         static_cast<unsigned char>(i < given.size() ? given[i] : 0));
    }
    return diff == 0;
}

uint64_t admin_api::changes() const noexcept {
    std::lock_guard<std::mutex> g(mu_);
    return changes_;
}

void admin_api::phase(int& index, std::string& name, uint64_t now_ns) const {
    std::lock_guard<std::mutex> g(mu_);
    index = -1;
    name.clear();
    if (scenario_ != nullptr) {
        const scenario_position p = position_at(*scenario_, now_ns - scenario_start_ns_);
        index = p.phase;
        if (p.phase >= 0) {
            name = scenario_->phases[size_t(p.phase)].name;
        }
    }
}

bool admin_api::publish_locked(const config& base, uint64_t now_ns, std::string& message) {
    config effective = base;
    {
        std::lock_guard<std::mutex> g(mu_);
        if (scenario_ != nullptr) {
            scenario_override o[MAX_SCENARIO_SETTINGS];
            const size_t n = overrides_at(*scenario_, now_ns - scenario_start_ns_, o, MAX_SCENARIO_SETTINGS);
            for (size_t i = 0; i < n; ++i) {
                if (!apply_one(effective, o[i].name, o[i].text(), message)) {
                    return false;
                }
            }
        }
    }
    if (!finish_config(effective, message)) {
        return false;
    }
    live_.publish(base, effective);
    // MAX_CONCURRENT: raising it frees slots at once; lowering it lets the held requests finish
    // and refuses new ones until usage is below.
    if (effective.max_concurrent != 0) {
        srv_.slots.set_limit(effective.max_concurrent);
        // Slots a raise frees go to the waiters first (their workers are woken).
        srv_.queue.pump(srv_.slots, [this](int w) { srv_.wake_worker(unsigned(w)); });
    }
    // The rate limits: each key's bucket takes the new global limits at its next use.
    if (srv_.rate != nullptr) {
        (void)srv_.rate->set_global({effective.rate_limit_rpm, effective.rate_limit_tpm});
    }
    return true;
}

bool admin_api::start_scenario(std::string_view json, uint64_t now_ns, std::string& message) {
    auto s = std::make_unique<scenario>();
    if (!parse_scenario(json, validate_setting, *s, message)) {
        return false;
    }
    auto l = live_.lock();
    {
        std::lock_guard<std::mutex> g(mu_);
        scenario_ = std::move(s);
        scenario_start_ns_ = now_ns;
    }
    const bool ok = publish_locked(live_.base(), now_ns, message);
    std::lock_guard<std::mutex> g(mu_);
    if (!ok) {
        scenario_.reset();
    }
    schedule_locked(now_ns);
    return ok;
}

int admin_api::handle(std::string_view path, http_method method, std::string_view authorization,
                      std::string_view body, std::string_view peer, uint64_t now_ns, std::string& out) {
    if (!enabled()) {
        out = error_json(404, "Not found: the admin routes are off (set ADMIN_TOKEN to turn them on).");
        return 404;
    }
    if (!authorized(authorization)) {
        out = error_json(401, authorization.empty() ? "Missing admin token: send Authorization: Bearer <ADMIN_TOKEN>."
                                                    : "Invalid admin token.");
        return 401;
    }
    if (path == "/admin/config") {
        return config_route(method, body, peer, now_ns, out);
    }
    return scenario_route(method, body, peer, now_ns, out);
}

int admin_api::config_route(http_method method, std::string_view body, std::string_view peer, uint64_t now_ns,
                            std::string& out) {
    if (method == http_method::get || method == http_method::head) {
        auto l = live_.lock();
        const live_snapshot* s = live_.current();
        std::string j = settings_json(live_.base(), &s->cfg);
        // {"settings":[...]} -> {"generation":N,"changes":M,"settings":[...]}
        out = fmt::format("{{\"generation\":{},\"changes\":{},{}", s->generation, changes(), j.substr(1));
        return 200;
    }
    if (method != http_method::patch && method != http_method::post) {
        out = error_json(405, "Method not allowed on /admin/config; allowed: GET, PATCH, POST.");
        return 405;
    }
    auto l = live_.lock();
    config next;
    std::string message, changed;
    if (!apply_changes(live_.base(), body, next, message, changed)) {
        out = error_json(400, message);
        return 400;
    }
    if (!publish_locked(next, now_ns, message)) {
        out = error_json(400, message);
        return 400;
    }
    {
        std::lock_guard<std::mutex> g(mu_);
        ++changes_;
    }
    std::string shown = changed.size() > 400 ? changed.substr(0, 400) + "..." : changed;
    for (char& c : shown) {
        c = static_cast<unsigned char>(c) < 0x20 ? ' ' : c;  // one log line, whatever CONTENT_TEXT holds
    }
    log_line(fmt::format("admin: {} changed {} (generation {})", peer, shown.empty() ? "nothing" : shown,
                         live_.generation()));
    out = fmt::format("{{\"generation\":{},\"changed\":{}}}", live_.generation(), json_string(changed));
    return 200;
}

int admin_api::scenario_route(http_method method, std::string_view body, std::string_view peer, uint64_t now_ns,
                              std::string& out) {
    if (method == http_method::get || method == http_method::head) {
        std::lock_guard<std::mutex> g(mu_);
        if (scenario_ == nullptr) {
            out = "{\"running\":false,\"phase\":-1}";
            return 200;
        }
        const scenario_position p = position_at(*scenario_, now_ns - scenario_start_ns_);
        out = fmt::format("{{\"running\":{},\"name\":{},\"repeat\":{},\"phase\":{},\"phase_name\":{},"
                          "\"phase_left_seconds\":{:.3f},\"total_left_seconds\":{:.3f},\"cycle\":{},\"phases\":{}}}",
                          p.phase >= 0 ? "true" : "false", json_string(scenario_->name),
                          scenario_->repeat ? "true" : "false", p.phase,
                          json_string(p.phase >= 0 ? std::string_view(scenario_->phases[size_t(p.phase)].name) : ""),
                          double(p.phase_left_ns) / 1e9, double(p.total_left_ns) / 1e9, p.cycle,
                          scenario_->phases.size());
        return 200;
    }
    if (method == http_method::post) {
        std::string message;
        if (!start_scenario(body, now_ns, message)) {
            out = error_json(400, message);
            return 400;
        }
        std::string name;
        {
            std::lock_guard<std::mutex> g(mu_);
            ++changes_;
            name = scenario_ != nullptr ? scenario_->name : "";
        }
        log_line(fmt::format("admin: {} started scenario {:?}", peer, name));
        out = fmt::format("{{\"running\":true,\"generation\":{}}}", live_.generation());
        return 200;
    }
    if (method == http_method::delete_) {
        auto l = live_.lock();
        {
            std::lock_guard<std::mutex> g(mu_);
            if (scenario_ == nullptr) {
                out = error_json(404, "No scenario is running.");
                return 404;
            }
            scenario_.reset();
            ++changes_;
            schedule_locked(now_ns);
        }
        std::string message;
        (void)publish_locked(live_.base(), now_ns, message);  // the base alone: checked when it was set
        log_line(fmt::format("admin: {} stopped the scenario; base settings restored", peer));
        out = fmt::format("{{\"running\":false,\"generation\":{}}}", live_.generation());
        return 200;
    }
    out = error_json(405, "Method not allowed on /admin/scenario; allowed: GET, POST, DELETE.");
    return 405;
}

void admin_api::schedule_locked(uint64_t now_ns) {
    uint64_t due = NONE;
    if (scenario_ != nullptr) {
        const scenario_position p = position_at(*scenario_, now_ns - scenario_start_ns_);
        if (p.phase < 0) {
            due = now_ns;  // over: the base returns at the timekeeper's next turn
        } else {
            due = p.next_boundary_ns > NONE - scenario_start_ns_ ? NONE - 1 : scenario_start_ns_ + p.next_boundary_ns;
            if (!scenario_->phases[size_t(p.phase)].ramp.empty()) {
                due = std::min(due, now_ns + RAMP_STEP_NS);
            }
        }
    }
    if (due_ns_.exchange(due, std::memory_order_acq_rel) != due) {
        const int fd = srv_.timekeeper_wake_fd.load(std::memory_order_acquire);
        if (fd >= 0) {  // none before the workers start: worker 0 reads due_ns() when it does
            uint64_t one = 1;
            [[maybe_unused]] ssize_t r = ::write(fd, &one, sizeof one);
        }
    }
}

// Worker 0's timer: at each phase boundary and, inside a phase with ramps, every RAMP_STEP_NS;
// when a non-repeating scenario ends, the base returns.
void admin_api::tick(uint64_t now_ns) {
    auto l = live_.lock();
    bool ended = false;
    {
        std::lock_guard<std::mutex> g(mu_);
        if (scenario_ == nullptr || now_ns < due_ns_.load(std::memory_order_relaxed)) {
            schedule_locked(now_ns);  // early (a re-armed timer), or stopped meanwhile
            return;
        }
        if (position_at(*scenario_, now_ns - scenario_start_ns_).phase < 0) {
            scenario_.reset();
            ended = true;
        }
    }
    std::string message;
    if (!publish_locked(live_.base(), now_ns, message)) {
        log_line("scenario: " + message);
    }
    if (ended) {
        log_line("scenario: ended; base settings restored");
    }
    std::lock_guard<std::mutex> g(mu_);
    schedule_locked(now_ns);
}

}  // namespace lms
