#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest: the kselftests, then a kmemleak scan, leaving every
# result in $1 for harness/summary.py to read on the host. With a file
# OUT/full (make check-full) it also runs the slow programs of FULL_ONLY and
# stresses for $STRESS_FULL_SEC rather than a minute.
# Usage: guest-check.sh OUT OBJ
set -u
OUT=$1
OBJ=$2
SELFTESTS=$(dirname "$0")/../tools/testing/selftests

# The kernel's cgroup selftests, as a regression check on cgroup core.
CGROUP_TESTS="test_core test_cpu test_cpuset test_freezer test_hugetlb_memcg
	test_kill test_kmem test_memcontrol test_pids test_zswap"
FULL_ONLY="test_kmem"
STRESS_FULL_SEC=600
FULL=0
TIMEOUT=900
if [ -e "$OUT/full" ]; then
	FULL=1
	TIMEOUT=3600
	export CGDRV_STRESS_SEC=$STRESS_FULL_SEC
fi

dmesg > "$OUT/boot.log"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# The DRM sample needs the GPU scheduler, a module of its own here: the
# selftests load and unload the samples, and it stays.
[ -d "$OBJ/kselftest/cgroup_driver" ] && insmod "$OBJ/drivers/gpu/drm/scheduler/gpu-sched.ko"
# The selftests load both samples from one directory.
CGDRV_SAMPLES=$(mktemp -d)
ln -s "$OBJ/samples/cgroup_driver/cgroup_driver_drm.ko" "$OBJ/samples/rust/rust_cgroup_driver.ko" \
	"$CGDRV_SAMPLES"
export CGDRV_SAMPLES
export CGDRV_KSELFTEST_MODULE=$OBJ/ext/tools/testing/selftests/cgroup_driver/test_module/cgroup_driver_kselftest.ko

run() {
	local suite=$1 prog=$2 rc start=$SECONDS
	shift 2
	echo "--- $suite/$(basename "$prog") at ${SECONDS}s"
	# Line buffering keeps forked children from repeating buffered lines.
	timeout $TIMEOUT stdbuf -oL "$prog" "$@" > "$OUT/ksft-$suite-$(basename "$prog").tap" 2>&1
	rc=$?
	echo "exit $rc" >> "$OUT/ksft-$suite-$(basename "$prog").tap"
	echo "--- $suite/$(basename "$prog") exited $rc after $((SECONDS - start))s"
}

# The kernel's tests make their files in their working directory
# (O_TMPFILE): test_memcontrol needs page cache that reclaim can drop, so
# not the read-only 9p where they live, nor tmpfs without swap, but ext4 on
# the RAM disk (configs/test.config).
SCRATCH=/tmp/cgdrv-scratch
scratch_fs() {
	mkdir -p "$SCRATCH"
	mkfs.ext4 -q -F /dev/ram0 && mount -t ext4 /dev/ram0 "$SCRATCH" ||
		echo "no ext4 scratch filesystem: the tests run in $SCRATCH on tmpfs" >&2
}

KNOWN=$(dirname "$0")/known-failures
kernel_cgroup_tests() {
	local t
	scratch_fs
	for t in $CGROUP_TESTS; do
		if grep -q "^cgroup/$t " "$KNOWN"; then
			[ $FULL = 1 ] && [[ " $FULL_ONLY " == *" $t "* ]] || continue
		fi
		(cd "$SCRATCH" && run cgroup "$OBJ/kselftest/cgroup/$t")
	done
}

# The kernel's tests run over cgroups that hold data: a module gives each
# cgroup outside this project's subtrees (cgroup_*) data as it appears, and
# the trace counts the cgroups that the tests create. The result says how
# many of them held data when they were freed.
TRACE=/sys/kernel/tracing
POLL=$(dirname "$CGDRV_KSELFTEST_MODULE")/cgroup_driver_poll.ko
with_data_start() {
	mountpoint -q $TRACE || mount -t tracefs none $TRACE
	echo '!(path ~ "/cgroup_*")' > $TRACE/events/cgroup/cgroup_mkdir/filter
	echo 1 > $TRACE/events/cgroup/cgroup_mkdir/enable
	insmod "$POLL"
}

with_data_stop() {
	local tap=$OUT/ksft-cgroup-with_data.tap created given freed
	# Cgroups removed last are freed after an RCU grace period and a work
	# item: wait for them before release takes what is left.
	sleep 2
	read -r _ given _ freed _ < /sys/kernel/debug/cgroup_driver_poll/stats
	rmmod cgroup_driver_poll
	echo 0 > $TRACE/events/cgroup/cgroup_mkdir/enable
	created=$(grep -c 'cgroup_mkdir:' $TRACE/trace)
	{
		echo "1..1"
		if [ "$freed" -gt 0 ]; then
			echo "ok 1 cgroups_freed_holding_data"
		else
			echo "not ok 1 cgroups_freed_holding_data"
		fi
		echo "# figure: upstream_cgroups_created $created"
		echo "# figure: upstream_cgroups_given_data $given"
		echo "# figure: upstream_cgroups_freed_holding_data $freed"
		echo "exit 0"
	} > "$tap"
}

cgroup_driver_test() {
	(cd "$SELFTESTS/cgroup_driver" && run cgroup_driver "$OBJ/kselftest/cgroup_driver/$1")
}

# The sets share no cgroups or modules. Two lanes of about the same length
# under emulation, one per CPU: our 10,000-cgroup test_core alone in one.
# A kernel without this project (make vanilla-check) runs only the kernel's.
if [ -d "$OBJ/kselftest/cgroup_driver" ]; then
	{
		with_data_start
		kernel_cgroup_tests
		with_data_stop
		cgroup_driver_test test_uapi
	} &
	cgroup_driver_test test_core
	wait
	for t in "$OBJ"/kselftest/cgroup_driver/test_*; do
		[ -e "$OUT/ksft-cgroup_driver-${t##*/}.tap" ] || cgroup_driver_test "${t##*/}"
	done
else
	kernel_cgroup_tests
fi

# Objects must be older than kmemleak's minimum age to be reported.
sleep 6
echo scan > /sys/kernel/debug/kmemleak
echo scan > /sys/kernel/debug/kmemleak
cat /sys/kernel/debug/kmemleak > "$OUT/kmemleak.txt"
dmesg > "$OUT/dmesg.txt"
echo "guest done at ${SECONDS}s"
