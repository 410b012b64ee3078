#!/bin/sh
# Run hypermem-run and compare its stdout with a checked-in expected output.
# What depends on how guest-tiny was compiled is masked: the region address
# it prints, user stack addresses (0x407fxxxx, below USER_STACK_TOP), and
# addresses in its user text as which_mapping.lua prints them.
# usage: compare-output.sh HYPERMEM_RUN EXPECTED [ARGS...]
run=$1
expected=$2
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$run" "$@" >"$out"
rc=$?
if [ $rc -eq 4 ]; then
	echo "skip: hypermem-run cannot use /dev/kvm here (exit code 4)"
	exit 77
fi
mask() {
	sed -e 's/registered region .*/registered region (masked)/' \
	    -e 's/0x407f[0-9a-f]\{4\}/0x407fxxxx/g' \
	    -e 's/(0x4000[0-9a-f]\{4\})/(0x4000xxxx)/' \
	    -e 's/\(r-xp \/bin\/[a-z_]*\)+0x[0-9a-f]*/\1+0xxxxx/' "$1"
}
if ! mask "$out" | diff -u "$expected" -; then
	echo "FAIL: output differs from $expected (diff above)"
	exit 1
fi
if [ $rc -ne 0 ]; then
	echo "FAIL: exit code $rc, want 0"
	exit 1
fi
echo "PASS"
