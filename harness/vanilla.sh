#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make vanilla-check: the test kernel's config without this project (Debian's
# tree as it comes, none of our options), booted to run the kernel's cgroup
# selftests as make check runs them. harness/summary.py --vanilla then shows
# whether each entry of harness/known-failures fails there too, so that a
# regression of ours cannot hide among them.
. "$(dirname "$0")/lib.sh"
export FLAVOR=vanilla
kernel_paths
lock_work

OUT=$REPO/build/out/vanilla
mkdir -p "$WORK"
[ -f "$TREE/.cgdrv-complete" ] || unpack
"$REPO/harness/kernel.sh"
rm -rf "$OUT"
# As make check-full: known failures of the slow test_kmem are compared too.
mkdir -p "$OUT"
touch "$OUT/full"
"$REPO/harness/boot.sh" "$OUT" "$REPO/harness/guest-check.sh" || log "the guest run failed"
exec "$REPO/harness/summary.py" --vanilla "$OUT"
