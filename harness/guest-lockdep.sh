#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest, in a boot of its own, because lockdep reports only
# the first problem it finds: records cgroup core's lock order, cgroup_mutex
# before cpu_hotplug_lock, by migrating a task, then has the test module
# miss under cpus_read_lock(), the order that the documentation forbids.
# harness/summary.py expects exactly one report, that circular dependency.
# Usage: guest-lockdep.sh OUT OBJ
set -u
OUT=$1
OBJ=$2
MODULE=$OBJ/ext/tools/testing/selftests/cgroup_driver/test_module/cgroup_driver_kselftest.ko
CONTROL=/sys/kernel/debug/cgroup_driver_kselftest/control

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=$ROOT/cgroup_driver_lockdep
insmod "$MODULE"
echo register > "$CONTROL"
mkdir "$CG"
echo $$ > "$CG/cgroup.procs"
echo $$ > "$ROOT/cgroup.procs"
exec 3< "$CG"
echo "miss-cpus-locked 3" > "$CONTROL"
echo "the miss under cpus_read_lock() returned $?"
exec 3<&-
rmdir "$CG"
rmmod cgroup_driver_kselftest
dmesg > "$OUT/dmesg.txt"
