#pragma once
// timing_trace: TRACE_TIMING's record of where each request's time went, phase by phase:
// accepted, first byte read, request complete, admitted, slot granted (a queued request),
// deadline, first byte of the answer written. Level 2 (engine).
//
// One per worker, owned and touched by its thread only; allocated at startup, and only when
// TRACE_TIMING > 0, so a server without it pays one null-pointer test per phase. The ring keeps
// the newest `records` requests; write_file() (at shutdown, after the loop) writes them out.
// Every time is CLOCK_MONOTONIC in ns, read afresh at the phase (not the loop wakeup's time):
// the stamps are what the issue asks to be measured, at the cost of one vDSO clock read each.
#include <cstdint>
#include <memory>
#include <string>

namespace lms {

struct timing_record {
    uint64_t accept_ns = 0;    // the connection was accepted (its first request) / 0 for later ones
    uint64_t read_ns = 0;      // the read that got the request's first bytes returned
    uint64_t complete_ns = 0;  // the parser said complete
    uint64_t admitted_ns = 0;  // the answering side's admission time (the delay counts from it)
    uint64_t granted_ns = 0;   // a queued request got its slot (0: it did not wait)
    uint64_t due_ns = 0;       // the answer's first byte was due (0: answered at once)
    uint64_t written_ns = 0;   // the send() of the answer's first bytes returned
    uint32_t peer_ip = 0;      // IPv4 peer, host order (0 for IPv6)
    uint32_t seq = 0;          // the request's index on its connection, from 0
    uint16_t peer_port = 0;
    uint8_t route = 0;
    uint8_t open = 0;          // the request is between complete and its first write
};

class timing_trace {
public:
    // records: ring size; connections: the worker's connection records. Throws std::bad_alloc.
    timing_trace(uint32_t records, uint32_t connections);

    void accepted(uint32_t conn, int fd) noexcept;   // fresh clock, peer address, seq 0
    void reading(uint32_t conn) noexcept;            // a read of a new request's first bytes returned
    void complete(uint32_t conn) noexcept;
    void planned(uint32_t conn, uint64_t due_ns) noexcept;  // the first timer set for the answer
    void granted(uint32_t conn) noexcept;
    // The answer's first bytes went out: the record joins the ring; the connection's next
    // request starts a new one. A no-op for writes that are not a request's first.
    void written(uint32_t conn, uint64_t admitted_ns, uint8_t route) noexcept;

    // Writes "<path>.<worker>.tsv" (a header line, then the ring oldest first). False on error.
    [[nodiscard]] bool write_file(const std::string& path, unsigned worker) const;
    [[nodiscard]] uint64_t total() const noexcept { return total_; }

private:
    std::unique_ptr<timing_record[]> ring_;
    std::unique_ptr<timing_record[]> open_;  // per connection: the request in progress
    uint32_t capacity_;
    uint64_t total_ = 0;  // records ever written (the ring holds the last capacity_)
};

}  // namespace lms
