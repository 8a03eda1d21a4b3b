#!/usr/bin/env python3
"""soak_client: churn for bench/soak.sh (standard library only, asyncio).

usage: soak_client.py PORT SECONDS CONNS DELAY OUT.json     (DELAY: the server's RESPONSE_DELAY_SECONDS)

CONNS actors run for SECONDS against 127.0.0.1:PORT; each picks a behaviour at random again and
again, so connections are opened and closed all the time:

  keepalive  1-8 chat requests on one connection, each answer read (200 or 503), then close
  oneshot    one request with Connection: close; the server must close after the answer
  abort      a request, then FIN or RST while it waits for its delay (before the answer)
  bad        a malformed request (smuggling, bad framing, control bytes): 4xx/5xx and closed
  badjson    well-framed, body not a chat request: 400 and the connection stays usable
  stream     stream: true, every SSE event read to "data: [DONE]" (200 or 503)
  health     GET /health: 200 or 503 with its JSON

Every answer is checked (status allowed for the behaviour, the chat.completion content, the
OpenAI error envelope, Connection: close where due, the stream's [DONE]); anything else is a
"wrong answer" and is kept (the first 20) in OUT.json with the counts per behaviour and status.
"""
import asyncio
import json
import random
import sys
import time

HOST = "127.0.0.1"
BODY = b'{"model":"qwen-plus","messages":[{"role":"user","content":"soak"}]}'
STREAM = b'{"model":"qwen-plus","stream":true,"messages":[{"role":"user","content":"soak"}]}'
CONTENT = "我是阿里云开发的一款超大规模语言模型，我叫通义千问。"
BEHAVIOURS = [("keepalive", 40), ("oneshot", 15), ("abort", 10), ("bad", 10), ("badjson", 5), ("stream", 10),
              ("health", 10)]
BAD = [
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n",
    b"GET /health HTTP/1.1\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
]


class Wrong(Exception):
    pass


def chat(body=BODY, close=False):
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + (b"Connection: close\r\n" if close else b"") + b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def read_response(reader, timeout):
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k:
            headers[k.strip().lower()] = v.strip()
    if status == 100:
        return await read_response(reader, timeout)
    if "content-length" in headers:
        body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), timeout)
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            line = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)
            size = int(line.split(b";")[0], 16)
            data = await asyncio.wait_for(reader.readexactly(size + 2), timeout)
            if size == 0:
                break
            body += data[:-2]
    else:
        body = await asyncio.wait_for(reader.read(), timeout)
    return status, headers, body


def check_chat(status, headers, body):
    if status == 200:
        j = json.loads(body)
        if j.get("object") != "chat.completion" or j["choices"][0]["message"]["content"] != CONTENT:
            raise Wrong("200 without the completion: %r" % body[:120])
    elif status == 503:
        j = json.loads(body)
        if j["error"]["code"] != "server_is_overloaded" or "retry-after" not in headers:
            raise Wrong("503 without the overload envelope: %r" % body[:120])
    else:
        raise Wrong("chat answered %d: %r" % (status, body[:120]))


class Stats:
    def __init__(self):
        self.counts = {}
        self.wrong = []
        self.wrong_n = 0
        self.errors = {}

    def count(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1


async def actor(port, deadline, delay, stats, rng):
    while time.monotonic() < deadline:
        kind = rng.choices([b for b, _ in BEHAVIOURS], [w for _, w in BEHAVIOURS])[0]
        writer = None
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 10)
            if kind == "keepalive":
                for _ in range(rng.randint(1, 8)):
                    writer.write(chat())
                    st, h, b = await read_response(reader, delay + 10)
                    check_chat(st, h, b)
                    stats.count("keepalive %d" % st)
            elif kind == "oneshot":
                writer.write(chat(close=True))
                st, h, b = await read_response(reader, delay + 10)
                check_chat(st, h, b)
                if h.get("connection", "").lower() != "close":
                    raise Wrong("Connection: close request answered without Connection: close")
                if await asyncio.wait_for(reader.read(1), 5) != b"":
                    raise Wrong("connection not closed after Connection: close")
                stats.count("oneshot %d" % st)
            elif kind == "abort":
                writer.write(chat())
                await writer.drain()
                await asyncio.sleep(rng.uniform(0, delay * 0.8))
                if rng.random() < 0.5:
                    sock = writer.get_extra_info("socket")
                    import socket
                    import struct
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                stats.count("abort")
            elif kind == "bad":
                writer.write(rng.choice(BAD))
                st, h, b = await read_response(reader, 10)
                if not 400 <= st < 600 or h.get("connection", "").lower() != "close":
                    raise Wrong("malformed request answered %d, Connection: %s" % (st, h.get("connection")))
                if await asyncio.wait_for(reader.read(), 5) != b"":
                    raise Wrong("bytes after an error answer")
                stats.count("bad %d" % st)
            elif kind == "badjson":
                writer.write(chat(b'{"model":"qwen-plus","messages":"not a list"}'))
                st, h, b = await read_response(reader, 10)
                if st == 400:
                    if json.loads(b)["error"]["param"] != "messages":
                        raise Wrong("400 without param messages: %r" % b[:120])
                elif st != 503:  # a full server refuses before reading the body
                    raise Wrong("bad JSON answered %d" % st)
                writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                st2, _, _ = await read_response(reader, 10)
                if st2 not in (200, 503):
                    raise Wrong("connection unusable after a 400: %d" % st2)
                stats.count("badjson %d" % st)
            elif kind == "stream":
                writer.write(chat(STREAM))
                st, h, b = await read_response(reader, delay + 20)
                if st == 200:
                    if not h.get("content-type", "").startswith("text/event-stream") or not b.endswith(
                            b"data: [DONE]\n\n"):
                        raise Wrong("stream incomplete: %r" % b[-120:])
                    text = "".join(json.loads(e[6:])["choices"][0]["delta"].get("content") or ""
                                   for e in b.decode().split("\n\n") if e.startswith("data: {"))
                    if text != CONTENT:
                        raise Wrong("streamed text differs: %r" % text[:80])
                elif st != 503:
                    raise Wrong("stream answered %d" % st)
                stats.count("stream %d" % st)
            else:
                writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                st, h, b = await read_response(reader, 10)
                j = json.loads(b)
                if st not in (200, 503) or "active_requests" not in j:
                    raise Wrong("health answered %d: %r" % (st, b[:120]))
                stats.count("health %d" % st)
        except Wrong as e:
            stats.wrong_n += 1
            if len(stats.wrong) < 20:
                stats.wrong.append("%s: %s" % (kind, e))
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError, ValueError,
                KeyError, IndexError) as e:
            key = "%s: %s" % (kind, e.__class__.__name__)
            stats.errors[key] = stats.errors.get(key, 0) + 1
        finally:
            if writer is not None:
                writer.close()
                try:
                    await writer.wait_closed()
                except (ConnectionError, OSError):
                    pass


async def main_async(port, seconds, conns, delay):
    stats = Stats()
    deadline = time.monotonic() + seconds
    rng = random.Random(20240607)
    tasks = []
    for i in range(conns):
        tasks.append(asyncio.ensure_future(actor(port, deadline, delay, stats, random.Random(rng.random()))))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # ramp up
    await asyncio.gather(*tasks)
    return stats


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    port, seconds, conns, delay, out = int(argv[1]), float(argv[2]), int(argv[3]), float(argv[4]), argv[5]
    t0 = time.monotonic()
    stats = asyncio.run(main_async(port, seconds, conns, delay))
    total = sum(stats.counts.values())
    with open(out, "w") as f:
        json.dump({"seconds": round(time.monotonic() - t0, 1), "actors": conns, "exchanges": total,
                   "counts": dict(sorted(stats.counts.items())), "wrong_answers": stats.wrong_n,
                   "wrong_examples": stats.wrong, "client_errors": stats.errors}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
