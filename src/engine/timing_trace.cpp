// timing_trace: see the header. Nothing here runs unless TRACE_TIMING > 0.
#include "engine/timing_trace.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cinttypes>
#include <cstdio>

#include "engine/clock.hpp"

namespace lms {

timing_trace::timing_trace(uint32_t records, uint32_t connections)
    : ring_(new timing_record[records]), open_(new timing_record[connections]), capacity_(records) {}

void timing_trace::accepted(uint32_t conn, int fd) noexcept {
    timing_record& r = open_[conn];
    r = timing_record{};
    r.accept_ns = monotonic_ns();
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET) {
        const auto* in4 = reinterpret_cast<const sockaddr_in*>(&ss);
        r.peer_ip = ntohl(in4->sin_addr.s_addr);
        r.peer_port = ntohs(in4->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        r.peer_port = ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
    }
}

void timing_trace::reading(uint32_t conn) noexcept {
    timing_record& r = open_[conn];
    if (!r.open && r.read_ns == 0) {
        r.read_ns = monotonic_ns();
    }
}

void timing_trace::complete(uint32_t conn) noexcept {
    timing_record& r = open_[conn];
    r.complete_ns = monotonic_ns();
    if (r.read_ns == 0) {
        r.read_ns = r.complete_ns;  // pipelined: its bytes came with the request before it
    }
    r.open = 1;
}

void timing_trace::planned(uint32_t conn, uint64_t due_ns) noexcept {
    timing_record& r = open_[conn];
    if (r.open && r.due_ns == 0) {
        r.due_ns = due_ns;
    }
}

void timing_trace::granted(uint32_t conn) noexcept {
    timing_record& r = open_[conn];
    if (r.open) {
        r.granted_ns = monotonic_ns();
        r.due_ns = 0;  // the plan moves by the wait: the timer set next is the deadline
    }
}

void timing_trace::written(uint32_t conn, uint64_t admitted_ns, uint8_t route) noexcept {
    timing_record& r = open_[conn];
    if (!r.open) {
        return;
    }
    r.written_ns = monotonic_ns();
    r.admitted_ns = admitted_ns;
    r.route = route;
    r.open = 0;
    ring_[total_ % capacity_] = r;
    ++total_;
    const timing_record keep = r;
    r = timing_record{};
    r.peer_ip = keep.peer_ip;
    r.peer_port = keep.peer_port;
    r.seq = keep.seq + 1;
}

bool timing_trace::write_file(const std::string& path, unsigned worker) const {
    const std::string name = path + "." + std::to_string(worker) + ".tsv";
    FILE* f = std::fopen(name.c_str(), "w");
    if (f == nullptr) {
        return false;
    }
    std::fprintf(f, "worker\tpeer\tseq\troute\taccept_ns\tread_ns\tcomplete_ns\tadmitted_ns\tgranted_ns\tdue_ns\twritten_ns\n");
    const uint64_t first = total_ > capacity_ ? total_ - capacity_ : 0;
    for (uint64_t i = first; i < total_; ++i) {
        const timing_record& r = ring_[i % capacity_];
        std::fprintf(f, "%u\t%u.%u.%u.%u:%u\t%u\t%u\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                     "\t%" PRIu64 "\n",
                     worker, r.peer_ip >> 24, (r.peer_ip >> 16) & 255, (r.peer_ip >> 8) & 255, r.peer_ip & 255, r.peer_port,
                     r.seq, r.route, r.accept_ns, r.read_ns, r.complete_ns, r.admitted_ns, r.granted_ns, r.due_ns,
                     r.written_ns);
    }
    return std::fclose(f) == 0;
}

}  // namespace lms
