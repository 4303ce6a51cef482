# SPDX-License-Identifier: GPL-2.0
#
# The harness of cgroup driver data: builds a Rust-enabled 6.12 kernel with
# this repository's patches and overlay, boots it under QEMU with virtme-ng
# and runs the tests or the demo in the guest. See README.md.

H := harness
OUT := $(CURDIR)/build/out

.PHONY: all deps tree kernel check check-full vanilla-check demo bench lint matrix patches fresh-check clean
all: kernel

deps:
	@$(H)/deps.sh

tree: deps
	@$(H)/tree.sh

kernel: tree
	@$(H)/kernel.sh

# The host tests (seconds, no kernel) run first: they guard the harness.
# check-full adds what is too slow for every run (harness/guest-check.sh)
# and, after the guests, the build matrix (make matrix), whose TAP the
# summary counts with the rest.
MATRIX_TAP := $(OUT)/check/ksft-host-matrix.tap
check check-full: deps
	@rm -rf $(OUT)/check
	@$(H)/host-check.sh $(OUT)/check
	@$(if $(filter check-full,$@),touch $(OUT)/check/full)
	@$(H)/run.sh $(OUT)/check $(CURDIR)/$(H)/guest-check.sh \
		$(OUT)/check/lockdep $(CURDIR)/$(H)/guest-lockdep.sh \
		$(OUT)/check/rcu $(CURDIR)/$(H)/guest-rcu.sh || \
		echo "a guest run failed; the summary counts what it left"
	@$(if $(filter check-full,$@),$(H)/tree.sh && \
		{ $(H)/matrix.sh > $(MATRIX_TAP); echo "exit $$?" >> $(MATRIX_TAP); })
	@$(H)/summary.py $(OUT)/check

demo: deps
	@rm -rf $(OUT)/demo
	@$(H)/run.sh $(OUT)/demo $(CURDIR)/$(H)/guest-demo.sh

# The bench kernel has none of the test kernel's debugging. The results
# rewrite BENCHMARKS.md's tables, README.md's headline and benchmarks/*.svg.
bench:
	@$(H)/deps.sh bench
	@rm -rf $(OUT)/bench
	@FLAVOR=bench $(H)/run.sh $(OUT)/bench $(CURDIR)/$(H)/guest-bench.sh
	@/usr/bin/python3 $(H)/bench.py $(OUT)/bench/results.txt $(CURDIR)

# Our objects built in many configurations, W=1 and sparse
# (harness/matrix.sh): CONFIGS names some of configs/matrix/ or random-SEED,
# SEED the first of the three random ones.
matrix: tree
	@$(H)/matrix.sh $(CONFIGS)

# The kernel's cgroup selftests on the same config without this project:
# does each entry of harness/known-failures fail there too?
vanilla-check: deps
	@$(H)/vanilla.sh

# The series a maintainer would apply, in build/patches, and its checks,
# which build every step of it.
patches: deps
	@$(H)/patches.sh

# The README's commands in a pristine Debian 12 root (debootstrap).
fresh-check:
	@$(H)/fresh-check.sh

clean:
	rm -rf build

# checkpatch (our files and the series), kernel-doc, Sphinx, rustfmt and
# clippy.
lint: kernel
	@$(H)/deps.sh lint
	@$(H)/lint.sh
