#!/usr/bin/env python3
"""Summarises a massif profile's peak: bytes per allocation site, where a site is the first
promptci frame (or the first frame outside the allocator and std/serde glue) on each path.

Usage: massif-sites.py massif.out [min-percent]
"""
import re
import sys
from collections import defaultdict

GLUE = re.compile(r"alloc::|RawVec|finish_grow|grow_one|__rust|malloc|realloc|calloc|<alloc|core::|hashbrown|"
                  r"serde_core::de::impls|<serde|serde::de|clone::Clone|to_vec|to_owned|from_iter|SpecFromIter|"
                  r"SpecExtend|extend|String::push|Vec<T|Vec::push|collect|<&|<T as|BTreeMap|btree|std::")


def parse(path):
    snapshots, current = [], None
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("snapshot="):
            current = {"tree": []}
            snapshots.append(current)
        elif line.startswith("mem_heap_B="):
            current["heap"] = int(line.split("=")[1])
        elif line.startswith("mem_heap_extra_B="):
            current["extra"] = int(line.split("=")[1])
        elif line.startswith("heap_tree=") and current is not None:
            current["kind"] = line.split("=")[1]
        elif current is not None and re.match(r"^\s*n\d+:", line):
            depth = len(line) - len(line.lstrip(" "))
            m = re.match(r"^\s*n(\d+): (\d+) (.*)$", line)
            current["tree"].append((depth, int(m.group(2)), m.group(3)))
    return snapshots


def name(frame):
    m = re.search(r"0x[0-9A-F]+: (.*?) \(", frame)
    return m.group(1) if m else frame


def main():
    snaps = parse(sys.argv[1])
    floor = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    peak = max((s for s in snaps if s.get("kind") in ("peak", "detailed") and s["tree"]), key=lambda s: s["heap"])
    total = peak["heap"]
    print(f"peak heap {total / 1e6:.1f} MB (+{peak['extra'] / 1e6:.1f} MB allocator overhead)")
    sites = defaultdict(int)
    stack = []
    tree = peak["tree"]
    for i, (depth, size, frame) in enumerate(tree):
        stack = stack[: depth]
        stack.append(name(frame))
        children = i + 1 < len(tree) and tree[i + 1][0] > depth
        if not children and depth > 0:
            chain = stack[1:]
            site = next((f for f in chain if "promptci::" in f and not GLUE.search(f.split("promptci::")[0])), None)
            lib = next((f for f in chain if not GLUE.search(f)), chain[-1] if chain else "?")
            key = site if site else lib
            # Name the innermost non-glue frame too, when it differs from the promptci frame.
            if site and lib != site:
                key = f"{site}  <- {lib}"
            sites[key] += size
    for key, size in sorted(sites.items(), key=lambda kv: -kv[1]):
        if size * 100 / total >= floor:
            print(f"{size / 1e6:8.2f} MB {size * 100 / total:5.1f}%  {key}")


main()
