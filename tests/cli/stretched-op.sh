#!/bin/sh
# SPDX-License-Identifier: MIT
# hypermem-run --qemu-socket serving fake-qemu, whose guest answers each
# request of one long read late: each answer within the deadline of a
# request (2 s), the read as a whole 32 s. The run must end within one
# deadline of its end:
#
#   timeout  --timeout 2 ends it: exit 5, the timeout said
#   sigint   SIGINT once the read is under way ends it: exit 0,
#            "interrupted"
#
# Either way the socket is gone and fake-qemu sees the server hang up.
#
# usage: stretched-op.sh MODE HYPERMEM_RUN FAKE_QEMU SCRIPT
set -u
mode=$1 run=$2 fake_qemu=$3 script=$4
# shellcheck source=../linux/checks.sh
. "$(dirname "$0")/../linux/checks.sh"

# In /tmp: scripts/with-kvm's VM sees the build tree through 9p.
tmp=$(mktemp -d /tmp/hm-stretch.XXXXXX) || exit 1
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

case $mode in
timeout) timeout=2 mode_end=2 ;;
sigint) timeout=60 mode_end=0 ;;
*) echo "stretched-op.sh: unknown mode $mode" >&2; exit 2 ;;
esac
start=$(now_ms)
# A background job ignores SIGINT; a terminal's Ctrl-C meets the default.
env --default-signal=INT "$run" --qemu-socket "$sock" --timeout $timeout "$script" \
	</dev/null >"$out" 2>"$err" &
pid=$!
"$fake_qemu" "$sock" 1000 2>"$tmp/fake-qemu.err" &
fake=$!
check "the read starts" wait_for "$out" "reading" 100
if [ "$mode" = sigint ]; then
	start=$(now_ms)
	kill -INT $pid
fi
# One deadline (2 s) past the end, and a second for the rest.
ended=0
wait_gone $pid $(((mode_end + 3) * 1000)) && ended=1
elapsed=$(($(now_ms) - start))
[ $ended -eq 1 ] || kill -KILL $pid
wait $pid
rc=$?
echo "# exit code $rc after $elapsed ms; stdout:"
sed 's/^/# /' "$out"
echo "# stderr:"
sed 's/^/# /' "$err"
check "the run ends within one deadline of its end" test $ended -eq 1
if [ "$mode" = timeout ]; then
	check "exit 5" test $rc -eq 5
	check "it says the guest ran past the timeout" has "$err" \
		"the guest was still running after 2 s (--timeout)"
else
	check "exit 0" test $rc -eq 0
	check "the summary says interrupted" has "$err" "interrupted"
fi
check "the read was cut short" grep -q '^read: .*Operation canceled' "$out"
check "the socket is gone" test ! -e "$sock"
start=$(now_ms)
wait_gone $fake 5000 || kill -KILL $fake
wait $fake
sed 's/^/# /' "$tmp/fake-qemu.err"
check "fake-qemu sees the server hang up" has "$tmp/fake-qemu.err" \
	"the server hung up"
[ $failures -eq 0 ]
