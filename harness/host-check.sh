#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The tests that run on the host, before any kernel is built: each leaves
# its TAP in OUT for harness/summary.py, as the guest's kselftests do.
# Usage: host-check.sh OUT
set -u
OUT=$1
mkdir -p "$OUT"
for t in "$(dirname "$0")"/test-*.sh; do
	name=$(basename "$t" .sh)
	"$t" > "$OUT/ksft-host-${name#test-}.tap" 2>&1
	echo "exit $?" >> "$OUT/ksft-host-${name#test-}.tap"
done
