#include <catch2/catch.hpp>

#include <simdjson.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "answer/schema_json.hpp"

using namespace lms;

namespace {

struct generated {
    schema_status st;
    std::string json;
};

// schema_json generated with seed into a cap-byte buffer (the test may allocate).
generated gen_with(const std::string& schema, uint64_t seed, size_t cap = 65536) {
    simdjson::dom::parser p;
    simdjson::dom::element s;
    REQUIRE(p.parse(schema).get(s) == simdjson::SUCCESS);
    std::vector<char> mem(cap + 1, '#');
    out_buf o(mem.data(), cap);
    rng r{seed};
    schema_status st = generate_json(s, o, r);
    CHECK(o.len <= cap);
    CHECK(mem[cap] == '#');  // nothing written past cap
    return {st, std::string(o.p, o.len)};
}
std::string gen_ok(const std::string& schema, uint64_t seed) {
    generated g = gen_with(schema, seed);
    REQUIRE(g.st == schema_status::ok);
    return g.json;
}
// The value reparsed (the parser is kept so the element stays valid).
struct reparsed {
    simdjson::dom::parser p;
    simdjson::dom::element e;
    explicit reparsed(const std::string& json) { REQUIRE(p.parse(json).get(e) == simdjson::SUCCESS); }
};
const char* check_text(const std::string& schema, std::string* path = nullptr) {
    static simdjson::dom::parser p;
    simdjson::dom::element s;
    REQUIRE(p.parse(schema).get(s) == simdjson::SUCCESS);
    char mem[128];
    out_buf where(mem, sizeof mem);
    const char* e = check_schema(s, &where);
    if (path) *path = std::string(where.view());
    return e;
}
// The string, number or integer a value is (copied out: the parser goes away).
std::string str_of(const std::string& json) {
    reparsed r(json);
    return std::string(r.e.get_string().value());
}
double num_of(const std::string& json) {
    reparsed r(json);
    return r.e.get_double().value();
}
int64_t int_of(const std::string& json) {
    reparsed r(json);
    return r.e.get_int64().value();
}
std::string minified(const std::string& json) {
    reparsed r(json);
    return simdjson::minify(r.e);
}

}  // namespace

TEST_CASE("schema_json: minItems and maxItems exactly", "[schema_json]") {
    for (uint64_t seed = 1; seed <= 50; seed++) {
        reparsed four(gen_ok(R"({"type":"array","items":{"type":"integer"},"minItems":4,"maxItems":4})", seed));
        CHECK(four.e.get_array().value().size() == 4);
        reparsed many(gen_ok(R"({"type":"array","items":{"type":"boolean"},"minItems":7})", seed));
        CHECK(many.e.get_array().value().size() == 7);
        CHECK(gen_ok(R"({"type":"array","items":{"type":"string"},"maxItems":0})", seed) == "[]");
        // A negative maximum (an invalid schema a client may still send) is taken as 0, not
        // converted to size_t (undefined; found by clang's UBSan through fuzz_chat_body).
        CHECK(gen_ok(R"({"type":"array","items":{"type":"string"},"maxItems":-15})", seed) == "[]");
        CHECK(gen_ok(R"({"type":"string","maxLength":-3})", seed) == "\"\"");
        CHECK(gen_ok(R"({"type":"object","maxProperties":-1})", seed) == "{}");
        reparsed upto(gen_ok(R"({"type":"array","items":{"type":"string"},"maxItems":1})", seed));
        CHECK(upto.e.get_array().value().size() <= 1);
    }
}

TEST_CASE("schema_json: minLength and maxLength exactly", "[schema_json]") {
    for (uint64_t seed = 1; seed <= 50; seed++) {
        reparsed five(gen_ok(R"({"type":"string","minLength":5,"maxLength":5})", seed));
        CHECK(five.e.get_string().value().size() == 5);
        reparsed big(gen_ok(R"({"type":"string","minLength":300})", seed));
        CHECK(big.e.get_string().value().size() >= 300);
        CHECK(gen_ok(R"({"type":"string","maxLength":0})", seed) == R"("")");
        reparsed cut(gen_ok(R"({"type":"string","maxLength":3})", seed));
        CHECK(cut.e.get_string().value().size() <= 3);
        std::string s = str_of(gen_ok(R"({"type":"string"})", seed));
        CHECK(!s.empty());  // a word or a phrase, not an empty string
    }
}

TEST_CASE("schema_json: numeric bounds at their limits", "[schema_json]") {
    for (uint64_t seed = 1; seed <= 50; seed++) {
        CHECK(gen_ok(R"({"type":"integer","minimum":7,"maximum":7})", seed) == "7");
        CHECK(gen_ok(R"({"type":"number","minimum":0.1,"maximum":0.1})", seed) == "0.1");
        CHECK(gen_ok(R"({"type":"integer","minimum":3,"exclusiveMaximum":4})", seed) == "3");
        CHECK(gen_ok(R"({"type":"integer","exclusiveMinimum":3,"exclusiveMaximum":5})", seed) == "4");
        // draft-04: boolean exclusive bounds
        CHECK(gen_ok(R"({"type":"integer","minimum":0,"exclusiveMinimum":true,"maximum":2,"exclusiveMaximum":true})", seed) == "1");
        double d = num_of(gen_ok(R"({"type":"number","exclusiveMinimum":0,"exclusiveMaximum":0.001})", seed));
        CHECK(d > 0);
        CHECK(d < 0.001);
        double n = num_of(gen_ok(R"({"type":"number","minimum":-2.5,"maximum":-2.25})", seed));
        CHECK(n >= -2.5);
        CHECK(n <= -2.25);
        int64_t m = int_of(gen_ok(R"({"type":"integer","multipleOf":7,"minimum":10,"maximum":30})", seed));
        CHECK((m == 14 || m == 21 || m == 28));
        double q = num_of(gen_ok(R"({"type":"number","multipleOf":0.25,"minimum":1,"maximum":2})", seed));
        CHECK(q / 0.25 == double(int64_t(q / 0.25)));
        CHECK(q >= 1);
        CHECK(q <= 2);
    }
}

TEST_CASE("schema_json: enum of mixed types, written back exactly", "[schema_json]") {
    std::string schema = R"({"enum":["red",42,3.5,true,null,{"a":[1,"two"]},[1,2],"q\"b\\s","ünï"]})";
    std::set<std::string> members, seen;
    reparsed s(schema);
    simdjson::dom::array arr1 = s.e["enum"].get_array().value();
    for (simdjson::dom::element x : arr1) members.insert(simdjson::minify(x));
    for (uint64_t seed = 1; seed <= 300; seed++) {
        std::string v = gen_ok(schema, seed);
        CHECK(members.count(minified(v)) == 1);
        CHECK(minified(v) == v);  // compact already
        seen.insert(v);
    }
    CHECK(seen.size() == members.size());  // every member gets picked
    // with a type, only the members of that type
    for (uint64_t seed = 1; seed <= 50; seed++) {
        CHECK(gen_ok(R"({"type":"string","enum":[1,"only",null]})", seed) == R"("only")");
    }
}

TEST_CASE("schema_json: const object verbatim", "[schema_json]") {
    std::string c = R"({"version":2,"flags":[true,false,null],"name":"fixed","ratio":0.25,"nested":{"empty":{},"list":[]}})";
    for (uint64_t seed = 1; seed <= 10; seed++) CHECK(gen_ok(R"({"type":"object","const":)" + c + "}", seed) == c);
}

TEST_CASE("schema_json: objects: properties order, required, additionalProperties", "[schema_json]") {
    std::string schema = R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},
        "required":["c","zzz"],"additionalProperties":false})";
    bool saw_a = false, saw_no_a = false;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        std::string v = gen_ok(schema, seed);
        reparsed r(v);
        simdjson::dom::object o = r.e.get_object().value();
        CHECK(o["c"].is_bool());
        CHECK(o["zzz"].error() == simdjson::SUCCESS);  // required with no property schema: still there
        size_t pa = v.find(R"("a":)"), pb = v.find(R"("b":)"), pc = v.find(R"("c":)");
        if (pa != std::string::npos) CHECK(pa < pc);
        if (pb != std::string::npos) CHECK(pb < pc);
        (pa != std::string::npos ? saw_a : saw_no_a) = true;
        for (auto kv : o) CHECK((kv.key == "a" || kv.key == "b" || kv.key == "c" || kv.key == "zzz"));
    }
    CHECK(saw_a);  // optional properties: sometimes in, sometimes out
    CHECK(saw_no_a);
    for (uint64_t seed = 1; seed <= 50; seed++) {
        reparsed r(gen_ok(R"({"type":"object","properties":{"a":{},"b":{},"c":{},"d":{}},"minProperties":3,"maxProperties":3})", seed));
        CHECK(r.e.get_object().value().size() == 3);
        reparsed x(gen_ok(R"({"type":"object","minProperties":2})", seed));  // extra keys only to reach minProperties
        CHECK(x.e.get_object().value().size() == 2);
        CHECK(gen_ok(R"({"type":"object","properties":{"a":{}},"additionalProperties":false,"maxProperties":0})", seed) == "{}");
    }
}

TEST_CASE("schema_json: nested $ref, allOf, anyOf, oneOf", "[schema_json]") {
    std::string refs = R"({"$ref":"#/$defs/a","$defs":{"a":{"type":"object","properties":{"b":{"$ref":"#/definitions/b"}},"required":["b"]}},
        "definitions":{"b":{"type":"array","items":{"$ref":"#/definitions/c~1d"},"minItems":1},"c/d":{"const":"leaf"}}})";
    for (uint64_t seed = 1; seed <= 20; seed++) {
        reparsed r(gen_ok(refs, seed));
        simdjson::dom::array arr2 = r.e["b"].get_array().value();
        for (simdjson::dom::element x : arr2) CHECK(x.get_string().value() == "leaf");
        reparsed all(gen_ok(R"({"allOf":[{"type":"object","properties":{"id":{"type":"integer","minimum":5}},"required":["id"]},
            {"properties":{"id":{"maximum":5},"n":{"type":"string"}},"required":["n"]}]})", seed));
        CHECK(all.e["id"].get_int64().value() == 5);  // bounds from both branches
        CHECK(all.e["n"].is_string());
        std::string one = gen_ok(R"({"oneOf":[{"type":"object","properties":{"t":{"const":"x"},"v":{"type":"integer"}},"required":["t","v"],"additionalProperties":false},
            {"type":"object","properties":{"t":{"const":"y"},"w":{"type":"string"}},"required":["t","w"],"additionalProperties":false}]})", seed);
        reparsed o(one);
        std::string_view t = o.e["t"].get_string().value();
        CHECK((t == "x" ? o.e["v"].is_int64() : o.e["w"].is_string()));
        std::string any = gen_ok(R"({"anyOf":[{"type":"string","maxLength":2},{"type":"null"}]})", seed);
        CHECK((any == "null" || (any.size() <= 4 && any[0] == '"')));
    }
    // a recursion with no finite value ends at the depth limit
    CHECK(gen_with(R"({"type":"object","properties":{"a":{"$ref":"#"}},"required":["a"]})", 1).st == schema_status::too_large);
    // an optional recursion ends well before it
    for (uint64_t seed = 1; seed <= 20; seed++) {
        CHECK(gen_with(R"({"type":"object","properties":{"a":{"$ref":"#"},"b":{"$ref":"#"}}})", seed).st == schema_status::ok);
    }
}

TEST_CASE("schema_json: uniqueItems, formats, patterns, nullable types", "[schema_json]") {
    for (uint64_t seed = 1; seed <= 50; seed++) {
        reparsed u(gen_ok(R"({"type":"array","items":{"enum":["x","y","z"]},"minItems":3,"uniqueItems":true})", seed));
        std::set<std::string_view> distinct;
        simdjson::dom::array arr3 = u.e.get_array().value();
        for (simdjson::dom::element x : arr3) distinct.insert(x.get_string().value());
        CHECK(distinct.size() == 3);
        reparsed b(gen_ok(R"({"type":"array","items":{"type":"boolean"},"uniqueItems":true,"maxItems":5})", seed));
        CHECK(b.e.get_array().value().size() <= 2);
        std::string id = str_of(gen_ok(R"({"type":"string","format":"uuid"})", seed));
        REQUIRE(id.size() == 36);
        CHECK(id[14] == '4');
        std::string dt = str_of(gen_ok(R"({"type":"string","format":"date-time"})", seed));
        CHECK(dt.size() == 20);
        CHECK(dt[10] == 'T');
        CHECK(dt.back() == 'Z');
        std::string zip = str_of(gen_ok(R"({"type":"string","pattern":"^[A-Z]{2}-\\d{3}$"})", seed));
        REQUIRE(zip.size() == 6);
        CHECK((zip[0] >= 'A' && zip[0] <= 'Z' && zip[2] == '-' && zip[5] >= '0' && zip[5] <= '9'));
        std::string n = gen_ok(R"({"type":["string","null"],"maxLength":4})", seed);
        CHECK((n == "null" || (n[0] == '"' && n.size() <= 6)));
    }
}

TEST_CASE("schema_json: true and {} give a short string; false and unknown types are refused", "[schema_json]") {
    CHECK(gen_ok("true", 1).front() == '"');
    CHECK(gen_ok("{}", 1).front() == '"');
    CHECK(gen_with("false", 1).st == schema_status::bad_schema);
    CHECK(gen_with(R"({"type":"strin"})", 1).st == schema_status::bad_schema);
    CHECK(gen_with(R"({"type":"object","properties":{"x":false},"required":["x"]})", 1).st == schema_status::bad_schema);
    std::string path;
    CHECK(std::string_view(check_text(R"({"type":"object","properties":{"city":{"type":"strin"}}})", &path)) ==
          "Invalid schema: unknown type");
    CHECK(path == "properties.city.type");
    CHECK(check_text("false") != nullptr);
    CHECK(check_text(R"({"properties":{"x":false}})") == nullptr);  // false deeper down is fine
    CHECK(check_text(R"({"$ref":"#/$defs/none"})") != nullptr);
    CHECK(check_text(R"({"$ref":"http://example.com/s.json"})") != nullptr);
    CHECK(check_text(R"({"type":"integer","minimum":2,"maximum":1})") != nullptr);
    CHECK(check_text(R"({"enum":[]})") != nullptr);
    CHECK(check_text(R"({"multipleOf":0})") != nullptr);
    CHECK(check_text("[1]") != nullptr);
    // schemas nested exactly SCHEMA_MAX_DEPTH levels pass; one more is refused
    std::string deep = R"({"type":"string"})";
    for (int i = 0; i < SCHEMA_MAX_DEPTH; i++) deep = R"({"type":"array","items":)" + deep + "}";
    CHECK(check_text(deep) == nullptr);
    CHECK(gen_with(deep, 1).st == schema_status::ok);
    CHECK(check_text(R"({"type":"array","items":)" + deep + "}") != nullptr);
}

TEST_CASE("schema_json: too_large at exactly the smallest value's size and one byte less", "[schema_json]") {
    std::string schema = R"({"type":"object","properties":{"a":{"type":"string","minLength":50},"b":{"type":"integer"}},"required":["a"]})";
    size_t smallest = std::string_view(R"({"a":")").size() + 50 + 2;  // {"a":"<50 letters>"}
    for (uint64_t seed = 1; seed <= 20; seed++) {
        generated fits = gen_with(schema, seed, smallest);
        CHECK(fits.st == schema_status::ok);
        CHECK(fits.json.size() == smallest);
        CHECK(gen_with(schema, seed, smallest - 1).st == schema_status::too_large);
    }
    CHECK(gen_with(R"({"type":"integer"})", 1, 0).st == schema_status::too_large);
}

TEST_CASE("schema_json: the same seed gives the same bytes, other seeds differ", "[schema_json]") {
    std::string schema = R"({"type":"object","properties":{"q":{"type":"string"},"n":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["q","n"]})";
    std::set<std::string> values;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        std::string v = gen_ok(schema, seed);
        CHECK(gen_ok(schema, seed) == v);
        values.insert(v);
    }
    CHECK(values.size() >= 18);
}

TEST_CASE("schema_json: appends after what the buffer holds, no allocation", "[schema_json]") {
    simdjson::dom::parser p;
    simdjson::dom::element s = p.parse(std::string(R"({"type":"boolean"})")).value();
    char mem[32];
    out_buf o(mem, sizeof mem);
    o.append("x=");
    rng r{7};
    REQUIRE(generate_json(s, o, r) == schema_status::ok);
    CHECK((o.view() == "x=true" || o.view() == "x=false"));
}

TEST_CASE("schema_json: a pattern's \\n and \\t atoms are escaped in the JSON string", "[schema_json]") {
    // Found by fuzz_chat_body: the newline was written raw, so the value was not JSON.
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        const std::string v = gen_ok(R"({"type":"string","pattern":"^[a-z]+\\npy\\t$"})", seed);
        simdjson::dom::parser p;
        std::string_view s;
        REQUIRE(p.parse(v).get_string().get(s) == simdjson::SUCCESS);
        CHECK(s.find("\npy\t") != std::string_view::npos);
    }
}

// Found by fuzz_chat_body: a minimum length or count of 2^64 - 1 (a JSON number a body may hold)
// was converted from a double to size_t unclamped (undefined behaviour); now it is too large.
TEST_CASE("schema_json: minLength, minItems, minProperties of 2^64 - 1 are too large, not undefined", "[schema_json]") {
    for (const char* s : {R"({"type":"string","minLength":18446744073709551615})",
                          R"({"type":"array","minItems":18446744073709551615})",
                          R"({"type":"object","minProperties":18446744073709551615})"}) {
        INFO(s);
        CHECK(gen_with(s, 1).st == schema_status::too_large);
    }
}
