#pragma once
// admin_api: live control of a running server — GET/PATCH/POST /admin/config (the settings,
// changed for every worker at once) and GET/POST/DELETE /admin/scenario (a timeline of
// setting changes that runs by itself). Off unless ADMIN_TOKEN is set; every request then
// needs "Authorization: Bearer <ADMIN_TOKEN>" (compared in constant time). A change builds
// the base settings anew (all or nothing), the scenario's overrides on top, and publishes the
// result as the next live_config generation; requests already admitted keep their plans.
//
// The scenario runs on its own thread, which sleeps until the next phase boundary (or the next
// step of a ramp, RAMP_STEP apart) and publishes the settings in force then: the settings in
// force at any instant are overrides_at(scenario, time since its start) over the base.
//
// Level 2. One per server, shared by the workers; handle() may be called from any worker at
// once (a mutex serialises the changes; the admin path may allocate and log). Never on the
// request path of the API routes.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "engine/http_parser.hpp"
#include "service/live_config.hpp"
#include "settings/scenario.hpp"

namespace lms {

struct server;

class admin_api {
public:
    // How often a ramp's value is published anew (and so how finely it steps).
    static constexpr uint64_t RAMP_STEP_NS = 100'000'000;

    // s.live must be set. Starts the scenario thread (idle until a scenario runs).
    admin_api(server& s, std::string token);
    ~admin_api();
    admin_api(const admin_api&) = delete;
    admin_api& operator=(const admin_api&) = delete;

    [[nodiscard]] bool enabled() const noexcept { return !token_.empty(); }

    // Startup: SCENARIO_FILE's text (runs with or without ADMIN_TOKEN). False with message
    // (the file's line and field) when it is refused.
    [[nodiscard]] bool start_scenario(std::string_view json, uint64_t now_ns, std::string& message);

    // One admin request: path is /admin/config or /admin/scenario; authorization the request's
    // Authorization header value; peer the client's address (for the change log). Writes the
    // JSON answer into body (the caller's) and returns its status: 200, 400 (the OpenAI
    // envelope, naming the setting), 401, 404 (admin off, or no scenario to stop), 405.
    int handle(std::string_view path, http_method method, std::string_view authorization, std::string_view body,
               std::string_view peer, uint64_t now_ns, std::string& out);

    // For /metrics: the running scenario's phase index and name (-1 and "" when none runs).
    // Any thread (takes the lock briefly; not on the request path).
    void phase(int& index, std::string& name, uint64_t now_ns) const;
    [[nodiscard]] uint64_t changes() const noexcept;

private:
    [[nodiscard]] bool authorized(std::string_view authorization) const noexcept;
    int config_route(http_method method, std::string_view body, std::string_view peer, uint64_t now_ns, std::string& out);
    int scenario_route(http_method method, std::string_view body, std::string_view peer, uint64_t now_ns,
                       std::string& out);
    // Publishes base_ with the scenario's overrides at now_ns (lock held). False with message
    // when an override is refused (it was validated at load: only a base change can clash).
    bool publish_locked(const config& base, uint64_t now_ns, std::string& message);
    void run();

    server& srv_;
    live_config& live_;
    const std::string token_;
    mutable std::mutex mu_;  // the scenario, its start; taken inside live_.lock()'s scope, never around it
    std::condition_variable wake_;
    std::unique_ptr<scenario> scenario_;  // null: none runs
    uint64_t scenario_start_ns_ = 0;
    uint64_t changes_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace lms
