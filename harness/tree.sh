#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prepares the kernel tree: Debian's 6.12 source, patches/series applied and
# the overlay files of this repository placed at their kernel paths. Touches
# only what changed, so that kbuild rebuilds only what depends on it.
. "$(dirname "$0")/lib.sh"

OVERLAY_DIRS=(Documentation include kernel rust samples tools)
APPLIED="$TREE/.cgdrv-applied"
MANIFEST="$TREE/.cgdrv-overlay"

unpack() {
	log "unpacking $KTAR"
	rm -rf "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	tar -xf "$KTAR" -C "$TREE.tmp" --strip-components=1
	touch "$TREE.tmp/.cgdrv-complete"
	rm -rf "$TREE"
	mv "$TREE.tmp" "$TREE"
}

# Puts the upstream version of the files named on stdin back in the tree,
# with a new time stamp so that kbuild rebuilds what depends on them.
restore_pristine() {
	local tmp list f
	list=$(sed 's|^|linux-source-6.12/|')
	[ -n "$list" ] || return 0
	tmp=$(mktemp -d)
	# Files that upstream does not have were ours: they just go.
	tar -xf "$KTAR" -C "$tmp" --strip-components=1 $list 2>/dev/null || true
	for f in $list; do
		f=${f#linux-source-6.12/}
		if [ -f "$tmp/$f" ]; then
			cp "$tmp/$f" "$TREE/$f"
		else
			rm -f "$TREE/$f"
		fi
	done
	rm -rf "$tmp"
}

patched_files() {
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$@"
}

series_files() {
	sed -e '/^#/d' -e '/^$/d' -e "s|^|$1/|" "$1/series"
}

# A changed series is reapplied to pristine copies of the files that the old
# and the new series touch; every other file keeps its time stamp.
apply_series() {
	if [ -d "$APPLIED" ]; then
		diff -rq "$APPLIED" "$REPO/patches" >/dev/null && return
		log "patches/series changed: restoring the files it touches"
		{
			patched_files $(series_files "$APPLIED")
			patched_files $(series_files "$REPO/patches")
		} | sort -u | restore_pristine
		rm -rf "$APPLIED"
	fi
	log "applying patches/series"
	# Recorded first: a series that failed half-way is restored next time.
	cp -r "$REPO/patches" "$APPLIED"
	local p
	for p in $(series_files "$REPO/patches"); do
		patch -d "$TREE" -p1 -s --no-backup-if-mismatch -i "$p" ||
			die "patch $p does not apply"
	done
}

overlay_files() {
	(cd "$REPO" && find "${OVERLAY_DIRS[@]}" -type f \
		! -name '*.o' ! -name '*.ko' ! -name '*.mod*' ! -name '.*' \
		! -name 'modules.order' ! -name 'Module.symvers' | sort)
}

place_overlay() {
	local f new
	new=$(mktemp)
	overlay_files > "$new"
	[ -f "$MANIFEST" ] && comm -23 "$MANIFEST" "$new" | restore_pristine
	while read -r f; do
		if ! cmp -s "$REPO/$f" "$TREE/$f"; then
			mkdir -p "$(dirname "$TREE/$f")"
			cp "$REPO/$f" "$TREE/$f"
		fi
	done < "$new"
	mv "$new" "$MANIFEST"
}

mkdir -p "$WORK"
[ -f "$TREE/.cgdrv-complete" ] || unpack
apply_series
place_overlay
