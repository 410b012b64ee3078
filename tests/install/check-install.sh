#!/bin/sh
# meson install into a scratch root, then build and run a program against the
# installed library with nothing but `pkg-config --cflags --libs hypermem`.
set -eu
build=$1
sanitize=${2:-none}
cc=${CC:-cc}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

meson install -C "$build" --no-rebuild --quiet --destdir "$root"
pc=$(find "$root" -name hypermem.pc | head -n 1)
[ -n "$pc" ] || { echo "no hypermem.pc installed under $root"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs hypermem)
echo "pkg-config: $flags"

cat > "$root/prog.c" <<'PROG'
#include <errno.h>
#include <stdio.h>
#include <hypermem/hypermem.h>

int main(void)
{
	static char ram[4096];
	struct hm_vm *vm;

	if (hm_vm_new(&vm))
		return 1;
	if (hm_vm_add_ram(vm, 0x1000, sizeof(ram), ram) ||
	    hm_vm_gpa_to_hva(vm, 0x1800, 16) != ram + 0x800 ||
	    hm_vm_add_ram(vm, 0x1000, 1, ram) != -EEXIST)
		return 1;
	hm_vm_free(vm);
	puts("installed libhypermem works");
	return 0;
}
PROG
# A sanitized library needs its runtime in the program too.
[ "$sanitize" = none ] || flags="-fsanitize=$sanitize $flags"
# shellcheck disable=SC2086
"$cc" -Wall -Werror -o "$root/prog" "$root/prog.c" $flags
libdir=$(dirname "$(find "$root" -name 'libhypermem.so' | head -n 1)")
LD_LIBRARY_PATH="$libdir" "$root/prog"

# link_and_run NAME PACKAGE: $root/NAME.c built with pkg-config PACKAGE's
# flags alone, and run.
link_and_run() {
	extra=$(pkg-config --cflags --libs "$2")
	echo "pkg-config $2: $extra"
	[ "$sanitize" = none ] || extra="-fsanitize=$sanitize $extra"
	# shellcheck disable=SC2086
	"$cc" -Wall -Werror -o "$root/$1" "$root/$1.c" $extra
	LD_LIBRARY_PATH="$libdir" "$root/$1"
}

# A VMM author's programs on the installed VMM core (where it is built:
# libelf) and QEMU backend, static libraries on the shared one.
if [ -f "$(dirname "$pc")/hypermem-vmm.pc" ]; then
	cat > "$root/vmm.c" <<'PROG'
#include <stdio.h>
#include <vmm/vmm.h>

int main(void)
{
	printf("installed VMM core links: exit 2 is %s\n", vmm_exit_name(2));
	return 0;
}
PROG
	link_and_run vmm hypermem-vmm
fi
cat > "$root/qemu.c" <<'PROG'
#include <stdio.h>
#include <qemu/qemu.h>

int main(void)
{
	const struct qemu_config config = { .timeout_ms = 1000 };
	struct qemu *q;

	if (qemu_new(&config, &q))
		return 1;
	printf("installed QEMU backend links: %s\n", qemu_socket(q));
	qemu_free(q);
	return 0;
}
PROG
link_and_run qemu hypermem-qemu
# Only the public API is exported.
if nm -D --defined-only "$libdir/libhypermem.so" | awk '{print $3}' |
	grep -v '^hm_' | grep -v '^HYPERMEM_' | grep .; then
	echo "symbols outside hm_* are exported"
	exit 1
fi
