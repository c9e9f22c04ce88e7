#!/usr/bin/env python3
"""Layers point down, in their sources and in their objects.

Includes: every quoted #include of a layer's file names a header of its own layer or one below.
The build already refuses a bare name from a layer above (each layer's library sees only its
layer_dirs in meson.build); this also catches a path that climbs out ("../drivers/forward.h").
The layers are read from meson.build's layer_dirs; the command line (tools/recur) and the
Python extension (python/recur) see include/ and themselves.

Symbols: no layer's static library references a symbol that only a layer it may not use
defines (a declaration written out by hand, without the header, passes the include check):
`nm -u` of each layer's archives against `nm --defined-only` of every layer's.

Usage: check_layers.py SOURCE_ROOT NM [LAYER ARCHIVE]...
"""
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_dirs(root):
    text = open(os.path.join(root, "meson.build")).read()
    block = text[text.index("layer_dirs = {"):]
    block = block[:block.index("}")]
    return {name: dirs.replace("'", "").replace(" ", "").split(",")
            for name, dirs in re.findall(r"'([\w/]+)' : \[([^\]]*)\]", block)}


def include_problems(root, layers):
    layers = dict(layers, **{"tools/recur": ["include", "tools/recur"],
                             "python/recur": ["include", "python/recur"]})
    bad = []
    for layer, dirs in layers.items():
        allowed = [os.path.join(root, d) for d in dirs]
        for folder, _, names in os.walk(os.path.join(root, layer)):
            for name in names:
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(folder, name)
                for inc in INCLUDE.findall(open(path).read()):
                    # The compiler looks beside the including file first, then in the dirs.
                    found = [os.path.normpath(os.path.join(d, inc)) for d in [folder] + allowed]
                    found = [f for f in found if os.path.exists(f)]
                    if not found or not any(f.startswith(a + os.sep) for a in allowed
                                            for f in found[:1]):
                        bad.append(f"{os.path.relpath(path, root)}: \"{inc}\" is not in "
                                   f"{layer}'s layers ({', '.join(dirs)})")
    return bad


def symbols(nm, archive):
    """(defined, undefined) external symbols of an archive's objects."""
    out = subprocess.run([nm, "-g", "-P", archive], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and not line.endswith(":"):
            (undefined if fields[1] in ("U", "w", "v") else defined).add(fields[0])
    return defined, undefined


def symbol_problems(layers, nm, archives):
    defined, undefined = {}, {}
    for layer, archive in archives:
        d, u = symbols(nm, archive)
        defined.setdefault(layer, set()).update(d)
        undefined.setdefault(layer, set()).update((s, os.path.basename(archive)) for s in u)
    bad = []
    for layer, refs in undefined.items():
        allowed = set().union(*(defined.get(d, set()) for d in layers[layer]))
        for sym, archive in sorted(refs):
            owners = [other for other, syms in defined.items() if sym in syms]
            if owners and sym not in allowed:
                bad.append(f"{archive}: {sym} is defined in {', '.join(owners)}, not in "
                           f"{layer}'s layers ({', '.join(layers[layer])})")
    return bad


def main():
    root, nm, pairs = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3:]
    layers = layer_dirs(root)
    archives = list(zip(pairs[::2], pairs[1::2]))
    bad = include_problems(root, layers)
    n_includes = len(bad)
    unknown = {layer for layer, _ in archives} - set(layers)
    bad += [f"{layer}: not a layer of meson.build's layer_dirs" for layer in sorted(unknown)]
    if not unknown:
        bad += symbol_problems(layers, nm, archives)
    for line in bad:
        print(line)
    print(f"{n_includes} upward or unknown includes, {len(bad) - n_includes} upward symbols "
          f"({len(archives)} archives)")
    return 1 if bad or not archives else 0


if __name__ == "__main__":
    sys.exit(main())
