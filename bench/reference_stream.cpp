// reference_stream: NOT THE PRODUCT. The per-token speed-of-light yardstick for bench/run.sh's
// streaming scenario: the least work a server can do to stream our benchmark client the same
// SSE bytes on the same schedule, so that the run shows how close llm-mock-server comes to the
// floor set by the kernel (one write per token).
//
// One thread, one epoll loop (level-triggered), one timerfd (TFD_TIMER_ABSTIME). A read that
// returns bytes is taken to be exactly one whole streaming request (true for
// bench/load_client, which sends each request in one write and never pipelines): no parsing,
// no body check, no routes. Token k of a stream leaves at the absolute time
// read time + TTFT + k x ITL, in one write() of a pre-rendered HTTP chunk:
//   token 0      the response head + the role event + the first content event
//   token k      one content event
//   last token   the content event + the finish event + data: [DONE] + the last chunk
// (the same write pattern and event bytes as llm-mock-server's chat chunks; one fixed id).
// No wheel: every stream has the same TTFT and ITL, so deadlines leave two FIFOs in order
// (first tokens by arrival; next tokens, each pushed at its predecessor's deadline + ITL,
// which are popped in deadline order). The timer is armed to the earliest deadline rounded up
// to --tick-us (100 us, the product's wheel tick), so that a wakeup sends every token due in
// that tick; nothing leaves early. A partial write closes the connection.
//
//   reference_stream --port 8082 --ttft-ms 500 --itl-ms 20 --tokens 250 [--tick-us 100] [--model qwen-plus]
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

std::string event(const std::string& model, const char* delta, const char* finish) {
    return std::string("data: {\"id\":\"chatcmpl-00000000000000000000000000000000\",\"object\":\"chat.completion.chunk\","
                       "\"created\":1795600000,\"model\":\"") +
           model + "\",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":" + delta +
           ",\"logprobs\":null,\"finish_reason\":" + finish + "}]}\n\n";
}

std::string chunk(const std::string& data) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
}

struct due {
    uint64_t ns;
    int fd;
    uint32_t gen;
    uint32_t k;  // the token to send
};

// A fixed ring; full means refuse (the caller closes the connection).
struct fifo {
    std::vector<due> q;
    size_t head = 0, tail = 0;
    explicit fifo(size_t n) : q(n + 1) {}
    bool empty() const { return head == tail; }
    const due& front() const { return q[head]; }
    void pop() { head = (head + 1) % q.size(); }
    bool push(const due& d) {
        size_t next = (tail + 1) % q.size();
        if (next == head) return false;
        q[tail] = d;
        tail = next;
        return true;
    }
};

}  // namespace

int main(int argc, char** argv) {
    int port = 8082;
    uint64_t ttft_ns = 500'000'000, itl_ns = 20'000'000, tick_ns = 100'000;
    uint32_t tokens = 26;
    std::string model = "qwen-plus";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--port") port = std::atoi(argv[i + 1]);
        else if (k == "--ttft-ms") ttft_ns = uint64_t(std::atof(argv[i + 1]) * 1e6);
        else if (k == "--itl-ms") itl_ns = uint64_t(std::atof(argv[i + 1]) * 1e6);
        else if (k == "--tokens") tokens = uint32_t(std::atol(argv[i + 1]));
        else if (k == "--tick-us") tick_ns = uint64_t(std::atof(argv[i + 1]) * 1e3);
        else if (k == "--model") model = argv[i + 1];
        else { std::fprintf(stderr, "reference_stream: unknown option %s\n", argv[i]); return 2; }
    }
    if (tokens == 0 || tick_ns == 0) {
        std::fprintf(stderr, "reference_stream: --tokens and --tick-us must be positive\n");
        return 2;
    }
    // The writes, pre-rendered per token: the text is the product's original answer, one
    // UTF-8 character (3 bytes) per token, repeated.
    static const char text[] = "我是阿里云开发的一款超大规模语言模型，我叫通义千问。";
    const size_t chars = (sizeof text - 1) / 3;
    const std::string head =
        "HTTP/1.1 200 OK\r\nServer: reference\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
        "Content-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
        "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
    std::vector<std::string> writes(tokens);
    for (uint32_t k = 0; k < tokens; ++k) {
        std::string delta = "{\"content\":\"" + std::string(text + 3 * (k % chars), 3) + "\"}";
        std::string data = event(model, delta.c_str(), "null");
        if (k == 0) data = event(model, "{\"role\":\"assistant\",\"content\":\"\"}", "null") + data;
        if (k + 1 == tokens) data += event(model, "{}", "\"stop\"") + "data: [DONE]\n\n";
        writes[k] = (k == 0 ? head : "") + chunk(data) + (k + 1 == tokens ? "0\r\n\r\n" : "");
    }

    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    const size_t max_fd = size_t(rl.rlim_cur);
    std::vector<uint32_t> gen(max_fd, 0);  // bumped on close: queued tokens of a closed fd are stale
    std::vector<uint8_t> busy(max_fd, 0);  // a stream is in flight on the fd
    fifo first(2 * max_fd), next(2 * max_fd);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(ls, 65535) < 0) {
        std::perror("reference_stream: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    epoll_event ev{EPOLLIN, {.fd = ls}};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    epoll_event tev{EPOLLIN, {.fd = tfd}};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
    std::fprintf(stderr, "reference_stream (not the product) on 127.0.0.1:%d, TTFT %.3f ms, ITL %.3f ms, %u tokens\n",
                 port, double(ttft_ns) / 1e6, double(itl_ns) / 1e6, tokens);

    auto close_fd = [&](int fd) {
        busy[fd] = 0;
        ++gen[fd];
        close(fd);
    };
    uint64_t armed = 0;  // the timerfd's expiry (0: disarmed)
    char buf[16384];
    epoll_event events[512];
    for (;;) {
        // Arm the timer to the earliest deadline's tick, if that changed.
        uint64_t earliest = 0;
        if (!first.empty()) earliest = first.front().ns;
        if (!next.empty() && (earliest == 0 || next.front().ns < earliest)) earliest = next.front().ns;
        if (earliest != 0) earliest = (earliest + tick_ns - 1) / tick_ns * tick_ns;
        if (earliest != armed) {
            itimerspec its{};
            its.it_value = {time_t(earliest / 1000000000u), long(earliest % 1000000000u)};
            timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);  // 0: disarms
            armed = earliest;
        }
        int n = epoll_wait(ep, events, 512, -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == tfd) {
                uint64_t expirations;
                if (read(tfd, &expirations, sizeof expirations) < 0) {
                    // EAGAIN: re-armed since it fired; the loop below sends what is due anyway
                }
                armed = 0;
                continue;
            }
            if (fd == ls) {
                for (int k = 0; k < 64; ++k) {
                    int c = accept4(ls, nullptr, nullptr, SOCK_NONBLOCK);
                    if (c < 0) break;
                    if (size_t(c) >= max_fd) { close(c); continue; }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event ce{EPOLLIN, {.fd = c}};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);  // one read = one request (see the top)
            if (r <= 0) {  // EOF or error (level-triggered: EAGAIN does not happen here)
                close_fd(fd);
                continue;
            }
            if (busy[fd]) continue;  // bytes during a stream: not our client; ignored
            busy[fd] = 1;
            if (!first.push({now_ns() + ttft_ns, fd, gen[fd], 0})) close_fd(fd);
        }
        // Send every token due by now, in deadline order across the two FIFOs.
        const uint64_t t = now_ns();
        for (;;) {
            fifo* q = nullptr;
            if (!first.empty() && first.front().ns <= t) q = &first;
            if (!next.empty() && next.front().ns <= t && (q == nullptr || next.front().ns < q->front().ns)) q = &next;
            if (q == nullptr) break;
            due d = q->front();
            q->pop();
            if (d.gen != gen[d.fd]) continue;  // the client left
            const std::string& w = writes[d.k];
            if (write(d.fd, w.data(), w.size()) != ssize_t(w.size())) {
                close_fd(d.fd);
                continue;
            }
            if (d.k + 1 == tokens) {
                busy[d.fd] = 0;  // keep-alive: the next request may come
            } else if (!next.push({d.ns + itl_ns, d.fd, d.gen, d.k + 1})) {
                close_fd(d.fd);
            }
        }
    }
}
