#!/bin/bash
# Docs drift (issue 16): docs/configuration.md must be exactly what `llm-mock-server
# --help-markdown` prints from the settings table (`make docs` regenerates it), and must name
# every setting of the table (the variables GET /admin/config lists, read off --help too).
# Ends with "docs: P passed, F failed". Takes well under a second.
set -u
cd "$(dirname "$0")/.."
BIN=${1:-build/llm-mock-server}
DOC=docs/configuration.md
passed=0
failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! timeout 10 "$BIN" --help-markdown >"$tmp/generated.md" 2>"$tmp/err"; then
    fail "docs: $BIN --help-markdown exits 0 ($(head -c 300 "$tmp/err"))"
elif [ ! -f "$DOC" ]; then
    fail "docs: $DOC exists (run: make docs)"
elif diff -u --label "$DOC (checked in)" --label "$BIN --help-markdown" "$DOC" "$tmp/generated.md" >"$tmp/diff"; then
    pass "docs: $DOC is what --help-markdown prints ($(wc -l <"$DOC") lines)"
else
    head -n 60 "$tmp/diff"
    fail "docs: $DOC differs from --help-markdown ($(grep -c '^[-+][^-+]' "$tmp/diff") lines; run: make docs)"
fi

# The table's names as --help prints them ("  --flag   NAME   default ..."), each a row of the doc.
timeout 10 "$BIN" --help 2>/dev/null | awk '$1 ~ /^--[a-z0-9-]+$/ && $2 ~ /^[A-Z][A-Z0-9_]+$/ && $3 == "default" { print $2 }' >"$tmp/names"
n=$(wc -l <"$tmp/names")
missing=""
while read -r name; do
    grep -qF "| \`$name\` |" "$DOC" 2>/dev/null || missing="$missing $name"
done <"$tmp/names"
if [ "$n" -lt 50 ]; then
    fail "docs: --help lists the settings (found only $n names)"
elif [ -n "$missing" ]; then
    fail "docs: every setting has a row in $DOC (missing:$missing)"
else
    pass "docs: all $n settings of --help have a row in $DOC"
fi

echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
