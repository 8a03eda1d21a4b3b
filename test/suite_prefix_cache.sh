#!/bin/bash
# vLLM's prefix cache (PREFIX_CACHE_BLOCKS, PREFIX_BLOCK_TOKENS) on the wire: a repeated system
# prompt gets cached tokens in each dialect's usage and a shorter time to the answer (its
# cached tokens cost no prefill); the counters, /health's prefix_cache, kv_cache_usage_perc
# while requests run; one table for both workers; LRU eviction in a tiny table; off by default;
# the settings' limits at startup.
# usage: test/suite_prefix_cache.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "prefix cache: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

CHAT=/v1/chat/completions
health() { curl -s -m 2 "$URL/health" | jq -r "$1"; }
vllm() { curl -s -m 2 "$URL/metrics" | awk -v m="$1" 'index($1, m "{") == 1 {print $2}'; }
# body FILE SYSTEM_BYTES TURN [CHAR]: a chat body, a system prompt of SYSTEM_BYTES CHAR (s)
# and a user turn.
body() {
    python3 -c 'import json,sys; print(json.dumps({"model": "m", "max_tokens": 1, "messages": [
        {"role": "system", "content": sys.argv[4] * int(sys.argv[2])}, {"role": "user", "content": sys.argv[3]}]}))' \
        "$1" "$2" "$3" "${4:-s}" >"$1"
}
# 4,000 bytes of system prompt are 1,000 tokens: 62 whole blocks of 16 tokens (64 bytes) lie
# inside it (3,968 bytes); the 63rd holds its last 32 bytes and the user's turn, which differs.
SYS=4000
HIT=992

# ---- a repeated system prompt: cached tokens, less prefill ---------------------------------------
if start_server cache RESPONSE_DELAY_SECONDS=0 PREFIX_CACHE_BLOCKS=4096 PREFILL_SECONDS_PER_1K_TOKENS=1 VLLM_METRICS=true; then
    body "$T/a.json" $SYS "What is the weather in Paris?"
    body "$T/b.json" $SYS "And in Rome, tomorrow?"
    chat "$T/a" "$URL$CHAT" "$T/a.json"
    eq "cache: the first request is answered" "$CODE" 200
    eq "cache: the first sees nothing cached" "$(j "$T/a.body" .usage.prompt_tokens_details.cached_tokens)" 0
    P1=$(j "$T/a.body" .usage.prompt_tokens)
    T1=$TIME
    fcheck "cache: the first pays the prefill of its $P1 tokens at 1 ms each ($T1 s)" "a >= $P1 / 1000" "$T1"
    chat "$T/b" "$URL$CHAT" "$T/b.json"
    P2=$(j "$T/b.body" .usage.prompt_tokens)
    eq "cache: the second finds the system prompt's $HIT tokens" \
        "$(j "$T/b.body" .usage.prompt_tokens_details.cached_tokens)" $HIT
    fcheck "cache: and pays only its $((P2 - HIT)) uncached tokens ($TIME s, the first $T1 s)" \
        "a >= ($P2 - $HIT) / 1000 && a < $T1 - 0.5" "$TIME"
    # Streams: the usage chunk carries it, and the first token comes that much sooner.
    python3 -c 'import json; b = json.load(open("'"$T/b.json"'")); b.update(stream=True,
        stream_options={"include_usage": True}); print(json.dumps(b))' >"$T/s.json"
    chat "$T/s" "$URL$CHAT" "$T/s.json"
    eq "cache: a stream's usage chunk reports the cached tokens" \
        "$(grep '"usage":{' "$T/s.body" | sed 's/^data: //' | jq -r .usage.prompt_tokens_details.cached_tokens)" $HIT
    # Anthropic's words: cache_read_input_tokens, and input_tokens the rest.
    python3 -c 'import json; print(json.dumps({"model": "claude", "max_tokens": 1, "system": "s" * '$SYS',
        "messages": [{"role": "user", "content": "Hello there, Claude."}]}))' >"$T/an.json"
    chat "$T/an" "$URL/v1/messages" "$T/an.json"
    eq "cache: Anthropic's usage says cache_read_input_tokens" "$(j "$T/an.body" .usage.cache_read_input_tokens)" $HIT
    AN_IN=$(j "$T/an.body" .usage.input_tokens)
    fcheck "cache: and input_tokens counts only the uncached ($AN_IN)" "a >= 1 && a < 20" "$AN_IN"
    # The Responses API's: input_tokens_details.cached_tokens (instructions head the prompt).
    python3 -c 'import json; print(json.dumps({"model": "gpt-4o", "instructions": "s" * '$SYS',
        "input": "Hello there, how are you?"}))' >"$T/re.json"
    chat "$T/re" "$URL/v1/responses" "$T/re.json"
    eq "cache: Responses' usage says input_tokens_details.cached_tokens" \
        "$(j "$T/re.body" .usage.input_tokens_details.cached_tokens)" $HIT
    # The counters, in tokens: every prompt queried, the cached ones hit.
    Q=$(vllm vllm:prefix_cache_queries_total)
    H=$(vllm vllm:prefix_cache_hits_total)
    eq "cache: vllm:prefix_cache_hits_total is the cached tokens reported (4 x $HIT)" "$H" $((HIT * 4))
    fcheck "cache: vllm:prefix_cache_queries_total counts the prompts' tokens ($Q)" "a >= 5 * 1000 && a < 5 * 1020" "$Q"
    eq "cache: /health's prefix_cache.blocks is the table's size" "$(health .prefix_cache.blocks)" 4096
    UB=$(health .prefix_cache.used_blocks)
    fcheck "cache: /health's used_blocks holds the blocks inserted ($UB)" "a >= 62 && a <= 5 * 64" "$UB"
    fcheck "cache: /health's hit_ratio is hits over queries" "a > $H / $Q - 0.001 && a < $H / $Q + 0.001" \
        "$(health .prefix_cache.hit_ratio)"
    contains "cache: vllm:cache_config_info says prefix caching is on, block 16" <(curl -s "$URL/metrics") \
        'vllm:cache_config_info{block_size="16",enable_prefix_caching="True",'
    stop_server cache
fi

# ---- kv_cache_usage_perc: the blocks running requests hold ------------------------------------------
if start_server kv RESPONSE_DELAY_SECONDS=1.5 PREFIX_CACHE_BLOCKS=1000 VLLM_METRICS=true; then
    body "$T/k.json" 1600 "hi"   # 400 + 1 prompt tokens + 1 output token: 26 blocks of 16
    for i in 1 2 3 4 5; do
        curl -s -m 5 -o /dev/null --data-binary "@$T/k.json" "$URL$CHAT" &
        PIDS+=($!)
    done
    wait_active "$URL" 5 5
    eq "kv: five held requests hold 5 x 26 of 1,000 blocks" "$(vllm vllm:kv_cache_usage_perc)" 0.130000
    for i in $(seq 100); do
        [ "$(vllm vllm:kv_cache_usage_perc)" = 0.000000 ] && break
        sleep 0.05
    done
    eq "kv: and give them back when answered" "$(vllm vllm:kv_cache_usage_perc)" 0.000000
    stop_server kv
fi

# ---- one table for both workers ---------------------------------------------------------------------
# 20 requests, each on its own connection: SO_REUSEPORT spreads them over both workers (all on
# one: chance 2^-19), and every one after the first finds the system prompt.
if start_server two RESPONSE_DELAY_SECONDS=0 WORKER_THREADS=2 PREFIX_CACHE_BLOCKS=4096; then
    hits=""
    for i in $(seq 20); do
        body "$T/t.json" $SYS "question number $i"
        chat "$T/t" "$URL$CHAT" "$T/t.json"
        hits="$hits $(j "$T/t.body" .usage.prompt_tokens_details.cached_tokens)"
    done
    eq "two workers: the first misses, the 19 after it all hit" "$hits" " 0$(printf ' %s' $(yes $HIT | head -n 19))"
    stop_server two
fi

# ---- eviction: least recently used first, a prompt's tail before its head --------------------------------
# A table of 5 blocks is one set, an exact LRU. Prompts A and B (another letter) have 4 whole
# blocks each before their last token. A, A: the second finds A's 4. Then B takes the free
# block and evicts the 3 oldest, A's tail first (as vLLM frees a request's blocks), so A
# again finds only its first block. The sleeps put the prompts in different ~17 ms stamps.
if start_server lru RESPONSE_DELAY_SECONDS=0 PREFIX_CACHE_BLOCKS=5; then
    body "$T/la.json" 300 "x"   # 301 bytes, 76 tokens: 4 whole blocks of 64 bytes
    body "$T/lb.json" 300 "x" t
    chat "$T/l1" "$URL$CHAT" "$T/la.json"
    sleep 0.1
    chat "$T/l2" "$URL$CHAT" "$T/la.json"
    eq "lru: A then A: the second finds A's 4 blocks" "$(j "$T/l2.body" .usage.prompt_tokens_details.cached_tokens)" 64
    sleep 0.1
    chat "$T/l3" "$URL$CHAT" "$T/lb.json"
    eq "lru: B shares no block with A" "$(j "$T/l3.body" .usage.prompt_tokens_details.cached_tokens)" 0
    sleep 0.1
    chat "$T/l4" "$URL$CHAT" "$T/la.json"
    eq "lru: A again after B: B evicted A's tail, its head is left" \
        "$(j "$T/l4.body" .usage.prompt_tokens_details.cached_tokens)" 16
    eq "lru: used_blocks never passes the table's 5" "$(health .prefix_cache.used_blocks)" 5
    stop_server lru
fi

# ---- off by default; the block size ----------------------------------------------------------------
if start_server off RESPONSE_DELAY_SECONDS=0 VLLM_METRICS=true; then
    body "$T/o.json" $SYS "hello"
    chat "$T/o1" "$URL$CHAT" "$T/o.json"
    chat "$T/o2" "$URL$CHAT" "$T/o.json"
    eq "off: a repeat finds nothing cached" "$(j "$T/o2.body" .usage.prompt_tokens_details.cached_tokens)" 0
    eq "off: /health's prefix_cache is all zero" "$(curl -s -m 2 "$URL/health" | jq -c .prefix_cache)" '{"blocks":0,"used_blocks":0,"hit_ratio":0}'
    contains "off: vllm:cache_config_info says prefix caching is off" <(curl -s "$URL/metrics") \
        'enable_prefix_caching="False"'
    stop_server off
fi
if start_server block RESPONSE_DELAY_SECONDS=0 PREFIX_CACHE_BLOCKS=4096 PREFIX_BLOCK_TOKENS=100 VLLM_METRICS=true; then
    body "$T/bl.json" $SYS "hello"
    chat "$T/b1" "$URL$CHAT" "$T/bl.json"
    body "$T/bl.json" $SYS "hello again"
    chat "$T/b2" "$URL$CHAT" "$T/bl.json"
    eq "block: 100-token blocks: the system prompt's 10 whole blocks hit" \
        "$(j "$T/b2.body" .usage.prompt_tokens_details.cached_tokens)" 1000
    contains "block: vllm:cache_config_info says block_size 100" <(curl -s "$URL/metrics") 'block_size="100"'
    stop_server block
fi

# ---- refused at startup ------------------------------------------------------------------------------
out=$(PREFIX_CACHE_BLOCKS=16777217 timeout 5 "$BIN" --port 0 2>&1)
eq "startup: PREFIX_CACHE_BLOCKS past 16777216 exits 2" "$?" 2
contains "startup: naming it" <(echo "$out") 'PREFIX_CACHE_BLOCKS'
out=$(PREFIX_BLOCK_TOKENS=0 timeout 5 "$BIN" --port 0 2>&1)
eq "startup: PREFIX_BLOCK_TOKENS=0 exits 2" "$?" 2
contains "startup: naming it" <(echo "$out") 'PREFIX_BLOCK_TOKENS'

echo "prefix cache: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
