#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds every step of the series that harness/patches.sh committed to the
# git tree $1 (branch "series" on tag "pristine"): each commit's files are
# written into the harness's kernel tree, only those that differ, so kbuild
# rebuilds what the step changed, and the test kernel and its modules are
# built with the test config, plus each C file the step touches as an
# object of its own (the benchmark is not in the test config). The last
# step is the series whole: harness/kernel.sh then builds it as make kernel
# does, with the external modules and the kselftests.
. "$(dirname "$0")/lib.sh"
kernel_paths
lock_work

SERIES=$1
FULL_CONFIG="$WORK/series-build.config"

s() {
	git -C "$SERIES" "$@"
}

# Writes commit $1's version of each file the series touches into the
# tree, or removes the tree's file where the commit has none.
checkout_step() {
	local f
	while read -r f; do
		if s cat-file -e "$1:$f" 2>/dev/null; then
			s show "$1:$f" > "$WORK/series-file"
			cmp -s "$WORK/series-file" "$TREE/$f" && continue
			mkdir -p "$(dirname "$TREE/$f")"
			mv "$WORK/series-file" "$TREE/$f"
		else
			rm -f "$TREE/$f"
		fi
	done < <(s diff --name-only pristine series)
}

# The C files of commit $1 that kbuild builds, as object targets.
touched_objects() {
	s diff --name-only --diff-filter=AM "$1^" "$1" -- '*.c' |
		grep -v '^tools/\|^rust/helpers/' | sed 's/\.c$/.o/' || true
}

build_step() {
	local n=$1 commit=$2 log="$WORK/series-build-$1.log"
	log "step $n: $(s log -1 --format=%s "$commit")"
	checkout_step "$commit"
	# Options the step does not know yet are dropped, from the whole test
	# config each time, so that later steps get them back.
	cp "$FULL_CONFIG" "$OBJ/.config"
	"${KMAKE[@]}" -s olddefconfig > "$log" 2>&1 &&
		"${KMAKE[@]}" bzImage modules $(touched_objects "$commit") >> "$log" 2>&1 || {
		tail -n 40 "$log" >&2
		die "step $n of the series does not build (all of it in $log); the kernel tree holds that step until the next make kernel"
	}
}

[ -f "$OBJ/.config" ] || "$REPO/harness/kernel.sh" config
cp "$OBJ/.config" "$FULL_CONFIG"
# From here the tree is not what tree.sh made it: make it reapply the series.
rm -f "$TREE/.cgdrv-applied"
n=0
for commit in $(s rev-list --reverse pristine..series); do
	n=$((n + 1))
	build_step "$n" "$commit"
done
cp "$FULL_CONFIG" "$OBJ/.config"
"$REPO/harness/tree.sh"
"$REPO/harness/kernel.sh"
log "every one of the $n steps of the series builds"
