/* SPDX-License-Identifier: MIT */
/*
 * Linux system call names and argument names of the host's architecture
 * (x86-64 or arm64); the process events' (HM_EVENT_PROCESS) the same way.
 */
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
/* "exec", "exit", "fork" by HM_PROC_*, and the names of their args. */
const struct syscall_desc *process_event_by_nr(uint64_t nr);
const struct syscall_desc *process_event_by_name(const char *name);

#endif
