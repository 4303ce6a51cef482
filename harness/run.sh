#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prepares the tree, builds the $FLAVOR kernel and boots it with a guest
# script, under one lock: no other clone can rewrite the tree or rebuild the
# kernel between this run's build and its boot.
# Usage: run.sh OUT SCRIPT [OUT SCRIPT]...: one boot for each pair.
. "$(dirname "$0")/lib.sh"
kernel_paths
lock_work

"$REPO/harness/tree.sh"
"$REPO/harness/kernel.sh"
rc=0
while [ $# -ge 2 ]; do
	"$REPO/harness/boot.sh" "$1" "$2" || rc=$?
	shift 2
done
exit $rc
