#include <catch2/catch.hpp>

#include "observe/system_probe.hpp"

using namespace lms;

TEST_CASE("system probe: cgroup v2 cpu.max") {
    double c = -1;
    CHECK(parse_cpu_max("max 100000\n", c));
    CHECK(c == 0);
    CHECK(parse_cpu_max("150000 100000\n", c));
    CHECK(c == Approx(1.5));
    CHECK(parse_cpu_max("50000 100000", c));
    CHECK(c == Approx(0.5));
    CHECK_FALSE(parse_cpu_max("garbage", c));
    CHECK_FALSE(parse_cpu_max("100 0", c));
    CHECK_FALSE(parse_cpu_max("x 100000", c));
}

TEST_CASE("system probe: keyed values in meminfo and memory.stat") {
    const char* meminfo = "MemTotal:       24683012 kB\nMemFree:  100 kB\nMemAvailable:   1000 kB\n";
    uint64_t v = 0;
    CHECK(parse_keyed_value(meminfo, "MemTotal", v));
    CHECK(v == 24683012ull * 1024);
    CHECK(parse_keyed_value(meminfo, "MemAvailable", v));
    CHECK(v == 1024000);
    const char* stat = "cache 5\ninactive_file_x 9\ninactive_file 7\ntotal_inactive_file 11\n";
    CHECK(parse_keyed_value(stat, "inactive_file", v));
    CHECK(v == 7);
    CHECK(parse_keyed_value(stat, "total_inactive_file", v));
    CHECK(v == 11);
    v = 42;
    CHECK_FALSE(parse_keyed_value(stat, "absent", v));
    CHECK(v == 42);
}

TEST_CASE("system probe: /proc/self/cgroup paths") {
    const char* v1 = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/x\n0::/\n";
    CHECK(parse_cgroup_path(v1, "memory") == "/docker/abc");
    CHECK(parse_cgroup_path(v1, "cpu") == "/docker/abc");
    CHECK(parse_cgroup_path(v1, "cpuacct") == "/docker/abc");
    CHECK(parse_cgroup_path(v1, "pids").empty());
    CHECK(parse_cgroup_path(v1, "") == "/");
    CHECK(parse_cgroup_path("0::/user.slice/a.scope\n", "") == "/user.slice/a.scope");
}

TEST_CASE("system probe: this machine") {
    system_probe p;
    p.probe();
    cpu_limits c = p.cpu();
    CHECK(c.total_cores >= 1);
    CHECK(c.usable_cores >= 1);
    CHECK(c.usable_cores <= c.affinity_cores);
    memory_state m = p.memory();
    CHECK(m.total_bytes > 0);
    CHECK(m.used_bytes + m.available_bytes == m.total_bytes);
    CHECK(system_probe::process_rss_bytes() > 0);
    CHECK(system_probe::process_open_fds() >= 3);
}
