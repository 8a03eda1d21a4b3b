#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "observe/dashboard_page.hpp"

using namespace lms;

TEST_CASE("dashboard: the embedded page, its content type and headers") {
    const std::string_view page = dashboard_page();
    CHECK(DASHBOARD_CONTENT_TYPE == "text/html; charset=utf-8");
    CHECK(DASHBOARD_HEADERS == "Cache-Control: no-store\r\n");
    REQUIRE(page.size() > 1000);
    CHECK(page.size() <= DASHBOARD_PAGE_MAX);
    CHECK(page.substr(0, 15) == "<!doctype html>");
    CHECK(page.substr(page.size() - 15) == "</body></html>\n");
    CHECK(page.data()[page.size()] == '\0');
    // The figures the browser test reads, and the two routes the page polls (relative paths).
    for (std::string_view id : {"id=\"v-held\"", "id=\"v-max\"", "id=\"v-ttft-p99\"", "id=\"v-itl-p50\"",
                                "id=\"v-late-p99\"", "id=\"v-ratelimited\"", "id=\"v-early\"", "id=\"v-faults\"",
                                "id=\"v-phase\"", "id=\"v-rss\"", "id=\"v-conns\"", "id=\"v-queue\"",
                                "fetch(\"health\"", "fetch(\"metrics\""}) {
        INFO(id);
        CHECK(page.find(id) != std::string_view::npos);
    }
    // The binary's copy is the file's (the unit tests run from the repository root).
    std::ifstream f("src/observe/dashboard.html", std::ios::binary);
    if (f) {
        std::stringstream s;
        s << f.rdbuf();
        CHECK(s.str() == page);
    }
}
