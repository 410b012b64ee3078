/* SPDX-License-Identifier: MIT */
/*
 * Linux system call names and argument names of a guest's architecture
 * (HM_ARCH_* of protocol.h), from libseccomp; the process events'
 * (HM_EVENT_PROCESS) the same way.
 */
#ifndef HM_BINDINGS_SYSCALLS_H
#define HM_BINDINGS_SYSCALLS_H

#include <stdint.h>

struct syscall_desc {
	uint64_t nr;
	const char *name;
	const char *args[6];	/* argument names, NULL past the last known */
};

/*
 * The architecture that syscall_by_nr() and syscall_by_name() answer for:
 * the host's own (HM_ARCH_NATIVE) until set; 0 or an unknown value sets
 * the host's own again. A run sets it before its script names a syscall,
 * from its --arch option or the guest's kernel, and checks it against
 * what the guest says at registration (hm_vcpu_get_guest_arch()).
 */
void syscalls_set_arch(uint32_t arch);
uint32_t syscalls_arch(void);
/* "x86_64", "aarch64", "arm", "mipsel", "mips64el"; "unknown" for others. */
const char *syscalls_arch_name(uint32_t arch);
/* The HM_ARCH_* value of such a name; 0 (HM_ARCH_UNSAID) for another. */
uint32_t syscalls_arch_by_name(const char *name);

const struct syscall_desc *syscall_by_nr(uint64_t nr);
const struct syscall_desc *syscall_by_name(const char *name);
/* The same for @arch; NULL where @arch has no such call. */
const struct syscall_desc *syscall_by_nr_arch(uint32_t arch, uint64_t nr);
const struct syscall_desc *syscall_by_name_arch(uint32_t arch,
						const char *name);
/* "exec", "exit", "fork" by HM_PROC_*, and the names of their args. */
const struct syscall_desc *process_event_by_nr(uint64_t nr);
const struct syscall_desc *process_event_by_name(const char *name);

#endif
