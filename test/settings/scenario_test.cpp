#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "settings/scenario.hpp"

using namespace lms;

namespace {

constexpr uint64_t S = 1000000000ull;  // one second in ns

// The settings' stand-in: names start with an upper-case letter, and BAD is not one.
const scenario_validate validate = [](std::string_view name, std::string_view, std::string& why) {
    if (name.empty() || name[0] < 'A' || name[0] > 'Z') {
        why = "unknown setting";
        return false;
    }
    if (name == "BAD") {
        why = "BAD is not a setting";
        return false;
    }
    return true;
};

scenario ok(std::string_view json, const scenario_validate& v = validate) {
    scenario s;
    std::string message;
    INFO(json);
    const bool parsed = parse_scenario(json, v, s, message);
    INFO(message);
    REQUIRE(parsed);
    return s;
}

// The message of a refusal (and that out was left alone).
std::string refused(std::string_view json, const scenario_validate& v = validate) {
    scenario s;
    s.name = "untouched";
    std::string message;
    INFO(json);
    CHECK_FALSE(parse_scenario(json, v, s, message));
    CHECK(s.name == "untouched");
    CHECK(s.phases.empty());
    return message;
}

// A one-line scenario around one phase's members ("duration": 1 unless given).
std::string one_phase(const std::string& members, bool repeat = false) {
    return std::string(R"({"name": "t", "repeat": )") + (repeat ? "true" : "false") +
           R"(, "phases": [{"name": "p", )" + members + "}]}";
}

std::string with_duration(const std::string& duration) { return one_phase(R"("duration": )" + duration); }

std::vector<scenario_override> at(const scenario& s, uint64_t t, size_t cap = MAX_SCENARIO_SETTINGS) {
    std::vector<scenario_override> out(cap);
    out.resize(overrides_at(s, t, out.data(), cap));
    return out;
}

std::string value_of(const std::vector<scenario_override>& o, std::string_view name) {
    for (const scenario_override& e : o) {
        if (e.name == name) {
            return std::string(e.text());
        }
    }
    return "<absent>";
}

// The issue's example, one member a line.
const char* const EXAMPLE = R"({"name": "slow-itl", "repeat": false, "phases": [
  {"name": "normal", "duration": "60s", "set": {}},
  {"name": "slow", "duration": 30, "set": {"ITL_SECONDS": "0.06", "FAULT_429_RATE": 0.5}},
  {"name": "degrade", "duration": "10m", "ramp": {"TTFT_SECONDS": [0.2, 3], "ITL_SECONDS": ["uniform:0.01,0.02", "uniform:0.05,0.1"]}}
]}
)";

}  // namespace

TEST_CASE("scenario: normal for 60 s, then ITL x3 for 30 s, then back") {
    const scenario s = ok(R"({"name": "itl-x3", "phases": [
        {"name": "normal", "duration": "60s"},
        {"name": "slow", "duration": "30s", "set": {"ITL_SECONDS": "0.06"}}]})");
    CHECK(s.name == "itl-x3");
    CHECK_FALSE(s.repeat);
    REQUIRE(s.phases.size() == 2);
    CHECK(s.phases[0].name == "normal");
    CHECK(s.phases[0].duration_ns == 60 * S);
    CHECK(s.phases[0].start_ns == 0);
    CHECK(s.phases[0].set.empty());
    CHECK(s.phases[1].duration_ns == 30 * S);
    CHECK(s.phases[1].start_ns == 60 * S);
    REQUIRE(s.phases[1].set.size() == 1);
    CHECK(s.phases[1].set[0].name == "ITL_SECONDS");
    CHECK(s.phases[1].set[0].value == "0.06");
    CHECK(s.total_ns == 90 * S);

    CHECK(at(s, 0).empty());
    CHECK(at(s, 60 * S - 1).empty());
    const auto slow = at(s, 60 * S);
    REQUIRE(slow.size() == 1);
    CHECK(slow[0].name == "ITL_SECONDS");
    CHECK(slow[0].text() == "0.06");
    CHECK(at(s, 90 * S - 1).size() == 1);
    CHECK(at(s, 90 * S).empty());  // back to the settings as they were
    CHECK(position_at(s, 90 * S).phase == -1);
}

TEST_CASE("scenario: a 429 burst of 50% for 20 s every 2 minutes") {
    const scenario s = ok(R"({"name": "burst", "repeat": true, "phases": [
        {"name": "normal", "duration": 100, "set": {}},
        {"name": "burst", "duration": "20s", "set": {"FAULT_429_RATE": 0.5}}]})");
    CHECK(s.repeat);
    CHECK(s.total_ns == 120 * S);
    CHECK(at(s, 99 * S).empty());
    CHECK(value_of(at(s, 100 * S), "FAULT_429_RATE") == "0.5");
    CHECK(at(s, 120 * S).empty());  // the next cycle's normal phase
    const uint64_t ten_cycles = 10 * 120 * S;
    CHECK(at(s, ten_cycles + 5 * S).empty());
    CHECK(value_of(at(s, ten_cycles + 110 * S), "FAULT_429_RATE") == "0.5");
    const scenario_position p = position_at(s, ten_cycles + 110 * S);
    CHECK(p.phase == 1);
    CHECK(p.cycle == 10);
    CHECK(p.phase_left_ns == 10 * S);
    CHECK(p.total_left_ns == 10 * S);
    CHECK(p.next_boundary_ns == ten_cycles + 120 * S);
}

TEST_CASE("scenario: TTFT ramping from 0.2 s to 3 s over 10 minutes") {
    const scenario s = ok(R"({"name": "ttft", "phases": [
        {"name": "degrade", "duration": "10m", "ramp": {"TTFT_SECONDS": [0.2, 3]}}]})");
    REQUIRE(s.phases.size() == 1);
    CHECK(s.phases[0].duration_ns == 600 * S);
    REQUIRE(s.phases[0].ramp.size() == 1);
    const scenario_ramp& r = s.phases[0].ramp[0];
    CHECK(r.name == "TTFT_SECONDS");
    CHECK(r.k == scenario_ramp::kind::decimal);
    CHECK(r.from_v == 0.2);
    CHECK(r.to_v == 3);
    CHECK(value_of(at(s, 0), "TTFT_SECONDS") == "0.2");
    CHECK(value_of(at(s, 150 * S), "TTFT_SECONDS") == "0.9");   // 25%
    CHECK(value_of(at(s, 300 * S), "TTFT_SECONDS") == "1.6");   // 50%
    CHECK(value_of(at(s, 450 * S), "TTFT_SECONDS") == "2.3");   // 75%
    CHECK(value_of(at(s, 600 * S - 1), "TTFT_SECONDS") == "3");  // 3 - 4.7e-12, shown with 9 decimals
    CHECK(value_of(at(s, 1), "TTFT_SECONDS") == "0.2");          // 0.2 + 4.7e-12
    CHECK(at(s, 600 * S).empty());
}

TEST_CASE("scenario: the issue's example, set values and a latency-model ramp") {
    const scenario s = ok(EXAMPLE);
    CHECK(s.name == "slow-itl");
    REQUIRE(s.phases.size() == 3);
    CHECK(s.total_ns == 690 * S);
    CHECK(s.phases[2].start_ns == 90 * S);
    const auto slow = at(s, 60 * S);
    REQUIRE(slow.size() == 2);
    CHECK(slow[0].name == "ITL_SECONDS");  // in the order written
    CHECK(slow[0].text() == "0.06");
    CHECK(slow[1].name == "FAULT_429_RATE");
    CHECK(slow[1].text() == "0.5");
    CHECK(slow[0].name.data() == s.phases[1].set[0].name.data());  // a view of the scenario's own name

    const scenario_ramp& itl = s.phases[2].ramp[1];
    CHECK(itl.k == scenario_ramp::kind::model);
    CHECK(itl.from.k == latency_model::kind::uniform);
    CHECK(itl.to.b == 0.1);
    const uint64_t start = 90 * S;
    CHECK(value_of(at(s, start), "ITL_SECONDS") == "uniform:0.01,0.02");
    CHECK(value_of(at(s, start + 150 * S), "ITL_SECONDS") == "uniform:0.02,0.04");  // 25%: both parameters
    CHECK(value_of(at(s, start + 300 * S), "ITL_SECONDS") == "uniform:0.03,0.06");  // 50%
    CHECK(value_of(at(s, start + 600 * S - 1), "ITL_SECONDS") == "uniform:0.05,0.1");
    CHECK(value_of(at(s, start + 300 * S), "TTFT_SECONDS") == "1.6");
    // Every rendered model reads back as a model of the same kind.
    for (uint64_t t = start; t < start + 600 * S; t += 7 * S + 123456789) {
        latency_model m;
        std::string why;
        const std::string text = value_of(at(s, t), "ITL_SECONDS");
        INFO(text);
        REQUIRE(parse_latency_model(text, m, why));
        CHECK(m.k == latency_model::kind::uniform);
        CHECK(m.a <= m.b);
    }
}

TEST_CASE("scenario: set values are kept as text") {
    const scenario s = ok(one_phase(R"("duration": 1, "set": {"A": "text as given", "B": 3, "C": 0.5, "D": true,
        "E": false, "F": 1.0, "G": 18446744073709551615, "H": -7, "I": 0.00001, "J": ""})"));
    const auto o = at(s, 0);
    REQUIRE(o.size() == 10);
    CHECK(value_of(o, "A") == "text as given");
    CHECK(value_of(o, "B") == "3");
    CHECK(value_of(o, "C") == "0.5");
    CHECK(value_of(o, "D") == "true");
    CHECK(value_of(o, "E") == "false");
    CHECK(value_of(o, "F") == "1");
    CHECK(value_of(o, "G") == "18446744073709551615");
    CHECK(value_of(o, "H") == "-7");
    CHECK(value_of(o, "I") == "1e-05");  // fmt's shortest form: an exponent below 1e-4
    CHECK(value_of(o, "J") == "");
}

TEST_CASE("scenario: ramps of every kind") {
    SECTION("models of each kind interpolate both parameters") {
        const scenario s = ok(one_phase(R"("duration": 100, "ramp": {
            "N": ["normal:0.5,0.1", "normal:1.5,0.3"], "L": ["lognormal:0.5,0.2", "lognormal:1,0.4"],
            "F": ["0.1", "fixed:0.5"], "M": [0.1, "fixed:0.3"], "Z": ["lognormal:0.0000000001,0.3", "lognormal:1,0.3"]})"));
        auto o = at(s, 50 * S);
        CHECK(value_of(o, "N") == "normal:1,0.2");
        CHECK(value_of(o, "L") == "lognormal:0.75,0.3");
        CHECK(value_of(o, "F") == "0.3");  // a fixed model is a plain number
        CHECK(value_of(o, "M") == "0.2");  // a number at one end is a fixed model
        o = at(s, 0);
        CHECK(value_of(o, "Z") == "lognormal:0.000000001,0.3");  // the median stays > 0 when shown
        latency_model m;
        std::string why;
        CHECK(parse_latency_model(value_of(o, "Z"), m, why));
    }
    SECTION("numbers going down, negative, and at the magnitude limit") {
        const scenario s = ok(one_phase(R"("duration": 100, "ramp": {
            "DOWN": [3, 0.2], "NEG": [-1, 1], "TINY": [-0.0000000001, 1], "BIG": [1e15, -1000000000000000]})"));
        CHECK(value_of(at(s, 50 * S), "DOWN") == "1.6");
        CHECK(value_of(at(s, 25 * S), "NEG") == "-0.5");
        CHECK(value_of(at(s, 50 * S), "NEG") == "0");
        CHECK(value_of(at(s, 0), "TINY") == "0");  // not "-0"
        CHECK(value_of(at(s, 0), "BIG") == "1000000000000000");
        CHECK(value_of(at(s, 75 * S), "BIG") == "-500000000000000");
    }
    SECTION("integer ends: whole steps when validate refuses a fraction between them") {
        const scenario_validate counts = [](std::string_view name, std::string_view value, std::string& why) {
            if (name == "OUTPUT_TOKENS" && value.find('.') != std::string_view::npos) {
                why = "a whole number";
                return false;
            }
            return true;
        };
        const std::string json = one_phase(R"("duration": 100, "ramp": {
            "OUTPUT_TOKENS": [100, 101], "TTFT_SECONDS": [1, 3], "LOAD_FACTOR": [100.0, 101]})");
        const scenario s = ok(json, counts);
        CHECK(s.phases[0].ramp[0].k == scenario_ramp::kind::whole);
        CHECK(s.phases[0].ramp[1].k == scenario_ramp::kind::decimal);  // "1.5" accepted: a smooth ramp
        CHECK(s.phases[0].ramp[2].k == scenario_ramp::kind::decimal);  // an end written 100.0 is not an integer
        CHECK(value_of(at(s, 25 * S), "OUTPUT_TOKENS") == "100");
        CHECK(value_of(at(s, 75 * S), "OUTPUT_TOKENS") == "101");
        CHECK(value_of(at(s, 25 * S), "TTFT_SECONDS") == "1.5");
        CHECK(value_of(at(s, 25 * S), "LOAD_FACTOR") == "100.25");
        // Without validate, nothing is refused: every number ramp is decimal.
        const scenario loose = ok(json, scenario_validate{});
        CHECK(loose.phases[0].ramp[0].k == scenario_ramp::kind::decimal);
        CHECK(value_of(at(loose, 25 * S), "OUTPUT_TOKENS") == "100.25");
    }
}

TEST_CASE("scenario: position_at at the boundaries, inside, at the end, and after many cycles") {
    const std::string json = R"({"name": "abc", "repeat": REPEAT, "phases": [
        {"name": "a", "duration": 10}, {"name": "b", "duration": 20}, {"name": "c", "duration": 30}]})";
    std::string once = json;
    once.replace(once.find("REPEAT"), 6, "false");
    std::string again = json;
    again.replace(again.find("REPEAT"), 6, "true");
    const scenario s = ok(once);
    const scenario r = ok(again);

    scenario_position p = position_at(s, 0);
    CHECK(p.phase == 0);
    CHECK(p.phase_left_ns == 10 * S);
    CHECK(p.total_left_ns == 60 * S);
    CHECK(p.cycle == 0);
    CHECK(p.next_boundary_ns == 10 * S);

    p = position_at(s, 10 * S - 1);
    CHECK(p.phase == 0);
    CHECK(p.phase_left_ns == 1);
    CHECK(p.next_boundary_ns == 10 * S);

    p = position_at(s, 10 * S);  // exactly on the boundary: the next phase
    CHECK(p.phase == 1);
    CHECK(p.phase_left_ns == 20 * S);
    CHECK(p.total_left_ns == 50 * S);
    CHECK(p.next_boundary_ns == 30 * S);

    p = position_at(s, 15 * S);
    CHECK(p.phase == 1);
    CHECK(p.phase_left_ns == 15 * S);
    CHECK(p.total_left_ns == 45 * S);

    p = position_at(s, 60 * S - 1);
    CHECK(p.phase == 2);
    CHECK(p.phase_left_ns == 1);
    CHECK(p.total_left_ns == 1);
    CHECK(p.next_boundary_ns == 60 * S);

    for (uint64_t t : {60 * S, 60 * S + 1, 1000 * S, UINT64_MAX}) {
        p = position_at(s, t);
        CHECK(p.phase == -1);
        CHECK(p.phase_left_ns == 0);
        CHECK(p.total_left_ns == 0);
        CHECK(p.cycle == 0);
        CHECK(p.next_boundary_ns == 0);
    }

    p = position_at(r, 60 * S);  // with repeat the timeline starts again
    CHECK(p.phase == 0);
    CHECK(p.cycle == 1);
    CHECK(p.next_boundary_ns == 70 * S);

    p = position_at(r, 10 * 60 * S + 5 * S);
    CHECK(p.phase == 0);
    CHECK(p.cycle == 10);
    CHECK(p.phase_left_ns == 5 * S);
    CHECK(p.total_left_ns == 55 * S);
    CHECK(p.next_boundary_ns == 10 * 60 * S + 10 * S);

    p = position_at(r, 10 * 60 * S - 1);
    CHECK(p.phase == 2);
    CHECK(p.cycle == 9);
    CHECK(p.phase_left_ns == 1);

    p = position_at(r, 10 * 60 * S + 40 * S);
    CHECK(p.phase == 2);
    CHECK(p.cycle == 10);

    p = position_at(r, UINT64_MAX);  // a boundary past the end of time saturates
    CHECK(p.phase >= 0);
    CHECK(p.cycle == UINT64_MAX / (60 * S));
    CHECK(p.next_boundary_ns == UINT64_MAX);

    const scenario empty{};
    CHECK(position_at(empty, 0).phase == -1);
    scenario_override o[1];
    CHECK(overrides_at(empty, 0, o, 1) == 0);
}

TEST_CASE("scenario: overrides_at respects cap") {
    const scenario s = ok(one_phase(R"("duration": 100, "set": {"A": 1, "B": 2, "C": 3},
                                       "ramp": {"D": [0, 10], "E": [10, 20]})"));
    scenario_override o[MAX_SCENARIO_SETTINGS];
    CHECK(overrides_at(s, 50 * S, o, 0) == 0);
    REQUIRE(overrides_at(s, 50 * S, o, 2) == 2);
    CHECK(o[0].name == "A");
    CHECK(o[1].name == "B");
    REQUIRE(overrides_at(s, 50 * S, o, 4) == 4);
    CHECK(o[3].name == "D");
    CHECK(o[3].text() == "5");
    REQUIRE(overrides_at(s, 50 * S, o, MAX_SCENARIO_SETTINGS) == 5);
    CHECK(o[4].name == "E");
    CHECK(o[4].text() == "15");
    CHECK(overrides_at(s, 100 * S, o, MAX_SCENARIO_SETTINGS) == 0);  // ended
}

TEST_CASE("scenario: durations") {
    const std::pair<const char*, uint64_t> good[] = {
        {R"("500ms")", S / 2},          {R"("30s")", 30 * S},         {R"("2m")", 120 * S},
        {R"("1h")", 3600 * S},          {R"("1.5s")", 3 * S / 2},     {R"("0.25m")", 15 * S},
        {"30", 30 * S},                 {"0.25", S / 4},              {R"("007s")", 7 * S},
        {R"("0.000000001s")", 1},       {"0.000000001", 1},           {R"("0.0000000006s")", 1},
        {R"("604800s")", 604800 * S},   {"604800", 604800 * S},       {R"("168h")", 604800 * S},
        {R"("10080m")", 604800 * S},    {R"("604800000ms")", 604800 * S},
    };
    for (const auto& [text, ns] : good) {
        INFO(text);
        const scenario s = ok(with_duration(text));
        CHECK(s.phases[0].duration_ns == ns);
        CHECK(s.total_ns == ns);
    }
    const std::string expected =
        R"(scenario (line 1): phases[0].duration: expected a number of seconds or a string like "500ms", "30s", "2m")";
    for (const char* text : {R"("")", R"("30")", R"("s")", R"("1.s")", R"(".5s")", R"("1..5s")", R"("1.5.5s")",
                             R"("-1s")", R"("1e3s")", R"(" 1s")", R"("1s ")", R"("1 s")", R"("1d")", R"("1S")",
                             R"("1sec")", "true", "null", "[]", "{}"}) {
        INFO(text);
        CHECK(refused(with_duration(text)) == expected);
    }
    for (const char* text : {"0", "-1", "-0.5", "0.0", R"("0s")", R"("0ms")", R"("0.0000000004s")", "1e-10"}) {
        INFO(text);
        CHECK(refused(with_duration(text)) == "scenario (line 1): phases[0].duration: must be more than 0 (at least 1 ns)");
    }
    for (const char* text : {R"("604800.000000001s")", "604800.000000001", "604801", R"("10081m")", R"("168.001h")",
                             R"("604800001ms")", "1e300", "18446744073709551615", R"("99999999999999999999999h")"}) {
        INFO(text);
        CHECK(refused(with_duration(text)) == "scenario (line 1): phases[0].duration: at most 7 days (604800 s)");
    }
}

TEST_CASE("scenario: refusals name the field") {
    CHECK(refused("[]") == "scenario (line 1): expected an object with name, phases and optionally repeat");
    CHECK(refused(R"({"phases": [{"name": "p", "duration": 1}]})") == "scenario (line 1): name: required");
    CHECK(refused(R"({"name": "t"})") == "scenario (line 1): phases: required");
    CHECK(refused(R"({"name": "", "phases": [{"name": "p", "duration": 1}]})") ==
          "scenario (line 1): name: expected a non-empty string of at most 64 bytes");
    CHECK(refused(R"({"name": 7, "phases": [{"name": "p", "duration": 1}]})") ==
          "scenario (line 1): name: expected a non-empty string of at most 64 bytes");
    CHECK(refused(R"({"name": "t", "phases": []})") == "scenario (line 1): phases: expected a non-empty array of phases");
    CHECK(refused(R"({"name": "t", "phases": {}})") == "scenario (line 1): phases: expected a non-empty array of phases");
    CHECK(refused(R"({"name": "t", "phases": [1]})") ==
          "scenario (line 1): phases[0]: expected an object with name, duration, and set or ramp");
    CHECK(refused(R"({"name": "t", "repeat": 1, "phases": [{"name": "p", "duration": 1}]})") ==
          "scenario (line 1): repeat: expected true or false");
    CHECK(refused(R"({"name": "t", "bogus": 1, "phases": [{"name": "p", "duration": 1}]})") ==
          "scenario (line 1): bogus: unknown key (expected name, repeat, phases)");
    CHECK(refused(R"({"name": "t", "name": "u", "phases": [{"name": "p", "duration": 1}]})") ==
          "scenario (line 1): name: given twice");
    CHECK(refused(R"({"name": "t", "phases": [{"duration": 1}]})") == "scenario (line 1): phases[0].name: required");
    CHECK(refused(R"({"name": "t", "phases": [{"name": "p"}]})") == "scenario (line 1): phases[0].duration: required");
    CHECK(refused(one_phase(R"("duration": 1, "sets": {})")) ==
          "scenario (line 1): phases[0].sets: unknown key (expected name, duration, set, ramp)");
    CHECK(refused(one_phase(R"("duration": 1, "duration": 2)")) == "scenario (line 1): phases[0].duration: given twice");
    CHECK(refused(one_phase(R"("duration": 1, "set": [])")) ==
          "scenario (line 1): phases[0].set: expected an object of SETTING: value");
    CHECK(refused(one_phase(R"("duration": 1, "set": {"A": null})")) ==
          "scenario (line 1): phases[0].set.A: expected a string, a number or a boolean");
    CHECK(refused(one_phase(R"("duration": 1, "set": {"A": [1]})")) ==
          "scenario (line 1): phases[0].set.A: expected a string, a number or a boolean");
    CHECK(refused(one_phase(R"("duration": 1, "set": {"A": 1, "A": 2})")) ==
          "scenario (line 1): phases[0].set.A: given twice");
    CHECK(refused(one_phase(R"("duration": 1, "ramp": {"A": [1, 2], "A": [1, 2]})")) ==
          "scenario (line 1): phases[0].ramp.A: given twice");
    CHECK(refused(one_phase(R"("duration": 1, "ramp": [])")) ==
          "scenario (line 1): phases[0].ramp: expected an object of SETTING: [from, to]");
}

TEST_CASE("scenario: a setting in both set and ramp of one phase") {
    const std::string both = "scenario (line 1): phases[0].ramp.A: also in set: a phase either sets or ramps a setting";
    CHECK(refused(one_phase(R"("duration": 1, "set": {"A": 1}, "ramp": {"A": [1, 2]})")) == both);
    CHECK(refused(one_phase(R"("duration": 1, "ramp": {"A": [1, 2]}, "set": {"A": 1})")) == both);
    // Two phases may each have it their own way.
    ok(R"({"name": "t", "phases": [{"name": "a", "duration": 1, "set": {"A": 1}},
                                   {"name": "b", "duration": 1, "ramp": {"A": [1, 2]}}]})");
}

TEST_CASE("scenario: ramp ends") {
    const std::string kinds =
        "scenario (line 1): phases[0].ramp.ITL_SECONDS: both ends must be numbers or latency models of the same kind";
    for (const char* ends : {R"(["uniform:0.01,0.02", "normal:0.05,0.01"])", R"([0.01, "uniform:0.05,0.1"])",
                             R"(["lognormal:0.5,0.1", 1])", R"([true, 1])", R"([1, null])", R"([{}, 1])",
                             R"([-1, "fixed:1"])", R"([1000000001, "fixed:1"])"}) {
        INFO(ends);
        CHECK(refused(one_phase(std::string(R"("duration": 1, "ramp": {"ITL_SECONDS": )") + ends + "}")) == kinds);
    }
    for (const char* ends : {"[]", "[1]", "[1, 2, 3]", "1", R"("1")", "{}"}) {
        INFO(ends);
        CHECK(refused(one_phase(std::string(R"("duration": 1, "ramp": {"X": )") + ends + "}")) ==
              "scenario (line 1): phases[0].ramp.X: expected [from, to]");
    }
    CHECK(refused(one_phase(R"("duration": 1, "ramp": {"X": ["fast", "slow"]})")) ==
          "scenario (line 1): phases[0].ramp.X[0]: not a latency model (numbers of seconds, e.g. 0.5, "
          "uniform:0.2,0.8, normal:0.5,0.1 or lognormal:0.5,0.3)");
    CHECK(refused(one_phase(R"("duration": 1, "ramp": {"X": ["uniform:1,2", "uniform:2,1"]})")) ==
          "scenario (line 1): phases[0].ramp.X[1]: not a latency model (uniform:MIN,MAX with 0 <= MIN <= MAX)");
    // |end| at most 1e15: at the limit, and one past it.
    ok(one_phase(R"("duration": 1, "ramp": {"X": [-1000000000000000, 1000000000000000]})"));
    CHECK(refused(one_phase(R"("duration": 1, "ramp": {"X": [0, 1000000000000001]})")) ==
          "scenario (line 1): phases[0].ramp.X[1]: at most 1e15 in magnitude");
    CHECK(refused(one_phase(R"("duration": 1, "ramp": {"X": [-1000000000000001, 0]})")) ==
          "scenario (line 1): phases[0].ramp.X[0]: at most 1e15 in magnitude");
}

TEST_CASE("scenario: validate's refusal is passed through") {
    CHECK(refused(one_phase(R"("duration": 1, "set": {"BAD": 1})")) == "scenario (line 1): phases[0].set.BAD: BAD is not a setting");
    CHECK(refused(one_phase(R"("duration": 1, "set": {"itl": 1})")) == "scenario (line 1): phases[0].set.itl: unknown setting");
    CHECK(refused(one_phase(R"("duration": 1, "ramp": {"BAD": [1, 2]})")) ==
          "scenario (line 1): phases[0].ramp.BAD[0]: BAD is not a setting");
    // validate sees the values as text; its refusal of the far end names that end.
    std::vector<std::pair<std::string, std::string>> seen;
    const scenario_validate record = [&seen](std::string_view name, std::string_view value, std::string& why) {
        seen.emplace_back(name, value);
        if (value == "uniform:0.5,0.9") {
            why = "too slow";
            return false;
        }
        return true;
    };
    ok(one_phase(R"("duration": 1, "set": {"A": "x", "B": 0.5, "C": true}, "ramp": {"D": [0.2, 3]})"), record);
    const std::vector<std::pair<std::string, std::string>> want = {
        {"A", "x"}, {"B", "0.5"}, {"C", "true"}, {"D", "0.2"}, {"D", "3"}};
    CHECK(seen == want);
    seen.clear();
    ok(one_phase(R"("duration": 1, "ramp": {"N": [2, 8]})"), record);
    const std::vector<std::pair<std::string, std::string>> probe = {{"N", "2"}, {"N", "8"}, {"N", "2.5"}};
    CHECK(seen == probe);  // integer ends: one more call, with a fraction between them
    CHECK(refused(one_phase(R"("duration": 1, "ramp": {"ITL": ["uniform:0.1,0.2", "uniform:0.5,0.9"]})"), record) ==
          "scenario (line 1): phases[0].ramp.ITL[1]: too slow");
    const scenario_validate silent = [](std::string_view, std::string_view, std::string&) { return false; };
    CHECK(refused(one_phase(R"("duration": 1, "set": {"A": 1})"), silent) == "scenario (line 1): phases[0].set.A: refused");
}

TEST_CASE("scenario: limits at exactly the bound and one past it") {
    SECTION("names of 64 bytes") {
        const std::string n64(64, 'n');
        const std::string n65(65, 'n');
        ok(R"({"name": ")" + n64 + R"(", "phases": [{"name": ")" + n64 + R"(", "duration": 1}]})");
        CHECK(refused(R"({"name": ")" + n65 + R"(", "phases": [{"name": "p", "duration": 1}]})") ==
              "scenario (line 1): name: expected a non-empty string of at most 64 bytes");
        CHECK(refused(R"({"name": "t", "phases": [{"name": ")" + n65 + R"(", "duration": 1}]})") ==
              "scenario (line 1): phases[0].name: expected a non-empty string of at most 64 bytes");
        CHECK(refused(R"({"name": "t", "phases": [{"name": "", "duration": 1}]})") ==
              "scenario (line 1): phases[0].name: expected a non-empty string of at most 64 bytes");
    }
    SECTION("64 phases") {
        auto phases = [](size_t n) {
            std::string j = R"({"name": "many", "phases": [)";
            for (size_t i = 0; i < n; ++i) {
                j += (i != 0 ? ",\n" : "\n") + std::string(R"({"name": "p", "duration": "1s"})");
            }
            return j + "]}";
        };
        const scenario s = ok(phases(64));
        CHECK(s.phases.size() == 64);
        CHECK(s.total_ns == 64 * S);
        CHECK(position_at(s, 63 * S).phase == 63);
        CHECK(refused(phases(65)) == "scenario (line 66): phases[64]: at most 64 phases");  // the 65th's line
    }
    SECTION("32 settings in a phase, set and ramp together") {
        auto settings = [](size_t set, size_t ramp) {
            std::string j = R"("duration": 1, "set": {)";
            for (size_t i = 0; i < set; ++i) {
                j += (i != 0 ? ", " : "") + std::string("\"S") + std::to_string(i) + "\": 1";
            }
            j += R"(}, "ramp": {)";
            for (size_t i = 0; i < ramp; ++i) {
                j += (i != 0 ? ", " : "") + std::string("\"R") + std::to_string(i) + "\": [0, 1]";
            }
            return one_phase(j + "}");
        };
        CHECK(at(ok(settings(32, 0)), 0).size() == 32);
        CHECK(at(ok(settings(0, 32)), 0).size() == 32);
        CHECK(at(ok(settings(16, 16)), 0).size() == 32);
        const std::string past = "at most 32 settings in a phase (set and ramp together)";
        CHECK(refused(settings(33, 0)) == "scenario (line 1): phases[0].set.S32: " + past);
        CHECK(refused(settings(0, 33)) == "scenario (line 1): phases[0].ramp.R32: " + past);
        CHECK(refused(settings(20, 13)) == "scenario (line 1): phases[0].ramp.R12: " + past);
    }
    SECTION("set values of 64 bytes") {
        const std::string v64(64, 'v');
        const scenario s = ok(one_phase(R"("duration": 1, "set": {"A": ")" + v64 + R"("})"));
        CHECK(value_of(at(s, 0), "A") == v64);
        CHECK(refused(one_phase(R"("duration": 1, "set": {"A": ")" + v64 + R"(v"})")) ==
              "scenario (line 1): phases[0].set.A: at most 64 bytes");
    }
    SECTION("a text of MAX_SCENARIO_BYTES") {
        std::string text = one_phase(R"("duration": 1)");
        text.resize(MAX_SCENARIO_BYTES, ' ');  // whitespace after the value is still valid JSON
        ok(text);
        text += ' ';
        CHECK(refused(text) == "scenario: larger than 1048576 bytes");
    }
}

TEST_CASE("scenario: errors name the line of the field") {
    const std::string doc = std::string(EXAMPLE);
    auto replaced = [&doc](std::string_view from, std::string_view to) {
        std::string d = doc;
        d.replace(d.find(from), from.size(), to);
        return d;
    };
    CHECK(refused(replaced(R"("duration": 30)", R"("duration": "30 s")")) ==
          "scenario (line 3): phases[1].duration: expected a number of seconds or a string like \"500ms\", \"30s\", \"2m\"");
    CHECK(refused(replaced(R"("uniform:0.05,0.1")", R"("normal:0.05,0.1")")) ==
          "scenario (line 4): phases[2].ramp.ITL_SECONDS: both ends must be numbers or latency models of the same kind");
    CHECK(refused(replaced(R"("FAULT_429_RATE")", R"("BAD")")) == "scenario (line 3): phases[1].set.BAD: BAD is not a setting");
    CHECK(refused(replaced(R"({"name": "normal", )", "{")) == "scenario (line 2): phases[0].name: required");
    CHECK(refused(replaced(R"("repeat": false)", R"("repeat": "no")")) == "scenario (line 1): repeat: expected true or false");
    // A key on a line of its own, and a duplicate named where it occurs the second time.
    CHECK(refused("{\"name\": \"t\",\n\"phases\": [{\"name\": \"p\",\n \"duration\": 1,\n\n \"duration\": 2}]}") ==
          "scenario (line 5): phases[0].duration: given twice");
    CHECK(refused("{\n\"name\": \"t\",\n\"phases\": [\n{\"name\": \"p\", \"duration\": 1},\n"
                  "{\"name\": \"q\",\n \"duration\": 1, \"set\": {\n \"ok\": 1}}]}") ==
          "scenario (line 7): phases[1].set.ok: unknown setting");
}

TEST_CASE("scenario: JSON syntax errors name their line") {
    CHECK(refused("{\n  \"name\": \"x\"\n  \"phases\": []\n}") == "scenario: not valid JSON (line 3): ',' or '}' expected");
    CHECK(refused("{\n  \"name\": \"x\",\n  \"phases\": [}\n") == "scenario: not valid JSON (line 3): a value expected");
    CHECK(refused("{\"name\": \"x\",}") == "scenario: not valid JSON (line 1): a key in double quotes expected");
    CHECK(refused("{\"name\" \"x\"}") == "scenario: not valid JSON (line 1): ':' expected after a key");
    CHECK(refused("{\"name\": [1 2]}") == "scenario: not valid JSON (line 1): ',' or ']' expected");
    CHECK(refused("\n\n{\"name\": \"x") == "scenario: not valid JSON (line 3): a string is not closed");
    CHECK(refused("{\"name\": \"x\ny\"}") ==
          "scenario: not valid JSON (line 1): a control character in a string (escape it)");
    CHECK(refused("") == "scenario: not valid JSON (line 1): a value expected");
    CHECK(refused("  \n ") == "scenario: not valid JSON (line 2): a value expected");
    CHECK(refused("{}\n{}") == "scenario: not valid JSON (line 2): more text after the end of the scenario");
    CHECK(refused("{\n\"a\": \"\xff\"}") == "scenario: not valid JSON (line 2): not UTF-8");
    CHECK(refused("{\"a\": \"\xc0\xaf\"}") == "scenario: not valid JSON (line 1): not UTF-8");  // overlong '/'
    CHECK(refused("{\"a\": \"\xed\xa0\x80\"}") == "scenario: not valid JSON (line 1): not UTF-8");  // a surrogate
    CHECK(refused("{\"a\": \"x\ty\"}") == "scenario: not valid JSON (line 1): a control character in a string (escape it)");
    CHECK(refused("{\"a\": \"\\q\"}") == "scenario: not valid JSON (line 1): an unknown escape in a string");
    CHECK(refused("{\"a\": \"\\u12g4\"}") == "scenario: not valid JSON (line 1): a \\u escape needs four hex digits");
    CHECK(refused("{\"a\": 01}") == "scenario: not valid JSON (line 1): ',' or '}' expected");
    CHECK(refused("{\"a\": 1.}") == "scenario: not valid JSON (line 1): a digit expected after the decimal point");
    CHECK(refused("{\"a\": 1e}") == "scenario: not valid JSON (line 1): a digit expected in the exponent");
    CHECK(refused("{\"a\": -}") == "scenario: not valid JSON (line 1): a digit expected in a number");
    CHECK(refused("{\"a\": tru}") == "scenario: not valid JSON (line 1): a value expected");
    // What only simdjson refuses (deeper than its 1024 levels) has its message instead of a line.
    const std::string deep = R"({"name": )" + std::string(1100, '[') + std::string(1100, ']') + "}";
    const std::string m = refused(deep);
    CHECK(m.rfind("scenario: not valid JSON: ", 0) == 0);
    CHECK(m.size() > std::string_view("scenario: not valid JSON: ").size());
}

TEST_CASE("scenario: every cut of a valid text is refused with a line") {
    const std::string doc = EXAMPLE;
    const size_t end = doc.find_last_not_of('\n') + 1;  // trailing newlines are still valid
    for (size_t cut = 0; cut < end; ++cut) {
        const std::string part = doc.substr(0, cut);
        const std::string m = refused(part);
        INFO(cut << ": " << m);
        REQUIRE(m.rfind("scenario: not valid JSON (line ", 0) == 0);
        size_t lines = 1;
        for (char c : part) {
            lines += c == '\n' ? 1 : 0;
        }
        const size_t line = std::stoul(m.substr(std::string_view("scenario: not valid JSON (line ").size()));
        CHECK(line >= 1);
        CHECK(line <= lines);
    }
    ok(doc.substr(0, end));
}
