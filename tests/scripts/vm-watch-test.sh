#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/vm-watch, the watchdog of scripts/with-kvm's VMs: a VM whose user
# space writes no heartbeat is stopped as frozen (122), whatever its
# console prints, with its state read through QMP; one past its limit too
# (124); a live one runs on; QEMU's own exit status and console come
# through.
#
# usage: vm-watch-test.sh VM_WATCH [QEMU]
set -u
watch=$1 qemu=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=../linux/checks.sh
. "$(dirname "$0")/../linux/checks.sh"

run() {
	rc=0
	start=$(date +%s)
	python3 "$watch" --heartbeat "$work/beat" --monitor "$work/qmp" \
		--console-log "$work/console" "$@" >"$work/out" 2>"$work/err" ||
		rc=$?
	took=$(($(date +%s) - start))
}

# Silent: stopped after --silence, not after its limit.
run --limit 60 --silence 2 -- sh -c 'echo booted; exec sleep 60'
check "a silent VM is stopped as frozen (exit 122)" test $rc -eq 122
check "within seconds of --silence ($took s)" test $took -lt 15
check "it says why" grep -q 'froze: its user space wrote no heartbeat' \
	"$work/err"
check "with its last console lines" grep -q '  | booted' "$work/err"
check "the console came through" grep -qx booted "$work/out"
check "and into the console log" grep -q '^booted' "$work/console"
check "no QMP: it says so" grep -q 'QMP at .* did not answer' "$work/err"

# A kernel that prints (soft lockup reports) while its user space is
# frozen: frozen.
run --limit 60 --silence 3 -- sh -c "echo 1 >'$work/beat'; sleep 1
	while :; do echo 'watchdog: BUG: soft lockup'; sleep 0.5; done"
check "a VM that prints but beats no more is frozen (exit 122)" \
	test $rc -eq 122
check "its last heartbeat is named" grep -q 'last heartbeat: guest uptime 1' \
	"$work/err"

# Quiet but beating: alive, its own exit status.
run --limit 60 --silence 2 -- sh -c "for i in 1 2 3 4 5 6; do
	echo \$i >'$work/beat'; sleep 1; done; exit 7"
check "a quiet VM whose heartbeat changes lives on (QEMU's exit 7)" \
	test $rc -eq 7
check "for the whole 6 s" test $took -ge 5

# Beating but past its limit.
run --limit 3 --silence 2 -- sh -c "while :; do
	date +%s.%N >'$work/beat'; sleep 0.5; done"
check "a VM past --limit is stopped (exit 124)" test $rc -eq 124
check "it says so" grep -q 'ran past its limit of 3 s' "$work/err"

# A real QEMU, paused, silent: its state read through QMP.
if [ -n "$qemu" ]; then
	run --limit 60 --silence 2 -- "$qemu" -M q35 -accel tcg -S \
		-nodefaults -display none -serial none \
		-qmp "unix:$work/qmp,server=on,wait=off"
	check "QEMU that prints nothing is stopped (exit 122)" test $rc -eq 122
	check "QMP: info status" grep -q 'VM status: paused' "$work/err"
	check "QMP: info cpus" grep -q 'CPU #0' "$work/err"
	check "QMP: the registers" grep -q '^EIP=0000fff0' "$work/err"
	check "a second look: a paused vCPU stays where it was" \
		grep -q 'vCPU 0: pc 0000fff0 then 0000fff0 a second later (the same)' \
		"$work/err"
	check "the vector registers go to the log only" \
		sh -c "! grep -q '^XMM\|^YMM' '$work/err' &&
			grep -q '^XMM\|^YMM' '$work/console'"
	check "no QEMU left running" sh -c "! pgrep -f '$work/[q]mp' >/dev/null"
fi
[ $failures -eq 0 ]
