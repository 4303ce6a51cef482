#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest for `make bench`: makes the cgroups the benchmark
# module needs, loads it (it does its sweeps while it loads), then times
# the free of removed cgroups with and without driver data. Writes every
# measurement, "cgdrv_bench SWEEP X CASE REP VALUE", to OUT/results.txt
# for harness/bench.py.
# Scheduling then: the latency of an interactive process's jobs beside a
# batch process on each sample, with the demo's offsets and with none, each
# run's latencies kept in OUT/latency-SAMPLE-MODE-REP.txt for the plot.
# Usage: guest-bench.sh OUT OBJ
set -eu
OUT=$1
OBJ=$2
KO=$OBJ/lib/cgroup_driver_benchmark.ko
CG=/sys/fs/cgroup
ROOT=$CG/cgdrv_bench
DEBUG=/sys/kernel/debug
# The release sweep goes up to 100,000 objects, one per cgroup.
NCGROUPS=100000
REPS=5
# Cgroups removed at once per measurement of the free path.
FREED=1000
RESULTS=$OUT/results.txt

log() {
	echo "$*" >&2
}

now_ns() {
	date +%s%N
}

mountpoint -q "$DEBUG" || mount -t debugfs none "$DEBUG"
{
	echo "# kernel $(uname -r)"
	echo "# guest-cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "# cpus $(nproc)"
} > "$RESULTS"

mkdir "$ROOT"
log "making $NCGROUPS cgroups"
start=$(now_ns)
(cd "$ROOT" && seq -f 'c%.0f' 0 $((NCGROUPS - 1)) | xargs mkdir)
log "  in $(( ($(now_ns) - start) / 1000000 )) ms"

log "sweeps (the module does them while it loads)"
dmesg -C
insmod "$KO" ncgroups=$NCGROUPS reps=$REPS
rmmod cgroup_driver_benchmark
dmesg | sed -n 's/^.*cgroup_driver_benchmark: //p' | tee -a "$RESULTS" | grep -v '^cgdrv_bench' >&2 || true

# The objects a registration of the benchmark holds, from the core's
# debugfs file: the cgroup free path unlinks one per freed cgroup.
held_objects() {
	sed -n 's/.*owner=cgroup_driver_benchmark objects=//p' "$DEBUG/cgroup_driver/registrations"
}

# The free of $FREED removed cgroups, with driver data on each or on none.
# A sentinel cgroup with data, c0, is removed after them: the time from the
# first rmdir until the module holds no object is the time until the last
# of them, and the sentinel, is freed.
free_path() {
	local with=$1 rep=$2 n=1 dir=$ROOT/free elapsed
	mkdir "$dir"
	(cd "$dir" && seq -f 'c%.0f' 0 "$FREED" | xargs mkdir)
	[ "$with" = with ] && n=$((FREED + 1))
	insmod "$KO" prefix=/cgdrv_bench/free/c ncgroups=$n hold=$n
	[ "$(held_objects)" = "$n" ] || { log "free_path: $(held_objects) objects, not $n"; return 1; }
	start=$(now_ns)
	(cd "$dir" && seq -f 'c%.0f' 1 "$FREED" | xargs rmdir && rmdir c0)
	while [ "$(held_objects)" != 0 ]; do
		sleep 0.001
	done
	elapsed=$(( $(now_ns) - start ))
	rmmod cgroup_driver_benchmark
	rmdir "$dir"
	echo "cgdrv_bench free $FREED $with $rep $(( elapsed / FREED ))" >> "$RESULTS"
}

log "free path, $FREED cgroups at a time"
free_path with 0
free_path without 0
for rep in $(seq 1 $REPS); do
	if [ $((RANDOM % 2)) = 0 ]; then
		free_path with "$rep"
		free_path without "$rep"
	else
		free_path without "$rep"
		free_path with "$rep"
	fi
done
# The demo's workload (harness/demo/cgroup_gpu_demo.c): interactive submits
# 1 ms jobs with 4 ms pauses while batch keeps 20 ms jobs queued, each in
# a cgroup of its own, for SCHED_SEC; with offsets +200 and -300 or none.
SCHED_SEC=3
DEMO=$OBJ/demo/cgroup_gpu_demo
sched_run() {
	local dev=$1 sample=$2 mode=$3 rep=$4 lat n
	lat=$OUT/latency-$sample-$mode-$rep.txt
	if [ "$mode" = offsets ]; then
		"$DEMO" "$dev" set "$CG/interactive" 200
		"$DEMO" "$dev" set "$CG/batch" -300
	else
		"$DEMO" "$dev" set "$CG/interactive" 0
		"$DEMO" "$dev" set "$CG/batch" 0
	fi
	(echo $BASHPID > "$CG/batch/cgroup.procs" && exec "$DEMO" "$dev" load batch $SCHED_SEC) >&2 &
	(echo $BASHPID > "$CG/interactive/cgroup.procs" &&
		exec "$DEMO" "$dev" load interactive $SCHED_SEC "$lat") >&2 &
	wait
	n=$(wc -l < "$lat")
	sort -n "$lat" -o "$lat"
	echo "cgdrv_bench sched-$sample 50 $mode $rep $(sed -n "$((n / 2 + 1))p" "$lat")" >> "$RESULTS"
	echo "cgdrv_bench sched-$sample 99 $mode $rep $(sed -n "$((n * 99 / 100 + 1))p" "$lat")" >> "$RESULTS"
}

log "scheduling, $SCHED_SEC s a run"
insmod "$OBJ/drivers/gpu/drm/scheduler/gpu-sched.ko"
insmod "$OBJ/samples/cgroup_driver/cgroup_driver_drm.ko" devices=1
insmod "$OBJ/samples/rust/rust_cgroup_driver.ko" devices=1
mkdir "$CG/interactive" "$CG/batch"
for rep in $(seq 0 $REPS); do
	for sample in drm rust; do
		dev=/dev/cgroup_gpu_rust0
		[ $sample = drm ] && dev=$(ls /dev/dri/renderD* | head -n 1)
		if [ $((RANDOM % 2)) = 0 ]; then
			sched_run "$dev" $sample offsets "$rep"
			sched_run "$dev" $sample none "$rep"
		else
			sched_run "$dev" $sample none "$rep"
			sched_run "$dev" $sample offsets "$rep"
		fi
	done
done
rmdir "$CG/interactive" "$CG/batch"
rmmod rust_cgroup_driver cgroup_driver_drm
log "$(grep -c '^cgdrv_bench' "$RESULTS") measurements in $RESULTS"
