#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prepares the kernel tree: Debian's 6.12 source, patches/series applied and
# the overlay files of this repository placed at their kernel paths. Touches
# only what changed, so that kbuild rebuilds only what depends on it.
. "$(dirname "$0")/lib.sh"
kernel_paths
lock_work

APPLIED="$TREE/.cgdrv-applied"
MANIFEST="$TREE/.cgdrv-overlay"

# Extracts the upstream version of the files named on stdin into $1; files
# that upstream does not have (ours) are simply absent there.
extract_pristine() {
	local list
	list=$(sed 's|^|linux-source-6.12/|')
	[ -n "$list" ] || return 0
	tar -xf "$KTAR" -C "$1" --strip-components=1 $list 2>/dev/null || true
}

patched_files() {
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$@"
}

series_files() {
	sed -e '/^#/d' -e '/^$/d' -e "s|^|$1/|" "$1/series"
}

# A changed series is applied to pristine copies of the files that the old
# and the new series touch, aside; only files whose result differs are
# written, so an edit to one patch rebuilds only what depends on its files.
apply_series() {
	local tmp files p
	[ -d "$APPLIED" ] && diff -rq "$APPLIED" "$REPO/patches" >/dev/null && return
	log "applying patches/series"
	tmp=$(mktemp -d)
	files=$( {
		[ -d "$APPLIED" ] && patched_files $(series_files "$APPLIED")
		patched_files $(series_files "$REPO/patches")
	} | sort -u)
	extract_pristine "$tmp" <<< "$files"
	for p in $(series_files "$REPO/patches"); do
		patch -d "$tmp" -p1 -s --no-backup-if-mismatch -i "$p" ||
			die "patch $p does not apply"
	done
	sync_files "$tmp" <<< "$files"
	rm -rf "$tmp" "$APPLIED"
	cp -r "$REPO/patches" "$APPLIED"
}

overlay_files() {
	(cd "$REPO" && find "${OVERLAY_DIRS[@]}" -type f \
		! -name '*.o' ! -name '*.ko' ! -name '*.mod*' ! -name '.*' \
		! -name 'modules.order' ! -name 'Module.symvers' | sort)
}

# Overlay files are new files: one that left the overlay leaves the tree.
place_overlay() {
	local new
	new=$(mktemp)
	overlay_files > "$new"
	[ -f "$MANIFEST" ] && comm -23 "$MANIFEST" "$new" | sync_files /nonexistent
	sync_files "$REPO" < "$new"
	mv "$new" "$MANIFEST"
}

mkdir -p "$WORK"
[ -f "$TREE/.cgdrv-complete" ] || unpack
apply_series
place_overlay
