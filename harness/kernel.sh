#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configures and builds the kernel of $FLAVOR (test or bench) out of tree,
# the external modules of the top-level Kbuild and the kselftests.
. "$(dirname "$0")/lib.sh"
kernel_paths
lock_work

FRAGMENTS=("$REPO/configs/base.config" "$REPO/configs/$FLAVOR.config")
if [ "$FLAVOR" = vanilla ]; then
	# The test kernel's config without this project's options.
	mkdir -p "$OBJ"
	grep -hvE '^CONFIG_[A-Z0-9_]*CGROUP_DRIVER[A-Z0-9_]*=' "$REPO/configs/base.config" \
		"$REPO/configs/test.config" > "$OBJ/.cgdrv-vanilla.config"
	FRAGMENTS=("$OBJ/.cgdrv-vanilla.config")
fi

# Every option a fragment sets must survive olddefconfig: a dependency that
# silently turned CONFIG_RUST off must stop the build here.
verify_config() {
	local line opt want got bad=0
	while read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*} want=${line#*=} ;;
		*) continue ;;
		esac
		got=$(grep -E "^$opt=|^# $opt is not set" "$OBJ/.config" || true)
		case "$want" in
		n) [ -z "$got" ] || [ "$got" = "# $opt is not set" ] || { log "$opt: wanted n, got $got"; bad=1; } ;;
		*) [ "$got" = "$opt=$want" ] || { log "$opt: wanted $want, got ${got:-nothing}"; bad=1; } ;;
		esac
	done < <(cat "${FRAGMENTS[@]}")
	[ $bad = 0 ] || die "the kernel config lost options we rely on (see above)"
}

configure() {
	local sum
	local ours=()
	# The vanilla kernel has none of our files, whose changes must not
	# reconfigure it.
	if [ "$FLAVOR" != vanilla ]; then
		[ -f "$TREE/.cgdrv-overlay" ] && ours=("$TREE/.cgdrv-overlay")
		ours+=("$REPO"/patches/*)
	fi
	sum=$(cat "${FRAGMENTS[@]}" "${ours[@]}" | sha256sum)
	[ -f "$OBJ/.config" ] && [ "$(cat "$OBJ/.cgdrv-config" 2>/dev/null)" = "$sum" ] && return
	log "configuring the $FLAVOR kernel"
	mkdir -p "$OBJ"
	"${KMAKE[@]}" -s rustavailable
	"${KMAKE[@]}" -s tinyconfig >/dev/null
	"$TREE/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "${FRAGMENTS[@]}" >/dev/null
	"${KMAKE[@]}" -s olddefconfig
	verify_config
	echo "$sum" > "$OBJ/.cgdrv-config"
}

# Upstream's build output (hundreds of warnings in files we never touch)
# goes to a log; the terminal gets the stage, the time and the objects
# built since the stage began against the count of a full build of this
# config: the last one seen here, or on a fresh machine the one recorded in
# harness/object-counts.
LOG="$WORK/build-$FLAVOR.log"
COUNT="$OBJ/.cgdrv-objects"
STAMP="$OBJ/.cgdrv-stage"

objects() {
	find "$OBJ" -name '*.o' "$@" 2>/dev/null | wc -l
}

expected_objects() {
	cat "$COUNT" 2>/dev/null ||
		awk -v f="$FLAVOR" '$1 == f { print "about " $2 }' "$REPO/harness/object-counts" | grep . ||
		echo '?'
}

progress() {
	local stage=$1 start=$SECONDS every=60 total line
	total=$(expected_objects)
	[ -t 2 ] && every=5
	while sleep $every; do
		line="$stage: $(objects -newer "$STAMP") of $total objects built, $(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s"
		if [ -t 2 ]; then printf '\r>>> %s ' "$line" >&2; else log "$line"; fi
	done
}

quiet() {
	local stage=$1 rc=0 pid
	shift
	log "$stage (output in $LOG)"
	touch "$STAMP"
	progress "$stage" &
	pid=$!
	"$@" >> "$LOG" 2>&1 || rc=$?
	kill $pid
	wait $pid 2>/dev/null || true
	[ -t 2 ] && printf '\n' >&2
	if [ $rc != 0 ]; then
		tail -n 60 "$LOG" >&2
		die "$stage failed: the whole output is in $LOG"
	fi
}

build_kernel() {
	: > "$LOG"
	quiet "building the $FLAVOR kernel in $OBJ" "${KMAKE[@]}" bzImage modules headers
	objects > "$COUNT"
}

# 6.12's kbuild writes an M= build's objects into its sources, so the
# external modules build from a copy: the clone stays clean.
EXT="$OBJ/ext"
EXT_FILES=(Kbuild samples/cgroup_driver tools/testing/selftests/cgroup_driver/test_module)

build_external_modules() {
	mkdir -p "$EXT"
	tar -C "$REPO" -c "${EXT_FILES[@]}" | tar -C "$EXT" -x
	quiet "building the external modules of Kbuild" "${KMAKE[@]}" M="$EXT" modules
}

build_kselftests() {
	local t
	for t in "$@"; do
		mkdir -p "$OBJ/kselftest/$t"
		quiet "building kselftests: $t" make -C "$TREE/tools/testing/selftests/$t" \
			OUTPUT="$OBJ/kselftest/$t" KHDR_INCLUDES="-isystem $OBJ/usr/include" \
			CC=gcc LLVM= all
	done
}

build_demo() {
	mkdir -p "$OBJ/demo"
	gcc -Wall -O2 -isystem "$OBJ/usr/include" -I "$REPO/samples/cgroup_driver" -o "$OBJ/demo/cgroup_gpu_demo" \
		"$REPO/harness/demo/cgroup_gpu_demo.c"
}

verify_config_only=${1:-}
configure
[ "$verify_config_only" = config ] && exit 0
build_kernel
if [ "$FLAVOR" = vanilla ]; then
	build_kselftests cgroup
	exit 0
fi
build_external_modules
build_kselftests cgroup cgroup_driver
build_demo
