/* SPDX-License-Identifier: MIT */
/*
 * For the loaders' targets: they read files by path, so the input becomes
 * one in memory; and they load into guest RAM, which ends where its
 * mapping ends, so that ASan sees a write past it.
 */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The path of a memfd holding exactly @size bytes of @data. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

/* @size bytes of guest RAM, mapped on the first call, the same after. */
static inline uint8_t *fuzz_ram(size_t size)
{
	static uint8_t *ram;

	if (!ram) {
		ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (ram == MAP_FAILED)
			abort();
	}
	return ram;
}

#endif
