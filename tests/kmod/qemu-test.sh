#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots Debian's kernel under QEMU TCG with an initramfs of busybox, the
# hypermem module built against the matching headers, kmod-selftest and
# guest-init.sh, and checks what the guest reports on its serial console.
#
# usage: qemu-test.sh KBUILD_SH KMOD_SRC PROJECT_ROOT WORK_DIR SELFTEST
set -eu
kbuild=$1 src=$2 top=$3 work=$4 selftest=$5
here=$(dirname "$0")

skip() {
	echo "SKIP: $*"
	exit 77
}

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (qemu-system-x86)"
command -v cpio >/dev/null || skip "cpio not installed"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || skip "busybox not installed (busybox-static)"
if readelf -l "$busybox" 2>/dev/null | grep -q 'interpreter'; then
	skip "$busybox is dynamically linked: install busybox-static"
fi
[ -x "$selftest" ] || skip "no static kmod-selftest (static libc missing?)"

# The newest Debian kernel image that has a build tree of its version.
version=
for image in $(ls -v /boot/vmlinuz-*-amd64 2>/dev/null); do
	v=${image#/boot/vmlinuz-}
	for kdir in /lib/modules/$v/build /usr/src/linux-headers-$v; do
		if [ -f "$kdir/Makefile" ]; then
			version=$v
			kernel_dir=$kdir
		fi
	done
done
[ -n "$version" ] || skip "no /boot/vmlinuz-*-amd64 with matching headers (linux-image-amd64, linux-headers-amd64)"
[ -r "/boot/vmlinuz-$version" ] || skip "/boot/vmlinuz-$version is not readable"

rm -rf "$work"
mkdir -p "$work/root/bin" "$work/root/dev" "$work/root/proc" \
	"$work/root/sys" "$work/root/tmp"
"$kbuild" "$kernel_dir" "$src" "$top" "$work/kbuild" "$work/root/hypermem.ko"
cp "$busybox" "$work/root/bin/busybox"
cp "$selftest" "$work/root/kmod-selftest"
cp "$here/guest-init.sh" "$work/root/init"
chmod 755 "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

log=$work/serial.log
start=$(date +%s)
status=0
timeout -k 5 280 qemu-system-x86_64 -m 512 -smp 2 -nographic -no-reboot \
	-kernel "/boot/vmlinuz-$version" -initrd "$work/initramfs.cpio" \
	-append "console=ttyS0 rdinit=/init panic=-1" \
	</dev/null >"$log" 2>&1 || status=$?
elapsed=$(($(date +%s) - start))

echo "kernel $version, QEMU TCG ran ${elapsed}s (exit $status); guest uptime at init and at the end:"
grep -a 'HMTEST boot-uptime\|HMTEST end-uptime' "$log" || true
if [ "$status" != 0 ] || ! grep -aq 'HMTEST RESULT PASS' "$log" ||
	grep -aqE 'HMTEST FAIL|WARNING:|BUG:|Oops|Kernel panic' "$log"; then
	echo "---- serial log ----"
	cat "$log"
	echo "FAIL: see the serial log above"
	exit 1
fi
# What the guest did after boot: the module's kernel messages and the checks.
sed -n '/HMTEST boot-uptime/,/HMTEST RESULT/p' "$log"
