#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make lint: checkpatch --strict on our C files and on the patches of the
# series (harness/patches.sh --no-build), kernel-doc -Wall on our C files
# and headers, a Sphinx build of core-api with our page in it, rustfmt
# --check on our Rust files, and a CLIPPY=1 build of the kernel's Rust (the
# next plain build redoes it). Zero reports beyond harness/lint-exceptions,
# which it prints.
. "$(dirname "$0")/lib.sh"
kernel_paths
lock_work
cd "$REPO"

C_FILES=$(git ls-files 'include/*.h' 'kernel/*.c' 'lib/*.c' 'rust/helpers/*.c' 'samples/*.c' \
	'samples/*.h' 'tools/testing/selftests/cgroup_driver/*.c' \
	'tools/testing/selftests/cgroup_driver/*.h' 'tools/testing/selftests/cgroup_driver/*/*.c')
RUST_FILES=$(git ls-files '*.rs')
DOC=Documentation/core-api/cgroup-driver-data.rst
rc=0

step() {
	log "$1"
	shift
	"$@" || { log "FAILED: $*"; rc=1; }
}

# Sphinx's warnings about our page or the sources it pulls kernel-doc from;
# upstream's own pages are not ours to judge.
htmldocs() {
	local out="$WORK/htmldocs.log"
	"${KMAKE[@]}" SPHINXDIRS=core-api htmldocs > "$out" 2>&1 || { tail -n 20 "$out"; return 1; }
	! grep -E "cgroup-driver-data|cgroup_driver" "$out" | grep -iE "warning|error"
}

# Only lines that would fail: kernel-doc -none prints nothing else.
kerneldoc() {
	local out
	out=$("$TREE/scripts/kernel-doc" -none -Wall $C_FILES 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
}

clippy() {
	"${KMAKE[@]}" -s CLIPPY=1 vmlinux modules > "$WORK/clippy.log" 2>&1 || return 1
	! grep -A12 '^warning\|^error' "$WORK/clippy.log"
}

log "accepted checkpatch reports (harness/lint-exceptions):"
lint_exceptions | sed 's/^/    /' >&2
step "checkpatch.pl --strict on our files" \
	"$TREE/scripts/checkpatch.pl" --no-tree --strict --quiet --ignore "$(checkpatch_ignores)" \
	-f $C_FILES
step "the series, and checkpatch.pl --strict on its patches" "$REPO/harness/patches.sh" --no-build
step "kernel-doc -none -Wall on our C files and headers" kerneldoc
step "Sphinx: make htmldocs SPHINXDIRS=core-api, with $DOC" htmldocs
step "rustfmt --check" "$DEBIAN_BIN/rustfmt" --config-path "$TREE/.rustfmt.toml" --edition 2021 \
	--check $RUST_FILES
# KMAKE names Debian's clippy-driver, which matches rustc-web.
step "CLIPPY=1 build of the kernel's Rust" clippy
[ $rc = 0 ] && log "lint: nothing to report" || log "lint: reports above"
exit $rc
