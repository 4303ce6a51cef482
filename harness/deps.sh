#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs what the harness needs, once: Debian packages, virtme-ng and
# bindgen; with the argument "bench" or "lint", also what make bench plots
# with or what make lint builds the documentation with. Cheap when
# everything is there already. Every program the harness, the build or the
# guest scripts run comes from a package named here, never from another
# package's Recommends.
. "$(dirname "$0")/lib.sh"

DEBS=(
	# the kernel source and how it is unpacked and patched
	linux-source-6.12 xz-utils patch git
	# Debian's Rust toolchain, one version for every tool
	rustc-web rust-web-src cargo-web rustfmt-web rust-web-clippy
	# the kernel build
	make gcc libc6-dev clang lld llvm libclang-dev libelf-dev libssl-dev
	pkg-config bc flex bison cpio perl ccache
	# make matrix: sparse over our C files
	sparse
	# the guest: virtme-ng, QEMU and what its init uses
	python3 python3-pip ca-certificates qemu-system-x86 udev kmod procps
	# the guest's scratch filesystem for the kernel's cgroup selftests
	e2fsprogs
	# make patches: checkpatch's SPDX check
	python3-ply python3-git
)
# make bench: the plots; make lint: the documentation build
[ "${1:-}" = bench ] && DEBS+=(python3-matplotlib)
[ "${1:-}" = lint ] && DEBS+=(python3-sphinx python3-sphinx-rtd-theme)

missing=()
for p in "${DEBS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}"
fi

if ! command -v vng >/dev/null; then
	log "installing virtme-ng from PyPI"
	python3 -m pip install -q virtme-ng ||
		python3 -m pip install -q --break-system-packages virtme-ng
	hash -r
	command -v vng >/dev/null || die "vng not on PATH after installing virtme-ng"
fi

if ! "$BINDGEN_ROOT/bin/bindgen" --version 2>/dev/null | grep -qx "bindgen $BINDGEN_VERSION"; then
	log "installing bindgen-cli $BINDGEN_VERSION from crates.io into $BINDGEN_ROOT"
	"$DEBIAN_BIN/cargo" install --locked --root "$BINDGEN_ROOT" bindgen-cli \
		--version "$BINDGEN_VERSION"
fi
