// system_probe: cgroup-aware limits. Container runtimes mount the container's own cgroup at
// /sys/fs/cgroup, while on a host the process sits somewhere below the mount: the directory is
// always mount point + (cgroup path relative to the mount's root), from mountinfo.
#include "observe/system_probe.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

namespace lms {

namespace {

// Reads up to cap-1 bytes of a small file, NUL-terminated. Returns the length or -1.
ssize_t read_small(const char* path, char* buf, size_t cap) noexcept {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = ::read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        n += size_t(r);
    }
    ::close(fd);
    buf[n] = '\0';
    return ssize_t(n);
}

bool read_u64_file(const std::string& path, uint64_t& v) noexcept {
    char buf[64];
    ssize_t n = read_small(path.c_str(), buf, sizeof buf);
    if (n <= 0) {
        return false;
    }
    auto [p, ec] = std::from_chars(buf, buf + n, v);
    return ec == std::errc();
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        size_t c = list.find(',');
        if (list.substr(0, c) == token) {
            return true;
        }
        if (c == std::string_view::npos) {
            break;
        }
        list.remove_prefix(c + 1);
    }
    return false;
}

// The directory of this process's cgroup in the hierarchy with fstype (cgroup2) or with the
// v1 controller in its super options. Empty when not mounted.
std::string cgroup_dir(const std::string& mountinfo, const std::string& cgroup_path, bool v2,
                       std::string_view controller) {
    std::istringstream lines(mountinfo);
    std::string line;
    while (std::getline(lines, line)) {
        std::vector<std::string> f;
        std::istringstream w(line);
        for (std::string t; w >> t;) {
            f.push_back(t);
        }
        size_t dash = 0;
        while (dash < f.size() && f[dash] != "-") {
            ++dash;
        }
        if (dash + 3 > f.size() || f.size() < 5) {
            continue;
        }
        const std::string& fstype = f[dash + 1];
        const std::string& super = f[dash + 3 < f.size() ? dash + 3 : dash + 2];
        if (v2 ? fstype != "cgroup2" : (fstype != "cgroup" || !has_token(super, controller))) {
            continue;
        }
        const std::string& root = f[3];
        const std::string& mount = f[4];
        std::string rel = cgroup_path;
        if (root != "/" && rel.compare(0, root.size(), root) == 0) {
            rel = rel.substr(root.size());
        }
        if (rel == "/") {
            rel.clear();
        }
        return mount + rel;
    }
    return {};
}

}  // namespace

const char* source_name(limit_source s) noexcept {
    switch (s) {
    case limit_source::cgroup_v1: return "cgroup_v1";
    case limit_source::cgroup_v2: return "cgroup_v2";
    case limit_source::affinity: return "affinity";
    default: return "system";
    }
}

bool parse_cpu_max(std::string_view text, double& cores) noexcept {
    size_t sp = text.find(' ');
    if (sp == std::string_view::npos) {
        return false;
    }
    std::string_view quota = text.substr(0, sp);
    std::string_view period = text.substr(sp + 1);
    while (!period.empty() && (period.back() == '\n' || period.back() == ' ')) {
        period.remove_suffix(1);
    }
    uint64_t p;
    auto [pe, pec] = std::from_chars(period.data(), period.data() + period.size(), p);
    if (pec != std::errc() || pe != period.data() + period.size() || p == 0) {
        return false;
    }
    if (quota == "max") {
        cores = 0;
        return true;
    }
    uint64_t q;
    auto [qe, qec] = std::from_chars(quota.data(), quota.data() + quota.size(), q);
    if (qec != std::errc() || qe != quota.data() + quota.size()) {
        return false;
    }
    cores = double(q) / double(p);
    return true;
}

bool parse_keyed_value(std::string_view text, std::string_view key, uint64_t& value) noexcept {
    size_t at = 0;
    while (at < text.size()) {
        size_t eol = text.find('\n', at);
        std::string_view line = text.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
        at = eol == std::string_view::npos ? text.size() : eol + 1;
        if (line.size() <= key.size() || line.compare(0, key.size(), key) != 0) {
            continue;
        }
        std::string_view rest = line.substr(key.size());
        if (rest[0] == ':') {
            rest.remove_prefix(1);
        } else if (rest[0] != ' ' && rest[0] != '\t') {
            continue;  // a longer key with the same prefix
        }
        while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) {
            rest.remove_prefix(1);
        }
        auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
        if (ec != std::errc()) {
            return false;
        }
        if (std::string_view(p, size_t(rest.data() + rest.size() - p)).find("kB") != std::string_view::npos) {
            value *= 1024;
        }
        return true;
    }
    return false;
}

std::string parse_cgroup_path(std::string_view text, std::string_view controller) {
    std::string t(text);
    std::istringstream lines(t);
    std::string line;
    while (std::getline(lines, line)) {
        size_t c1 = line.find(':');
        size_t c2 = c1 == std::string::npos ? std::string::npos : line.find(':', c1 + 1);
        if (c2 == std::string::npos) {
            continue;
        }
        std::string_view ctrls(line.data() + c1 + 1, c2 - c1 - 1);
        bool match = controller.empty() ? (line.compare(0, c1, "0") == 0 && ctrls.empty()) : has_token(ctrls, controller);
        if (match) {
            return line.substr(c2 + 1);
        }
    }
    return {};
}

void system_probe::probe() {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_.total_cores = online > 0 ? uint32_t(online) : 1;
    cpu_set_t set;
    CPU_ZERO(&set);
    cpu_.affinity_cores = sched_getaffinity(0, sizeof set, &set) == 0 ? uint32_t(CPU_COUNT(&set)) : cpu_.total_cores;
    cpu_.quota_cores = 0;
    cpu_.source = limit_source::affinity;

    std::string cgroup = read_text("/proc/self/cgroup");
    std::string mountinfo = read_text("/proc/self/mountinfo");

    // cgroup v2 (unified): cpu.max and memory.max, the tightest along the path to the root.
    std::string v2path = parse_cgroup_path(cgroup, "");
    std::string v2dir = v2path.empty() ? std::string() : cgroup_dir(mountinfo, v2path, true, "");
    std::string v2mount = v2path.empty() ? std::string() : cgroup_dir(mountinfo, "/", true, "");
    // Memory first: on a hybrid host the v2 tree may exist without controllers.
    uint64_t phys = 0;
    {
        char buf[4096];
        if (read_small("/proc/meminfo", buf, sizeof buf) > 0) {
            parse_keyed_value(buf, "MemTotal", phys);
        }
    }
    auto tighter_quota = [&](double q, limit_source src) {
        if (q > 0 && (cpu_.quota_cores == 0 || q < cpu_.quota_cores)) {
            cpu_.quota_cores = q;
            cpu_.source = src;
        }
    };
    if (!v2dir.empty()) {
        for (std::string d = v2dir; d.size() >= v2mount.size() && !d.empty(); d = d.substr(0, d.rfind('/'))) {
            char buf[128];
            double q;
            if (read_small((d + "/cpu.max").c_str(), buf, sizeof buf) > 0 && parse_cpu_max(buf, q)) {
                tighter_quota(q, limit_source::cgroup_v2);
            }
            uint64_t m;
            if (read_u64_file(d + "/memory.max", m) && m < phys && (mem_limit_ == 0 || m < mem_limit_)) {
                mem_limit_ = m;
                mem_source_ = limit_source::cgroup_v2;
                mem_dir_ = v2dir;
            }
            if (d == v2mount) {
                break;
            }
        }
    }
    // cgroup v1: cpu.cfs_quota_us / cfs_period_us; memory.limit_in_bytes and the hierarchical
    // limit from memory.stat.
    std::string cpu_path = parse_cgroup_path(cgroup, "cpu");
    if (!cpu_path.empty()) {
        std::string dir = cgroup_dir(mountinfo, cpu_path, false, "cpu");
        std::string top = cgroup_dir(mountinfo, "/", false, "cpu");
        for (std::string d = dir; !d.empty() && d.size() >= top.size(); d = d.substr(0, d.rfind('/'))) {
            uint64_t period;
            char buf[64];
            if (read_u64_file(d + "/cpu.cfs_period_us", period) && period > 0 &&
                read_small((d + "/cpu.cfs_quota_us").c_str(), buf, sizeof buf) > 0 && buf[0] != '-') {
                uint64_t quota = 0;
                std::from_chars(buf, buf + sizeof buf, quota);
                tighter_quota(double(quota) / double(period), limit_source::cgroup_v1);
            }
            if (d == top) {
                break;
            }
        }
    }
    std::string mem_path = parse_cgroup_path(cgroup, "memory");
    if (!mem_path.empty() && mem_source_ == limit_source::system) {
        std::string dir = cgroup_dir(mountinfo, mem_path, false, "memory");
        uint64_t m = 0, h = 0;
        char buf[8192];
        bool have_m = !dir.empty() && read_u64_file(dir + "/memory.limit_in_bytes", m);
        if (!dir.empty() && read_small((dir + "/memory.stat").c_str(), buf, sizeof buf) > 0 &&
            parse_keyed_value(buf, "hierarchical_memory_limit", h) && (!have_m || h < m)) {
            m = h;
            have_m = true;
        }
        if (have_m && m < phys) {
            mem_limit_ = m;
            mem_source_ = limit_source::cgroup_v1;
            mem_dir_ = dir;
        }
    }

    uint32_t usable = cpu_.affinity_cores;
    if (cpu_.quota_cores > 0) {
        auto q = uint32_t(std::ceil(cpu_.quota_cores - 1e-9));
        if (q < usable) {
            usable = q;
        } else {
            cpu_.source = limit_source::affinity;
        }
    }
    cpu_.usable_cores = usable == 0 ? 1 : usable;
}

memory_state system_probe::memory() const noexcept {
    memory_state s{};
    char buf[8192];
    if (mem_source_ != limit_source::system) {
        const bool v2 = mem_source_ == limit_source::cgroup_v2;
        // mem_dir_ is fixed after probe(); building the path needs no allocation.
        char path[512];
        auto at = [&](const char* name) {
            int n = snprintf(path, sizeof path, "%s/%s", mem_dir_.c_str(), name);
            return n > 0 && size_t(n) < sizeof path ? path : "";
        };
        uint64_t usage = 0, inactive = 0;
        if (read_small(at(v2 ? "memory.current" : "memory.usage_in_bytes"), buf, sizeof buf) > 0) {
            std::from_chars(buf, buf + sizeof buf, usage);
            if (read_small(at("memory.stat"), buf, sizeof buf) > 0) {
                parse_keyed_value(buf, v2 ? "inactive_file" : "total_inactive_file", inactive);
            }
            s.total_bytes = mem_limit_;
            s.used_bytes = usage > inactive ? usage - inactive : usage;
            if (s.used_bytes > s.total_bytes) {
                s.used_bytes = s.total_bytes;
            }
            s.available_bytes = s.total_bytes - s.used_bytes;
            s.source = mem_source_;
            return s;
        }
    }
    uint64_t total = 0, avail = 0;
    if (read_small("/proc/meminfo", buf, sizeof buf) > 0) {
        parse_keyed_value(buf, "MemTotal", total);
        parse_keyed_value(buf, "MemAvailable", avail);
    }
    s.total_bytes = total;
    s.available_bytes = avail < total ? avail : total;
    s.used_bytes = total - s.available_bytes;
    s.source = limit_source::system;
    return s;
}

uint64_t system_probe::process_rss_bytes() noexcept {
    char buf[128];
    if (read_small("/proc/self/statm", buf, sizeof buf) <= 0) {
        return 0;
    }
    uint64_t size = 0, rss = 0;
    auto [p, ec] = std::from_chars(buf, buf + sizeof buf, size);
    if (ec == std::errc() && *p == ' ') {
        std::from_chars(p + 1, buf + sizeof buf, rss);
    }
    return rss * uint64_t(sysconf(_SC_PAGESIZE));
}

uint64_t system_probe::process_virtual_bytes() noexcept {
    char buf[128];
    uint64_t size = 0;
    if (read_small("/proc/self/statm", buf, sizeof buf) > 0) {
        std::from_chars(buf, buf + sizeof buf, size);
    }
    return size * uint64_t(sysconf(_SC_PAGESIZE));
}

double system_probe::process_cpu_seconds() noexcept {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

uint64_t system_probe::process_open_fds() noexcept {
    DIR* d = opendir("/proc/self/fd");  // glibc allocates the DIR once per call: /metrics only
    if (d == nullptr) {
        return 0;
    }
    uint64_t n = 0;
    while (dirent* e = readdir(d)) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n > 0 ? n - 1 : 0;  // less the directory's own fd
}

uint64_t system_probe::raise_nofile_limit() noexcept {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return 1024;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit up = rl;
        up.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
            rl = up;
        }
    }
    return rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : uint64_t(rl.rlim_cur);
}

uint64_t system_probe::open_fds() noexcept {
    DIR* d = opendir("/proc/self/fd");
    if (d == nullptr) {
        return 3;  // stdin, stdout, stderr
    }
    uint64_t n = 0;
    while (dirent* e = readdir(d)) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n > 0 ? n - 1 : 0;  // not counting the directory's own fd
}

}  // namespace lms
