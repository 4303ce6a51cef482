#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest, in a boot of its own, because lockdep reports only
# the first problem it finds: has the test module hit with preemption off,
# which DEBUG_ATOMIC_SLEEP reports; records cgroup core's lock order,
# cgroup_mutex before cpu_hotplug_lock, by migrating a task, then has the
# test module hit under cpus_read_lock(), the order that the documentation
# forbids. Neither hit sleeps or locks: the core says on every call what a
# miss would do. harness/summary.py expects exactly these two reports.
# Usage: guest-lockdep.sh OUT OBJ
set -u
OUT=$1
OBJ=$2
MODULE=$OBJ/ext/tools/testing/selftests/cgroup_driver/test_module/cgroup_driver_kselftest.ko
CONTROL=/sys/kernel/debug/cgroup_driver_kselftest/control

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=$ROOT/cgroup_driver_lockdep
insmod "${MODULE%/*}/cgroup_driver_kselftest_shared.ko"
insmod "$MODULE"
echo register > "$CONTROL"
mkdir "$CG"
exec 3< "$CG"
echo "hit-atomic 3" > "$CONTROL"
echo "the hit with preemption off returned $?"
echo $$ > "$CG/cgroup.procs"
echo $$ > "$ROOT/cgroup.procs"
echo "hit-cpus-locked 3" > "$CONTROL"
echo "the hit under cpus_read_lock() returned $?"
exec 3<&-
rmdir "$CG"
rmmod cgroup_driver_kselftest
dmesg > "$OUT/dmesg.txt"
