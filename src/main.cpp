// main: settings, limits, listeners, workers, signals. Level 3: the only place that may throw
// (turned into one message and exit 1) or print; the workers never do either.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/clock.hpp"
#include "answer/tokens.hpp"
#include "dialects/openai_chat.hpp"
#include "service/admin_api.hpp"
#include "service/live_config.hpp"
#include "service/prefix_cache.hpp"
#include "service/rate_limiter.hpp"
#include "settings/config.hpp"
#include "observe/healthcheck.hpp"
#include "engine/listener.hpp"
#include "engine/server.hpp"
#include "engine/worker.hpp"

#ifndef LMS_VERSION
#define LMS_VERSION "0.1.0"
#endif

namespace {

using namespace lms;

// What one held request costs: bench/hold.sh measured 1,461 bytes of cgroup memory per held
// keep-alive request (5,000 held, cgroup v1, kernel socket included; the process's own share
// is the ~200-byte connection record, allocated at startup). Rounded up to 2 KiB for headroom.
// Used only to derive the default MAX_CONCURRENT from the memory limit.
constexpr uint64_t HELD_REQUEST_BYTES = 2048;
constexpr uint64_t BASE_MEMORY_BYTES = 64ull << 20;  // process, pools and page cache headroom
constexpr uint64_t FD_TABLE_RESERVE = 65536;  // fds the table is sized for at startup (reserve_fd_table)
constexpr size_t WORKER_STACK_BYTES = 256 * 1024;
constexpr uint32_t ORIGINAL_PER_CORE = 1500;

std::atomic<unsigned> workers_running{0};

void* worker_main(void* arg) {
    static_cast<worker*>(arg)->run();
    workers_running.fetch_sub(1);
    return nullptr;
}

void log(const std::string& s) {
    fmt::print(stderr, "llm-mock-server: {}\n", s);
}

int run(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "healthcheck") == 0 || std::strcmp(argv[1], "--healthcheck") == 0)) {
        return run_healthcheck(argc - 1, argv + 1, [](const char* n) -> const char* { return std::getenv(n); });
    }
    config cfg;
    std::string msg;
    switch (parse_config(argc, argv, [](const char* n) -> const char* { return std::getenv(n); }, cfg, msg)) {
    case config_status::help:
        fmt::print("{}", config_help());
        return 0;
    case config_status::help_markdown:
        fmt::print("{}", config_markdown());
        return 0;
    case config_status::version:
        fmt::print("llm-mock-server {}\n", LMS_VERSION);
        return 0;
    case config_status::error:
        log(msg);
        return 2;
    case config_status::ok:
        break;
    }
    if (cfg.shutdown_timeout_ms == 0) {
        cfg.shutdown_timeout_ms = cfg.delay_ms + 5000;
    }

    uint64_t nofile = system_probe::raise_nofile_limit();
    system_probe probe;
    probe.probe();
    cpu_limits cpu = probe.cpu();
    memory_state mem = probe.memory();
    unsigned workers = cfg.worker_threads ? cfg.worker_threads : cpu.usable_cores;

    // Every held request needs a connection, and every connection a file descriptor.
    // The reserve: fds open now (inherited ones too), and per worker a listener, epoll, timerfd,
    // eventfd and spare fd, with room for /proc and cgroup reads.
    uint64_t reserve = 32 + 5ull * workers + system_probe::open_fds();
    uint64_t fd_cap = nofile > reserve + 1 ? nofile - reserve : 1;
    uint64_t mem_budget = mem.total_bytes > BASE_MEMORY_BYTES ? mem.total_bytes - BASE_MEMORY_BYTES : 0;
    uint64_t mem_cap = mem_budget / HELD_REQUEST_BYTES;
    uint32_t max_conc = cfg.max_concurrent;
    const char* decided_by = "MAX_CONCURRENT";
    if (max_conc == 0) {
        bool fd_bound = fd_cap <= mem_cap;
        uint64_t v = fd_bound ? fd_cap : mem_cap;
        max_conc = uint32_t(std::max<uint64_t>(1, std::min<uint64_t>(v, 0xffffffffu)));
        decided_by = fd_bound ? "the open-file limit" : "the memory limit";
        if (max_conc < ORIGINAL_PER_CORE * workers) {
            log(fmt::format("warning: MAX_CONCURRENT defaults to only {} (below {} per core), capped by {}; {}",
                            max_conc, ORIGINAL_PER_CORE, decided_by,
                            fd_bound ? "raise the hard open-file limit (ulimit -Hn, compose ulimits: nofile)"
                                     : "give the container more memory"));
        }
    }
    uint32_t max_conns = cfg.max_connections ? cfg.max_connections : uint32_t(std::min<uint64_t>(fd_cap, 1u << 24));
    uint32_t buffers = cfg.read_buffers ? cfg.read_buffers : std::min<uint32_t>(max_conns, 512);

    // Listeners: the first binds (port 0 picks one), the others share its port.
    std::vector<int> fds;
    uint16_t port = cfg.port;
    for (unsigned i = 0; i < workers; ++i) {
        int fd = open_listener(cfg.host, port, 65535);
        if (fd < 0) {
            log(fmt::format("cannot listen on {}:{}: {}", cfg.host, port, strerror(-fd)));
            return 1;
        }
        port = bound_port(fd);
        fds.push_back(fd);
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);  // inherited by the workers
    signal(SIGPIPE, SIG_IGN);

    // Open connections over all workers stay below the open-file limit (the reserve keeps the
    // listeners, epoll, timerfd, eventfd, spare fds and /proc reads), so a flood is refused by
    // this count at once instead of meeting EMFILE in accept(): with several workers the
    // spare-fd trick alone races (one worker's freed fd is taken by another's accept).
    uint64_t budget = std::min<uint64_t>(fd_cap, uint64_t(max_conns) * workers);
    // The fd table sized now, not by accept() under load (see reserve_fd_table): up to 65,536
    // fds (512 KiB of kernel memory); past that it grows, with one stall per doubling.
    reserve_fd_table(int(std::min<uint64_t>({nofile, budget + reserve, FD_TABLE_RESERVE})));
    server srv(cfg, max_conc, workers, uint32_t(std::min<uint64_t>(budget, 0xffffffffu)));
    srv.probe = probe;
    srv.max_fds = nofile;
    srv.max_connections = max_conns;
    srv.start_unix = unix_seconds();
    srv.model_name = std::string_view(srv.cfg.models).substr(0, srv.cfg.models.find(','));
    srv.text = srv.cfg.content == content_mode::text ? std::string_view(srv.cfg.content_text) : CHAT_CONTENT;
    srv.text_tokens = count_tokens(srv.text);
    // vLLM's waiting queue: its nodes are allocated now; waiters hold a connection each.
    if (cfg.max_waiting != 0) {
        if (!srv.queue.init(cfg.max_waiting, workers)) {
            log(fmt::format("MAX_WAITING: cannot allocate a queue of {} for {} workers", cfg.max_waiting, workers));
            return 1;
        }
        if (uint64_t(max_conc) + cfg.max_waiting > budget) {
            log(fmt::format("warning: MAX_CONCURRENT {} + MAX_WAITING {} exceed the {} connections the open-file limit "
                            "allows: connections past it are closed at once",
                            max_conc, cfg.max_waiting, budget));
        }
        log(fmt::format("waiting queue: up to {} requests wait for a slot (MAX_WAIT_SECONDS {}, refused with {})",
                        cfg.max_waiting, double(cfg.max_wait_ms) / 1000.0, cfg.queue_full_status));
    }
    // The rate limits: the table is sized and the tiers put in it now, before any worker runs.
    rate_limiter limits;
    {
        const rate_limits global{cfg.rate_limit_rpm, cfg.rate_limit_tpm};
        std::vector<rate_tier> tiers;
        std::string err;
        if (!parse_rate_limit_keys(cfg.rate_limit_keys, global, tiers, err)) {
            log(err);
            return 1;
        }
        static_assert(CONFIG_RATE_MIN_KEYS == RATE_MIN_KEYS, "parse_config checks the rate limiter's minimum");
        // Always: RATE_LIMIT_RPM / RATE_LIMIT_TPM may be turned on live. The table is calloc'd
        // address space; the pages no key touches cost no memory.
        if (!limits.init(cfg.rate_limit_max_keys, global, tiers, err)) {
            constexpr std::string_view OWN = "rate limiter: ";
            log("RATE_LIMIT_MAX_KEYS: " + (err.rfind(OWN, 0) == 0 ? err.substr(OWN.size()) : err));
            return 1;
        }
        srv.rate = &limits;
        if (limits.enabled()) {
            log(fmt::format("rate limits per key: {} requests/min, {} tokens/min, {} tiers, {} keys at most", global.rpm,
                            global.tpm, tiers.size(), cfg.rate_limit_max_keys));
        }
    }
    // vLLM's prefix cache: one table for every worker (a client's next turn lands on any of
    // them), calloc'd now; the sets no block reaches cost no memory.
    prefix_cache prefix;
    if (cfg.prefix_cache_blocks != 0) {
        std::string err;
        if (!prefix.init(cfg.prefix_cache_blocks, err)) {
            log("PREFIX_CACHE_BLOCKS: " + err);
            return 1;
        }
        srv.prefix = &prefix;
        log(fmt::format("prefix cache: {} blocks of {} tokens ({} MiB of address space)", cfg.prefix_cache_blocks,
                        cfg.prefix_block_tokens, (uint64_t(cfg.prefix_cache_blocks) / PREFIX_WAYS + 1) * 64 >> 20));
    }
    // Live control: the settings snapshots every worker reads, and the admin routes and
    // scenario thread that change them.
    live_config live(srv.cfg, workers);
    srv.live = &live;
    admin_api admin(srv, cfg.admin_token);
    srv.admin = &admin;
    if (!cfg.scenario_file.empty()) {
        std::ifstream f(cfg.scenario_file, std::ios::binary);
        std::stringstream text;
        text << f.rdbuf();
        std::string err;
        if (!f.good() && !f.eof()) {
            log(fmt::format("SCENARIO_FILE: cannot read {:?}", cfg.scenario_file));
            return 2;
        }
        if (!admin.start_scenario(text.str(), monotonic_ns(), err)) {
            log(fmt::format("SCENARIO_FILE {:?}: {}", cfg.scenario_file, err));
            return 2;
        }
        log(fmt::format("scenario from {} running", cfg.scenario_file));
    }
    if (admin.enabled()) {
        log("admin routes on: /admin/config, /admin/scenario (Authorization: Bearer ADMIN_TOKEN)");
    }
    std::vector<std::unique_ptr<worker>> ws;
    for (unsigned i = 0; i < workers; ++i) {
        ws.push_back(std::make_unique<worker>(srv, i, fds[i], max_conns, buffers));
    }

    log(fmt::format("{} listening on http://{}{}{}:{}", LMS_VERSION, cfg.host.find(':') != std::string::npos ? "[" : "",
                    cfg.host, cfg.host.find(':') != std::string::npos ? "]" : "", port));
    if (cfg.dashboard) {
        // A wildcard address is not one a browser can open: the same machine's name for it.
        const bool any = cfg.host == "0.0.0.0" || cfg.host == "::";
        const bool v6 = !any && cfg.host.find(':') != std::string::npos;
        log(fmt::format("dashboard: http://{}{}{}:{}/dashboard", v6 ? "[" : "", any ? std::string("localhost") : cfg.host,
                        v6 ? "]" : "", port));
    }
    log(fmt::format("workers {} (usable cores {}: affinity {}, cgroup quota {}, source {}; machine has {})", workers,
                    cpu.usable_cores, cpu.affinity_cores,
                    cpu.quota_cores > 0 ? fmt::format("{:.2f}", cpu.quota_cores) : std::string("none"),
                    source_name(cpu.source), cpu.total_cores));
    log(fmt::format("max concurrent {} (set by {}; open-file limit {} allows {}, memory {} MiB from {} allows {} at "
                    "{} bytes per held request)",
                    max_conc, decided_by, nofile, fd_cap, mem.total_bytes >> 20, source_name(mem.source), mem_cap,
                    HELD_REQUEST_BYTES));
    log(fmt::format("delay {} s, max body {} bytes, connections {} per worker and {} in all, read buffers {} x {} "
                    "bytes per worker",
                    to_string(cfg.delay_model), cfg.max_body_bytes, max_conns, srv.connections.limit(), buffers,
                    worker::read_buffer_bytes(cfg)));
    log(fmt::format("streams: TTFT {}, ITL {} s, answer text {} tokens ({}), models {}", 
                    cfg.has_ttft ? to_string(cfg.ttft) + " s" : std::string("= the delay"), to_string(cfg.itl),
                    srv.text_tokens, cfg.content == content_mode::echo ? "echo" : cfg.content == content_mode::text ? "CONTENT_TEXT" : "original",
                    cfg.models));

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
    std::vector<pthread_t> threads(workers);
    workers_running = workers;
    for (unsigned i = 0; i < workers; ++i) {
        if (int e = pthread_create(&threads[i], &attr, worker_main, ws[i].get()); e != 0) {
            log(fmt::format("cannot start worker thread: {}", strerror(e)));
            return 1;
        }
    }

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
    }
    log(fmt::format("{}: draining {} held requests (up to {} ms), refusing new connections",
                    sig == SIGTERM ? "SIGTERM" : "SIGINT", srv.slots.active(), cfg.shutdown_timeout_ms));
    srv.draining = true;
    for (auto& w : ws) {
        w->stop();
    }
    // A second signal exits at once; otherwise wait for the workers to finish their drain.
    timespec tick{0, 20 * 1000 * 1000};
    while (workers_running.load() != 0) {
        if (sigtimedwait(&sigs, nullptr, &tick) > 0) {
            log("second signal: exiting now without draining");
            _exit(1);
        }
    }
    for (pthread_t t : threads) {
        pthread_join(t, nullptr);
    }
    for (auto& w : ws) {
        if (std::string m = w->write_timing(); !m.empty()) {
            log(m);
        }
    }
    log("drained; exiting");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        log(std::string("startup failed: ") + e.what());
        return 1;
    }
}
