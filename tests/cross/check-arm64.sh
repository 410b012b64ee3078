#!/bin/sh
# The library for an arm64 host: compile and link it with Debian's cross
# compiler, so the arm64 doorbell code cannot rot on x86 CI machines.
set -eu
src=$1
cc=aarch64-linux-gnu-gcc
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "skip: $cc not installed (gcc-aarch64-linux-gnu)"
	exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -fPIC -fvisibility=hidden -D_GNU_SOURCE \
	-DHM_BUILDING_LIBRARY -I"$src/libhypermem/include" -shared \
	-Wl,--version-script,"$src/libhypermem/src/libhypermem.map" \
	-o "$out/libhypermem.so" "$src"/libhypermem/src/*.c \
	"$src"/libhypermem/arch/arm64/*.c
file "$out/libhypermem.so"
