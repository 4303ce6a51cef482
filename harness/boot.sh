#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boots the built kernel with virtme-ng under QEMU and runs a guest script.
# Usage: boot.sh OUT SCRIPT [ARGS...]; the script gets OUT and OBJ first.
. "$(dirname "$0")/lib.sh"

OUT=$1
SCRIPT=$2
shift 2
mkdir -p "$OUT"

# This machine's KVM cannot run a stock kernel: emulate unless asked.
ACCEL=--disable-kvm
[ "${CGDRV_KVM:-0}" = 1 ] && ACCEL=

vng $ACCEL --run "$OBJ/arch/x86/boot/bzImage" --cpus 2 --memory 2G \
	--user root --rwdir "$OUT" \
	--append "kmemleak=on loglevel=4" \
	-- "$SCRIPT" "$OUT" "$OBJ" "$@"
