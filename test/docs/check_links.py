#!/usr/bin/env python3
"""Checks the relative links of Markdown files: each names an existing file (relative to the
linking file) and each #anchor a heading of its target (GitHub's slugs: lower case, spaces to
hyphens, punctuation other than - and _ dropped, repeats numbered -1, -2...). Links inside code
spans and fenced blocks are not links. Prints "ok FILE:LINE TARGET" or "dead FILE:LINE TARGET:
why" per link; exits 1 when any is dead.
usage: check_links.py FILE.md...
"""
import os
import re
import sys

LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')


def strip_code(lines):
    out, fence = [], None
    for line in lines:
        m = re.match(r'^\s*(`{3,}|~{3,})', line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append('')
            continue
        if m:
            fence = m.group(1)
            out.append('')
            continue
        out.append(re.sub(r'`[^`]*`', '', line))
    return out


def slug(text):
    text = re.sub(r'`', '', text.strip().lower())
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', text)
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(path):
    seen, out = {}, set()
    fence = None
    for line in open(path, encoding='utf-8').read().split('\n'):
        m = re.match(r'^\s*(`{3,}|~{3,})', line)
        if m:
            fence = None if fence else m.group(1)
            continue
        if fence:
            continue
        h = re.match(r'^#{1,6}\s+(.*?)\s*#*\s*$', line)
        if h:
            s = slug(h.group(1))
            k = seen.get(s, 0)
            seen[s] = k + 1
            out.add(s if k == 0 else '%s-%d' % (s, k))
    return out


def main():
    dead = 0
    for path in sys.argv[1:]:
        raw = open(path, encoding='utf-8').read().split('\n')
        for no, line in enumerate(strip_code(raw), 1):
            for m in LINK.finditer(line):
                target = m.group(1)
                if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.I):
                    continue  # http:, https:, mailto:
                file_part, _, anchor = target.partition('#')
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                why = ''
                if not os.path.exists(dest):
                    why = 'no such file'
                elif anchor and (not dest.endswith('.md') or anchor.lower() not in anchors(dest)):
                    why = 'no heading #' + anchor
                if why:
                    dead += 1
                    print('dead %s:%d %s: %s' % (path, no, target, why))
                else:
                    print('ok %s:%d %s' % (path, no, target))
    sys.exit(1 if dead else 0)


main()
