#!/usr/bin/env python3
"""Every quoted #include of a layer's file names a header of its own layer or one below.

The build already refuses a bare name from a layer above (each layer's library sees only its
layer_dirs in meson.build); this also catches a path that climbs out ("../drivers/forward.h").
The layers are read from meson.build's layer_dirs; the command line (tools/recur) and the
Python extension (python/recur) see include/ and themselves. Usage: check_layers.py SOURCE_ROOT
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_dirs(root):
    text = open(os.path.join(root, "meson.build")).read()
    block = text[text.index("layer_dirs = {"):]
    block = block[:block.index("}")]
    layers = {name: dirs.replace("'", "").replace(" ", "").split(",")
              for name, dirs in re.findall(r"'([\w/]+)' : \[([^\]]*)\]", block)}
    layers["tools/recur"] = ["include", "tools/recur"]
    layers["python/recur"] = ["include", "python/recur"]
    return layers


def main():
    root = os.path.abspath(sys.argv[1])
    bad = []
    for layer, dirs in layer_dirs(root).items():
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
    for line in bad:
        print(line)
    print(f"{len(bad)} upward or unknown includes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
