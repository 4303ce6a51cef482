# SPDX-License-Identifier: GPL-2.0
# Shared settings of the harness scripts: where the kernel tree, the objects
# and the caches live, and how the kernel is built. Sourced, not run.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CGDRV_CACHE:-/var/cache/cgroup-driver}
KTAR=/usr/src/linux-source-6.12.tar.xz
FLAVOR=${FLAVOR:-test}

export PATH="$HOME/.cargo/bin:$PATH"
export CCACHE_DIR="$CACHE/ccache"
export CCACHE_BASEDIR="$CACHE"
export CCACHE_MAXSIZE=5G
export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC"
export KBUILD_BUILD_USER=cgdrv KBUILD_BUILD_HOST=cgdrv

# The Debian package version names the tree: its patch level floats with
# security updates, so the cache follows it rather than a pinned release.
# Characters that make(1) treats specially are replaced.
kver() {
	dpkg-query -W -f='${Version}' linux-source-6.12 | tr -c 'A-Za-z0-9.+-' _
}

WORK="$CACHE/$(kver)"
TREE="$WORK/linux"
OBJ="$WORK/obj-$FLAVOR"

JOBS=$(( $(nproc) + 1 ))
KMAKE=(make -C "$TREE" O="$OBJ" -j"$JOBS" LLVM=1 CC="ccache clang"
       RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc)

# One harness at a time per cache: clones share the tree and the objects.
lock_work() {
	mkdir -p "$WORK"
	exec 9>"$WORK/lock"
	flock 9
}

log() {
	printf '>>> %s\n' "$*" >&2
}

die() {
	printf '!!! %s\n' "$*" >&2
	exit 1
}
