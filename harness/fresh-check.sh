#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's commands on a machine that never had the dependencies: a
# pristine Debian 12 root (debootstrap --variant=minbase), a clone of this
# repository's HEAD in it, the README's prerequisite line, then the README's
# commands exactly as written. Takes as long as a first run (no cache).
# CGDRV_FRESH_ROOT: where the root goes (default /var/tmp/cgdrv-fresh);
# CGDRV_FRESH_TARGETS: the README commands to run (default "demo").
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${CGDRV_FRESH_ROOT:-/var/tmp/cgdrv-fresh}
TARGETS=${CGDRV_FRESH_TARGETS:-demo}

log() {
	printf '>>> fresh-check: %s\n' "$*" >&2
}

unmount_root() {
	local m
	for m in dev/pts dev sys proc; do
		mountpoint -q "$ROOT/$m" && umount -l "$ROOT/$m"
	done
	return 0
}
trap unmount_root EXIT

# The same mirror as the host's apt, which is the one this machine reaches.
mirror() {
	sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p; s/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^[:space:]]*\).*/\2/p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v security | head -n1
}

command -v debootstrap >/dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
unmount_root
rm -rf "$ROOT"
log "debootstrap --variant=minbase bookworm $ROOT $(mirror)"
debootstrap --variant=minbase bookworm "$ROOT" "$(mirror)" > "$ROOT.debootstrap.log" 2>&1 ||
	{ tail -n 20 "$ROOT.debootstrap.log"; exit 1; }

# What any machine brings from its environment, not from the project: the
# kernel's file systems, and how this host reaches the package registries
# (apt's sources and settings, name servers, CA certificates, pip's and
# cargo's settings).
for m in proc sys dev dev/pts; do
	mount --bind "/$m" "$ROOT/$m"
done
# The host's sources replace debootstrap's, which name the same mirror.
rm -f "$ROOT/etc/apt/sources.list"
cp -rT /etc/apt "$ROOT/etc/apt"
cp /etc/resolv.conf /etc/hosts "$ROOT/etc/"
# Local CAs (a proxy's, say) too: installing ca-certificates in the root
# rebuilds its bundle from them.
mkdir -p "$ROOT/etc/ssl" "$ROOT/usr/local/share/ca-certificates"
cp -rT /etc/ssl/certs "$ROOT/etc/ssl/certs"
cp -rT /usr/local/share/ca-certificates "$ROOT/usr/local/share/ca-certificates"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$ROOT/etc/"
for f in .config/pip .pip .cargo/config .cargo/config.toml; do
	[ -e "$HOME/$f" ] || continue
	mkdir -p "$(dirname "$ROOT/root/$f")"
	cp -r "$HOME/$f" "$ROOT/root/$f"
done
mapfile -t registry_env < <(env | grep -E '^(PIP_|CARGO_HTTP|CARGO_REGISTR|https?_proxy=|HTTPS?_PROXY=|no_proxy=|NO_PROXY=)' || true)

git clone -q "$REPO" "$ROOT/root/cgroup-driver"

# A shell as a new root login would have: nothing of this host's PATH.
in_root() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"${registry_env[@]}" /bin/bash -c "$1"
}

log "the README's prerequisite line"
in_root "$(sed -n 's/^    \(apt-get update && apt-get install .*\)$/\1/p' "$REPO/README.md")"
start=$SECONDS
for t in $TARGETS; do
	log "make $t"
	in_root "cd /root/cgroup-driver && make $t" 2>&1 | tee "$ROOT.make-$t.log"
	log "make $t done after $(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s"
done
log "passed in $(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s"
