#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch --strict on our C files, rustfmt --check on our Rust files, and
# a CLIPPY=1 build of the kernel's Rust (the next plain build redoes it).
. "$(dirname "$0")/lib.sh"
kernel_paths
cd "$REPO"

C_FILES=$(git ls-files 'include/*.h' 'kernel/*.c' 'lib/*.c' 'rust/helpers/*.c' 'samples/*.c' \
	'tools/testing/selftests/cgroup_driver/*.c' 'tools/testing/selftests/cgroup_driver/*.h')
RUST_FILES=$(git ls-files '*.rs')
rc=0
# The exported functions are defined in Rust, so no EXPORT_SYMBOL can follow
# its C definition.
"$TREE/scripts/checkpatch.pl" --no-tree --strict --quiet --ignore EXPORT_SYMBOL \
	-f $C_FILES || rc=1
"$DEBIAN_BIN/rustfmt" --config-path "$TREE/.rustfmt.toml" --edition 2021 --check $RUST_FILES || rc=1
# KMAKE names Debian's clippy-driver, which matches rustc-web.
lock_work
"${KMAKE[@]}" -s CLIPPY=1 vmlinux modules \
	> "$WORK/clippy.log" 2>&1 || rc=1
if grep -q '^warning\|^error' "$WORK/clippy.log"; then
	grep -A12 '^warning\|^error' "$WORK/clippy.log"
	rc=1
fi
exit $rc
