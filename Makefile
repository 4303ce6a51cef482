# SPDX-License-Identifier: GPL-2.0
#
# The harness of cgroup driver data: builds a Rust-enabled 6.12 kernel with
# this repository's patches and overlay, boots it under QEMU with virtme-ng
# and runs the tests or the demo in the guest. See README.md.

H := harness
OUT := $(CURDIR)/build/out

.PHONY: all deps tree kernel check demo bench lint clean
all: kernel

deps:
	@$(H)/deps.sh

tree: deps
	@$(H)/tree.sh

kernel: tree
	@$(H)/kernel.sh

check: kernel
	@rm -rf $(OUT)/check
	@$(H)/boot.sh $(OUT)/check $(CURDIR)/$(H)/guest-check.sh || \
		echo "the guest run failed; the summary counts what it left"
	@$(H)/summary.py $(OUT)/check

demo: kernel
	@rm -rf $(OUT)/demo
	@$(H)/boot.sh $(OUT)/demo $(CURDIR)/$(H)/guest-demo.sh

# The bench kernel has none of the test kernel's debugging.
bench: tree
	@FLAVOR=bench $(H)/kernel.sh
	@rm -rf $(OUT)/bench
	@FLAVOR=bench $(H)/boot.sh $(OUT)/bench $(CURDIR)/$(H)/guest-bench.sh

clean:
	rm -rf build

# checkpatch, rustfmt and clippy on this repository's files.
lint: kernel
	@$(H)/lint.sh
