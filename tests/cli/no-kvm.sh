#!/bin/sh
# Without a usable /dev/kvm, hypermem-run says what to do and exits 4.
#   missing: /dev hidden by an empty tmpfs in a user and mount namespace
#   denied:  run as nobody, in a mount namespace whose /dev holds a
#            /dev/kvm that only root may open, so that the test is the same
#            on hosts with and without KVM (needs root)
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
	unshare -m sh -c 'mount -t tmpfs -o mode=755 none /dev &&
		mknod -m 600 /dev/kvm c 10 232 &&
		mknod -m 666 /dev/null c 1 3 &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$0" -q' "$run" 2>"$err"
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
