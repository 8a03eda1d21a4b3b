#pragma once
// scenario: a scripted timeline of setting changes for a load test — phases back to back, each
// with a duration, values it sets and values it ramps linearly from one end to the other
// ("normal for 60 s, then ITL x3 for 30 s"; "a 429 burst of 50% for 20 s every 2 minutes" with
// repeat; "TTFT ramping from 0.2 s to 3 s over 10 minutes").
//
// Level 0. Pure: no syscalls, no clock (time is an argument: nanoseconds since the scenario
// started). parse_scenario() runs at startup or admin time and may allocate; it owns nothing
// after it returns but the scenario it fills. A parsed scenario is immutable: any number of
// threads may call position_at() and overrides_at() on it at once. Those two never allocate,
// never throw, and write only into the caller's memory. Replacing a scenario while workers
// read it is the caller's business (publish a new one, retire the old after a grace period).
//
// Setting names and values are not known here: the caller's validate function judges them.
//
// JSON (RFC 8259; unknown keys and duplicate keys refused):
//   {"name": "slow-itl", "repeat": false, "phases": [
//     {"name": "normal", "duration": "60s", "set": {}},
//     {"name": "slow", "duration": 30, "set": {"ITL_SECONDS": "0.06", "FAULT_429_RATE": 0.5}},
//     {"name": "degrade", "duration": "10m",
//      "ramp": {"TTFT_SECONDS": [0.2, 3], "ITL_SECONDS": ["uniform:0.01,0.02", "uniform:0.05,0.1"]}}]}
//   duration: seconds as a number, or a string of a plain decimal and a unit: "500ms", "1.5s",
//   "2m", "1h"; rounded to the nanosecond, then > 0 and <= 7 days.
//   set: SETTING -> string, number or boolean, kept as text (strings as given, numbers in fmt's
//   shortest form "{}", booleans "true"/"false").
//   ramp: SETTING -> [from, to]: two numbers, or two latency models of the same kind (a number
//   at one end counts as a fixed model).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "answer/latency_model.hpp"

namespace lms {

inline constexpr size_t MAX_SCENARIO_BYTES = 1u << 20;    // the whole JSON text
inline constexpr size_t MAX_SCENARIO_NAME_BYTES = 64;     // the scenario's and each phase's name
inline constexpr size_t MAX_SCENARIO_PHASES = 64;
inline constexpr size_t MAX_SCENARIO_SETTINGS = 32;       // per phase, set and ramp together
inline constexpr size_t MAX_SCENARIO_VALUE_BYTES = 64;    // a set value's text, and a rendered ramp value
inline constexpr uint64_t MAX_SCENARIO_PHASE_NS = 7ull * 86400 * 1000000000;  // 7 days
inline constexpr double MAX_SCENARIO_RAMP_MAGNITUDE = 1e15;  // |from|, |to| of a number ramp

// A "set" entry, as text.
struct scenario_setting {
    std::string name;
    std::string value;
};

// A "ramp" entry. decimal: numbers, rendered with up to 9 decimals; whole: both ends are
// integers and validate refused a value between them with a fraction (a count such as
// OUTPUT_TOKENS), rendered rounded to the nearest integer; model: latency models of one kind,
// both parameters interpolated.
struct scenario_ramp {
    enum class kind : uint8_t { decimal, whole, model };
    std::string name;
    kind k = kind::decimal;
    double from_v = 0;      // decimal, whole
    double to_v = 0;
    latency_model from{};   // model (from.k == to.k)
    latency_model to{};
};

struct scenario_phase {
    std::string name;
    uint64_t duration_ns = 0;
    uint64_t start_ns = 0;  // where it starts within a cycle (the sum of the durations before it)
    std::vector<scenario_setting> set;
    std::vector<scenario_ramp> ramp;
};

struct scenario {
    std::string name;
    bool repeat = false;
    std::vector<scenario_phase> phases;
    uint64_t total_ns = 0;  // one cycle: the sum of the phases' durations
};

// Judges one setting: true to accept, false with the reason in why. Called with every set
// value and both ends of every ramp as text (see above); for a ramp whose ends are both
// integers, also once with a value between them with a fraction ("100.5") to learn whether the
// setting takes whole numbers only (a refusal there is not an error: the ramp becomes whole).
// Parse time only. An empty function accepts everything.
using scenario_validate = std::function<bool(std::string_view name, std::string_view value, std::string& why)>;

// Parses a scenario. True and out filled; or false, out untouched, and message saying where
// and what, always with the line of the JSON text it concerns:
//   scenario (line 4): phases[1].duration: expected a number of seconds or a string like "500ms", "30s", "2m"
//   scenario: not valid JSON (line 3): expected ',' or '}'
[[nodiscard]] bool parse_scenario(std::string_view json, const scenario_validate& validate, scenario& out,
                                  std::string& message);

// Where the timeline is at t_ns since its start. Phases are back to back; exactly on a boundary
// the next phase is in force; with repeat the timeline starts again after its last phase (t
// modulo total_ns), without it has ended there.
struct scenario_position {
    int phase = -1;                 // index into phases; -1 once a non-repeating scenario has ended
    uint64_t phase_left_ns = 0;     // until the phase ends
    uint64_t total_left_ns = 0;     // until the scenario ends (repeat: the current cycle)
    uint64_t cycle = 0;             // whole cycles passed (always 0 without repeat)
    uint64_t next_boundary_ns = 0;  // t of the next phase boundary (saturates at UINT64_MAX); 0 once ended
};

// The position at t_ns (phase -1 for a scenario without phases).
[[nodiscard]] scenario_position position_at(const scenario& s, uint64_t t_ns) noexcept;

// One override in force: a setting's name (a view of the scenario's own string, valid while the
// scenario lives) and its value rendered into the entry's own buffer (the text the environment
// variable would hold).
struct scenario_override {
    std::string_view name;
    char value[MAX_SCENARIO_VALUE_BYTES];
    size_t value_len = 0;

    // A view of value: valid while this entry lives and is not overwritten (not across copies).
    [[nodiscard]] std::string_view text() const noexcept { return {value, value_len}; }
};

// Writes the overrides in force at t_ns into out[0..cap): the phase's set entries in their
// order, then its ramps, each at the phase's elapsed fraction f in [0, 1) (f = 0 at the phase's
// start: the from end; the to end itself is never reached, the next phase takes over). Number
// ramps render as plain decimals with at most 9 decimals ("1.6"), whole ramps as integers,
// model ramps as "kind:a,b" ("uniform:0.03,0.06"; a fixed model as a plain decimal).
// Returns how many it wrote: 0 when the phase has none or the scenario has ended; at most cap
// (a cap of MAX_SCENARIO_SETTINGS always suffices).
[[nodiscard]] size_t overrides_at(const scenario& s, uint64_t t_ns, scenario_override* out, size_t cap) noexcept;

}  // namespace lms
