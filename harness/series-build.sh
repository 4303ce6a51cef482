#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds every step of the series that harness/patches.sh committed to the
# git tree $1 (branch "series" on tag "pristine"): each commit's files are
# written into the harness's kernel tree, only those that differ, so kbuild
# rebuilds what the step changed, and the kernel and its modules are built
# with the test config plus the benchmark's option, so that every file of
# the series is built at the steps that can enable it. (The core has no
# prompt: the step that adds it builds without it, and the next, whose
# KUnit option selects it, with it.) The test config is then restored and
# harness/kernel.sh builds the series whole as make kernel does, with the
# external modules and the kselftests.
. "$(dirname "$0")/lib.sh"
kernel_paths
lock_work

SERIES=$1
TEST_CONFIG="$WORK/series-build-test.config"
STEP_CONFIG="$WORK/series-build-step.config"

s() {
	git -C "$SERIES" "$@"
}

# Writes commit $1's version of each file the series touches into the
# tree, or removes the tree's file where the commit has none.
checkout_step() {
	local files tmp
	files=$(s diff --name-only pristine series)
	tmp=$(mktemp -d)
	s archive "$1" $(s ls-tree -r --name-only "$1" -- $files) | tar -x -C "$tmp"
	sync_files "$tmp" <<< "$files"
	rm -rf "$tmp"
}

build_step() {
	local n=$1 commit=$2 log="$WORK/series-build-$1.log"
	log "step $n: $(s log -1 --format=%s "$commit")"
	checkout_step "$commit"
	# Options the step does not know yet are dropped, from the whole
	# config each time, so that later steps get them back.
	cp "$STEP_CONFIG" "$OBJ/.config"
	"${KMAKE[@]}" -s olddefconfig > "$log" 2>&1 &&
		"${KMAKE[@]}" bzImage modules >> "$log" 2>&1 || {
		tail -n 40 "$log" >&2
		die "step $n of the series does not build (all of it in $log); the kernel tree holds that step until the next make kernel"
	}
}

"$REPO/harness/tree.sh"
"$REPO/harness/kernel.sh" config
cp "$OBJ/.config" "$TEST_CONFIG"
# The later of two lines for an option wins.
{
	cat "$TEST_CONFIG"
	grep -h 'CGROUP_DRIVER_BENCH\|RUNTIME_TESTING_MENU' "$REPO/configs/bench.config"
} > "$STEP_CONFIG"
# From here the tree is not what tree.sh made it: make it reapply the series.
rm -rf "$TREE/.cgdrv-applied"
n=0
for commit in $(s rev-list --reverse pristine..series); do
	n=$((n + 1))
	build_step "$n" "$commit"
done
cp "$TEST_CONFIG" "$OBJ/.config"
"$REPO/harness/tree.sh"
"$REPO/harness/kernel.sh"
log "every one of the $n steps of the series builds"
