#!/bin/bash
# Installs the Debian 12 packages recur builds, tests and benchmarks with. Idempotent; needs
# root (or sudo). Usage: tools/setup.sh [--bench]
set -euo pipefail
packages=(
  gcc libc6-dev pkgconf meson ninja-build     # toolchain (gcc brings libgomp, OpenMP)
  gfortran                                    # the Fortran binding's tests and example
  libjansson-dev                              # safetensors JSON header
  libcriterion-dev                            # unit tests
  valgrind                                    # memcheck on recur run
  clang llvm libclang-rt-14-dev               # libFuzzer, ThreadSanitizer, llvm-symbolizer/-cov
  libomp-14-dev                               # LLVM's OpenMP and its TSan layer (libarcher)
  python3 python3-numpy python3-torch         # golden data and the exporter's test
  python3-dev python3-pytest python3-hypothesis  # the Python package (python/), its tests
  python3-dask python3-distributed            # examples/dask_batch.py and its test
  python3-mpi4py openmpi-bin                  # examples/mpi_batch.py and its test (mpirun)
  python3-matplotlib                          # bench/report's plots (and its test)
  libdnnl-dev                                 # oneDNN: bench/recur_onednn and its test only
)
# With --bench, also hyperfine, for bench/'s whole-command timings (CI does not need it).
[[ ${1:-} == --bench ]] && packages+=(hyperfine)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} == 0 ]] && exit 0
sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
