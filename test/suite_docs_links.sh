#!/usr/bin/env bash
# The docs' shape: README.md is at most 260 lines (a reader's two minutes), docs/ has the pages
# the README links to, and every relative link in README.md and docs/*.md names an existing
# file and, with a #anchor, a heading of it (test/docs/check_links.py). No server, no network.
# usage: test/suite_docs_links.sh
# Ends with one line "docs_links: P passed, F failed".
set -u
cd "$(dirname "$0")/.." || exit 2
P=0
F=0
pass() { P=$((P + 1)); echo "ok - $1"; }
fail() { F=$((F + 1)); echo "FAIL - $1 ($2)"; }

lines=$(wc -l <README.md)
if [ "$lines" -le 260 ]; then pass "README.md has $lines lines (at most 260)"; else fail "README.md at most 260 lines" "$lines"; fi
for page in api control configuration deployment design performance reliability; do
    if [ -s "docs/$page.md" ] && grep -q "(docs/$page.md" README.md; then
        pass "docs/$page.md exists and the README links to it"
    else
        fail "docs/$page.md exists and the README links to it" "missing file or link"
    fi
done
out=$(python3 test/docs/check_links.py README.md docs/*.md)
rc=$?
n=$(echo "$out" | grep -c '^ok ')
if [ "$rc" -eq 0 ] && [ "$n" -gt 0 ]; then
    pass "all $n relative links of README.md and docs/*.md resolve (files and #anchors)"
else
    fail "every relative link resolves" "$(echo "$out" | grep '^dead' | head -n 20 | tr '\n' ';')"
fi

echo "docs_links: $P passed, $F failed"
[ "$F" -eq 0 ]
