#!/usr/bin/env python3
"""Writes the doc-test blocks of the given Markdown files as bash scripts into OUTDIR.

A doc-test block is a fenced code block whose info string is `sh doctest`. Each becomes
OUTDIR/NNN.sh (the block, rewritten as docs/design.md's contributor part says), NNN.name
(file:line), NNN.expect (the TEXTs of its `# => TEXT` lines, one a line) and NNN.needs (the
path of `sh doctest needs=PATH`: the block is skipped when PATH does not exist).
usage: extract_doctests.py OUTDIR FILE.md...
"""
import os
import re
import sys

SERVER = re.compile(r'(?<![\w/.-])(?:\./)?build/llm-mock-server(?![\w-])')
BACKGROUND = re.compile(r'&\s*(#[^\'"]*)?$')


def blocks(path):
    lines = open(path, encoding='utf-8').read().split('\n')
    i = 0
    while i < len(lines):
        m = re.match(r'^(`{3,})\s*sh\s+doctest(?:\s+needs=(\S+))?\s*$', lines[i])
        if not m:
            i += 1
            continue
        fence, needs, start, body = m.group(1), m.group(2) or '', i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        yield start, needs, body
        i += 1


def rewrite(body):
    out, own_server = [], False
    for line in body:
        line = line.replace('localhost:8080', '127.0.0.1:$PORT').replace('127.0.0.1:8080', '127.0.0.1:$PORT')
        starts = bool(SERVER.search(line)) and bool(BACKGROUND.search(line))
        line = SERVER.sub('"$LMS_BIN"', line)
        out.append(line)
        if starts:
            own_server = True
            out.append('lms_wait_up || exit 97')
    if not own_server:
        out = ['RESPONSE_DELAY_SECONDS=0 "$LMS_BIN" >/dev/null 2>&1 &', 'lms_wait_up || exit 97'] + out
    return out


def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    n = 0
    for path in files:
        for start, needs, body in blocks(path):
            n += 1
            base = os.path.join(outdir, '%03d' % n)
            expects = [m.group(1) for m in (re.match(r'^\s*# => (.*\S)\s*$', l) for l in body) if m]
            with open(base + '.sh', 'w') as f:
                f.write('\n'.join(rewrite(body)) + '\n')
            with open(base + '.name', 'w') as f:
                f.write('%s:%d\n' % (path, start))
            with open(base + '.needs', 'w') as f:
                f.write(needs + '\n' if needs else '')
            with open(base + '.expect', 'w') as f:
                f.write(''.join(e + '\n' for e in expects))
    print(n)


main()
