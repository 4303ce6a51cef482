#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guard for the README's promise that `make check` and `make demo` work on
# a machine that never had the dependencies: runs `make deps` with a fresh
# HOME and cache, and with stubs of dpkg-query, apt-get, python3 and cargo
# first on PATH that say nothing is installed and record what they are asked
# for. deps.sh must reach every install request; a harness script that needs
# a package before deps installed it dies first. Prints TAP.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/home"
asked="$tmp/asked"
touch "$asked"

stub() {
	printf '#!/bin/sh\n%s\n' "$2" > "$tmp/bin/$1"
	chmod +x "$tmp/bin/$1"
}
stub dpkg-query 'echo "dpkg-query: no packages found matching $*" >&2; exit 1'
stub apt-get "echo \"apt-get \$*\" >> $asked"
stub cargo "echo \"cargo \$*\" >> $asked"
# pip's install puts vng on PATH, as the real one does.
stub python3 "echo \"python3 \$*\" >> $asked; printf '#!/bin/sh\n' > $tmp/bin/vng; chmod +x $tmp/bin/vng"

env -i PATH="$tmp/bin:/usr/bin:/bin" HOME="$tmp/home" CGDRV_CACHE="$tmp/cache" \
	CGDRV_DEBIAN_BIN="$tmp/bin" make -s -C "$REPO" deps > "$tmp/out" 2>&1
rc=$?

n=0 failed=0
check() {
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		failed=1
	fi
}
packages=$(sed -n 's/^apt-get .*install .*--no-install-recommends //p' "$asked")
check deps_succeeds '[ $rc = 0 ]'
check apt_updates_first 'head -n1 "$asked" | grep -qx "apt-get update -q"'
check apt_installs_kernel_source 'grep -qw linux-source-6.12 <<< "$packages"'
check apt_installs_no_recommends '[ -n "$packages" ]'
check apt_installs_debian_rust "(for p in rustc-web rust-web-src cargo-web rustfmt-web rust-web-clippy patch; do grep -qw \$p <<< \"\$packages\" || exit 1; done)"
check pip_installs_virtme_ng 'grep -q "^python3 -m pip install .*virtme-ng" "$asked"'
check cargo_installs_bindgen_into_cache "grep -q \"^cargo install --locked --root $tmp/cache/bindgen-[0-9.]* bindgen-cli\" \"\$asked\""
check home_untouched '[ -z "$(ls -A "$tmp/home")" ]'
echo "1..$n"
[ $failed = 0 ] || sed 's/^/# /' "$tmp/out"
exit $failed
