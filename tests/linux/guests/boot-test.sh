#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots a 32-bit ARM, mipsel or mips64el guest of make-linux-guest under
# QEMU TCG with an ivshmem-plain device on a zeroed shared memory file (no
# hypermem host writes its header), and checks that the guest sees the
# device on its PCI bus, that hypermem.ko probes it and maps its shared
# memory (then says no host is behind it, and refuses to load: these
# guests have no other transport), and that the kernel warns of nothing.
# Prints the boot time to init (the guest's uptime) and QEMU's whole run.
# With selftest, the guest runs selftest.sh instead (the module's
# self-test), which must pass.
#
# usage: boot-test.sh boot|selftest ARCH KERNEL INITRAMFS
set -eu
mode=$1 arch=$2 kernel=$3 initramfs=$4

# -M virt,highmem=off: armmp is no LPAE kernel, and the ECAM window of
# virt's high memory map lies above 4 GiB, where it cannot reach it.
case $arch in
arm) qemu=qemu-system-arm package=qemu-system-arm console=ttyAMA0
	machine="-M virt,highmem=off -cpu cortex-a15" ;;
mipsel) qemu=qemu-system-mips64el package=qemu-system-mips console=ttyS0
	machine="-M malta -cpu 24Kf" ;;
mips64el) qemu=qemu-system-mips64el package=qemu-system-mips console=ttyS0
	machine="-M malta -cpu 5KEc" ;;
*) echo "boot-test.sh: no guest architecture $arch" >&2; exit 2 ;;
esac
command -v "$qemu" >/dev/null || { echo "install $package"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/console.log
pci=/sys/bus/pci/devices
run="hypermem.transport=ivshmem hmrun=grep,-H,.,$pci/*/vendor,$pci/*/device"
[ "$mode" = boot ] || run="hmnomodule hmrun=sh,/selftest.sh"
start=$(date +%s%N)
# shellcheck disable=SC2086 # the machine's options
timeout 300 "$qemu" $machine -m 512 -nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$initramfs" \
	-append "console=$console $run" \
	-object memory-backend-file,id=shm,share=on,mem-path="$work/shm",size=4M \
	-device ivshmem-plain,memdev=shm >"$log" 2>&1 || status=$?
end=$(date +%s%N)
grep -a 'HMTEST\|hypermem\|/sys/bus/pci\|SELFTEST\|^ok\|^not ok' "$log" || true
echo "$arch: init after $(sed -n 's/^HMTEST boot-uptime //p' "$log" | tr -d '\r') s of guest uptime; QEMU ran $(((end - start) / 1000000)) ms"

fail() {
	echo "FAIL ($arch): $*"
	exit 1
}
[ "${status:-0}" = 0 ] || fail "QEMU exited with ${status}"
if [ "$mode" = selftest ]; then
	grep -aq 'HMTEST SELFTEST PASS' "$log" || { cat "$log"; fail "selftest.sh"; }
	echo "PASS ($arch selftest)"
	exit 0
fi
# The device: vendor 0x1af4 (Red Hat, Qumranet's), device 0x1110 (ivshmem).
dev=$(grep -a "^$pci/.*/device:0x1110" "$log" | tr -d '\r' |
	sed 's|/device:.*||') || true
[ -n "$dev" ] || fail "no ivshmem device on the guest's PCI bus"
grep -aq "^$dev/vendor:0x1af4" "$log" || fail "$dev is not Red Hat's"
grep -aq 'no hypermem host behind it' "$log" ||
	fail "hypermem.ko did not read the device's shared memory"
grep -aq 'HMTEST RESULT exit 0' "$log" || fail "the guest's command failed"
if grep -aE 'WARNING:|BUG:|Oops|Kernel panic' "$log"; then
	fail "the kernel complained"
fi
echo "PASS ($arch)"
