#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch --strict on our C files and rustfmt --check on our Rust files.
. "$(dirname "$0")/lib.sh"
cd "$REPO"

C_FILES=$(git ls-files 'include/*.h' 'kernel/*.c' 'rust/helpers/*.c' 'samples/*.c' \
	'tools/testing/selftests/cgroup_driver/*.c' 'tools/testing/selftests/cgroup_driver/*.h')
RUST_FILES=$(git ls-files '*.rs')
rc=0
# The exported functions are defined in Rust, so no EXPORT_SYMBOL can follow
# its C definition.
"$TREE/scripts/checkpatch.pl" --no-tree --strict --quiet --ignore EXPORT_SYMBOL \
	-f $C_FILES || rc=1
rustfmt --config-path "$TREE/.rustfmt.toml" --edition 2021 --check $RUST_FILES || rc=1
exit $rc
