#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest for `make bench`: the benchmark module does its work
# while it loads; its results are in the kernel log.
# Usage: guest-bench.sh OUT OBJ
set -eu
OBJ=$2

echo "kernel $(uname -r), $(nproc) CPUs, QEMU emulation: compare ratios, not times"
dmesg -C
insmod "$OBJ/kernel/cgroup/cgroup_driver_bench.ko"
dmesg | sed -n 's/^.*cgroup_driver_bench: /  /p'
rmmod cgroup_driver_bench
