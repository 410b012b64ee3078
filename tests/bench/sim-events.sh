#!/bin/sh
# hypermem-bench-sim --mailbox-events: four runs (no handler work and an
# 8-byte read, one then two guest threads), each line well formed, every
# event served and every read right. Never a timing.
# usage: sim-events.sh HYPERMEM_BENCH_SIM
out=$("$1" --mailbox-events 100)
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then
	echo "FAIL: exited with $rc"
	exit 1
fi
printf '%s\n' "$out" | awk '
	NF != 11 { print "FAIL: not 11 fields: " $0; bad = 1; next }
	$11 != 1 { print "FAIL: not ok: " $0; bad = 1 }
	$3 < 1 { print "FAIL: no events: " $0; bad = 1 }
	$2 == 1 && $8 != 0 { print "FAIL: a second guest in a run of one"; bad = 1 }
	$2 == 2 && $8 <= 0 { print "FAIL: no CPU time for guest 1"; bad = 1 }
	{ seen[$1 " " $2]++ }
	END {
		if (!seen["0 1"] || !seen["0 2"] || !seen["1 1"] || !seen["1 2"] ||
		    NR != 4) { print "FAIL: not the four runs"; bad = 1 }
		exit bad
	}' || exit 1
echo "PASS"
