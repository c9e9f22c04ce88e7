#!/bin/bash
# `meson install` of this build into a temporary DESTDIR, then tests/install/consumer.c built
# against the installed copy only, as a user would: `pkg-config --cflags --libs recur` (the
# prefix redefined to where DESTDIR put it) and LD_LIBRARY_PATH. Checks the installed files and
# the soname first. With a Fortran compiler (a build with the Fortran binding), also
# tests/install/consumer.f90 compiled with the installed recur.f90 the same way. Run by meson
# test (tests/meson.build):
#   run.sh MESON BUILD_DIR WORK_DIR PREFIX LIBDIR INCLUDEDIR BINDIR SONAME PKG_CONFIG CC... \
#     -- CFLAGS... [-- FC...]
# With the Python package built, the environment names it (python/meson.build): RECUR_PYTHON
# (the interpreter), RECUR_PYTHON_DIR (where it installs), RECUR_PYTHON_SITE (1: that folder is
# on the interpreter's sys.path) and RECUR_PYTHON_PRELOAD (a sanitizer build's runtimes).
set -euo pipefail
meson=$1 build=$2 work=$3 prefix=$4 libdir=$5 includedir=$6 bindir=$7 soname=$8 pkgconfig=$9
shift 9
cc=()
while [[ $1 != -- ]]; do cc+=("$1"); shift; done
shift
cflags=()
while [[ $# -gt 0 && $1 != -- ]]; do cflags+=("$1"); shift; done
fc=()
[[ $# -gt 0 ]] && { shift; fc=("$@"); }
here=$(cd "$(dirname "$0")" && pwd)
src=$here/consumer.c

# meson's directory options are relative to the prefix unless given absolute.
under_prefix() { if [[ $1 == /* ]]; then echo "$1"; else echo "$prefix/$1"; fi; }
root=$work/root
lib=$root$(under_prefix "$libdir")

rm -rf "$work"
mkdir -p "$work"
"$meson" install -C "$build" --no-rebuild --destdir "$root" --quiet

fail() { echo "install: $*" >&2; exit 1; }
include=$root$(under_prefix "$includedir")
for f in "$include/recur.h" "$root$(under_prefix "$bindir")/recur" \
    "$lib/librecur.so" "$lib/$soname" "$lib/pkgconfig/recur.pc"; do
  [[ -e $f ]] || fail "$f was not installed"
done
if [[ ${#fc[@]} != 0 ]]; then
  [[ -e $include/recur.f90 ]] || fail "$include/recur.f90 was not installed"
fi
[[ $(readlink "$lib/librecur.so") == "$soname" ]] || fail "librecur.so does not point to $soname"
readelf -d "$lib/$soname" | grep -q "(SONAME).*\[$soname\]" || fail "the soname is not $soname"
# No benchmark peer in what is installed: oneDNN (and the libOpenCL and libstdc++ it brings)
# links bench/recur_onednn only, which is never installed.
for f in "$root$(under_prefix "$bindir")/recur" "$lib/$soname"; do
  peers=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(lib\(dnnl\|OpenCL\|stdc++\)[^]]*\)\]/\1/p')
  [[ -z $peers ]] || fail "$f needs $peers"
done
[[ $(ls "$root$(under_prefix "$bindir")") == recur ]] ||
  fail "installed beside recur: $(ls "$root$(under_prefix "$bindir")")"

# Only the installed recur.pc is visible; its prefix moves to where DESTDIR put the files.
flags=$(PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_LIBDIR=/nonexistent \
  "$pkgconfig" --define-variable=prefix="$root$prefix" --cflags --libs recur)
echo "pkg-config --cflags --libs recur: $flags"
# shellcheck disable=SC2086 # pkg-config's output is words
"${cc[@]}" "${cflags[@]}" -std=c11 -Wall -Wextra -Werror -O2 -o "$work/consumer" "$src" $flags -lm
LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$work/consumer" "$lib/"

# The Python package: installed beside the library, its extension finding the installed
# librecur by its runpath (as the recur command does; LD_LIBRARY_PATH stands in for it here,
# since DESTDIR moved the library away from the runpath), importable from the installed tree.
if [[ -n ${RECUR_PYTHON:-} ]]; then
  package=$root$RECUR_PYTHON_DIR/recur
  extension=("$package"/_recur.*.so)
  for f in "$package/__init__.py" "$package/_safetensors.py" "$package/_torch.py" "${extension[0]}"; do
    [[ -e $f ]] || fail "$f was not installed"
  done
  runpath=$(under_prefix "$libdir")
  readelf -d "${extension[0]}" | grep -q "(RUNPATH).*\[$runpath\]" ||
    fail "the extension's runpath is not $runpath"
  if [[ $RECUR_PYTHON_SITE == 1 ]]; then
    "$RECUR_PYTHON" -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$RECUR_PYTHON_DIR" ||
      fail "$RECUR_PYTHON_DIR is not on $RECUR_PYTHON's sys.path"
  fi
  LD_PRELOAD=${RECUR_PYTHON_PRELOAD:-} ASAN_OPTIONS=detect_leaks=0 PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH="$root$RECUR_PYTHON_DIR" LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
    "$RECUR_PYTHON" "$(dirname "$0")/consumer.py" "$lib" "$package"
fi
# Fortran, as docs/fortran.md says: the installed recur.f90 compiled with the program (its
# .mod written into the work folder), `pkg-config --libs recur`.
if [[ ${#fc[@]} != 0 ]]; then
  libs=$(PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_LIBDIR=/nonexistent \
    "$pkgconfig" --define-variable=prefix="$root$prefix" --libs recur)
  fsrc=$(PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_LIBDIR=/nonexistent \
    "$pkgconfig" --define-variable=prefix="$root$prefix" --variable=includedir recur)/recur.f90
  [[ $fsrc -ef $include/recur.f90 ]] || fail "pkg-config's includedir does not hold recur.f90"
  # shellcheck disable=SC2086 # pkg-config's output is words
  (cd "$work" && "${fc[@]}" "${cflags[@]}" -Wall -Wextra -Werror -O2 -o consumer_f90 "$fsrc" \
    "$here/consumer.f90" $libs)
  LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$work/consumer_f90" \
    "$here/../../examples/observer.safetensors"
fi
