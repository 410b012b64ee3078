/* SPDX-License-Identifier: MIT */
/* Linux x86-64 system call names and argument names. */
#ifndef HM_BINDINGS_SYSCALLS_H
#define HM_BINDINGS_SYSCALLS_H

#include <stdint.h>

struct syscall_desc {
	uint64_t nr;
	const char *name;
	const char *args[6];	/* argument names, NULL past the last known */
};

const struct syscall_desc *syscall_by_nr(uint64_t nr);
const struct syscall_desc *syscall_by_name(const char *name);

#endif
