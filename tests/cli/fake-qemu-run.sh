#!/bin/sh
# SPDX-License-Identifier: MIT
# hypermem-run --qemu-socket serving fake-qemu: no KVM, no QEMU.
#
#   timeout  the guest answers each request of one long read late, each
#            within a request's deadline (2 s), the read as a whole in
#            32 s: --timeout 2 ends the run within one deadline, exit 5
#   sigint   the same read: SIGINT once it is under way ends the run at
#            once, exit 0, "interrupted"
#   spoiled  the guest answers malformed: the pid it is asked for a hook's
#            filter is the guest's failure, said, the hook skipped, and
#            the run goes on until the guest is done, exit 0
#   stranger fake-qemu runs as nobody (root only; else a skip): refused,
#            counted and said at --timeout 2, exit 5
#   named    the same with --qemu-user nobody: served (spoiled's guest),
#            exit 0
#
# Every mode: the socket is gone at the end.
#
# usage: fake-qemu-run.sh MODE HYPERMEM_RUN FAKE_QEMU SCRIPT
set -u
mode=$1 run=$2 fake_qemu=$3 script=$4
# shellcheck source=../linux/checks.sh
. "$(dirname "$0")/../linux/checks.sh"

# In /tmp: scripts/with-kvm's VM sees the build tree through 9p.
tmp=$(mktemp -d /tmp/hm-fake-qemu.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
sock=$tmp/hm.sock out=$tmp/out err=$tmp/err
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Until process $1 is gone or $2 ms since $start passed; whether it went.
wait_gone() {
	while kill -0 "$1" 2>/dev/null; do
		[ $(($(now_ms) - start)) -ge "$2" ] && return 1
		sleep 0.1
	done
}

# --timeout; when the run must end, in s from its start; fake-qemu's
# arguments, and who runs it; hypermem-run's own.
as=
run_args=
case $mode in
timeout) timeout=2 end=2 fake_args=1000 ;;
sigint) timeout=60 end=0 fake_args=1000 ;;
spoiled) timeout=60 end=10 fake_args="0 spoil" ;;
stranger | named)
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: running fake-qemu as another user needs root"
		exit 77
	fi
	as="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
	chmod 755 "$tmp"
	timeout=2 end=2 fake_args="0 spoil"
	[ "$mode" = named ] && timeout=60 end=10 run_args="--qemu-user nobody"
	;;
*) echo "fake-qemu-run.sh: unknown mode $mode" >&2; exit 2 ;;
esac
start=$(now_ms)
# A background job ignores SIGINT; a terminal's Ctrl-C meets the default.
# shellcheck disable=SC2086 # $run_args is words
(umask 0; exec env --default-signal=INT "$run" --qemu-socket "$sock" \
	--timeout $timeout $run_args "$script") </dev/null >"$out" 2>"$err" &
pid=$!
# shellcheck disable=SC2086 # $as and $fake_args are words
$as "$fake_qemu" "$sock" $fake_args 2>"$tmp/fake-qemu.err" &
fake=$!
if [ "$mode" = sigint ]; then
	check "the read starts" wait_for "$out" "reading" 100
	start=$(now_ms)
	kill -INT $pid
fi
# One deadline (2 s) past the end, and a second for the rest.
ended=0
wait_gone $pid $(((end + 3) * 1000)) && ended=1
elapsed=$(($(now_ms) - start))
[ $ended -eq 1 ] || kill -KILL $pid
wait $pid
rc=$?
echo "# exit code $rc after $elapsed ms; stdout:"
sed 's/^/# /' "$out"
echo "# stderr:"
sed 's/^/# /' "$err"
check "the run ends in time" test $ended -eq 1
case $mode in
timeout)
	check "exit 5" test $rc -eq 5
	check "it says the guest ran past the timeout" has "$err" \
		"the guest was still running after 2 s (--timeout)"
	;;
sigint)
	check "exit 0" test $rc -eq 0
	check "the summary says interrupted" has "$err" "interrupted"
	;;
stranger)
	check "exit 5" test $rc -eq 5
	check "the refusal is said" has "$err" \
		"refused 1 connection of another user at $sock"
	check "with what to do" has "$err" \
		"only a QEMU of this user is served: name the user yours runs as with --qemu-user"
	check "its guest never registered" lacks "$tmp/fake-qemu.err" \
		"registered: 0"
	;;
spoiled | named)
	check "exit 0" test $rc -eq 0
	check "the guest's failure is said" has "$err" \
		"the guest failed a hook's filter check: Protocol error; the hook is skipped for that event"
	check "not as the script's" lacks "$err" "script error"
	check "the hook is skipped" lacks "$out" "never"
	check "the run ends when QEMU leaves" has "$err" "QEMU disconnected"
	;;
esac
if [ "$mode" = timeout ] || [ "$mode" = sigint ]; then
	check "the read was cut short" grep -q '^read: .*Operation canceled' \
		"$out"
fi
check "the socket is gone" test ! -e "$sock"
start=$(now_ms)
wait_gone $fake 5000 || kill -KILL $fake
wait $fake
sed 's/^/# /' "$tmp/fake-qemu.err"
[ $failures -eq 0 ]
