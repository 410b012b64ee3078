#!/bin/sh
# SPDX-License-Identifier: MIT
# Run by scripts/test-packages inside a fresh bookworm root, as root: the
# packages in /tmp/debs installed with apt, then used as a user would.
set -eu

say() {
	echo "packages: in the root: $*"
}

cd /tmp/debs
# Their dependencies are in the root already, and it has no package
# lists: apt needs no network, and fails on any dependency it lacks.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./*.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
grep -i 'dkms\|error' /tmp/apt.log | sed 's/^/apt: /' || true
say "apt-get install ./*.deb: $(dpkg-query -W -f '${Package} ' \
	libhypermem0 libhypermem-dev hypermem-tools python3-hypermem \
	hypermem-dkms)"

out=$(hypermem-run --version)
say "$out"
out=$(python3 -c 'import hypermem; print(hypermem.__version__)')
say "import hypermem: $out"
out=$(python3 -m hypermem --version)
say "$out"
[ -r /usr/share/hypermem/guest-tiny.elf ]
[ -r /usr/share/man/man1/hypermem-run.1.gz ]

cd /tmp
cat >vm.c <<'PROG'
#include <errno.h>
#include <stdio.h>
#include <hypermem/hypermem.h>

int main(void)
{
	static char ram[4096];
	struct hm_vm *vm;

	if (hm_vm_new(&vm) || hm_vm_add_ram(vm, 0x1000, sizeof(ram), ram) ||
	    hm_vm_gpa_to_hva(vm, 0x1800, 16) != ram + 0x800)
		return 1;
	hm_vm_free(vm);
	puts("a VM context on the installed libhypermem");
	return 0;
}
PROG
# shellcheck disable=SC2046 # pkg-config's flags are words
gcc -Wall -Werror -o vm vm.c $(pkg-config --cflags --libs hypermem)
say "pkg-config --cflags --libs hypermem: $(pkg-config --cflags --libs hypermem)"
out=$(./vm)
say "$out"
# usrmerge: /lib is /usr/lib.
lib=$(ldd vm | grep -o 'libhypermem\.so\.0 => /\(usr/\)\?lib/[^ ]*') ||
	{ echo "vm does not use the installed libhypermem.so.0"; exit 1; }
say "$lib"

cat >core.c <<'PROG'
#include <stdio.h>
#include <vmm/vmm.h>

int main(void)
{
	printf("the VMM core links: exit 2 is %s\n", vmm_exit_name(2));
	return 0;
}
PROG
# shellcheck disable=SC2046
gcc -Wall -Werror -o core core.c $(pkg-config --cflags --libs hypermem-vmm)
out=$(./core)
say "$out"

cat >backend.c <<'PROG'
#include <stdio.h>
#include <qemu/qemu.h>

int main(void)
{
	const struct qemu_config config = { .timeout_ms = 1000 };
	struct qemu *q;

	if (qemu_new(&config, &q))
		return 1;
	printf("the QEMU backend links: it would serve QEMU at %s\n",
	       qemu_socket(q));
	qemu_free(q);
	return 0;
}
PROG
# shellcheck disable=SC2046
gcc -Wall -Werror -o backend backend.c \
	$(pkg-config --cflags --libs hypermem-qemu)
out=$(./backend)
say "$out"

# DKMS: the module for each kernel whose headers are here. The package's
# postinst builds it for the kernels it finds; build any it left out.
version=$(dpkg-query -W -f '${Version}' hypermem-dkms)
version=${version%%-*}
n=0
for kdir in /usr/src/linux-headers-*-amd64; do
	kver=${kdir#/usr/src/linux-headers-}
	if ! dkms status -m hypermem -v "$version" -k "$kver" |
		grep -q installed; then
		dkms install -m hypermem -v "$version" -k "$kver" \
			>/tmp/dkms.log 2>&1 ||
			{ cat /tmp/dkms.log; cat "/var/lib/dkms/hypermem/$version/build/make.log" 2>/dev/null; exit 1; }
	fi
	ko=$(find "/lib/modules/$kver/updates" -name 'hypermem.ko*' | head -n 1)
	[ -n "$ko" ] || { echo "no hypermem.ko for $kver"; exit 1; }
	# udev loads it when the ivshmem device (1af4:1110) appears.
	grep -q '^alias pci:v00001AF4d00001110.* hypermem$' \
		"/lib/modules/$kver/modules.alias" ||
		{ echo "no ivshmem modalias in $kver's modules.alias"; exit 1; }
	status=$(dkms status -m hypermem -k "$kver" 2>/dev/null)
	say "dkms: $status; $(modinfo -F vermagic "$ko" | cut -d' ' -f1)," \
		"alias $(modinfo -F alias "$ko")"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || { echo "headers of $n kernels, not 2"; exit 1; }
# Loaded by udev, by that alias, when the device appears (at boot or
# hot-plugged): nothing loads it at every boot, where no host may be.
[ ! -e /usr/lib/modules-load.d/hypermem.conf ] ||
	{ echo "hypermem-dkms loads the module at every boot"; exit 1; }
say "loaded by modalias only: no modules-load.d file"
