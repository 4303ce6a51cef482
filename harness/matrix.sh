#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make matrix: builds what this project adds in each configuration of
# configs/matrix/ and in random ones, as the kernel test robot would: each
# configuration is tinyconfig plus its fragments, which KCONFIG_WERROR=1
# make olddefconfig must accept and whose own lines must survive, and then
# only the objects our code touches are built, with W=1: the kernel crate
# (prepare), kernel/cgroup/, our samples and the benchmark as linked
# modules, the selftests' test module with M=, and sparse where a fragment
# asks for it. An error, or a warning in one of our files (the overlay and
# the files that patches/ changes), fails the configuration; upstream's
# warnings do not. Prints TAP, a line per configuration, and the time each
# took in comments.
#
# Usage: matrix.sh [NAME...]; NAME is a fragment of configs/matrix/ or
# random-SEED. Without names: every fragment and three random
# configurations, of seeds $SEED, $SEED + 1 and $SEED + 2 (SEED defaults to
# one drawn now; make matrix SEED=N).
. "$(dirname "$0")/lib.sh"
kernel_paths
lock_work

MATRIX="$WORK/matrix"
FRAGMENTS="$REPO/configs/matrix"
OURS="$MATRIX/ours"

# The symbols that random configurations draw, each y or n (m or n where
# only a module makes sense), on top of configs/base.config: what our code
# builds differently with.
RANDOM_BOOLS=(CGROUPS MEMCG CGROUP_BPF MODULES SMP MULTIUSER DEBUG_KERNEL
	      PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_FS DRM RUST KUNIT
	      CGROUP_DRIVER_KUNIT_TEST KASAN CGDRV_MATRIX_RFC_DRIVER)
RANDOM_MODULES=(SAMPLE_CGROUP_DRIVER SAMPLE_RUST_CGROUP_DRIVER CGROUP_DRIVER_BENCH)
RANDOM_PREEMPT=(PREEMPT_NONE PREEMPT_VOLUNTARY PREEMPT)

# What is ours, in $OURS: "FILE" for each new file of the overlay and
# "FILE:LINE" for each line that patches/ adds to an upstream file (its
# other lines are upstream's, whatever they report), then "FUNCTION" for
# each function our C files define, which sparse names ("in 'FUNCTION'")
# in a report of a header's inline. Upstream's version of a patched file comes from the
# tarball, the first time a patch touches it.
our_code() {
	local f tmp missing
	(cd "$REPO" && git ls-files "${OVERLAY_DIRS[@]}") > "$OURS.files"
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$REPO"/patches/0*.patch |
		sort -u > "$OURS.patched"
	missing=$(while read -r f; do
		[ -f "$MATRIX/pristine/$f" ] || echo "linux-source-6.12/$f"
	done < "$OURS.patched")
	if [ -n "$missing" ]; then
		tmp=$(mktemp -d)
		tar -xf "$KTAR" -C "$tmp" --strip-components=1 $missing
		mkdir -p "$MATRIX/pristine"
		cp -r "$tmp"/. "$MATRIX/pristine"
		rm -rf "$tmp"
	fi
	{
		cat "$OURS.files"
		while read -r f; do
			diff --unchanged-line-format= --old-line-format= \
				--new-line-format="$f:%dn"$'\n' "$MATRIX/pristine/$f" "$TREE/$f" ||
				true
		done < "$OURS.patched"
		(cd "$REPO" && grep -hoE '^[a-z].*[^a-z0-9_]([a-z0-9_]+)\(' \
			$(grep -E '\.[ch]$' "$OURS.files")) |
			sed -E 's/.*[^a-z0-9_]([a-z0-9_]+)\($/\1()/'
	} > "$OURS"
}

# The fragment of random configuration $1: each symbol drawn from bash's
# generator seeded with $1, so that a seed always gives the same fragment.
# Every draw is made in this shell: bash reseeds the generator in a
# subshell, $(...) included. A draw is its high bit, the better one.
random_fragment() {
	local s v
	RANDOM=$1
	echo "# random configuration of seed $1"
	echo "CONFIG_SAMPLES=y"
	echo "CONFIG_SAMPLES_RUST=y"
	echo "CONFIG_RUNTIME_TESTING_MENU=y"
	# tinyconfig's SLUB_TINY would rule KASAN out.
	echo "CONFIG_SLUB_TINY=n"
	for s in "${RANDOM_BOOLS[@]}"; do
		v=n
		(( RANDOM >= 16384 )) && v=y
		echo "CONFIG_$s=$v"
	done
	for s in "${RANDOM_MODULES[@]}"; do
		v=n
		(( RANDOM >= 16384 )) && v=m
		echo "CONFIG_$s=$v"
	done
	echo "CONFIG_${RANDOM_PREEMPT[RANDOM % ${#RANDOM_PREEMPT[@]}]}=y"
}

# The first diagnostic worth failing for in build log $1 of object
# directory $2, against which the compilers name the sources: an error or
# a warning in one of our files (C, sparse and modpost report a line each;
# rustc a header line, then the file on a "-->" line); with $3 = failed,
# the first error of any file if none of ours is found.
first_report() {
	python3 - "$OURS" "$1" "${3:-}" "$TREE" "$MATRIX" "$2" <<-'EOF'
		import os
		import re
		import sys
		ours = set(open(sys.argv[1]).read().split())
		functions = {w[:-2] for w in ours if w.endswith('()')}
		failed = sys.argv[3] == 'failed'
		tree, matrix = sys.argv[4] + '/', re.escape(sys.argv[5])

		def ours_(path, line):
		    path = os.path.normpath(os.path.join(sys.argv[6], path))
		    if path.startswith(tree):
		        path = path[len(tree):]
		    path = re.sub(rf'^{matrix}/[^/]+/ext/', '', path)
		    return path in ours or f'{path}:{line}' in ours

		def named(text):
		    return any(n in functions for n in re.findall(r"\bin '(\w+)'", text))

		# rust/Makefile builds the helpers without -Wmissing-prototypes:
		# only Rust calls them, through bindgen.
		def excused(path, text):
		    return '/rust/helpers/' in path and 'was not declared' in text

		OUR_MODULES = re.compile(r'cgroup_driver|cgroup_gpu')
		header = None
		first_error = None
		for line in open(sys.argv[2], errors='replace'):
		    line = line.rstrip('\n')
		    if re.match(r'^(warning|error)(\[\w+\])?: ', line):
		        header = line
		        if first_error is None and line.startswith('error'):
		            first_error = line
		        continue
		    m = re.match(r'^\s*--> ((\S+?):(\d+):\d+)', line)
		    if m and header:
		        if ours_(m.group(2), m.group(3)):
		            print(f'{header} at {m.group(1)}')
		            sys.exit(0)
		        header = None
		        continue
		    m = re.match(r'^(\S+?):(\d+):(?:\d+:)? (warning|error): (.*)', line)
		    if m:
		        if ((ours_(m.group(1), m.group(2)) or named(m.group(4))) and
		                not excused(m.group(1), m.group(4))):
		            print(line)
		            sys.exit(0)
		        if first_error is None and m.group(3) == 'error':
		            first_error = line
		        continue
		    # modpost: without vmlinux.o every symbol of the kernel is
		    # undefined; our_links checks ours.
		    if (line.startswith(('WARNING: modpost:', 'ERROR: modpost:')) and
		            OUR_MODULES.search(line) and 'undefined!' not in line):
		        print(line)
		        sys.exit(0)
		    if first_error is None and re.search(r'\*\*\* .*Error \d+', line):
		        first_error = line
		if failed:
		    print(first_error or 'the build failed; see the log')
	EOF
}

# Our modules are linked without vmlinux.o (nothing but vmlinux would make
# one), so modpost cannot tell which of their symbols are undefined: each
# symbol of ours that they use must be defined and exported by an object
# this configuration built, and without the core they use none.
our_links() {
	local obj=$1 ko sym exported
	shift
	exported=$(find "$obj/kernel/cgroup" "$obj/rust" -name '*.o' 2>/dev/null |
		xargs -r llvm-nm --defined-only -j 2>/dev/null | sed -n 's/^__export_symbol_//p' ||
		true)
	for ko in "$@"; do
		for sym in $(llvm-nm -u -j "$ko" | grep -E 'cgroup_driver'); do
			grep -qxF "$sym" <<< "$exported" && continue
			echo "${ko##*/} uses $sym, which no object built exports"
			return
		done
	done
}

# The value of option $2 in the config of object directory $1: y, m or n.
opt() {
	local v
	v=$(sed -n "s/^CONFIG_$2=//p" "$1/.config")
	echo "${v:-n}"
}

# Every line of fragment $2 must hold in the config of $1: a dependency
# that silently dropped an option makes the configuration another one.
verify() {
	local line o want got
	while read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		o=${line%%=*}
		want=${line#*=}
		got=$(opt "$1" "${o#CONFIG_}")
		[ "$got" = "$want" ] || { echo "$o: wanted $want, got $got"; return; }
	done < "$2"
}

# Configures and builds configuration $1; prints the reason it fails, if
# it does, and nothing else on stdout.
build_config() {
	local name=$1 obj="$MATRIX/$1" frag bases=() extra=() mk targets=() kos=() \
		linked=() fragments=("$FRAGMENTS/common.config") sum why ext rc b
	# Random configurations share one object directory.
	[[ "$name" == random-* ]] && obj="$MATRIX/random"
	mkdir -p "$obj"
	frag="$obj/.cgdrv-fragment"
	case "$name" in
	random-*)
		random_fragment "${name#random-}" > "$frag"
		bases=(base)
		;;
	*)
		[ -f "$FRAGMENTS/$name.config" ] ||
			{ echo "no configs/matrix/$name.config"; return; }
		cp "$FRAGMENTS/$name.config" "$frag"
		read -ra bases <<< "$(sed -n 's/^# matrix-base: //p' "$frag")"
		eval "extra=($(sed -n 's/^# matrix-make: //p' "$frag"))"
		;;
	esac
	mk=(make -C "$TREE" O="$obj" -j"$(( $(nproc) + 1 ))" LLVM=1 CC="ccache clang"
	    "${RUST_TOOLS[@]}" KBUILD_KCONFIG="$MATRIX/Kconfig" W=1 KBUILD_MODPOST_WARN=1
	    "${extra[@]}")
	: > "$obj/build.log"

	for b in "${bases[@]}"; do fragments+=("$REPO/configs/$b.config"); done
	fragments+=("$frag")
	# A configuration is made again only when its inputs changed.
	sum=$(cat "${fragments[@]}" "$FRAGMENTS/Kconfig" "$REPO"/patches/* | sha256sum)
	if [ "$(cat "$obj/.cgdrv-sum" 2>/dev/null)" != "$sum" ]; then
		rm -f "$obj/.cgdrv-sum"
		"${mk[@]}" -s tinyconfig > "$obj/config.log" 2>&1 &&
			"$TREE/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
				"${fragments[@]}" >> "$obj/config.log" 2>&1 &&
			KCONFIG_WERROR=1 "${mk[@]}" -s olddefconfig >> "$obj/config.log" 2>&1 || {
			echo "olddefconfig: $(grep -m1 -iE 'warning|error' "$obj/config.log" ||
				tail -n1 "$obj/config.log")"
			return
		}
		# A random draw may ask for what its other draws rule out.
		[[ "$name" == random-* ]] || why=$(verify "$obj" "$frag")
		[ -z "${why:-}" ] || { echo "the config lost an option: $why"; return; }
		echo "$sum" > "$obj/.cgdrv-sum"
	fi

	[[ "$name" == random-* ]] && log "$name: $(for b in "${RANDOM_BOOLS[@]}" \
		"${RANDOM_MODULES[@]}" "${RANDOM_PREEMPT[@]}" CGROUP_DRIVER_CORE; do
		printf '%s=%s ' "$b" "$(opt "$obj" "$b")"; done)"
	[ "$(opt "$obj" MODULES)" = y ] && targets=(modules_prepare) || targets=(prepare)
	rc=0
	"${mk[@]}" "${targets[@]}" >> "$obj/build.log" 2>&1 || rc=$?
	# prepare builds the kernel crate, rust/ the rest of it: the helpers,
	# the exports and the doctests, ours among them.
	targets=()
	[ "$(opt "$obj" RUST)" = y ] && targets+=(rust/)
	[ "$(opt "$obj" CGROUPS)" = y ] && targets+=(kernel/cgroup/)
	# The DRM sample runs its jobs through the GPU scheduler, a module here.
	[ "$(opt "$obj" SAMPLE_CGROUP_DRIVER)" = m ] &&
		kos+=(drivers/gpu/drm/scheduler/gpu-sched.ko samples/cgroup_driver/cgroup_driver_drm.ko)
	[ "$(opt "$obj" SAMPLE_RUST_CGROUP_DRIVER)" = m ] &&
		kos+=(samples/rust/rust_cgroup_driver.ko)
	[ "$(opt "$obj" CGROUP_DRIVER_BENCH)" = m ] && kos+=(lib/cgroup_driver_benchmark.ko)
	if [ $rc = 0 ] && [ $(( ${#targets[@]} + ${#kos[@]} )) -gt 0 ]; then
		"${mk[@]}" "${targets[@]}" "${kos[@]}" \
			>> "$obj/build.log" 2>&1 || rc=$?
	fi
	linked=("${kos[@]/#/$obj/}")
	# The test module, RFC-era one included, from a copy as kernel.sh
	# builds it: 6.12 writes an M= build's objects into its sources.
	ext="$obj/ext/tools/testing/selftests/cgroup_driver/test_module"
	if [ $rc = 0 ] && [ "$(opt "$obj" MODULES)" = y ]; then
		rm -rf "$obj/ext"
		mkdir -p "$ext"
		cp "$REPO"/tools/testing/selftests/cgroup_driver/test_module/* "$ext"
		"${mk[@]}" M="$ext" modules >> "$obj/build.log" 2>&1 || rc=$?
		linked+=($(find "$ext" -name '*.ko'))
	fi
	if [ $rc = 0 ] && grep -q '^# matrix-sparse' "$frag"; then
		"${mk[@]}" C=2 CHECK=sparse "${targets[@]}" samples/cgroup_driver/ \
			>> "$obj/build.log" 2>&1 || rc=$?
		"${mk[@]}" C=2 CHECK=sparse M="$ext" modules >> "$obj/build.log" 2>&1 || rc=$?
	fi
	why=$(first_report "$obj/build.log" "$obj" "$([ $rc = 0 ] || echo failed)")
	[ -n "$why" ] || [ $rc != 0 ] || why=$(our_links "$obj" "${linked[@]}")
	# kbuild reports a warning only when it compiles the object: the next
	# run must compile, and report, it again.
	[ -z "$why" ] || "${mk[@]}" -s clean > /dev/null 2>&1 || true
	echo "$why"
}

mkdir -p "$MATRIX"
our_code
# mainmenu must come first: the kernel's top-level Kconfig cannot be sourced.
cat "$TREE/Kconfig" "$FRAGMENTS/Kconfig" > "$MATRIX/Kconfig"
if [ $# = 0 ]; then
	seed=${SEED:-$(( $(date +%s) % 100000 ))}
	set -- $(cd "$FRAGMENTS" && ls ./*.config | sed 's|^\./||; s|\.config$||' |
		grep -vx common) "random-$seed" "random-$(( seed + 1 ))" "random-$(( seed + 2 ))"
	log "make matrix: $# configurations; random ones of seeds $seed to $(( seed + 2 ))" \
		"(make matrix SEED=$seed builds them again)"
fi
echo "1..$#"
n=0
bad=0
for name in "$@"; do
	n=$((n + 1))
	start=$SECONDS
	log "matrix: $name (logs in $MATRIX/${name%%-[0-9]*})"
	why=$(build_config "$name")
	t=$((SECONDS - start))
	echo "$name $t" >> "$MATRIX/times"
	if [ -z "$why" ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		log "matrix: $name FAILED: $why"
		bad=1
	fi
	echo "# $name: $((t / 60))m$((t % 60))s"
done
exit $bad
