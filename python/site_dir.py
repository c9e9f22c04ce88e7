"""Prints where the package installs under PREFIX for this interpreter to find it: the entry
of its sys.path under PREFIX/lib ending in -packages (Debian's python3: /usr/local/lib/
python3.11/dist-packages for /usr/local, /usr/lib/python3/dist-packages for /usr); nothing if
no entry is under PREFIX. Usage: site_dir.py PREFIX"""
import os
import sys

lib = os.path.join(os.path.abspath(sys.argv[1]), "lib") + os.sep
print(next((p for p in sys.path if p.startswith(lib) and p.endswith("-packages")), ""))
