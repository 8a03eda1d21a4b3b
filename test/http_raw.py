#!/usr/bin/env python3
"""http_raw: a raw-socket HTTP/1.x client for the integration suite (standard library only).

usage: http_raw.py PORT STEP...        (connects to 127.0.0.1:PORT; HOST env overrides)

Runs the steps in order on one connection and prints one JSON object on stdout:
  {"responses": [{"status", "reason", "version", "headers": {lower-name: value, ...},
                  "raw_headers": [[name, value], ...], "body", "t"}],
   "interim": [{"status", "t"}], "closed": bool, "closed_t": seconds or null,
   "reset": bool, "timeout": bool, "leftover": "bytes received but not parsed",
   "error": null or text}
Times ("t") are seconds since the connection was established.

Steps:
  send:TEXT        write TEXT (escapes \\r \\n \\t \\\\ \\xHH are decoded) in one sendall
  sendfile:PATH    write the file's bytes
  sleep:SECONDS    pause
  read:N[:SECS]    read N final (non-1xx) responses; 1xx ones are recorded in "interim"
  interim[:SECS]   read until one 1xx response has arrived
  eof[:SECS]       wait for the server to close (EOF or reset); "closed" says whether it did
  shutwr           half-close our side (shutdown SHUT_WR)
Default wait per step: 5 s. A timed-out step sets "timeout" and ends the run.
Exit status 0 unless the arguments are bad or the connection cannot be made (then 2).
"""
import codecs
import json
import os
import socket
import sys
import time


class Run:
    def __init__(self, sock):
        self.sock = sock
        self.t0 = time.monotonic()
        self.buf = b""
        self.eof = False
        self.reset = False
        self.closed_t = None
        self.responses = []
        self.interim = []

    def now(self):
        return round(time.monotonic() - self.t0, 4)

    def fill(self, deadline):
        """Reads more bytes into buf; False on timeout, EOF or reset."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.eof = True
            self.reset = True
            self.closed_t = self.now()
            return False
        if not data:
            self.eof = True
            self.closed_t = self.now()
            return False
        self.buf += data
        return True

    def parse_one(self, deadline):
        """Parses one response (interim or final) from buf, reading as needed; None on failure."""
        while b"\r\n\r\n" not in self.buf:
            if not self.fill(deadline):
                return None
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, _, status_reason = lines[0].partition(" ")
        status_text, _, reason = status_reason.partition(" ")
        try:
            status = int(status_text)
        except ValueError:
            status = -1
        headers = {}
        raw = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            value = value.strip(" \t")
            raw.append([name, value])
            key = name.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        t = self.now()
        if 100 <= status < 200:
            self.buf = rest
            return {"status": status, "t": t, "interim": True}
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(rest) < n:
                self.buf = head + b"\r\n\r\n" + rest
                if not self.fill(deadline):
                    return None
                rest = self.buf.partition(b"\r\n\r\n")[2]
            body, rest = rest[:n], rest[n:]
        else:  # delimited by close
            self.buf = head + b"\r\n\r\n" + rest
            while self.fill(deadline):
                pass
            rest = self.buf.partition(b"\r\n\r\n")[2]
            body, rest = rest, b""
        self.buf = rest
        return {"status": status, "reason": reason, "version": version, "headers": headers,
                "raw_headers": raw, "body": body.decode("utf-8", "replace"), "t": t}


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(argv[1])
    out = {"error": None, "timeout": False}
    try:
        sock = socket.create_connection((host, port), timeout=5)
    except OSError as e:
        print(json.dumps({"error": "connect: %s" % e, "responses": [], "interim": [], "closed": True,
                          "closed_t": 0, "reset": False, "timeout": False, "leftover": ""}))
        return 2
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    run = Run(sock)
    for step in argv[2:]:
        kind, _, arg = step.partition(":")
        if kind == "send":
            data = codecs.escape_decode(arg.encode("utf-8"))[0]
        elif kind == "sendfile":
            with open(arg, "rb") as f:
                data = f.read()
        if kind in ("send", "sendfile"):
            try:
                sock.sendall(data)
            except OSError as e:
                out["error"] = "send: %s" % e
                break
        elif kind == "sleep":
            time.sleep(float(arg))
        elif kind == "shutwr":
            sock.shutdown(socket.SHUT_WR)
        elif kind in ("read", "interim", "eof"):
            parts = arg.split(":") if arg else []
            if kind == "read":
                count = int(parts[0]) if parts else 1
                secs = float(parts[1]) if len(parts) > 1 else 5.0
            else:
                count = 1
                secs = float(parts[0]) if parts else 5.0
            deadline = time.monotonic() + secs
            if kind == "eof":
                while run.fill(deadline):
                    pass
                if not run.eof:
                    out["timeout"] = True
                    break
                continue
            got = 0
            while got < count:
                r = run.parse_one(deadline)
                if r is None:
                    break
                if r.get("interim"):
                    run.interim.append({"status": r["status"], "t": r["t"]})
                    if kind == "interim":
                        got += 1
                    continue
                run.responses.append(r)
                if kind == "read":
                    got += 1
            if got < count:
                out["timeout"] = not run.eof
                if run.eof:
                    out["error"] = "connection closed before %s finished" % step
                break
        else:
            print("http_raw: unknown step %r" % step, file=sys.stderr)
            return 2
    out.update({"responses": run.responses, "interim": run.interim, "closed": run.eof,
                "closed_t": run.closed_t, "reset": run.reset,
                "leftover": run.buf.decode("utf-8", "replace")})
    sock.close()
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
