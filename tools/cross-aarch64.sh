#!/bin/bash
# The NEON kernels under emulation: cross-compiles recur for AArch64 (cross/aarch64.ini) into
# build-aarch64 and runs every suite there under qemu-user, once with the table recur detects
# (checked to be neon, also on a NEON-only cortex-a57) and once with RECUR_ISA=scalar.
# Installs what it needs first (Debian 12, root or sudo); idempotent. Arguments go to
# `meson test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

# The cross compiler, qemu with its binfmt_misc entry, and the arm64 libraries recur links.
packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user qemu-user-binfmt pkgconf:arm64 libgomp1:arm64
  libjansson-dev:arm64)
dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} != 0 ]]; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Criterion for arm64 cannot be installed beside the amd64 one (its libnanomsg5 differs in
# version), so it and the libraries it loads are unpacked into a private sysroot. Linking is
# shared only: the .pc file loses its private requirements (their .pc files are not here).
sysroot=$PWD/build-aarch64-sysroot
sysroot_ini="[constants]
sysroot = '$sysroot'"
if [[ ! -f $sysroot/sysroot.ini || $(<"$sysroot/sysroot.ini") != "$sysroot_ini" ]]; then
  rm -rf "$sysroot" build-aarch64
  mkdir -p "$sysroot/debs"
  criterion=(libcriterion-dev libcriterion3 libffi8 libnanomsg5 libgit2-1.5 libhttp-parser2.9
    libmbedtls14 libmbedx509-1 libmbedcrypto7 libpcre2-8-0 libssh2-1 libssl3 zlib1g
    libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2)
  chown _apt "$sysroot/debs" 2>/dev/null || true # apt fetches as _apt when it can
  (cd "$sysroot/debs" && apt-get download -qq "${criterion[@]/%/:arm64}")
  for deb in "$sysroot"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
  rm -rf "$sysroot/debs"
  sed -i "s|^prefix=/usr\$|prefix=$sysroot/usr|; /^Requires.private:/d; /^Libs.private:/d" \
    "$sysroot/usr/lib/aarch64-linux-gnu/pkgconfig/criterion.pc"
  echo "$sysroot_ini" >"$sysroot/sysroot.ini" # written last: the sysroot is complete
fi

# Criterion re-executes its test binary, so aarch64 binaries must run directly: register qemu
# with the kernel's binfmt_misc.
binfmt=/proc/sys/fs/binfmt_misc
[[ -e $binfmt/register ]] || $sudo mount -t binfmt_misc binfmt_misc "$binfmt"
[[ -e $binfmt/qemu-aarch64 ]] ||
  $sudo sh -c "cat /usr/lib/binfmt.d/qemu-aarch64.conf >$binfmt/register"

[[ -d build-aarch64 ]] ||
  meson setup build-aarch64 --cross-file "$sysroot/sysroot.ini" --cross-file cross/aarch64.ini \
    >/dev/null
ninja -C build-aarch64 >/dev/null

# recur must pick the NEON table by itself (getauxval's HWCAP_ASIMD), or the suites below
# would test only the scalar one; and see FEAT_BF16 (HWCAP2_BF16) and FEAT_DotProd
# (HWCAP_ASIMDDP) on max, not on cortex-a57.
for qemu_cpu in max cortex-a57; do
  # no tune file, as in every test (meson.build's hermetic_env)
  info=$(QEMU_CPU=$qemu_cpu RECUR_TUNE_FILE=build-aarch64/test-home/no-tune.conf build-aarch64/recur info)
  if [[ $info != *$'\nkernels: neon'* ]]; then
    echo "build-aarch64: recur does not choose the neon kernels on qemu's $qemu_cpu CPU" >&2
    exit 1
  fi
  features=" $(sed -n 's/^cpu features: //p' <<<"$info") "
  for feature in bf16 dotprod; do
    has=0 want=0
    [[ $features == *" $feature "* ]] && has=1
    [[ $qemu_cpu == max ]] && want=1
    if [[ $has != "$want" ]]; then
      echo "build-aarch64: recur sees $feature wrongly on qemu's $qemu_cpu CPU:$features" >&2
      exit 1
    fi
  done
done
status=0
# The bf16 and int8 suites on a CPU without BFDOT and SDOT: networks take neon_bf16fma and
# neon_int8madd there (checked by each_isa_offers_its_best_bf16_table and the int8 suite); the
# runs below, on max, take neon_bf16 and neon_int8.
QEMU_CPU=cortex-a57 meson test -C build-aarch64 --logbase testlog-a57 bf16 int8 || status=1
meson test -C build-aarch64 "$@" || status=1
meson test -C build-aarch64 --setup scalar "$@" || status=1
exit $status
