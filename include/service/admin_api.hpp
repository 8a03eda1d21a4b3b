#pragma once
// admin_api: live control of a running server — GET/PATCH/POST /admin/config (the settings,
// changed for every worker at once) and GET/POST/DELETE /admin/scenario (a timeline of
// setting changes that runs by itself). Off unless ADMIN_TOKEN is set; every request then
// needs "Authorization: Bearer <ADMIN_TOKEN>" (compared in constant time). A change builds
// the base settings anew (all or nothing), the scenario's overrides on top, and publishes the
// result as the next live_config generation; requests already admitted keep their plans.
//
// The scenario has no thread of its own: its phase boundaries (and the steps of a ramp,
// RAMP_STEP_NS apart) land on the timer wheel of worker 0, the timekeeper, which calls tick()
// when one is due and re-arms from due_ns(); a scenario started or stopped from any worker
// wakes the timekeeper through the eventfd server::timekeeper_wake_fd. The settings in force
// at any instant are overrides_at(scenario, time since its start) over the base.
//
// Level 2. One per server, shared by the workers; handle() may be called from any worker at
// once (a mutex serialises the changes; the admin path may allocate and log). Never on the
// request path of the API routes.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/http_parser.hpp"
#include "service/live_config.hpp"
#include "settings/scenario.hpp"

namespace lms {

struct server;

class admin_api {
public:
    // How often a ramp's value is published anew (and so how finely it steps).
    static constexpr uint64_t RAMP_STEP_NS = 100'000'000;

    static constexpr uint64_t NONE = ~uint64_t(0);  // due_ns() when no scenario runs

    // s.live must be set.
    admin_api(server& s, std::string token);
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

    // The timekeeper's side. When the running scenario next needs its settings published
    // (monotonic ns: a phase boundary, a ramp's next step, or its end); NONE when none runs.
    // Any thread; an acquire load.
    [[nodiscard]] uint64_t due_ns() const noexcept { return due_ns_.load(std::memory_order_acquire); }
    // Publishes the settings in force at now_ns if the scenario is due by then (at its end, the
    // base returns and the scenario is gone), and sets the next due_ns(). Worker 0's timer.
    void tick(uint64_t now_ns);

private:
    [[nodiscard]] bool authorized(std::string_view authorization) const noexcept;
    int config_route(http_method method, std::string_view body, std::string_view peer, uint64_t now_ns, std::string& out);
    int scenario_route(http_method method, std::string_view body, std::string_view peer, uint64_t now_ns,
                       std::string& out);
    // Publishes base_ with the scenario's overrides at now_ns (lock held). False with message
    // when an override is refused (it was validated at load: only a base change can clash).
    bool publish_locked(const config& base, uint64_t now_ns, std::string& message);
    // Sets due_ns_ from the scenario at now_ns (mu_ held) and wakes the timekeeper when it moved.
    void schedule_locked(uint64_t now_ns);

    server& srv_;
    live_config& live_;
    const std::string token_;
    mutable std::mutex mu_;  // the scenario, its start; taken inside live_.lock()'s scope, never around it
    std::unique_ptr<scenario> scenario_;  // null: none runs
    uint64_t scenario_start_ns_ = 0;
    uint64_t changes_ = 0;
    std::atomic<uint64_t> due_ns_{NONE};
};

}  // namespace lms
