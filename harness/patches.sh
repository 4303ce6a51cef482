#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Writes the series a maintainer would apply into build/patches: a git tree
# of the pristine Debian source, one commit per patch of patches/series
# with the overlay files that patches/overlay gives it, then git
# format-patch. Checks the result: git am onto the pristine tree gives the
# same tree, checkpatch.pl --strict has nothing to say about any patch
# beyond harness/lint-exceptions, and every step builds
# (harness/series-build.sh), which --no-build (make lint) leaves out.
. "$(dirname "$0")/lib.sh"
kernel_paths

GIT_TREE=$WORK/series
OUTDIR=$REPO/build/patches
PREFIX="RFC PATCH v3"
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
GIT_AUTHOR_NAME=$(git -C "$REPO" config user.name || echo "cgroup driver data")
GIT_AUTHOR_EMAIL=$(git -C "$REPO" config user.email || echo "cgroup-driver@example.org")
GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

g() {
	git -C "$GIT_TREE" "$@"
}

# The tarball in a git tree of its own, once: every file of it, whatever
# its .gitignore says.
pristine_tree() {
	g rev-parse -q --verify refs/tags/pristine >/dev/null 2>&1 && return
	log "committing the pristine tree of $KTAR to $GIT_TREE"
	rm -rf "$GIT_TREE"
	mkdir -p "$GIT_TREE"
	tar -xf "$KTAR" -C "$GIT_TREE" --strip-components=1
	g init -q
	g add -f -A .
	g commit -q -m "linux-source-6.12 $KVER (Debian)"
	g tag pristine
}

overlay_files() {
	git -C "$REPO" ls-files "${OVERLAY_DIRS[@]}"
}

# The number of the patch that adds overlay file $1: exactly one line of
# patches/overlay matches it.
patch_of() {
	local n path found=
	while read -r n path; do
		case "$n" in '#'* | '') continue ;; esac
		[ "$1" = "$path" ] || [[ "$path" == */ && "$1" == "$path"* ]] || continue
		[ -z "$found" ] || die "$1 is in patches/overlay twice"
		found=$n
	done < "$REPO/patches/overlay"
	[ -n "$found" ] || die "$1 is in no patch of patches/overlay"
	echo "$found"
}

# A patch file of ours holds "Subject: ...", the commit message, then the
# diff.
commit_message() {
	sed -n '/^--- a\//q; s/^Subject: //; p' "$1"
	printf '\nSigned-off-by: %s <%s>\n' "$GIT_AUTHOR_NAME" "$GIT_AUTHOR_EMAIL"
}

commit_series() {
	local p n f files
	log "committing patches/series on top of the pristine tree"
	g checkout -q -f -B series pristine
	g clean -q -f -d -x
	files=$(for f in $(overlay_files); do echo "$(patch_of "$f") $f"; done)
	while read -r p; do
		n=${p%%-*}
		patch -d "$GIT_TREE" -p1 -s --no-backup-if-mismatch -i "$REPO/patches/$p" ||
			die "patches/$p does not apply"
		for f in $(awk -v n="$n" '$1 == n { print $2 }' <<< "$files"); do
			mkdir -p "$(dirname "$GIT_TREE/$f")"
			cp "$REPO/$f" "$GIT_TREE/$f"
		done
		g add -f -A .
		commit_message "$REPO/patches/$p" | g commit -q -F -
	done < <(sed -e '/^#/d' -e '/^$/d' "$REPO/patches/series")
	[ -z "$(awk '{ print $1 }' <<< "$files" | sort -u | comm -23 - \
		<(sed -n 's/^\([0-9]\{4\}\)-.*/\1/p' "$REPO/patches/series" | sort))" ] ||
		die "patches/overlay names a patch that patches/series does not have"
}

# The cover letter's subject and blurb come from patches/cover-letter, and
# its figures from README.md, their one place: a line @README:headline@ or
# @README:reliability@ becomes the rows of that table of README.md.
format_series() {
	local cover subject
	rm -rf "$OUTDIR"
	g format-patch -q --cover-letter --subject-prefix="$PREFIX" --base=pristine \
		-o "$OUTDIR" pristine..series
	cover=$(ls "$OUTDIR"/0000-*.patch)
	subject=$(head -n 1 "$REPO/patches/cover-letter")
	python3 - "$cover" "$subject" "$REPO/patches/cover-letter" "$REPO/README.md" <<-'EOF'
		import sys
		import textwrap
		path, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
		readme = open(sys.argv[4]).read()
		def rows(after, before):
		    part = readme.split(after, 1)[1].split(before, 1)[0]
		    cells = [[c.strip() for c in l.strip().strip('|').split('|')]
		             for l in part.splitlines() if l.startswith('|')]
		    return '\n'.join(textwrap.fill(f'{c[0]}: {c[1]}'.replace('`', ''), 72,
		                                   initial_indent='  ',
		                                   subsequent_indent='      ')
		                     for c in cells[2:])
		blurb = blurb.replace('@README:headline@', rows(
		    '<!-- bench results: written by harness/bench.py -->',
		    '<!-- end of bench results -->'))
		blurb = blurb.replace('@README:reliability@', rows('## Reliability', '\n## '))
		text = open(path).read()
		text = text.replace('*** SUBJECT HERE ***', subject)
		text = text.replace('*** BLURB HERE ***', blurb.split('\n', 1)[1].strip('\n'))
		open(path, 'w').write(text)
	EOF
}

# git am of the written patches onto the pristine tree must give the tree
# the series was committed from.
check_applies() {
	log "git am of build/patches onto the pristine tree"
	g checkout -q -f -B am-check pristine
	g -c user.name="$GIT_AUTHOR_NAME" -c user.email="$GIT_AUTHOR_EMAIL" \
		am -q $(ls "$OUTDIR"/*.patch | grep -v '/0000-') || die "git am failed"
	[ -z "$(g diff series am-check)" ] || die "git am gave another tree than the series"
}

# Every new file must have a list of its own in MAINTAINERS, not only
# THE REST's linux-kernel@vger.kernel.org.
check_style() {
	local p out bad=0 f
	log "checkpatch.pl --strict on every patch, but for: $(checkpatch_ignores)"
	for p in "$OUTDIR"/0*.patch; do
		[[ "$p" == */0000-* ]] && continue
		out=$(cd "$GIT_TREE" && PATH="$DEBIAN_BIN:$PATH" ./scripts/checkpatch.pl --strict \
			--terse --no-summary --ignore "$(checkpatch_ignores)" "$p") || true
		[ -z "$out" ] || { echo "$out"; bad=1; }
	done
	for f in $(overlay_files); do
		(cd "$GIT_TREE" && ./scripts/get_maintainer.pl --no-git --no-rolestats -f "$f") |
			grep "@vger.kernel.org" | grep -qv "^linux-kernel@" ||
			{ log "$f: no MAINTAINERS entry with a list covers it"; bad=1; }
	done
	[ $bad = 0 ] || die "checkpatch or MAINTAINERS has something to say (see above)"
}

lock_work
pristine_tree
commit_series
format_series
check_applies
check_style
g checkout -q -f series
[ "${1:-}" = --no-build ] || "$REPO/harness/series-build.sh" "$GIT_TREE"
log "the series is in $OUTDIR: $(ls "$OUTDIR" | wc -l) files, against Debian's linux-source-6.12 $KVER"
