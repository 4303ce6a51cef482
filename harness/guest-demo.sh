#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest for `make demo`: both GPU-like samples, two cgroups
# with different priority offsets, a process in each creating contexts.
# Usage: guest-demo.sh OUT OBJ
set -eu
OBJ=$2
DEMO=$OBJ/demo/cgroup_gpu_demo
CG=/sys/fs/cgroup
REGS=/sys/kernel/debug/cgroup_driver/registrations

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
say() { printf '\n== %s\n' "$*"; }
registrations() {
	local regs
	regs=$(cat "$REGS")
	echo "${regs:-(none)}"
}
# The devices' own listings of the cgroups that hold their data.
listings() {
	ls /sys/kernel/debug/dri/cgroup_gpu.*/cgroups /sys/kernel/debug/cgroup_gpu_rust*/cgroups
}

say "kernel $(uname -r), cgroup v2 at $CG"
insmod "$OBJ/drivers/gpu/drm/scheduler/gpu-sched.ko"
insmod "$OBJ/samples/cgroup_driver/cgroup_driver_drm.ko" devices=2
insmod "$OBJ/samples/rust/rust_cgroup_driver.ko" devices=2
DEVICES="$(ls /dev/dri/renderD* | head -2 | tr '\n' ' ')/dev/cgroup_gpu_rust0 /dev/cgroup_gpu_rust1"
echo "devices: $DEVICES"
say "registrations in the core (one per device):"
registrations

mkdir "$CG/interactive" "$CG/batch"
say "interactive gets +200, batch gets -300, on every device"
for dev in $DEVICES; do
	"$DEMO" "$dev" set "$CG/interactive" 200
	"$DEMO" "$dev" set "$CG/batch" -300
done

say "a process in each cgroup creates a context with priority 100 on each device:"
for cg in interactive batch; do
	(
		echo $BASHPID > "$CG/$cg/cgroup.procs"
		for dev in $DEVICES; do
			printf '  %-12s %-24s ' "$cg" "$dev"
			"$DEMO" "$dev" ctx 100
		done
	)
done

say "the core's view: objects per registration"
registrations
say "the devices' view (debugfs): cgroups that hold data"
for d in $(listings); do
	echo "$d:"
	sed 's/^/  /' "$d"
done
echo "  (interactive is cgroup $(stat -c %i "$CG/interactive"), batch is cgroup $(stat -c %i "$CG/batch"))"

# Contention: batch keeps an engine busy with long jobs while interactive
# submits short ones with pauses; each prints its jobs, its engine share and
# (interactive) its latency. The offsets decide who waits.
contend() {
	local dev=$1 cg
	for cg in batch interactive; do
		(
			echo $BASHPID > "$CG/$cg/cgroup.procs"
			exec "$DEMO" "$dev" load $cg 3
		) &
	done
	wait
}

offsets() {
	local dev=$1
	"$DEMO" "$dev" set "$CG/interactive" "$2"
	"$DEMO" "$dev" set "$CG/batch" "$3"
}

for dev in $(echo $DEVICES | cut -d' ' -f1) /dev/cgroup_gpu_rust0; do
	say "contention on $dev: a batch and an interactive process, 3 s"
	offsets "$dev" 0 0
	echo "  without offsets (both at NORMAL: first come first served):"
	contend "$dev" | sed 's/^/    /'
	offsets "$dev" 200 -300
	echo "  interactive +200 (HIGH), batch -300 (LOW): interactive waits at most for the job on the engine"
	contend "$dev" | sed 's/^/    /'
	offsets "$dev" -300 0
	echo "  interactive -300 (LOW), batch 0 (NORMAL): strict priority starves interactive until batch stops"
	contend "$dev" | sed 's/^/    /'
	offsets "$dev" 200 -300
done
say "the devices' per-cgroup usage after it (debugfs): engine time and jobs done"
for d in $(listings); do
	echo "$d:"
	sed 's/^/  /' "$d"
done

rmdir "$CG/interactive" "$CG/batch"
# The cgroup core frees removed cgroups from a workqueue.
for _ in $(seq 50); do
	grep -q "objects=[1-9]" "$REGS" || break
	sleep 0.1
done
say "after removing both cgroups their data is gone:"
registrations
for d in $(listings); do
	echo "$d: $(wc -l < "$d") cgroups"
done

rmmod rust_cgroup_driver cgroup_driver_drm
say "after unloading both samples, the core holds:"
registrations
