# SPDX-License-Identifier: GPL-2.0
# Common helpers for the lab tools: paths, data files, timed and logged steps.
# Sourced by every tool in lab/; not executable on its own.

set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$LAB")
WORK=${WORK:-$TOP/work}
LOGS=$WORK/logs
CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-s2-lab}
# Mainline's tree (series/linux-7.3): beside its build directories as
# work/linux is beside work/build, for ccache.
TREE73=$WORK/mainline/linux
# The series the tree tools (tree, export, check-series) work on:
# LAB_SERIES=6.12 (the default: the series) or 7.3 (the tests' mainline port).
LAB_SERIES=${LAB_SERIES:-6.12}
case $LAB_SERIES in
6.12) SERIES=$TOP/series/linux-6.12 TREE=$WORK/linux ;;
7.3)  SERIES=$TOP/series/linux-7.3 TREE=$TREE73 ;;
*)    echo "error: LAB_SERIES='$LAB_SERIES': the lab has the series 6.12 and 7.3" >&2; exit 2 ;;
esac
BUILD=$WORK/build
ARCH=arm64
CROSS_COMPILE=aarch64-linux-gnu-
export ARCH CROSS_COMPILE

mkdir -p "$WORK" "$LOGS" "$CACHE"

# Compiler output is cached per user. The walk of lab/check-series builds
# in work/walk/{linux,build/kernel}, as work/{linux,build/kernel}: the
# same source path relative to the build directory, so with this base dir
# the two builds share objects where their configurations are the same
# (the walk's base, without the series' Kconfig symbols, shares nothing).
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_BASEDIR=$WORK
# Depend mode: a miss compiles once and takes the result's key from the
# compiler's own dependency list (kbuild's -Wp,-MMD; the selftests' -MD),
# where preprocessor mode first runs the preprocessor to hash its output:
# measured 26.0 against 42.8 CPU s for six large objects of arch/arm64/kvm/
# and mm/ (session 13). Hits are as in direct mode: the key holds the
# contents of every header the object was built from (autoconf.h too).
export CCACHE_DEPEND=1
JOBS=${JOBS:-$(nproc)}

# kmake SRC OUT ARGS...: make in kernel tree SRC, output in OUT, cross and cached.
# Every build is a W=1 build: the compiler's extra warnings cost no
# measurable time (mmu.o of arch/arm64/kvm/: 1.6-1.8 CPU s with or without,
# session 16), every kernel shares one set of ccache keys, and the series
# checks read a step's warnings from the log of the build they already
# run (lab/check-series), instead of compiling KVM a second time. W=1's
# kernel-doc run on every compiled C file (cmd_checkdoc) is left out:
# lab/check-series runs kernel-doc on the files a patch changes.
kmake() {
	local src=$1 out=$2
	shift 2
	# Reproducible: the same source and configuration give the same Image
	# (lab/boot's reuse of results is keyed by it).
	KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 1970' KBUILD_BUILD_USER=lab \
	KBUILD_BUILD_HOST=lab KBUILD_BUILD_VERSION=1 \
	make -C "$src" O="$out" -j"$JOBS" CC="ccache ${CROSS_COMPILE}gcc" HOSTCC="ccache gcc" \
		W=1 cmd_checkdoc= "$@"
}

# Transparent huge pages for the compilers while a tool that builds runs:
# cc1 touches about 200 MB of heap per kernel object, which the machine's
# "madvise" mode faults in 4 KiB at a time (gcc's allocator asks for no
# huge pages). Measured (session 16), twelve objects of arch/arm64/kvm/
# compiled twice each way: 21.8 and 24.2 CPU s with "madvise", 16.4 and
# 19.9 with "always" (590,000 against 258,000 page faults). The mode is the
# machine's: it is set only where it can be (root, a writable sysfs) and
# put back when the tool that set it exits (not after a SIGKILL); a tool
# run by one that set it finds "always" and leaves it. LAB_THP=keep
# leaves the machine's mode.
THP_MODE_FILE=/sys/kernel/mm/transparent_hugepage/enabled
thp_for_builds() {
	local f=$THP_MODE_FILE mode
	case ${LAB_THP:-always} in
	keep) return 0 ;;
	always) ;;
	*) die "LAB_THP='$LAB_THP': 'always' (the default: huge pages for the builds) or 'keep' (the machine's mode)" ;;
	esac
	[ -r "$f" ] || return 0
	mode=$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$f")
	[ "$mode" != always ] || return 0
	if ! { echo always > "$f"; } 2> /dev/null; then
		say "note: builds run with the machine's THP mode '$mode' ($f is not writable here; LAB_THP=keep leaves it without this note)"
		return 0
	fi
	THP_RESTORE=$mode
	trap 'thp_restore' EXIT
}
thp_restore() {
	[ -z "${THP_RESTORE:-}" ] ||
		{ echo "$THP_RESTORE" > "$THP_MODE_FILE"; } 2> /dev/null || true
}

T0=${LAB_T0:-$(date +%s)}
export LAB_T0=$T0

say()  { printf '[%5ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# key=value data files: '#' starts a comment, blank lines are ignored.
# conf_get FILE KEY [DEFAULT]
conf_get() {
	local file=$1 key=$2 line
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		case $line in
		"$key="*) printf '%s\n' "${line#*=}" | sed 's/[[:space:]]*$//'; return 0 ;;
		esac
	done < "$file"
	[ $# -ge 3 ] || die "$file: no '$key=' line"
	printf '%s\n' "$3"
}

# Lines of a list file without comments and blank lines.
list_items() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"; }

config_names() {
	local f
	for f in "$LAB"/configs/*.conf; do basename "$f" .conf; done
}

config_file() {
	local f=$LAB/configs/$1.conf
	[ -f "$f" ] || die "unknown config '$1'; valid configs: $(config_names | tr '\n' ' ')"
	printf '%s\n' "$f"
}

LINUX_SOURCE_VERSION=$(conf_get "$LAB/versions" linux-source)
# Mainline: the base of the tests' port (series/linux-7.3).
LINUX_73_VERSION=$(conf_get "$LAB/versions" linux-source-7.3)
# The Debian source package under $SERIES, and its version.
BASE_PKG=linux-source-$LAB_SERIES
if [ "$LAB_SERIES" = 7.3 ]; then BASE_VERSION=$LINUX_73_VERSION; else BASE_VERSION=$LINUX_SOURCE_VERSION; fi
QEMU_MIN_MAJOR=$(conf_get "$LAB/versions" qemu-min-major)
QEMU_ARM64_VERSION=$(conf_get "$LAB/versions" qemu-arm64)
# QEMU for arm64 with its libraries (lab/setup), for the real-VMM rows.
QEMU_ARM64_ROOT=$CACHE/qemu-arm64-${QEMU_ARM64_VERSION//[:~]/_}

# run_step NAME CMD...: run CMD with its output in $LOGS/NAME.log, print a
# heartbeat with the elapsed time and the log's last line every 30 s, and
# the log's tail if it fails.
run_step() {
	local name=$1 log=$LOGS/$1.log start pid rc=0 last
	shift
	start=$(date +%s)
	say "$name: started (log: ${log#"$TOP"/})"
	# The CPU time of the step's processes (bash's times: the children's
	# user and system seconds), for the step's line below: on 2 cores the
	# lanes and boots share, CPU seconds, not elapsed ones, say what a
	# step costs.
	( rc=0; "$@" || rc=$?; times > "$log.cpu"; exit "$rc" ) > "$log" 2>&1 &
	pid=$!
	while ! wait_timeout "$pid" 30; do
		last=$(tail -n 1 "$log" 2>/dev/null | cut -c1-90)
		say "$name: $(( $(date +%s) - start )) s ... $last"
	done
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		rm -f "$log.cpu"
		say "$name: FAILED after $(( $(date +%s) - start )) s (exit $rc); last lines of $log:"
		tail -n 40 "$log" | sed 's/^/    /'
		return "$rc"
	fi
	say "$name: done in $(( $(date +%s) - start )) s$(step_cpu "$log.cpu")"
}

# ", cpu N s" from a step's times output (its second line: the children's
# user and system time, "1m2.5s 0m3.1s"), or nothing if there is none.
step_cpu() {
	local u s
	{ read -r _; read -r u s; } < "$1" 2>/dev/null || return 0
	rm -f "$1"
	awk -v u="$u" -v s="$s" 'function sec(t,  m) { m = t; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", t); sub(/s$/, "", t); return m * 60 + t }
		BEGIN { printf ", cpu %d s", sec(u) + sec(s) + 0.5 }'
}

# wait_timeout PID SECONDS: 0 once PID has exited, 1 if still running.
wait_timeout() {
	local i
	for (( i = 0; i < $2; i++ )); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 1
	done
	kill -0 "$1" 2>/dev/null && return 1
	return 0
}

# A config's value for KEY: its own line, else that of the config named by
# its base= line (and so on), else lab/configs.defaults.
config_get() {
	local f base
	f=$(config_file "$1")
	if grep -q "^$2=" "$f"; then
		conf_get "$f" "$2"
	elif base=$(conf_get "$f" base ''); [ -n "$base" ]; then
		[ "$base" != "$1" ] || die "$f: base= names the config itself"
		config_get "$base" "$2"
	else
		conf_get "$LAB/configs.defaults" "$2" ''
	fi
}

# The kernels the lab builds (lab/kernels: name, source, tests, fragments).
# kernel_field NAME N: field N (2 source, 3 tests, 4- fragments) of NAME's line.
kernel_field() {
	local line
	line=$(list_items "$LAB/kernels" | awk -v n="$1" '$1 == n { $1 = $1; print }')
	[ -n "$line" ] || die "unknown kernel '$1' (lab/kernels has: $(list_items "$LAB/kernels" | awk '{ printf "%s ", $1 }'))"
	printf '%s\n' "$line" | cut -d' ' -f"$2"
}
# The source tree of kernel NAME: the series tree, or a worktree of its base
# with some of the series' patches (lab/build makes it).
kernel_src() {
	local src
	src=$(kernel_field "$1" 2)
	case $src in
	series) printf '%s\n' "$TREE" ;;
	mainline) printf '%s\n' "$TREE73" ;;
	base|base+*|series~*) printf '%s\n' "$WORK/base-$1/linux" ;;
	=*) kernel_src "${src#=}" ;;
	*) die "lab/kernels: kernel '$1' has source '$src' (series, series~N, base, base+GLOB, mainline or =KERNEL)" ;;
	esac
}
# Its build directory: beside its source as work/build/kernel is beside
# work/linux, so that every kernel shares the ccache (CCACHE_BASEDIR).
kernel_out() {
	local d
	d=$(kernel_field "$1" 2)
	case $d in =*) kernel_out "${d#=}"; return ;; esac
	d=$(kernel_src "$1")
	d=$(dirname "$d")/build/kernel
	[ "$1" = series ] && printf '%s\n' "$d" || printf '%s\n' "$d-$1"
}
# The configuration fragment of kernel NAME: its fragments from lab/, in
# order, without the lines of the symbols its -CONFIG_X fields drop.
kernel_fragment() {
	local f drop=() fields
	read -r -a fields <<< "$(kernel_field "$1" 4-)"
	for f in "${fields[@]}"; do
		case $f in -CONFIG_*) drop+=("${f#-}") ;; esac
	done
	for f in "${fields[@]}"; do
		case $f in -CONFIG_*) continue ;; esac
		[ -f "$LAB/$f" ] || die "lab/kernels: kernel '$1' names fragment lab/$f, which does not exist"
		cat "$LAB/$f"
	done | awk -v drop=" ${drop[*]} " '{
		s = $0; sub(/^# /, "", s); sub(/[= ].*/, "", s)
		if (index(drop, " " s " ") == 0 || s !~ /^CONFIG_/) print }'
}
# A key of what 'make headers' installs from source tree $1: the trees of
# the uapi headers, of scripts/ and the two Makefiles involved, at HEAD;
# nothing (status 1) with uncommitted changes there. Two installs with the
# same key are the same files: one is copied for the other (lab/build
# records it as .lab-uapi-key in the build directory, lab/check-series'
# walk copies the kernel's install when its step has the same key), which
# saves about 55 CPU s of 'make headers' per copy.
uapi_key() {
	local ids paths=(include/uapi arch/arm64/include/uapi scripts Makefile arch/arm64/Makefile)
	[ -z "$(git -C "$1" status --porcelain --untracked-files=no -- "${paths[@]}" 2>/dev/null)" ] || return 1
	ids=$(git -C "$1" rev-parse "${paths[@]/#/HEAD:}" 2>/dev/null) || return 1
	printf '%s\n' "$ids" | sha256sum | cut -c1-16
}
# The kernel built from source tree $1 (committed, no uncommitted change)
# with configuration fragment file $2, by this compiler and kmake(), as
# the series checks' walk keeps it for lab/build (lab/check-series): a
# folder with Image, config, usr/ (headers), modroot/ (modules_install)
# and, once all is there, 'complete'; or none (status 1).
kernel_artifact() {
	local tree
	[ -z "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ] || return 1
	tree=$(git -C "$1" rev-parse -q --verify 'HEAD^{tree}' 2>/dev/null) || return 1
	printf '%s\n' "$WORK/artifacts/$tree-$({ cat "$2"; "${CROSS_COMPILE}gcc" --version | head -n 1
		declare -f kmake; } | sha256sum | cut -c1-16)"
}
kernel_image() { printf '%s\n' "$(kernel_out "$1")/arch/arm64/boot/Image"; }
kernel_initramfs() {
	[ "$1" = series ] && printf '%s\n' "$BUILD/initramfs.cpio.gz" ||
		printf '%s\n' "$BUILD/initramfs-$1.cpio.gz"
}

# base_am DIR LOG PATCH...: a git worktree at DIR of work/linux's 'base'
# tag, which is Debian's tarball as unpacked (lab/tree commits it with
# git add -f -A, nothing else), so no 1.4 GB are hashed again; then the
# named patches of $SERIES, in order, with git am. Returns 1 at
# the first patch that does not apply (git am's words in LOG); AM_APPLIED
# is the number that did. With AM_SPARSE=1 (a check that builds nothing),
# only the files the patches name are checked out (am_paths): git am
# reads and writes no other, and a full checkout is 1.7 GB and 32 CPU s,
# a sparse one about 3 (session 16).
base_am() {
	local d=$1 log=$2 p paths gd sparse=false
	shift 2
	AM_APPLIED=0
	git -C "$TREE" worktree remove --force "$d" > /dev/null 2>&1 || rm -rf "$d"
	git -C "$TREE" worktree prune
	mkdir -p "$(dirname "$d")"
	if [ -n "${AM_SPARSE:-}" ] && paths=$(am_paths "$@"); then
		# The patterns in the worktree's own info/, sparse checkout
		# on for this worktree's commands only (-c): 'git
		# sparse-checkout set' would change the shared repository's
		# configuration (extensions.worktreeConfig).
		git -C "$TREE" worktree add -q --no-checkout --detach "$d" base &&
		gd=$(git -C "$d" rev-parse --absolute-git-dir) && mkdir -p "$gd/info" &&
		printf '%s\n' "$paths" > "$gd/info/sparse-checkout" &&
		git -C "$d" -c core.sparseCheckout=true read-tree -mu HEAD ||
			die "could not make a sparse worktree of the base in $d"
		sparse=true
	else
		git -C "$TREE" worktree add -q --detach "$d" base ||
			die "could not make a worktree of the base in $d"
	fi
	[ "$(git -C "$d" log -1 --format=%s)" = "Debian $BASE_PKG $BASE_VERSION" ] ||
		die "${TREE#"$TOP"/}'s base is not Debian $BASE_PKG $BASE_VERSION: make tree FORCE=1"
	for p; do
		git -C "$d" -c user.name=lab -c user.email=lab@localhost \
			-c core.sparseCheckout=$sparse am -q "$SERIES/$p" \
			> "$log" 2>&1 || return 1
		AM_APPLIED=$((AM_APPLIED + 1))
	done
}
# The sparse-checkout patterns of the files patches $1... of $SERIES name
# (both sides of each 'diff --git'), one anchored path a line; status 1
# where a path is quoted or has a character a pattern would read as a
# glob or a space (then the checkout is a full one).
am_paths() {
	local diffs
	[ $# -gt 0 ] || return 1
	diffs=$(cd "$SERIES" && grep -h '^diff --git ' "$@") || return 1
	! grep -qv '^diff --git a/[A-Za-z0-9._/+,=-]* b/[A-Za-z0-9._/+,=-]*$' <<< "$diffs" || return 1
	sed 's|^diff --git a/\([^ ]*\) b/\(.*\)$|/\1\n/\2|' <<< "$diffs" | sort -u
}

qemu_major() {
	command -v qemu-system-aarch64 >/dev/null || { echo 0; return; }
	qemu-system-aarch64 --version | sed -n '1s/.*version \([0-9]*\)\..*/\1/p'
}
