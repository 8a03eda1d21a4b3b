#pragma once
// system_probe: what the box allows this process — usable cores, memory limit and use, open
// files, resident memory — from cgroup v2, cgroup v1, or the system (/proc/meminfo).
//
// Level 1. The cgroup files are located once by probe() at startup (reads /proc/self/cgroup
// and /proc/self/mountinfo); afterwards memory() and process_*() read a few small files each
// with open/read/close into stack buffers: no allocation, safe from any worker thread.
// The parse_* functions are pure and unit-tested with literal file contents.
#include <cstdint>
#include <string>
#include <string_view>

namespace lms {

enum class limit_source : uint8_t { system, cgroup_v1, cgroup_v2, affinity };
[[nodiscard]] const char* source_name(limit_source s) noexcept;

struct cpu_limits {
    uint32_t total_cores;      // online CPUs of the machine
    uint32_t affinity_cores;   // CPUs in this process's affinity mask
    double quota_cores;        // cgroup quota in cores; 0 when unlimited
    uint32_t usable_cores;     // min(affinity, ceil(quota)), at least 1
    limit_source source;       // which of the two decided usable_cores
};

struct memory_state {
    uint64_t total_bytes;      // cgroup limit, else MemTotal
    uint64_t used_bytes;       // cgroup usage less inactive file cache, else MemTotal - MemAvailable
    uint64_t available_bytes;  // total - used
    limit_source source;
};

// "max 100000" / "50000 100000" -> cores (0 for max). False when malformed.
[[nodiscard]] bool parse_cpu_max(std::string_view text, double& cores) noexcept;
// The value of "key <number>" lines in memory.stat or /proc/meminfo ("MemTotal:  123 kB" gives
// 123 * 1024). False (value unchanged) when absent.
bool parse_keyed_value(std::string_view text, std::string_view key, uint64_t& value) noexcept;
// From /proc/self/cgroup text: the path of the v2 hierarchy ("0::/x") or of the v1 hierarchy
// whose controller list names controller. Empty when absent.
[[nodiscard]] std::string parse_cgroup_path(std::string_view text, std::string_view controller);

class system_probe {
public:
    // Locates the cgroup files (startup; may allocate).
    void probe();

    [[nodiscard]] cpu_limits cpu() const noexcept { return cpu_; }
    // Reads the current memory state (2-3 small files). noexcept, no allocation.
    [[nodiscard]] memory_state memory() const noexcept;

    // Resident set size of this process in bytes (/proc/self/statm).
    [[nodiscard]] static uint64_t process_rss_bytes() noexcept;
    // User+system CPU seconds of this process (getrusage).
    [[nodiscard]] static double process_cpu_seconds() noexcept;
    // Virtual memory size in bytes (/proc/self/statm).
    [[nodiscard]] static uint64_t process_virtual_bytes() noexcept;
    // Open file descriptors (counts /proc/self/fd entries; O(open fds)).
    [[nodiscard]] static uint64_t process_open_fds() noexcept;

    // Raises the soft RLIMIT_NOFILE to the hard limit; returns the resulting soft limit.
    static uint64_t raise_nofile_limit() noexcept;
    // File descriptors open in this process now (inherited ones included).
    static uint64_t open_fds() noexcept;

private:
    cpu_limits cpu_{};
    limit_source mem_source_ = limit_source::system;
    std::string mem_dir_;  // the cgroup directory holding the memory files
    uint64_t mem_limit_ = 0;  // cgroup limit (0: none; then /proc/meminfo)
};

}  // namespace lms
