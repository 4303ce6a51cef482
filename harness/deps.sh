#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs what the harness needs, once: Debian packages, virtme-ng and
# bindgen. Cheap when everything is there already.
. "$(dirname "$0")/lib.sh"

DEBS=(linux-source-6.12 rustc-web rust-web-src clang lld llvm libclang-dev
      libelf-dev libssl-dev bc flex bison cpio kmod qemu-system-x86 udev
      ccache python3 python3-pip make gcc libc6-dev rust-web-clippy)
BINDGEN_VERSION=0.69.5

missing=()
for p in "${DEBS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

if ! command -v vng >/dev/null; then
	log "installing virtme-ng from PyPI"
	python3 -m pip install -q virtme-ng ||
		python3 -m pip install -q --break-system-packages virtme-ng
	hash -r
	command -v vng >/dev/null || die "vng not on PATH after installing virtme-ng"
fi

if ! bindgen --version 2>/dev/null | grep -qx "bindgen $BINDGEN_VERSION"; then
	log "installing bindgen-cli $BINDGEN_VERSION from crates.io"
	cargo install --locked bindgen-cli --version "$BINDGEN_VERSION"
fi
