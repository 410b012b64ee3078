#!/bin/sh
# Run hypermem-run where it must fail: check the exit code and that stderr
# holds each expected text, and none of those given as !TEXT.
# usage: expect-error.sh HYPERMEM_RUN CODE TEXT... -- [ARGS...]
run=$1
want=$2
shift 2
texts=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	texts="$texts$1
"
	shift
done
shift
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$run" "$@" >/dev/null 2>"$err"
rc=$?
cat "$err"
if [ $rc -eq 4 ] && [ "$want" -ne 4 ]; then
	echo "skip: hypermem-run cannot use /dev/kvm here (exit code 4)"
	exit 77
fi
if [ $rc -ne "$want" ]; then
	echo "FAIL: exit code $rc, want $want"
	exit 1
fi
printf '%s' "$texts" | while IFS= read -r text; do
	case $text in
	!*)
		if grep -qF -- "${text#!}" "$err"; then
			echo "FAIL: stderr has: ${text#!}"
			exit 1
		fi
		;;
	*)
		if ! grep -qF -- "$text" "$err"; then
			echo "FAIL: stderr has no: $text"
			exit 1
		fi
		;;
	esac
done || exit 1
echo "PASS"
