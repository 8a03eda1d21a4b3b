#!/usr/bin/env python3
"""The waiting-queue suite's client: N chat requests on N connections, started GAP seconds apart
(0: all at once), each timed from just before its request was written (so a latency here is
never shorter than the server's); prints one JSON object:
{"codes": {code: count}, "results": [[index, code, sent_s, done_s, first_byte_s, body_head], ...]}
sent/done/first_byte are seconds from the run's start. Bounded: every request gives up after
TIMEOUT seconds; LEAVE > 0 closes requests LEAVE_FROM.. after LEAVE seconds (a client that leaves).
usage: queue_client.py PORT N [GAP] [TIMEOUT] [STREAM] [LEAVE] [LEAVE_FROM]"""
import asyncio
import json
import sys
import time

port = int(sys.argv[1])
n = int(sys.argv[2])
gap = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
stream = len(sys.argv) > 5 and sys.argv[5] == "1"
leave = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
leave_from = int(sys.argv[7]) if len(sys.argv) > 7 else n

body = json.dumps({"model": "qwen-plus", "stream": stream,
                   "messages": [{"role": "user", "content": "hi"}]}).encode()
REQ = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
       b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
T0 = time.monotonic()


def now():
    return time.monotonic() - T0


async def one(i):
    await asyncio.sleep(i * gap)
    sent = first = None
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        sent = now()  # before the write: the server's clock starts after it, never before
        w.write(REQ)
        await w.drain()
        limit = leave if (leave > 0 and i >= leave_from) else timeout
        head = await asyncio.wait_for(r.read(1), limit)
        first = now()
        rest = await asyncio.wait_for(r.read(), timeout)
        data = head + rest
        w.close()
        code = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "none"
        return [i, code, sent, now(), first, data.split(b"\r\n\r\n", 1)[-1][:300].decode("utf-8", "replace")]
    except asyncio.TimeoutError:
        try:
            w.close()
        except Exception:
            pass
        return [i, "left" if leave > 0 and i >= leave_from else "timeout", sent, now(), first, ""]
    except Exception as e:
        return [i, "error", sent, now(), first, str(e)[:100]]


async def main():
    res = await asyncio.gather(*(one(i) for i in range(n)))
    codes = {}
    for x in res:
        codes[x[1]] = codes.get(x[1], 0) + 1
    print(json.dumps({"codes": codes, "results": res}))


asyncio.run(main())
