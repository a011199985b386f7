# SPDX-License-Identifier: GPL-2.0
# The lab: builds Debian's Linux 6.12 with series/linux-6.12 for arm64 and
# proves it in QEMU, and Debian's 7.3 with the tests' mainline port
# (series/linux-7.3). The two commands are `make run` and `make check`
# (README.md); the rest are their steps.

# The configs make check boots: all but those with a check=no line (make bench's).
CONFIGS := $(sort $(basename $(notdir $(shell grep -L '^check=no' lab/configs/*.conf))))
# Every tool prints seconds since the start of this make run.
export LAB_T0 := $(shell date +%s)
CONFIG  ?= fwb
# Every kernel of lab/kernels: make check boots configs of each.
KERNELS := $(shell sed -e 's/\#.*//' lab/kernels | awk 'NF { print $$1 }')

.PHONY: help setup tree tree-6.12 tree-7.3 export build boot report run check check-series bench clean

help:
	@echo "make run           set up, build, boot '$(CONFIG)', run the tests, print the table"
	@echo "make check         the test suite: series checks, kernels $(KERNELS), every config:"
	@echo "                   $(CONFIGS)"
	@echo "make check-series  both series: checkpatch, git am on a fresh unpack, build after each"
	@echo "                   patch; the 7.3 tests in step with the 6.12 ones (lab/port-check)"
	@echo "make bench         a guest's first touch of 1 GiB of each kind of memory, series and stock"
	@echo "make setup|tree|export|build|clean, make boot CONFIG=name, make report"

setup:
	@lab/setup

# Both trees: work/linux (6.12) and work/mainline/linux (7.3), side by
# side (each is an unpack and a git add of 1.4 GB: 72 and 60 s one after
# the other, session 16); fails if either does.
tree: setup
	@$(MAKE) --no-print-directory -j2 tree-6.12 tree-7.3

tree-6.12 tree-7.3:
	@LAB_SERIES=$(@:tree-%=%) lab/tree

export:
	@lab/export
	@LAB_SERIES=7.3 lab/export

build: tree
	@lab/build

# The kernel CONFIG boots (lab/configs/CONFIG.conf kernel=, lab/kernels).
boot: tree
	@KERNELS="$$(bash -c '. lab/lib.sh && config_get "$$1" kernel' _ $(CONFIG))" lab/build
	@lab/boot $(CONFIG)
	@lab/report $(CONFIG)

report:
	@lab/report $(CONFIGS)

run: build
	@LISTS=scenarios lab/boot $(CONFIG)
	@lab/report --full $(CONFIG)

check-series: tree
	@lab/export --check >/dev/null || { echo "error: work/linux differs from series/linux-6.12: run 'make export' (or 'make tree FORCE=1')"; exit 1; }
	@LAB_SERIES=7.3 lab/export --check >/dev/null || { echo "error: work/mainline/linux differs from series/linux-7.3: run 'make export' (or 'make tree FORCE=1')"; exit 1; }
	@lab/check-series
	@LAB_SERIES=7.3 lab/check-series
	@lab/port-check

# The series checks, every kernel, every config, the report: lab/check
# runs them in two lanes of builds with the boots beside them.
check: tree
	@lab/check $(CONFIGS)

# Sequentially (BOOT_JOBS=1): the two emulated hosts would share the cores.
# Then two more boots per kernel of anonymous THP alone, alternating, whose
# repetitions lab/bench pools with the first boot's: one boot's median does
# not resolve the 5 % the series/stock comparison is about.
BENCH_CONFIGS = bench stock-bench bench-thp-1 stock-bench-thp-1 bench-thp-2 stock-bench-thp-2
bench: tree
	@KERNELS="series stock" lab/build
	@BOOT_JOBS=1 lab/boot $(BENCH_CONFIGS)
	@lab/report $(BENCH_CONFIGS)
	@lab/bench $(BENCH_CONFIGS)

clean:
	rm -rf work/build work/results work/logs work/base-*/build work/mainline/build work/artifacts
