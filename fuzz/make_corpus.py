#!/usr/bin/env python3
"""make_corpus: writes the fuzz seed corpus (standard library only).

usage:
  fuzz/make_corpus.py cases              write the seeds taken from the tests (below) into
                                         fuzz/corpus/{fuzz_http_parser,fuzz_http_differential,fuzz_chat_body,
                                         fuzz_responses_body,fuzz_anthropic_body}
  fuzz/make_corpus.py record PORT DIR    a recording HTTP server on 127.0.0.1:PORT: every connection's
                                         raw bytes (first 3 requests) go to DIR/conn-N; each request
                                         gets a small chat.completion answer (fuzz/capture_clients.sh
                                         points curl, ab and wrk at it)

The HTTP seeds are every request of test/engine/http_parser_test.cpp (valid and refused, including its
recorded OpenAI Python SDK 1.51.2 request), the raw framing cases of test/integration_test.sh and
the smuggling shapes of test/hostile_clients.py; the real-client captures (curl, ab, wrk, Python's
http.client, the OpenAI Node SDK) come from fuzz/capture_clients.sh. The chat-body seeds are the
bodies of test/dialects/openai_reader_test.cpp and of the integration suite (plus the captured POST bodies).
The Responses and Anthropic seeds are the bodies test/suite_responses.sh and test/suite_anthropic.sh
send (their `mk NAME BODY` lines and their `name|body|param` refusal tables, run by bash), plus the
shapes listed below.
"""
import hashlib
import os
import socket
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def chunked_post(chunks):
    return b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks


def get_of_size(total):
    head = b"GET / HTTP/1.1\r\nHost: a\r\nX: "
    tail = b"\r\n\r\n"
    return head + b"p" * (total - len(head) - len(tail)) + tail


CURL_JSON_BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"stream":false}'
OPENAI_BODY = (b'{"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hi \\u00e9"}],'
               b'"model":"gpt-4o-mini","max_tokens":64,"stream":true,"temperature":0.2}')
OPENAI_SDK = (b"POST /v1/chat/completions HTTP/1.1\r\n"
              b"Host: localhost:8080\r\n"
              b"Accept-Encoding: gzip, deflate\r\n"
              b"Connection: keep-alive\r\n"
              b"Accept: application/json\r\n"
              b"Content-Type: application/json\r\n"
              b"User-Agent: OpenAI/Python 1.51.2\r\n"
              b"X-Stainless-Lang: python\r\n"
              b"X-Stainless-Package-Version: 1.51.2\r\n"
              b"X-Stainless-OS: Linux\r\n"
              b"X-Stainless-Arch: x64\r\n"
              b"X-Stainless-Runtime: CPython\r\n"
              b"X-Stainless-Runtime-Version: 3.11.2\r\n"
              b"Authorization: Bearer sk-mock-0123456789abcdef\r\n"
              b"X-Stainless-Async: false\r\n"
              b"x-stainless-retry-count: 0\r\n"
              b"x-stainless-read-timeout: 600.0\r\n"
              b"Content-Length: " + str(len(OPENAI_BODY)).encode() + b"\r\n"
              b"\r\n" + OPENAI_BODY)
WRK = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
CHUNKED_3 = chunked_post(b"5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n")


def http_cases():
    """Every request of http_parser_test.cpp, then the integration suite's raw framing cases."""
    h11 = b"GET / HTTP/1.1\r\nHost: a\r\n"
    post = b"POST /b HTTP/1.1\r\nHost: a\r\n"
    te = b"POST /t HTTP/1.1\r\nHost: a\r\n"
    body3 = b"3\r\nabc\r\n0\r\n\r\n"
    host = b"Host: a\r\n\r\n"
    rl = b"GET / HTTP/1.1\r\nHost: a\r\n"
    c = [
        # real clients (as recorded in the unit test)
        b"GET /health HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
        b"Content-Type: application/json\r\nAuthorization: Bearer sk-test\r\nContent-Length: "
        + str(len(CURL_JSON_BODY)).encode() + b"\r\n\r\n" + CURL_JSON_BODY,
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(CURL_JSON_BODY)).encode()
        + b"\r\nExpect: 100-continue\r\n\r\n" + CURL_JSON_BODY,
        b"GET /v1/models HTTP/1.0\r\nHost: 127.0.0.1:8080\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n",
        b"GET /v1/models HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: 127.0.0.1:8080\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        WRK,
        OPENAI_SDK,
        CHUNKED_3,
        # pipelines
        b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        + chunked_post(b"3\r\nxyz\r\n2\r\n!!\r\n0\r\nX-T: 1\r\n\r\n")
        + b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        chunked_post(b"4\r\nwxyz\r\n0\r\n\r\n") + WRK,
        chunked_post(b"3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n") + WRK,
        OPENAI_SDK + CHUNKED_3 + WRK,
        # methods and targets
        b"PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n", b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"X-M!#$%&'*+.^_`|~ / HTTP/1.1\r\nHost: a\r\n\r\n", b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET http://a/b?c=d#e HTTP/1.1\r\nHost: a\r\n\r\n", b"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"\r\n\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\nHost: a\nX: b\n\n",
        h11 + b"X-A:   v  \t\r\nX-B:\r\nX-C: \x80\xff obs\r\n\r\n",
        # Connection, Expect, Host
        h11 + b"Connection: close\r\n\r\n", h11 + b"Connection: keep-alive, close\r\n\r\n",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", h11 + b"Connection: Upgrade, ,close\r\n\r\n",
        h11 + b"Expect: 100-continue\r\n\r\n", h11 + b"Expect: something-else\r\n\r\n",
        b"GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost:\r\n\r\n", b"GET / HTTP/1.1\r\nhOsT: a\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX-Host: a\r\nHosts: b\r\n\r\n", b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
        # Content-Length
        post + b"Content-Length: 0\r\n\r\n", post + b"\r\n", post + b"Content-Length:  5 \r\n\r\nhello",
        post + b"Content-Length: 3\r\ncontent-length: 3\r\n\r\nabc", post + b"Content-Length: 003\r\n\r\nabc",
        post + b"Content-Length: 3\r\nContent-Length: 03\r\n\r\nabc", post + b"Content-Length: 10\r\n\r\nabc",
        post + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        post + b"Content-Length: 9223372036854775807\r\n\r\n", post + b"Content-Length: 9223372036854775808\r\n\r\n",
        post + b"Content-Length: 99999999999999999999999\r\n\r\n", post + b"Content-Length: 18446744073709551616\r\n\r\n",
    ]
    for bad in [b"", b"+5", b"-5", b"5 5", b"5,5", b"5, 5", b"0x5", b"5a", b"1e3", b"\xef\xbc\x95"]:
        c.append(post + b"Content-Length: " + bad + b"\r\n\r\n")
    c += [
        # Transfer-Encoding
        te + b"Transfer-Encoding: chunked\r\n\r\n" + body3, te + b"Transfer-Encoding: CHUNKED\r\n\r\n" + body3,
        te + b"Transfer-Encoding:  \t chunked \t\r\n\r\n" + body3, te + b"Transfer-Encoding: , chunked,\r\n\r\n" + body3,
        te + b"Transfer-Encoding: gzip, chunked\r\n\r\n", te + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
        te + b"Transfer-Encoding: identity\r\n\r\n", te + b"Transfer-Encoding: chunked;q=1\r\n\r\n",
        te + b"Transfer-Encoding: chunked, gzip\r\n\r\n", te + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
        te + b"Transfer-Encoding: chunked, chunked\r\n\r\n", te + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: Chunked\r\n\r\n",
        te + b"Transfer-Encoding:\r\n\r\n", te + b"Transfer-Encoding: , ,\r\n\r\n",
        te + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" + body3,
        te + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + body3,
        b"POST /t HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + body3,
        # chunked bodies
        chunked_post(b"0\r\n\r\n"), chunked_post(b"000\r\n\r\n"),
        chunked_post(b"a\r\n0123456789\r\nB\r\nABCDEFGHIJK\r\n0\r\n\r\n"), chunked_post(b"0003\r\nabc\r\n0\r\n\r\n"),
        chunked_post(b"000000000000000000000002\r\nab\r\n0\r\n\r\n"),
        chunked_post(b"3;a\r\nabc\r\n2;b=c;d=\"e f;g\" \r\nde\r\n0;last\r\n\r\n"),
        chunked_post(b"3 ;a\r\nabc\r\n2\t; b = c\r\nde\r\n0 \t;x\r\n\r\n"),
        chunked_post(b"3\r\nabc\r\n0\r\nX-Checksum: 123\r\nX-More:  a b \r\n\r\n"),
        chunked_post(b"3\nabc\n2;x\nde\n0\nX-T: 1\n\n"), chunked_post(b"4\r\n\r\n\r\n\r\n0\r\n\r\n"),
        chunked_post(b"3\r\nabc\r\n"), chunked_post(b"3\r\nabc\r\n0\r\nX: y\r\n"),
        # chunked rejections
        chunked_post(b"\r\n"), chunked_post(b"x\r\n"), chunked_post(b";a\r\n"), chunked_post(b"-1\r\n"),
        chunked_post(b"0x3\r\nabc\r\n0\r\n\r\n"), chunked_post(b"3 \r\nabc\r\n0\r\n\r\n"),
        chunked_post(b"3 x\r\nabc\r\n0\r\n\r\n"), chunked_post(b"3;a\x01\r\nabc\r\n0\r\n\r\n"),
        chunked_post(b"3;a\rb\r\nabc\r\n0\r\n\r\n"), chunked_post(b"3\rabc\r\n0\r\n\r\n"),
        chunked_post(b"3\r\nabcd\r\n0\r\n\r\n"), chunked_post(b"3\r\nabc\rX0\r\n\r\n"),
        chunked_post(b"ffffffffffffffff\r\n"), chunked_post(b"10000000000000000\r\n"),
        chunked_post(b"0\r\nX : y\r\n\r\n"), chunked_post(b"0\r\nX: a\x01\r\n\r\n"),
        chunked_post(b"0\r\nX: a\r\n b\r\n\r\n"), chunked_post(b"0\r\n : b\r\n\r\n"), chunked_post(b"0\r\n: b\r\n\r\n"),
        chunked_post(b"0\r\nX: a\rb\r\n\r\n"), chunked_post(b"0\r\n\rX"),
        # request line rejections
        b"GET  / HTTP/1.1\r\n" + host, b"GET / HTTP/1.1 \r\n" + host, b"GET /  HTTP/1.1\r\n" + host,
        b"GET /\r\n" + host, b"GET /\n" + host, b"GET\r\n" + host, b" GET / HTTP/1.1\r\n" + host,
        b"G(ET / HTTP/1.1\r\n" + host, b"GET\t/ HTTP/1.1\r\n" + host, b"GET /a\x01 HTTP/1.1\r\n" + host,
        b"GET /a\x7f HTTP/1.1\r\n" + host, b"GET /caf\xc3\xa9 HTTP/1.1\r\n" + host, b"GET /a\tb HTTP/1.1\r\n" + host,
        b"GET \x01 HTTP/1.1\r\n" + host, b"GET / http/1.1\r\n" + host, b"GET / HTTP/1\r\n" + host,
        b"GET / HTTP/1.\r\n" + host, b"GET / HTTP/1.10\r\n" + host, b"GET / HTTP/11.1\r\n" + host,
        b"GET / HTTP/1,1\r\n" + host, b"GET / HTTPS/1.1\r\n" + host, b"GET / HTTP/1.1\rX" + host,
        b"\rGET / HTTP/1.1\r\n" + host, b"\r\n\r \r\n", b"\x16\x03\x01\x02\x00\x01\x00",
        b"GET / HTTP/2.0\n\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ]
    for v in [b"HTTP/2.0", b"HTTP/1.2", b"HTTP/1.9", b"HTTP/3.0", b"HTTP/0.9", b"HTTP/9.9"]:
        c.append(b"GET / " + v + b"\r\nHost: a\r\n\r\n")
    c += [
        # header field rejections
        rl + b"X-A : v\r\n\r\n", rl + b"X-A\t: v\r\n\r\n", rl + b": v\r\n\r\n", rl + b"X(A: v\r\n\r\n",
        rl + b"X\x80: v\r\n\r\n", rl + b"X-A v\r\n\r\n", rl + b"X-A\r\n\r\n", rl + b"X-A\n\r\n",
        rl + b"X-A: a\x00b\r\n\r\n", rl + b"X-A: a\x7f\r\n\r\n", rl + b"X-A: \x1b[31m\r\n\r\n",
        rl + b"X-A: a\x0b\r\n\r\n", rl + b"X-A: a\rb\r\n\r\n", rl + b"X-A: a\r\r\n\r\n", rl + b"X-A\rb: c\r\n\r\n",
        rl + b"X-A: a\r\n b\r\n\r\n", rl + b"X-A: a\r\n\tb\r\n\r\n", b"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        rl + b"\r\r\n", rl + b"\rX",
        # limits (default limits; the tight-limit variants are reached by the fuzzer's own run)
        get_of_size(8192), get_of_size(8193), b"GET /" + b"t" * 8200 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(1, 64)) + b"\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(1, 65)) + b"\r\n",
        chunked_post(b"3;" + b"e" * 1022 + b"\r\nabc\r\n0\r\n\r\n"),
        chunked_post(b"3;" + b"e" * 1023 + b"\r\nabc\r\n0\r\n\r\n"),
        chunked_post(b"0" * 1023 + b"3\r\nabc\r\n0\r\n\r\n"), chunked_post(b"0" * 1024 + b"3\r\nabc\r\n0\r\n\r\n"),
        chunked_post(b"3\r\nabc\r\n0;" + b"e" * 1023 + b"\r\n\r\n"),
        post + b"Content-Length: 16384\r\n\r\n" + b"b" * 16384, post + b"Content-Length: 16385\r\n\r\n",
        chunked_post(b"4000\r\n" + b"b" * 16384 + b"\r\n0\r\n\r\n"), chunked_post(b"4001\r\n"),
        b"\r\n" * 300,
        # smuggling shapes (CL.TE, TE.CL, TE.TE)
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-encoding: x\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nGET / HTTP/1.1\r\n",
    ]
    return c


CHAT_BODIES = [
    # vLLM's /tokenize and /detokenize bodies (the same target reads them).
    b'{"model":"m","prompt":"h\\u00e9llo \\ud83d\\ude00 world","add_special_tokens":true,"return_token_strs":true}',
    b'{"prompt":""}', b'{"prompt":5}', b'{"messages":[{"role":"user","content":[{"type":"text","text":"ab"}]}]}',
    b'{"tokens":[0,4294967393,19002934120,21474836479]}', b'{"tokens":[97,-1,"x"]}', b'{"tokens":"abc"}',
    b'{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":64}',
    b'{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}',
    b'{"messages":[{}],"max_completion_tokens":5,"model":null}',
    b"", b"{bad", b'{"messages":[]} trailing', b"[1,2]", b'"s"', b'{"model":"x"}', b'{"messages":{}}',
    b'{"messages":[]}', b'{"messages":[{}],"model":5}', b'{"messages":[{}],"stream":"yes"}',
    b'{"messages":[{}],"max_tokens":0}', b'{"messages":[{}],"max_tokens":-3}',
    b'{"messages":[{}],"stream_options":{"include_usage":1}}',
    b'{"messages":[{"content":"' + b"x" * 35 + b'"}]}',
    b'{"model":"qwen-plus","messages":[{"role":"user","content":"\xe4\xbd\xa0\xe6\x98\xaf\xe8\xb0\x81\xef\xbc\x9f"}]}',
    b'{"model":null,"messages":[{"role":"user","content":"hi"}]}',
    b'{"model":"my \\"model\\" \\\\ \xc3\xbc","messages":[{"role":"user","content":"hi"}]}',
    b'{"model":"' + b"m" * 97 + b'","messages":[{"role":"user","content":"hi"}]}',
    b'{"model":42,"messages":[{"role":"user","content":"hi"}]}',
    b'{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}',
    CURL_JSON_BODY, OPENAI_BODY,
    b'{"messages":[{"role":"user","content":"x"}],"max_tokens":18446744073709551615,"max_completion_tokens":null}',
    b'{"messages":[{"role":"user","content":"x"}],"max_tokens":1.5}',
    b'{"messages":[{"role":"user","content":"x"}],"stream":null,"stream_options":null}',
    b'{"messages":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}',
    b'\xef\xbb\xbf{"messages":[1]}', b'{"messages":[1],"messages":[]}', b'{"messages":[1]}\x00',
]


def suite_bodies(path):
    """The JSON bodies a suite script sends: its upper-case variable assignments and `mk` lines run
    by bash with mk() printing the body, and the bodies of its name|body|param tables."""
    import re
    import subprocess
    script = ["mk() { printf '%s\\0' \"$2\"; }"]
    bodies = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if re.match(r"^[A-Z_]+=['\"]", line) or re.match(r"^\s*mk \w+ ", line):
                script.append(line.strip())
            m = re.match(r"^[^|{]+\|(\{.*\})\|[a-z._]+$", line)
            if m:
                bodies.append(m.group(1).encode())
    out = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, check=True).stdout
    return [b for b in out.split(b"\0") if b] + bodies


RESPONSES_BODIES = [
    b'{"input":"x","instructions":"i","max_output_tokens":16,"parallel_tool_calls":false,"store":false,'
    b'"previous_response_id":"resp_1","metadata":{"a":"b"},"temperature":0,"top_p":1,"reasoning":{"effort":"low"},'
    b'"text":{"format":{"type":"json_object"}},"tool_choice":"required","tools":[{"type":"function","name":"f"}]}',
    b'{"input":[{"type":"item_reference","id":"msg_1"},{"type":"reasoning","id":"rs_1","summary":[]},'
    b'{"role":"assistant","content":[{"type":"output_text","text":"a"}]},{"role":"user","content":[{"type":"input_image"}]}]}',
    b'{"input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{"$ref":"#/$defs/a","$defs":{"a":{"type":"string"}}}}}}',
    b'{"input":"x","metadata":{"a":1}}', b'{"input":"x","reasoning":{"summary":"detailed"}}',
    b'{"input":"x","tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{"a":{"type":"array",'
    b'"items":{"type":"object","properties":{"b":{"enum":[1,"2",null,true,1.5e300]}}}}}}}]}',
]

ANTHROPIC_BODIES = [
    b'{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image",'
    b'"source":{"type":"base64","media_type":"image/png","data":"AA=="}}]}],"system":[{"type":"text","text":"s"}]}',
    b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool","name":"f"},'
    b'"tools":[{"name":"f","input_schema":{"type":"object"}}],"metadata":{"user_id":"u"},"stop_sequences":["a"]}',
    b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"auto",'
    b'"disable_parallel_tool_use":true},"tools":[{"name":"f","input_schema":{"type":"object"}},{"name":"g","input_schema":{}}]}',
    b'{"model":"m","max_tokens":2048,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":1024}}',
    b'{"model":"m","max_tokens":0,"messages":[]}', b'{"model":"m","messages":[{"role":"system","content":"x"}]}',
    b'{"model":"m","max_tokens":9,"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"}]}]}',
]


def write_set(directory, items):
    os.makedirs(directory, exist_ok=True)
    for data in items:
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(directory, "test-" + name), "wb") as f:
            f.write(data)


def record(port, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    body = (b'{"id":"chatcmpl-0","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,'
            b'"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],'
            b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}')
    counter = [0]
    lock = threading.Lock()

    def serve(conn):
        with lock:
            counter[0] += 1
            n = counter[0]
        raw = b""
        buf = b""
        answered = 0
        conn.settimeout(5)
        try:
            while answered < 1000:
                while b"\r\n\r\n" not in buf:
                    d = conn.recv(65536)
                    if not d:
                        raise EOFError
                    buf += d
                    if answered < 3:
                        raw += d
                head, _, rest = buf.partition(b"\r\n\r\n")
                lower = head.lower()
                if b"expect: 100-continue" in lower:
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                need = 0
                for line in lower.split(b"\r\n"):
                    if line.startswith(b"content-length:"):
                        need = int(line.split(b":", 1)[1])
                if b"transfer-encoding: chunked" in lower:
                    while not rest.endswith(b"0\r\n\r\n"):
                        d = conn.recv(65536)
                        if not d:
                            raise EOFError
                        rest += d
                        if answered < 3:
                            raw += d
                    need = len(rest)
                while len(rest) < need:
                    d = conn.recv(65536)
                    if not d:
                        raise EOFError
                    rest += d
                    if answered < 3:
                        raw += d
                buf = rest[need:]
                close = b"connection: close" in lower or (b"http/1.0" in lower.split(b"\r\n")[0]
                                                          and b"keep-alive" not in lower)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
                             % (len(body), b"Connection: close\r\n" if close else b"Connection: keep-alive\r\n") + body)
                answered += 1
                if close:
                    break
        except (EOFError, OSError):
            pass
        finally:
            conn.close()
            if raw:
                with open(os.path.join(out_dir, "conn-%04d" % n), "wb") as f:
                    f.write(raw)

    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(128)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def main(argv):
    if len(argv) >= 2 and argv[1] == "cases":
        http = http_cases()
        for t in ("fuzz_http_parser", "fuzz_http_differential"):
            write_set(os.path.join(HERE, "corpus", t), http)
        write_set(os.path.join(HERE, "corpus", "fuzz_chat_body"), CHAT_BODIES)
        root = os.path.dirname(HERE)
        responses = suite_bodies(os.path.join(root, "test", "suite_responses.sh")) + RESPONSES_BODIES
        anthropic = suite_bodies(os.path.join(root, "test", "suite_anthropic.sh")) + ANTHROPIC_BODIES
        write_set(os.path.join(HERE, "corpus", "fuzz_responses_body"), responses)
        write_set(os.path.join(HERE, "corpus", "fuzz_anthropic_body"), anthropic)
        print("wrote %d HTTP seeds, %d chat-body, %d Responses-body and %d Anthropic-body seeds" %
              (len(http), len(CHAT_BODIES), len(responses), len(anthropic)))
        return 0
    if len(argv) == 4 and argv[1] == "record":
        record(int(argv[2]), argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
