#!/bin/sh
# SPDX-License-Identifier: MIT
# What watching costs the guest: tests/linux's hm-workload, timed inside
# the guest with its own clock, under each configuration of hypermem and
# beside strace, one guest boot per row; a table, then JSON rows.
#
# usage: workload.sh [--vmm core|qemu] [--workloads LIST] [--configs LIST]
#                    [--iters syscalls=N,cpu=N] [--repeat R]
#                    HYPERMEM_RUN GUEST_DIR
#
# GUEST_DIR is scripts/make-linux-guest's (bzImage, initramfs.cpio with
# hm-workload and strace). --vmm core runs the VMM core on /dev/kvm (run
# it through scripts/with-kvm where this host's KVM cannot run Linux);
# qemu a stock qemu-system-x86_64 with TCG and the mailbox. --repeat R
# runs every row R times, round by round, and takes its run of median
# ops/s (default once). Configs:
#
#   none     no module loaded (hmnomodule)
#   nohost   the module loaded, its hooks in place, no host: on the core
#            transport=ivshmem hotplug=1 (the core has no such device: the
#            module waits for one), under QEMU transport=pio passive=1
#            (QEMU has nothing at the port; the module stays loaded)
#   empty    the host attached, nothing subscribed (an empty script)
#   never    one syscall subscribed that the workload never makes (swapon)
#   comm     openat subscribed with a comm filter that does not match
#   openat   openat hooked, the path read (prefetched) by a Lua handler
#   openat-py  the same by a Python plugin
#   all      every syscall's entry hooked, the handler doing nothing
#   strace-openat  in-guest strace -f -e trace=openat -o /dev/null
#   strace-all     in-guest strace -f -o /dev/null
#
# Each row: workload, config, vmm, ops_per_s (the guest's), slowdown
# (row "none"'s ops/s over this row's), us_per_event (the workload's time
# over row "none"'s, per event, where 100 events or more came), events
# (handed to the script) and
# exits (the guest's to hypermem: the core's KVM exits of its calls and
# round trips; QEMU: its hand-overs of the mailbox's turn), both counted
# by hypermem-run over the whole run, the module's registration included. Exit status: 0, or 1 when
# a row failed (its reason on stderr and in its JSON row).
set -u
vmm=core
workloads="syscalls cpu"
configs="none nohost empty never comm openat openat-py all strace-openat strace-all"
iters="syscalls=2000,cpu=200"
repeat=1
while [ $# -gt 2 ]; do
	case $1 in
	--vmm) vmm=$2 ;;
	--workloads) workloads=$(echo "$2" | tr , ' ') ;;
	--configs) configs=$(echo "$2" | tr , ' ') ;;
	--iters) iters=$2 ;;
	--repeat) repeat=$2 ;;
	*) echo "workload.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
[ $# = 2 ] || { sed -n 7,9p "$0" >&2; exit 2; }
run=$1 guest=$2
case $vmm in
core) run_args="--kernel $guest/bzImage --timeout 540" ;;
qemu) run_args="--vmm qemu --accel tcg --kernel $guest/bzImage --timeout 540" ;;
*) echo "workload.sh: --vmm core or qemu" >&2; exit 2 ;;
esac
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo '-- nothing: the host attached, no hook' >"$tmp/empty.lua"
cat >"$tmp/never.lua" <<'EOF'
hm.on_syscall("swapon", "enter", function(ev) end)
EOF
cat >"$tmp/comm.lua" <<'EOF'
hm.on_syscall("openat", "enter", {comm = "no-such-comm"}, function(ev) end)
EOF
cat >"$tmp/openat.lua" <<'EOF'
hm.on_syscall("openat", "enter", function(ev)
	assert(hm.read_str(ev.filename))
end)
EOF
cat >"$tmp/openat-py.py" <<'EOF'
from hypermem.plugin import PyPlugin, plugins


class OpenatPath(PyPlugin):
    def __init__(self, panda):
        self.hyp = plugins.hypermem
        panda.hsyscall("on_sys_openat_enter")(self.hyp.wrap(self.openat))

    def openat(self, cpu, proto, syscall, hook, dfd, filename, flags, mode):
        path = yield from self.hyp.read_str(filename)
        assert path is not None
EOF
cat >"$tmp/all.lua" <<'EOF'
hm.on_syscall("*", "enter", function(ev) end)
EOF

iters_of() {
	echo "$iters" | tr , '\n' | sed -n "s/^$1=//p"
}

# What went wrong in a row's run, or nothing.
row_error() {
	loaded=$(grep -ac 'hypermem: loaded: ' "$tmp/out")
	case $1 in
	none | strace-*) module=0 ;;
	*) module=1 ;;
	esac
	if [ "$module" = 0 ] && [ "$loaded" != 0 ]; then
		echo "the module was loaded"
	elif [ "$module" = 1 ] && [ "$loaded" = 0 ]; then
		echo "the module did not load"
	elif [ "$2" != 0 ]; then
		echo "hypermem-run exited $2"
	elif [ -z "$ops" ]; then
		echo "no HMWORKLOAD line"
	elif [ -z "$counts" ]; then
		echo "no counts in hypermem-run's summary"
	fi
}

# One row: its command line's extra words and script; sets ops, secs,
# events, exits and why (empty when the row worked).
run_row() {
	workload=$1 config=$2
	n=$(iters_of "$workload")
	append="console=ttyS0 rdinit=/init panic=-1 quiet"
	wl="/hm-workload,$workload,$n"
	script=$tmp/empty.lua
	case $config in
	none) append="$append hmnomodule" ;;
	nohost)
		if [ "$vmm" = core ]; then
			append="$append hypermem.transport=ivshmem"
			append="$append hypermem.hotplug=1"
		else
			append="$append hypermem.transport=pio"
			append="$append hypermem.passive=1"
		fi ;;
	empty) ;;
	openat-py) script=$tmp/openat-py.py ;;
	strace-openat)
		append="$append hmnomodule"
		wl="/usr/bin/strace,-f,-e,trace=openat,-o,/dev/null,$wl" ;;
	strace-all)
		append="$append hmnomodule"
		wl="/usr/bin/strace,-f,-o,/dev/null,$wl" ;;
	*) script=$tmp/$config.lua ;;
	esac
	# shellcheck disable=SC2086 # the options' words
	"$run" $run_args --initrd "$guest/initramfs.cpio" \
		--append "$append hmrun=$wl" "$script" </dev/null \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	line=$(grep -a 'HMWORKLOAD ' "$tmp/out" | tail -n 1)
	ops=$(echo "$line" | sed -n 's/.* ops_per_s=\([0-9.]*\).*/\1/p')
	secs=$(echo "$line" | sed -n 's/.* secs=\([0-9.]*\) .*/\1/p')
	counts=$(sed -n 's/.*: \([0-9]*\) events, \([0-9]*\) exits$/\1 \2/p' \
		"$tmp/err" | tail -n 1)
	events=${counts% *} exits=${counts#* }
	why=$(row_error "$config" $rc)
	if [ -n "$why" ]; then
		echo "workload.sh: $workload/$config: $why; its output:" >&2
		tail -n 20 "$tmp/out" "$tmp/err" | sed 's/^/  /' >&2
	fi
}

# Round by round, so that a slow spell of the machine spreads over every
# configuration: each row's run of median ops/s is its figure.
: >"$tmp/runs"
status=0
round=0
while [ $round -lt "$repeat" ]; do
	round=$((round + 1))
	for workload in $workloads; do
		for config in $configs; do
			run_row "$workload" "$config"
			[ -n "$why" ] && status=1
			printf '%s|%s|%s|%s|%s|%s|%s\n' "$workload" "$config" \
				"${ops:-0}" "${secs:-0}" "${events:-null}" \
				"${exits:-null}" "$why" >>"$tmp/runs"
		done
	done
done

: >"$tmp/rows"
for workload in $workloads; do
	base=
	for config in $configs; do
		IFS='|' read -r _ _ ops secs events exits why <<EOF2
$(grep "^$workload|$config|" "$tmp/runs" | sort -t '|' -k 3 -g |
	sed -n "$(((repeat + 1) / 2))p")
EOF2
		[ "$ops" = 0 ] && ops=
		if [ "$config" = none ] && [ -z "$why" ]; then
			base=$ops base_secs=$secs
		fi
		slowdown=null per_event=null
		if [ -n "$base" ] && [ -n "$ops" ]; then
			slowdown=$(awk -v b="$base" -v o="$ops" \
				'BEGIN { printf "%.3f", b / o }')
			per_event=$(awk -v b="$base_secs" -v s="$secs" \
				-v e="$events" 'BEGIN { if (e >= 100)
				printf "%.2f", (s - b) / e * 1e6; else
				printf "null" }')
		fi
		printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$workload" "$config" \
			"${ops:-null}" "$slowdown" "$events" "$exits" \
			"$per_event" "$why" >>"$tmp/rows"
	done
done

printf '%-9s %-14s %-5s %12s %9s %8s %9s %10s\n' workload config vmm \
	ops/s slowdown events exits us/event
while IFS='|' read -r w c o s e x p why; do
	printf '%-9s %-14s %-5s %12s %9s %8s %9s %10s%s\n' "$w" "$c" "$vmm" \
		"$o" "$s" "$e" "$x" "$p" "${why:+  FAILED: $why}"
done <"$tmp/rows"
while IFS='|' read -r w c o s e x p why; do
	printf '{"workload":"%s","config":"%s","vmm":"%s","ops_per_s":%s,' \
		"$w" "$c" "$vmm" "$o"
	printf '"slowdown":%s,"events":%s,"exits":%s,"us_per_event":%s' \
		"$s" "$e" "$x" "$p"
	[ -n "$why" ] && printf ',"error":"%s"' "$why"
	printf '}\n'
done <"$tmp/rows"
exit $status
