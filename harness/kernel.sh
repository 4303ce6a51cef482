#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configures and builds the kernel of $FLAVOR (test or bench) out of tree,
# the external modules of the top-level Kbuild and the kselftests.
. "$(dirname "$0")/lib.sh"
lock_work

FRAGMENTS=("$REPO/configs/base.config" "$REPO/configs/$FLAVOR.config")

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
	sum=$(cat "${FRAGMENTS[@]}" "$TREE/.cgdrv-overlay" "$REPO"/patches/* | sha256sum)
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

build_kernel() {
	log "building the $FLAVOR kernel in $OBJ"
	"${KMAKE[@]}" -s bzImage modules headers
}

build_external_modules() {
	log "building the external modules of $REPO/Kbuild"
	"${KMAKE[@]}" -s M="$REPO" modules
}

build_kselftests() {
	local t
	for t in cgroup cgroup_driver; do
		log "building kselftests: $t"
		mkdir -p "$OBJ/kselftest/$t"
		make -s -C "$TREE/tools/testing/selftests/$t" OUTPUT="$OBJ/kselftest/$t" \
			KHDR_INCLUDES="-isystem $OBJ/usr/include" CC=gcc LLVM= all
	done
}

build_demo() {
	mkdir -p "$OBJ/demo"
	gcc -Wall -O2 -isystem "$OBJ/usr/include" -o "$OBJ/demo/cgroup_gpu_demo" \
		"$REPO/harness/demo/cgroup_gpu_demo.c"
}

verify_config_only=${1:-}
configure
[ "$verify_config_only" = config ] && exit 0
build_kernel
build_external_modules
build_kselftests
build_demo
