#!/usr/bin/env python3
"""What the app's wasm is made of: code bytes per owner (each UI page, each core module, each
dependency) and the biggest functions, twiggy-style, from the module's own name section.

    scripts/wasm_sizes.py [wasm] [--top N] [--functions REGEX]

`wasm` defaults to Cargo's output for the Pages build,
target/wasm32-unknown-unknown/wasm-release/ds-playground.wasm (built by scripts/build-pages.sh;
it still has its names, which wasm-opt strips from what ships). Sizes are before wasm-opt: use the
shares, not the bytes, to judge what the shipped file is made of. `--functions REGEX` lists the
functions of the owners whose name matches.
"""
import argparse
import collections
import re

ap = argparse.ArgumentParser()
ap.add_argument("wasm", nargs="?", default="target/wasm32-unknown-unknown/wasm-release/ds-playground.wasm")
ap.add_argument("--top", type=int, default=40)
ap.add_argument("--functions", metavar="REGEX")
args = ap.parse_args()


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def name(b, i):
    n, i = leb(b, i)
    return b[i : i + n].decode("utf-8", "replace"), i + n


b = open(args.wasm, "rb").read()
assert b[:4] == b"\0asm", f"{args.wasm} is not a wasm module"
i, imported, bodies, names, data = 8, 0, [], {}, 0
while i < len(b):
    sid = b[i]
    size, i = leb(b, i + 1)
    end = i + size
    if sid == 0:
        custom, j = name(b, i)
        while custom == "name" and j < end:
            sub, ssize = b[j], 0
            ssize, j = leb(b, j + 1)
            if sub == 1:
                count, k = leb(b, j)
                for _ in range(count):
                    idx, k = leb(b, k)
                    names[idx], k = name(b, k)
            j += ssize
    elif sid == 2:  # imports: functions among them shift the code section's indices
        count, j = leb(b, i)
        for _ in range(count):
            _, j = name(b, j)
            _, j = name(b, j)
            kind = b[j]
            j += 1
            if kind == 0:
                _, j = leb(b, j)
                imported += 1
            elif kind in (1, 2):
                j += kind == 1
                flags, j = leb(b, j)
                _, j = leb(b, j)
                if flags & 1:
                    _, j = leb(b, j)
            elif kind == 3:
                j += 2
            elif kind == 4:
                _, j = leb(b, j + 1)
    elif sid == 10:
        count, j = leb(b, i)
        for f in range(count):
            fsize, k = leb(b, j)
            bodies.append((imported + f, fsize + k - j))
            j = k + fsize
    elif sid == 11:
        data = size
    i = end
if not names:
    raise SystemExit(f"{args.wasm} has no name section (wasm-opt strips it): use Cargo's output")

ESCAPES = [("$LT$", "<"), ("$GT$", ">"), ("..", "::"), ("$u20$", " "), ("$RF$", "&"), ("$C$", ","),
           ("$u7b$", "{"), ("$u7d$", "}"), ("$BP$", "*"), ("$u5b$", "["), ("$u5d$", "]"), ("$u27$", "'")]


def demangle(n):
    """Rust's legacy mangling (`_ZN…E`); v0 names (`_R…`) are left as they are."""
    if not n.startswith("_ZN"):
        return n
    i, parts = 3, []
    while i < len(n) and n[i] != "E":
        m = re.match(r"\d+", n[i:])
        if not m:
            break
        i += len(m.group())
        parts.append(n[i : i + int(m.group())])
        i += int(m.group())
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    s = "::".join(p[1:] if p.startswith("_$") else p for p in parts)
    for a, z in ESCAPES:
        s = s.replace(a, z)
    return s


def owner(d):
    for pattern, label in [(r"playground::ui::pages::([a-z_]+)", "ui/pages/{}"), (r"playground::ui::([a-z_]+)", "ui/{}"),
                           (r"playground::redis::(script)", "core redis/{}"), (r"playground::([a-z_]+)", "core {}")]:
        m = re.search(pattern, d)
        if m:
            return label.format(m.group(1))
    if re.search(r"\blua_[a-z]+::|omnilua", d):
        return "omnilua (the Lua VM)"
    if d.startswith("__wbindgen_describe"):
        return "wasm-bindgen descriptors (removed by wasm-bindgen)"
    m = re.match(r"<*(?:&mut |&|dyn |impl )?([A-Za-z_][A-Za-z0-9_]*)::", d)
    if m:
        return m.group(1)
    m = re.search(r"Cs[0-9a-zA-Z]+_(\d+)", d)  # a v0 name (std is built with them): its first crate
    if m:
        return d[m.end() : m.end() + int(m.group(1))] + " (std)"
    return "(other)"


per, count, rows = collections.Counter(), collections.Counter(), []
for idx, size in bodies:
    d = demangle(names.get(idx, f"func{idx}"))
    o = owner(d)
    per[o] += size
    count[o] += 1
    rows.append((size, o, d))
code = sum(per.values())
print(f"{args.wasm}: {len(b) / 1000:.1f} KB; code {code / 1000:.1f} KB in {len(bodies)} functions, data {data / 1000:.1f} KB")
print("(yew's generic lifecycle code is instantiated once per component and counted under yew)")
for o, size in per.most_common(args.top):
    print(f"{size / 1000:>9.1f} KB {100 * size / code:5.1f}% {count[o]:>6} fns  {o}")
print("\nbiggest functions:")
for size, o, d in sorted(rows, reverse=True)[: args.top]:
    if not args.functions:
        print(f"{size:>9} {d[:150]}")
if args.functions:
    for size, o, d in sorted(rows, reverse=True):
        if re.search(args.functions, o):
            print(f"{size:>9} {d[:150]}")
