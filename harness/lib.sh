# SPDX-License-Identifier: GPL-2.0
# Shared settings of the harness scripts: where the kernel tree, the objects
# and the caches live, and how the kernel is built. Sourced, not run.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CGDRV_CACHE:-/var/cache/cgroup-driver}
KTAR=/usr/src/linux-source-6.12.tar.xz
FLAVOR=${FLAVOR:-test}

# Debian's Rust toolchain (rustc-web) by absolute path, for every tool: a
# rustup toolchain on PATH has no rust-src and another version. bindgen
# lives in the cache, built by Debian's cargo.
# CGDRV_DEBIAN_BIN moves them (harness/test-deps.sh puts stubs there).
DEBIAN_BIN=${CGDRV_DEBIAN_BIN:-/usr/bin}
BINDGEN_VERSION=0.69.5
BINDGEN_ROOT="$CACHE/bindgen-$BINDGEN_VERSION"
RUST_TOOLS=(RUSTC="$DEBIAN_BIN/rustc" RUSTDOC="$DEBIAN_BIN/rustdoc"
	    RUSTFMT="$DEBIAN_BIN/rustfmt" CLIPPY_DRIVER="$DEBIAN_BIN/clippy-driver"
	    CARGO="$DEBIAN_BIN/cargo" BINDGEN="$BINDGEN_ROOT/bin/bindgen")
export CCACHE_DIR="$CACHE/ccache"
export CCACHE_BASEDIR="$CACHE"
export CCACHE_MAXSIZE=5G
export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC"
export KBUILD_BUILD_USER=cgdrv KBUILD_BUILD_HOST=cgdrv

# The new files of this repository, placed at their kernel paths.
OVERLAY_DIRS=(Documentation include kernel lib rust samples tools)

# The Debian package version names the tree: its patch level floats with
# security updates, so the cache follows it rather than a pinned release.
# Characters that make(1) treats specially are replaced. Only scripts that
# run after deps.sh call this: nothing here may need a package before then.
kernel_paths() {
	local kver
	kver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		die "linux-source-6.12 is not installed: run 'make deps' first"
	KVER=$kver
	WORK="$CACHE/$(printf '%s' "$kver" | tr -c 'A-Za-z0-9.+-' _)"
	TREE="$WORK/linux"
	# Debian's tree as it comes, without this project: make vanilla-check.
	[ "$FLAVOR" = vanilla ] && TREE="$WORK/linux-vanilla"
	OBJ="$WORK/obj-$FLAVOR"
	KMAKE=(make -C "$TREE" O="$OBJ" -j"$(( $(nproc) + 1 ))" LLVM=1
	       CC="ccache clang" "${RUST_TOOLS[@]}")
}

# Unpacks Debian's kernel source into $TREE, whole or not at all.
unpack() {
	log "unpacking $KTAR"
	rm -rf "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	tar -xf "$KTAR" -C "$TREE.tmp" --strip-components=1
	touch "$TREE.tmp/.cgdrv-complete"
	rm -rf "$TREE"
	mv "$TREE.tmp" "$TREE"
}

# Copies $1/$f over $TREE/$f for each file named on stdin whose content
# differs, or removes the tree's file when $1 has none: only what changed
# is written, so that kbuild rebuilds only what depends on it.
sync_files() {
	local f
	while read -r f; do
		if [ ! -f "$1/$f" ]; then
			rm -f "$TREE/$f"
		elif ! cmp -s "$1/$f" "$TREE/$f"; then
			mkdir -p "$(dirname "$TREE/$f")"
			cp "$1/$f" "$TREE/$f"
		fi
	done
}

# One harness at a time per tree: clones share the tree and the objects.
# The lock is inherited: harness/run.sh holds it from the tree through the
# boot, and the scripts it runs do not take it again.
lock_work() {
	[ "${CGDRV_LOCKED:-}" = "$TREE" ] && return
	mkdir -p "$WORK"
	exec 9>"$TREE.lock"
	flock 9
	export CGDRV_LOCKED=$TREE
}

# The checkpatch.pl reports that make lint and make patches accept: a type
# and its reason a line.
lint_exceptions() {
	sed -e '/^#/d' -e '/^$/d' "$REPO/harness/lint-exceptions"
}

# Their types, for checkpatch.pl --ignore.
checkpatch_ignores() {
	lint_exceptions | cut -f1 | paste -sd,
}

log() {
	printf '>>> %s\n' "$*" >&2
}

die() {
	printf '!!! %s\n' "$*" >&2
	exit 1
}
