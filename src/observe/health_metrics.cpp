// health_metrics: /health keeps the original service's fields and adds numeric companions; it reads
// two or three small files per call (the original enumerated every process on the box).
#include "observe/health_metrics.hpp"

#include "answer/json_text.hpp"
#include "engine/clock.hpp"

#include "service/admin_api.hpp"
#include "service/live_config.hpp"
#include "service/prefix_cache.hpp"

namespace lms {

uint64_t server::open_connections() const noexcept {
    uint64_t opened = 0, closed = 0;
    for (unsigned w = 0; w < workers; ++w) {
        opened += stats[w].connections_accepted.load(std::memory_order_relaxed);
        closed += stats[w].connections_closed.load(std::memory_order_relaxed);
    }
    return opened > closed ? opened - closed : 0;
}

int render_health(out_buf& b, const server& s) noexcept {
    uint32_t active = s.slots.active();
    uint32_t limit = s.slots.limit();
    double conc = limit ? double(active) / double(limit) : 0;
    memory_state m = s.probe.memory();
    double mem = m.total_bytes ? double(m.used_bytes) / double(m.total_bytes) : 0;
    // The live settings: the caller (a worker in its call) holds a snapshot at least this new.
    const config& lc = s.live != nullptr ? s.live->current()->cfg : s.cfg;
    const uint64_t generation = s.live != nullptr ? s.live->current()->generation : 0;
    bool healthy = conc * 100 <= lc.health_max_concurrent_pct && mem * 100 <= lc.health_max_memory_pct;
    cpu_limits c = s.probe.cpu();
    uint64_t rss = system_probe::process_rss_bytes();
    constexpr uint64_t MB = 1024 * 1024;
    b.format(R"({{"status":"{}","concurrent_usage":"{:.1f}%","available_slots":{},)"
             R"("memory":{{"total_mb":{},"used_mb":{},"available_mb":{},"usage_percent":"{:.1f}%","source":"{}",)"
             R"("usage_ratio":{:.4f},"process_rss_bytes":{},"process_rss_mb":{:.1f}}},)"
             R"("cpu":{{"total_cores":{},"available_cores":{},"source":"{}"}},)"
             R"("active_requests":{},"max_concurrent_requests":{},"concurrent_usage_ratio":{:.4f},)"
             R"("open_connections":{},"workers":{},"uptime_seconds":{},"config_generation":{},)"
             R"("queue":{{"waiting":{},"max_waiting":{}}},)"
             R"("prefix_cache":{{"blocks":{},"used_blocks":{},"hit_ratio":{:.4f}}}}})",
             healthy ? "healthy" : "overloaded", conc * 100, limit - (active < limit ? active : limit),
             m.total_bytes / MB, m.used_bytes / MB, m.available_bytes / MB, mem * 100, source_name(m.source), mem,
             rss, double(rss) / double(MB), c.total_cores, c.usable_cores, source_name(c.source), active, limit, conc,
             s.open_connections(), s.workers, unix_seconds() - s.start_unix, generation, s.queue.waiting(),
             s.queue.capacity(), s.prefix != nullptr ? s.prefix->blocks() : 0,
             s.prefix != nullptr ? s.prefix->used_blocks() : 0, s.prefix != nullptr ? s.prefix->hit_ratio() : 0.0);
    return healthy ? 200 : 503;
}

namespace {

uint64_t sum(const server& s, counter worker_stats::*field) noexcept {
    uint64_t t = 0;
    for (unsigned w = 0; w < s.workers; ++w) {
        t += (s.stats[w].*field).load(std::memory_order_relaxed);
    }
    return t;
}

// One histogram summed over workers; labels is "" or `name="value"` pairs without braces.
template <unsigned N>
void histogram_text(out_buf& b, const server& s, std::string_view name, std::string_view help,
                    std::string_view labels, const double (&bounds)[N],
                    histogram<N> worker_stats::*h) noexcept {
    b.format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    uint64_t cum = 0;
    uint64_t sum_us = 0;
    std::string_view sep = labels.empty() ? "" : ",";
    for (unsigned i = 0; i <= N; ++i) {
        for (unsigned w = 0; w < s.workers; ++w) {
            cum += (s.stats[w].*h).buckets[i].load(std::memory_order_relaxed);
        }
        if (i < N) {
            b.format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds[i], cum);
        } else {
            b.format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cum);
        }
    }
    for (unsigned w = 0; w < s.workers; ++w) {
        sum_us += (s.stats[w].*h).sum_us.load(std::memory_order_relaxed);
    }
    std::string_view open = labels.empty() ? "" : "{";
    std::string_view close = labels.empty() ? "" : "}";
    b.format("{}_sum{}{}{} {:.6f}\n{}_count{}{}{} {}\n", name, open, labels, close, double(sum_us) / 1e6, name, open,
             labels, close, cum);
}

}  // namespace

void render_metrics(out_buf& b, const server& s) noexcept {
    b.format("# HELP llm_mock_active_requests Requests holding a concurrency slot now.\n"
             "# TYPE llm_mock_active_requests gauge\nllm_mock_active_requests {}\n"
             "# HELP llm_mock_max_concurrent_requests The concurrency limit (MAX_CONCURRENT).\n"
             "# TYPE llm_mock_max_concurrent_requests gauge\nllm_mock_max_concurrent_requests {}\n"
             "# HELP llm_mock_response_delay_configured_seconds The configured delay (RESPONSE_DELAY_SECONDS, its mean).\n"
             "# TYPE llm_mock_response_delay_configured_seconds gauge\n"
             "llm_mock_response_delay_configured_seconds {}\n",
             s.slots.active(), s.slots.limit(),
             double((s.live != nullptr ? s.live->current()->cfg : s.cfg).delay_ms) / 1000.0);
    if (s.live != nullptr && s.admin != nullptr) {
        int phase = -1;
        std::string name;
        try {
            s.admin->phase(phase, name, monotonic_ns());
        } catch (...) {  // std::bad_alloc copying the name: the phase is shown unnamed
            name.clear();
        }
        b.format("# HELP llm_mock_config_generation The live settings' generation (0: as started; +1 per change).\n"
                 "# TYPE llm_mock_config_generation gauge\nllm_mock_config_generation {}\n"
                 "# HELP llm_mock_config_changes_total Accepted changes through /admin/config and /admin/scenario.\n"
                 "# TYPE llm_mock_config_changes_total counter\nllm_mock_config_changes_total {}\n"
                 "# HELP llm_mock_scenario_phase The running scenario's phase (its index from 0; -1 when none runs).\n"
                 "# TYPE llm_mock_scenario_phase gauge\nllm_mock_scenario_phase{{phase=\"",
                 s.live->current()->generation, s.admin->changes());
        json_escape(b, name);  // a label value escapes as a JSON string does (\\, \", newline)
        b.format("\"}} {}\n", phase);
    }
    b.append("# HELP llm_mock_requests_total Requests answered, by route and status.\n"
             "# TYPE llm_mock_requests_total counter\n");
    for (unsigned r = 0; r < unsigned(route::count_); ++r) {
        for (unsigned i = 0; i <= STATUS_COUNT; ++i) {
            uint64_t n = 0;
            for (unsigned w = 0; w < s.workers; ++w) {
                n += s.stats[w].requests[r][i].load(std::memory_order_relaxed);
            }
            if (n != 0) {
                char label[8];
                b.format("llm_mock_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", route_label(route(r)),
                         status_label(i, label), n);
            }
        }
    }
    b.format("# HELP llm_mock_rejected_requests_total Requests refused with 503 for want of a slot.\n"
             "# TYPE llm_mock_rejected_requests_total counter\nllm_mock_rejected_requests_total {}\n"
             "# HELP llm_mock_client_aborts_total Clients that left while their request held a slot.\n"
             "# TYPE llm_mock_client_aborts_total counter\nllm_mock_client_aborts_total {}\n"
             "# HELP llm_mock_open_connections Client connections open now.\n"
             "# TYPE llm_mock_open_connections gauge\nllm_mock_open_connections {}\n"
             "# HELP llm_mock_connections_total Client connections accepted.\n"
             "# TYPE llm_mock_connections_total counter\nllm_mock_connections_total {}\n"
             "# HELP llm_mock_connections_refused_total Connections closed at once: no record, over the connection budget or no file descriptor.\n"
             "# TYPE llm_mock_connections_refused_total counter\nllm_mock_connections_refused_total {}\n"
             "# HELP llm_mock_read_buffer_reclaims_total Slowest partial requests cut with 408 because every read buffer was lent.\n"
             "# TYPE llm_mock_read_buffer_reclaims_total counter\nllm_mock_read_buffer_reclaims_total {}\n"
             "# HELP llm_mock_prompt_tokens_total Prompt tokens received (estimated, about 4 bytes a token).\n"
             "# TYPE llm_mock_prompt_tokens_total counter\nllm_mock_prompt_tokens_total {}\n"
             "# HELP llm_mock_generated_tokens_total Completion tokens sent.\n"
             "# TYPE llm_mock_generated_tokens_total counter\nllm_mock_generated_tokens_total {}\n",
             sum(s, &worker_stats::overload_rejections), sum(s, &worker_stats::client_aborts), s.open_connections(),
             sum(s, &worker_stats::connections_accepted), sum(s, &worker_stats::connections_refused),
             sum(s, &worker_stats::read_buffer_reclaims),
             sum(s, &worker_stats::prompt_tokens), sum(s, &worker_stats::generated_tokens));
    b.append("# HELP llm_mock_faults_injected_total Faults injected, by kind.\n"
             "# TYPE llm_mock_faults_injected_total counter\n");
    for (unsigned f = 1; f < unsigned(fault::count_); ++f) {
        uint64_t n = 0;
        for (unsigned w = 0; w < s.workers; ++w) {
            n += s.stats[w].faults[f].load(std::memory_order_relaxed);
        }
        b.format("llm_mock_faults_injected_total{{kind=\"{}\"}} {}\n", fault_label(fault(f)), n);
    }
    b.format("# HELP llm_mock_rate_limited_total Requests refused with 429 by a per-key rate limit (RATE_LIMIT_*), by limit.\n"
             "# TYPE llm_mock_rate_limited_total counter\n"
             "llm_mock_rate_limited_total{{limit=\"requests\"}} {}\nllm_mock_rate_limited_total{{limit=\"tokens\"}} {}\n"
             "# HELP llm_mock_early_retries_total Requests of a key sent before the wait its last 429 told it.\n"
             "# TYPE llm_mock_early_retries_total counter\nllm_mock_early_retries_total {}\n",
             sum(s, &worker_stats::rate_limited_requests), sum(s, &worker_stats::rate_limited_tokens),
             sum(s, &worker_stats::early_retries));
    histogram_text(b, s, "llm_mock_retry_wait_ratio",
                   "A key's first request after each 429: the time it waited over the time it was told (1 = as told).",
                   "", WAIT_RATIO_BUCKETS, &worker_stats::retry_wait_ratio);
    b.format("# HELP llm_mock_queue_waiting Requests waiting for a slot in the queue (MAX_WAITING).\n"
             "# TYPE llm_mock_queue_waiting gauge\nllm_mock_queue_waiting {}\n"
             "# HELP llm_mock_queue_max_waiting The queue's room (MAX_WAITING; 0: no queue).\n"
             "# TYPE llm_mock_queue_max_waiting gauge\nllm_mock_queue_max_waiting {}\n"
             "# HELP llm_mock_queue_rejected_total Requests the queue refused: full, or waited MAX_WAIT_SECONDS.\n"
             "# TYPE llm_mock_queue_rejected_total counter\n"
             "llm_mock_queue_rejected_total{{reason=\"full\"}} {}\nllm_mock_queue_rejected_total{{reason=\"timeout\"}} {}\n",
             s.queue.waiting(), s.queue.capacity(), sum(s, &worker_stats::queue_full),
             sum(s, &worker_stats::queue_timeouts));
    const prefix_cache* const pc = s.prefix;
    b.format("# HELP llm_mock_prefix_cache_blocks The prefix cache's blocks (PREFIX_CACHE_BLOCKS; 0: off).\n"
             "# TYPE llm_mock_prefix_cache_blocks gauge\nllm_mock_prefix_cache_blocks {}\n"
             "# HELP llm_mock_prefix_cache_used_blocks Prefix-cache blocks holding a prompt block's hash.\n"
             "# TYPE llm_mock_prefix_cache_used_blocks gauge\nllm_mock_prefix_cache_used_blocks {}\n"
             "# HELP llm_mock_prefix_cache_query_tokens_total Prompt tokens looked up in the prefix cache.\n"
             "# TYPE llm_mock_prefix_cache_query_tokens_total counter\nllm_mock_prefix_cache_query_tokens_total {}\n"
             "# HELP llm_mock_prefix_cache_hit_tokens_total Prompt tokens found in the prefix cache (cached_tokens).\n"
             "# TYPE llm_mock_prefix_cache_hit_tokens_total counter\nllm_mock_prefix_cache_hit_tokens_total {}\n",
             pc != nullptr ? pc->blocks() : 0, pc != nullptr ? pc->used_blocks() : 0, pc != nullptr ? pc->queries() : 0,
             pc != nullptr ? pc->hits() : 0);
    histogram_text(b, s, "llm_mock_queue_time_seconds",
                   "Time from arrival to a slot, for every request admitted with the queue on (0 when it did not wait).",
                   "", DELAY_BUCKETS, &worker_stats::queue_time);
    histogram_text(b, s, "llm_mock_response_delay_seconds", "Time from a complete request to its whole answer written.",
                   "", DELAY_BUCKETS, &worker_stats::delay);
    histogram_text(b, s, "llm_mock_response_lateness_seconds",
                   "How much later than scheduled each answer or token left (the mock's precision).", "",
                   LATE_BUCKETS, &worker_stats::late);
    histogram_text(b, s, "llm_mock_time_to_first_token_seconds", "Time to first token actually served (streams).",
                   "", DELAY_BUCKETS, &worker_stats::ttft);
    histogram_text(b, s, "llm_mock_time_to_first_answer_token_seconds",
                   "Time to the first answer token (content or tool call, after any reasoning) actually served (streams).",
                   "", DELAY_BUCKETS, &worker_stats::ttfat);
    histogram_text(b, s, "llm_mock_inter_token_latency_seconds", "Gap between consecutive tokens actually served.",
                   "", ITL_BUCKETS, &worker_stats::itl);

    // The names vLLM dashboards and autoscalers read, so the mock can stand in for a vLLM pod.
    // Opt-in: promtool's lint refuses ':' in names (reserved for recording rules).
    if (s.cfg.vllm_metrics) {
        render_vllm_metrics(b, s);
    }
    render_process_metrics(b, s);
}

// vLLM 0.11's names, types, help texts and labels as its prometheus_client writes them: every
// series labelled model_name and engine="0", counters typed under their _total name. The list
// the suite compares against is in test/suite_queue.sh (taken from vllm/v1/metrics/loggers.py).
void render_vllm_metrics(out_buf& b, const server& s) noexcept {
    char lbl[200];
    out_buf l(lbl, sizeof lbl);
    l.append("model_name=\"");
    json_escape(l, s.model_name);
    l.append("\",engine=\"0\"");
    std::string_view labels = l.view();
    const uint32_t running = s.slots.active();
    const uint32_t limit = s.slots.limit();
    // KV-cache usage: with the prefix cache, the share of its blocks the running requests hold
    // (their prompts and answers); without, the share of the slots running.
    const prefix_cache* const pc = s.prefix;
    const double kv = pc != nullptr ? pc->kv_usage()
                      : limit != 0  ? double(running < limit ? running : limit) / double(limit)
                                    : 0;
    b.format("# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
             "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{{{}}} {}\n"
             "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
             "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{{{}}} {}\n"
             "# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.\n"
             "# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc{{{}}} {:.6f}\n"
             "# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.\n"
             "# TYPE vllm:prefix_cache_queries_total counter\nvllm:prefix_cache_queries_total{{{}}} {}\n"
             "# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.\n"
             "# TYPE vllm:prefix_cache_hits_total counter\nvllm:prefix_cache_hits_total{{{}}} {}\n"
             "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
             "# TYPE vllm:prompt_tokens_total counter\nvllm:prompt_tokens_total{{{}}} {}\n"
             "# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
             "# TYPE vllm:generation_tokens_total counter\nvllm:generation_tokens_total{{{}}} {}\n"
             "# HELP vllm:request_success_total Count of successfully processed requests.\n"
             "# TYPE vllm:request_success_total counter\n"
             "vllm:request_success_total{{finished_reason=\"stop\",{}}} {}\n"
             "vllm:request_success_total{{finished_reason=\"length\",{}}} {}\n"
             "# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n"
             "# TYPE vllm:cache_config_info gauge\n"
             "vllm:cache_config_info{{block_size=\"{}\",enable_prefix_caching=\"{}\",{}}} 1.0\n",
             labels, running, labels, s.queue.waiting(), labels, kv, labels, pc != nullptr ? pc->queries() : 0, labels,
             pc != nullptr ? pc->hits() : 0, labels,
             sum(s, &worker_stats::prompt_tokens), labels, sum(s, &worker_stats::generated_tokens), labels,
             sum(s, &worker_stats::finished_stop), labels, sum(s, &worker_stats::finished_length),
             s.cfg.prefix_block_tokens, pc != nullptr ? "True" : "False", labels);
    histogram_text(b, s, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", labels,
                   DELAY_BUCKETS, &worker_stats::ttft);
    histogram_text(b, s, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", labels,
                   ITL_BUCKETS, &worker_stats::itl);
    histogram_text(b, s, "vllm:time_per_output_token_seconds",
                   "Histogram of time per output token in seconds.DEPRECATED: Use vllm:inter_token_latency_seconds "
                   "instead.",
                   labels, ITL_BUCKETS, &worker_stats::itl);
    histogram_text(b, s, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", labels,
                   DELAY_BUCKETS, &worker_stats::delay);
    histogram_text(b, s, "vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.",
                   labels, DELAY_BUCKETS, &worker_stats::queue_time);
    histogram_text(b, s, "vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.",
                   labels, DELAY_BUCKETS, &worker_stats::prefill_time);
    histogram_text(b, s, "vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.",
                   labels, DELAY_BUCKETS, &worker_stats::decode_time);
}

void render_process_metrics(out_buf& b, const server& s) noexcept {

    b.format("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
             "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {:.3f}\n"
             "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
             "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n"
             "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
             "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes {}\n"
             "# HELP process_open_fds Number of open file descriptors.\n"
             "# TYPE process_open_fds gauge\nprocess_open_fds {}\n"
             "# HELP process_max_fds Maximum number of open file descriptors.\n"
             "# TYPE process_max_fds gauge\nprocess_max_fds {}\n"
             "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
             "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {}\n",
             system_probe::process_cpu_seconds(), system_probe::process_rss_bytes(),
             system_probe::process_virtual_bytes(), system_probe::process_open_fds(), s.max_fds, s.start_unix);
}

}  // namespace lms
