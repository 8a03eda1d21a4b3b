# bench/lib.sh: what the side-by-side scripts (compare.sh, stream_compare.sh, callgrind.sh,
# kind_stream_compare.sh) share; sourced. SPID is the server started last (stop ends it).

# A loopback port nothing listens on.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        ss -Htan "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return; }
    done
}
# Waits (up to 5 s) until something accepts on the port.
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
        sleep 0.05
    done
}
# SIGTERM to $SPID, SIGKILL after 3 s, reaped.
stop() {
    [ -n "${SPID:-}" ] || return
    kill -TERM "$SPID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=
}
# ns the process's threads spent runnable but waiting for their CPU (someone else ran on it)
runq_ns() { local t s=0; for t in /proc/"$1"/task/*/schedstat; do s=$((s + $(awk '{print $2}' "$t" 2>/dev/null || echo 0))); done; echo $s; }
# ns the process's threads spent on a CPU
cpu_ns() { local t s=0; for t in /proc/"$1"/task/*/schedstat; do s=$((s + $(awk '{print $1}' "$t" 2>/dev/null || echo 0))); done; echo $s; }

# The kinds of stream the stream benches compare (kind_stream_compare.sh, callgrind.sh's
# CG_KINDS): each kind's route and its streamed request body of about TOKENS tokens.
#   text chat content tokens; tools chat tool-call argument fragments (8 parallel calls from a
#   schema); reasoning chat reasoning_content tokens, then 10 content tokens; responses the
#   Responses API's output_text deltas; anthropic Anthropic Messages' text_delta events.
KIND_MSG='"messages":[{"role":"user","content":"Hello"}],"stream":true'
# Arguments of about 25 tokens per call ({"city":"…","days":N,"tags":["…","…"]}).
KIND_TOOL='{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Oslo","Lima"]},"days":{"type":"integer","minimum":1,"maximum":7},"tags":{"type":"array","items":{"type":"string","minLength":4,"maxLength":8},"minItems":2,"maxItems":2}},"required":["city","days","tags"],"additionalProperties":false}}}'
kind_path() {
    case $1 in
    responses) echo /v1/responses ;;
    anthropic) echo /v1/messages ;;
    *) echo /v1/chat/completions ;;
    esac
}
kind_body() {  # KIND TOKENS
    case $1 in
    text) printf '{"model":"qwen-plus",%s,"max_tokens":%s}' "$KIND_MSG" "$2" ;;
    tools) printf '{"model":"qwen-plus",%s,"tools":[%s],"tool_choice":"required"}' "$KIND_MSG" "$KIND_TOOL" ;;
    reasoning) printf '{"model":"qwen-plus",%s,"enable_thinking":true,"max_tokens":10}' "$KIND_MSG" ;;
    responses) printf '{"model":"qwen-plus","input":"Hello","stream":true,"max_output_tokens":%s}' "$2" ;;
    anthropic) printf '{"model":"qwen-plus",%s,"max_tokens":%s}' "$KIND_MSG" "$2" ;;
    *) echo "unknown stream kind $1" >&2; return 2 ;;
    esac
}
