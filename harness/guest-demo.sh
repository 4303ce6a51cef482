#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest for `make demo`.
# Usage: guest-demo.sh OUT OBJ
set -u
echo "kernel: $(uname -r)"
grep -q cgroup2 /proc/mounts && echo "cgroup v2 mounted at /sys/fs/cgroup"
echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
