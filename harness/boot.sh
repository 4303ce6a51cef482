#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boots the built kernel with virtme-ng under QEMU and runs a guest script.
# Usage: boot.sh OUT SCRIPT; the script gets OUT and OBJ as arguments.
. "$(dirname "$0")/lib.sh"
kernel_paths

OUT=$1
SCRIPT=$2
mkdir -p "$OUT"

# This machine's KVM cannot run a stock kernel: emulate unless asked.
ACCEL=--disable-kvm
[ "${CGDRV_KVM:-0}" = 1 ] && ACCEL=

# 1 GiB holds the 10,000 cgroups of our test_core (about 240 MB with
# kmemleak's metadata) beside the kernel's memcontrol tests, and halves what
# kmemleak scans at the end compared with 2 GiB. The bench kernel's release
# sweep needs 100,000 cgroups.
#
# no5lvl: QEMU's emulated CPU offers 5-level paging, and 6.12 with KASAN
# then reports a "wild-memory-access" at boot when an interrupt arrives
# while identify_cpu() has cleared the boot CPU's features: KASAN's check in
# the interrupt sees LA57 off and takes the 5-level direct map for addresses
# without shadow. The report also turns lockdep off for the rest of the
# boot. 4-level paging avoids it.
#
# lockdep.lock_stat=0: lock statistics (CONFIG_LOCK_STAT) cost on every
# lock operation; the one test that reads them turns them on meanwhile.
#
# The guest's stdout does not reliably come back through virtme-ng's
# console, so the script writes to a file on a directory shared with the
# host, which follows it while the guest runs: each test program's start
# and time show as they happen. The cache is hidden in the guest unless
# passed explicitly.
MEMORY=1G
[ "$FLAVOR" = bench ] && MEMORY=4G
# A script may ask for kernel parameters of its own, in a '# boot:' line.
EXTRA=$(sed -n 's/^# boot: //p' "$SCRIPT")
CONSOLE=$OUT/console.txt
rm -f "$CONSOLE"
rc=0
vng $ACCEL --run "$OBJ/arch/x86/boot/bzImage" --cpus 2 --memory $MEMORY \
	--user root --rodir "$CACHE" --rwdir "$OUT" \
	--append "kmemleak=on loglevel=4 no5lvl lockdep.lock_stat=0 $EXTRA" \
	-- "$SCRIPT $OUT $OBJ > $CONSOLE 2>&1" >/dev/null 2>&1 &
guest=$!
# tail exits 1 when the file did not exist as it started: not an error.
tail -n +1 -F --pid=$guest "$CONSOLE" 2>/dev/null || true
wait $guest || rc=$?
[ -e "$CONSOLE" ] || log "the guest left no output"
exit $rc
