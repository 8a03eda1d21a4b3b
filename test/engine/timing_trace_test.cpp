// timing_trace tests: the phases of a request land in one record, in order; writes that are
// not a request's first are not records; the ring keeps the newest; the table's format.
#include "engine/timing_trace.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::vector<std::string>> read_table(const std::string& name) {
    std::ifstream f(name);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(f, line)) {
        std::vector<std::string> cells;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, '\t')) {
            cells.push_back(cell);
        }
        rows.push_back(cells);
    }
    return rows;
}

}  // namespace

TEST_CASE("timing_trace: one record a request, phases in order, the ring keeps the newest", "[timing_trace]") {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    lms::timing_trace t(3, 4);
    t.accepted(2, sv[0]);
    t.written(2, 0, 0);  // no request yet (e.g. a 408 before any byte): no record
    CHECK(t.total() == 0);
    t.reading(2);
    t.complete(2);
    t.planned(2, 123);
    t.planned(2, 456);  // a later timer (a stream's next token) is not the deadline
    t.written(2, 99, 7);
    t.written(2, 99, 7);  // the stream's next write: not a new record
    CHECK(t.total() == 1);
    // The second request on the connection: no accept time, seq 1; a queued one's grant
    // replaces the deadline planned before it.
    t.reading(2);
    t.complete(2);
    t.planned(2, 500);
    t.granted(2);
    t.planned(2, 900);
    t.written(2, 5, 1);
    // A pipelined request: complete without a read of its own takes the complete time.
    t.complete(2);
    t.written(2, 6, 1);
    t.complete(2);
    t.written(2, 7, 1);
    CHECK(t.total() == 4);

    char path[] = "/tmp/timing_trace_testXXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    REQUIRE(t.write_file(path, 3));
    const std::string name = std::string(path) + ".3.tsv";
    const auto rows = read_table(name);
    std::remove(path);
    std::remove(name.c_str());
    ::close(sv[0]);
    ::close(sv[1]);
    REQUIRE(rows.size() == 4);  // the header and the newest 3 of 4
    CHECK(rows[0] == std::vector<std::string>{"worker", "peer", "seq", "route", "accept_ns", "read_ns", "complete_ns",
                                              "admitted_ns", "granted_ns", "due_ns", "written_ns"});
    for (size_t i = 1; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() == 11);
        CHECK(rows[i][0] == "3");
        CHECK(rows[i][2] == std::to_string(i));  // seq 1, 2, 3: the first record fell out
        CHECK(rows[i][4] == "0");                // only a connection's first request has the accept time
        const uint64_t read = std::stoull(rows[i][5]), complete = std::stoull(rows[i][6]);
        const uint64_t written = std::stoull(rows[i][10]);
        CHECK(read > 0);
        CHECK(read <= complete);
        CHECK(complete <= written);
    }
    CHECK(rows[1][7] == "5");
    CHECK(rows[1][9] == "900");           // the deadline after the grant
    CHECK(std::stoull(rows[1][8]) != 0);  // granted
    CHECK(rows[2][5] == rows[2][6]);      // pipelined: read = complete
    CHECK(rows[3][3] == "1");
    CHECK(rows[3][9] == "0");  // answered at once
}
