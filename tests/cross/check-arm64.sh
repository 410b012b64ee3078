#!/bin/sh
# The library for an arm64 host, and the unit tests' simulated arm64 vCPU
# (tests/fake-guest/arm64.c): compile them with Debian's cross compiler,
# the library linked, so the arm64 doorbell code cannot rot on x86 CI
# machines. build-arm64/ (a cross build) runs them; this only compiles.
set -eu
src=$1
cc=aarch64-linux-gnu-gcc
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "skip: $cc not installed (gcc-aarch64-linux-gnu)"
	exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
set -- -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wvla -D_GNU_SOURCE -I"$src/libhypermem/include" \
	-I"$src/libhypermem/arch/arm64"
"$cc" "$@" -fPIC -fvisibility=hidden -DHM_BUILDING_LIBRARY -shared \
	-Wl,--version-script,"$src/libhypermem/src/libhypermem.map" \
	-o "$out/libhypermem.so" "$src"/libhypermem/src/*.c \
	"$src"/libhypermem/arch/arm64/*.c
"$cc" "$@" -c -o "$out/fake-cpu.o" "$src/tests/fake-guest/arm64.c"
echo "arm64: libhypermem.so and the fake vCPU compile"
