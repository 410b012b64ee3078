#!/bin/sh
# Without a usable /dev/kvm, hypermem-run says what to do and exits 4.
#   missing: /dev hidden by an empty tmpfs in a user and mount namespace
#   denied:  run as nobody, outside /dev/kvm's group (needs root to drop to)
# usage: no-kvm.sh missing|denied HYPERMEM_RUN
mode=$1
run=$2
err=$(mktemp)
trap 'rm -f "$err"' EXIT
case $mode in
missing)
	if ! unshare -rm true 2>/dev/null; then
		echo "skip: no user namespaces here (unshare -rm)"
		exit 77
	fi
	unshare -rm sh -c 'mount -t tmpfs none /dev && exec "$0" -q' \
		"$run" 2>"$err"
	rc=$?
	want='/dev/kvm does not exist'
	;;
denied)
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: needs root to run hypermem-run as nobody"
		exit 77
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups "$run" -q \
		2>"$err"
	rc=$?
	want='no permission to open /dev/kvm. Add yourself to its group'
	;;
esac
cat "$err"
if [ "$mode" = denied ] && [ $rc -eq 2 ]; then
	echo "skip: nobody cannot read the build tree's files"
	exit 77
fi
if [ $rc -ne 4 ]; then
	echo "FAIL: exit code $rc, want 4"
	exit 1
fi
if ! grep -qF -- "$want" "$err"; then
	echo "FAIL: stderr has no: $want"
	exit 1
fi
echo "PASS"
