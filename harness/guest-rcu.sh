#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest, in a boot of its own whose KUnit run is the suite
# cgroup_driver_rcu alone, with the parameter that makes its case look a
# cgroup's data up outside RCU: lockdep's report of it is the result, and
# it would be a failure in any other boot. Only keeps the kernel log.
# boot: kunit.filter_glob=cgroup_driver_rcu cgroup_driver_test.misuse_rcu=1
# Usage: guest-rcu.sh OUT OBJ
set -u
dmesg > "$1/dmesg.txt"
