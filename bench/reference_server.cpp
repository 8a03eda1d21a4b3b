// reference_server: NOT THE PRODUCT. A speed-of-light yardstick for bench/run.sh: the least
// work a server can do to answer our benchmark clients with the same bytes, so that every
// benchmark run shows how close llm-mock-server comes to the floor set by the kernel.
//
// One thread, one epoll (level-triggered), one read per request and one write of a
// pre-rendered response. Deliberately NOT an HTTP server: a read that returns bytes is taken
// to be exactly one whole request (true for wrk and bench/load_client, which send each
// request in one write and never pipeline); no parsing, no body check, no routes, no Date,
// a partial write closes the connection. Delayed answers wait in a FIFO (every delay is the
// same, so deadlines arrive in order) and epoll_pwait2's timeout wakes the loop for the first.
// At most --max-concurrent answers wait; one more gets the pre-rendered 503 at once.
//
//   reference_server --port 8081 --body answer.json [--delay-ms 10000] [--max-concurrent N]
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
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

std::string response(int status, const char* reason, const std::string& body, const char* extra) {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nServer: reference\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Type: application/json\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra + "Connection: keep-alive\r\n\r\n" + body;
}

struct waiter {
    uint64_t due_ns;
    int fd;
    uint32_t gen;
};

}  // namespace

int main(int argc, char** argv) {
    int port = 8081;
    uint64_t delay_ns = 0;
    size_t max_held = 1u << 20;
    std::string body_file;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--port") port = std::atoi(argv[i + 1]);
        else if (k == "--delay-ms") delay_ns = uint64_t(std::atof(argv[i + 1]) * 1e6);
        else if (k == "--max-concurrent") max_held = size_t(std::atoll(argv[i + 1]));
        else if (k == "--body") body_file = argv[i + 1];
        else { std::fprintf(stderr, "reference_server: unknown option %s\n", argv[i]); return 2; }
    }
    std::string body;
    if (FILE* f = std::fopen(body_file.c_str(), "rb")) {
        char b[4096];
        size_t n;
        while ((n = std::fread(b, 1, sizeof b, f)) > 0) body.append(b, n);
        std::fclose(f);
    } else {
        std::fprintf(stderr, "reference_server: --body FILE (the chat answer's JSON) is required\n");
        return 2;
    }
    const std::string ok = response(200, "OK", body, "");
    const std::string busy = response(503, "Service Unavailable",
        R"({"error":{"message":"The server is overloaded: all MAX_CONCURRENT slots are in use. Retry later.",)"
        R"("type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}})", "Retry-After: 1\r\n");

    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    const size_t max_fd = size_t(rl.rlim_cur);
    std::vector<uint32_t> gen(max_fd, 0);   // bumped on close: FIFO entries of a closed fd are stale
    std::vector<uint8_t> held(max_fd, 0);
    std::vector<waiter> fifo(max_fd + 1);   // ring: at most one waiter per fd
    size_t head = 0, tail = 0, held_count = 0;

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(ls, 65535) < 0) {
        std::perror("reference_server: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    epoll_event ev{EPOLLIN, {.fd = ls}};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    std::fprintf(stderr, "reference_server (not the product) on 127.0.0.1:%d, delay %.3f ms, max held %zu\n", port,
                 double(delay_ns) / 1e6, max_held);

    auto close_fd = [&](int fd) {
        if (held[fd]) { held[fd] = 0; --held_count; }
        ++gen[fd];
        close(fd);
    };
    char buf[16384];
    epoll_event events[512];
    for (;;) {
        timespec timeout{}, *tp = nullptr;  // epoll_pwait2: a nanosecond timeout, no timerfd
        if (head != tail) {
            uint64_t t = now_ns(), due = fifo[head].due_ns, left = due > t ? due - t : 0;
            timeout = {time_t(left / 1000000000u), long(left % 1000000000u)};
            tp = &timeout;
        }
        int n = epoll_pwait2(ep, events, 512, tp, nullptr);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                for (int k = 0; k < 64; ++k) {
                    int c = accept4(ls, nullptr, nullptr, SOCK_NONBLOCK);
                    if (c < 0) break;
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
            const std::string* out = &ok;
            if (delay_ns != 0) {
                if (held_count >= max_held) {
                    out = &busy;
                } else {
                    held[fd] = 1;
                    ++held_count;
                    fifo[tail] = {now_ns() + delay_ns, fd, gen[fd]};
                    tail = (tail + 1) % fifo.size();
                    continue;
                }
            }
            if (write(fd, out->data(), out->size()) != ssize_t(out->size())) close_fd(fd);
        }
        for (uint64_t t = now_ns(); head != tail && fifo[head].due_ns <= t; head = (head + 1) % fifo.size()) {
            waiter w = fifo[head];
            if (w.gen != gen[w.fd]) continue;  // the client left; its slot went with it
            held[w.fd] = 0;
            --held_count;
            if (write(w.fd, ok.data(), ok.size()) != ssize_t(ok.size())) close_fd(w.fd);
        }
    }
}
