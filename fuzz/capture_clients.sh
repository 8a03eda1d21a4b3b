#!/bin/bash
# capture_clients: records the exact bytes real clients send (curl, ab, wrk, Python's
# http.client, the OpenAI Node SDK when test/suite_openai_sdk.sh installed it in build/npm)
# through fuzz/make_corpus.py's recording server, and stores each connection's first requests
# as seeds: fuzz/corpus/{fuzz_http_parser,fuzz_http_differential}/client-TOOL-HASH, and the
# bodies of the POSTs as fuzz/corpus/fuzz_chat_body/client-TOOL-HASH.
# usage: fuzz/capture_clients.sh       (needs curl, ab, wrk, python3; takes a few seconds)
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 fuzz/make_corpus.py record "$port" "$tmp/raw" &
rec=$!
trap 'kill $rec 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
sleep 0.3
rm -rf "$tmp/raw"/*
url=http://127.0.0.1:$port
body='{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}'
big=$(python3 -c 'import json; print(json.dumps({"model":"qwen-plus","messages":[{"role":"user","content":"x"*1500}]}))')
save() {  # save TOOL: moves what was recorded since the last call to the corpus
    sleep 0.5
    local f h i=0
    for f in "$tmp/raw"/conn-*; do
        [ -f "$f" ] || continue
        i=$((i + 1))
        h=$(sha1sum "$f" | cut -c1-8)  # identical connections are stored once
        for t in fuzz_http_parser fuzz_http_differential; do
            cp "$f" "fuzz/corpus/$t/client-$1-$h"
        done
        rm -f "$f"
    done
    echo "captured $1: $i connection(s)"
}
curl -s -o /dev/null "$url/health"; save curl-get
curl -s -o /dev/null -H 'Content-Type: application/json' -d "$body" "$url/v1/chat/completions"; save curl-post
curl -s -o /dev/null -H 'Content-Type: application/json' -d "$big" "$url/v1/chat/completions"; save curl-expect
printf '%s' "$body" >"$tmp/body.json"
curl -s -o /dev/null -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/body.json" \
    "$url/compatible-mode/v1/chat/completions"; save curl-chunked
curl -s -o /dev/null --http1.0 "$url/health"; save curl-http10
curl -s -o /dev/null -o /dev/null "$url/health" "$url/metrics" -H 'Accept: text/plain'; save curl-keepalive
ab -q -n 2 -c 1 "$url/health" >/dev/null; save ab
ab -q -k -n 3 -c 1 "$url/health" >/dev/null; save ab-k
ab -q -k -n 3 -c 1 -p "$tmp/body.json" -T application/json "$url/v1/chat/completions" >/dev/null; save ab-post
wrk -t1 -c1 -d1s "$url/health" >/dev/null; save wrk
wrk -t1 -c1 -d1s -s bench/post.lua "$url/v1/chat/completions" >/dev/null; save wrk-post
python3 - "$port" "$body" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(2):
    c.request("POST", "/v1/chat/completions", body=sys.argv[2], headers={"Content-Type": "application/json"})
    c.getresponse().read()
c.close()
PY
save python-http-client
# The official OpenAI Node SDK, where test/suite_openai_sdk.sh installed it (build/npm).
if command -v node >/dev/null && [ -d build/npm/node_modules/openai ]; then
    NODE_PATH=build/npm/node_modules node - "$url" <<'JS' || echo "openai sdk capture failed" >&2
const OpenAI = require("openai");
const client = new OpenAI({ baseURL: process.argv[2] + "/v1", apiKey: "sk-mock", maxRetries: 0 });
(async () => {
    await client.chat.completions.create({ model: "qwen-plus", messages: [{ role: "user", content: "Hello" }] });
    await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 64, temperature: 0.2,
        messages: [{ role: "system", content: "You are terse." }, { role: "user", content: "Hi é" }] });
})();
JS
    save openai-node-sdk
fi
# The bodies of the captured chat requests seed the body reader too.
python3 - <<'PY'
import glob, os, re
for path in glob.glob("fuzz/corpus/fuzz_http_parser/client-*"):
    data = open(path, "rb").read()
    head, sep, rest = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length: *([0-9]+)", head)
    if sep and m and head.startswith(b"POST") and int(m.group(1)) > 0:
        with open("fuzz/corpus/fuzz_chat_body/" + os.path.basename(path), "wb") as f:
            f.write(rest[:int(m.group(1))])
PY
