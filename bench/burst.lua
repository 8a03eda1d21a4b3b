-- wrk script for the burst scenario: bench/post.lua's chat request, and at the end the latency
-- percentiles in microseconds (wrk's own summary rounds 10 s latencies to 10 ms).
wrk.method = "POST"
wrk.body = '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}'
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
    io.write(string.format("BURST requests=%d errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d p50_us=%d p99_us=%d max_us=%d min_us=%d\n",
        summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.status, summary.errors.timeout,
        latency:percentile(50), latency:percentile(99), latency.max, latency.min))
end
