// SPDX-License-Identifier: MIT
/*
 * The one ioctl wrapper, in the KVM selftests' manner, and the one table of
 * exit-reason names.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "internal.h"

static __thread const char *failed_ioctl;

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
};

const char *vmm_exit_name(uint32_t exit_reason)
{
	if (exit_reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[exit_reason])
		return exit_names[exit_reason];
	return "?";
}

const char *vmm_failed_ioctl(void)
{
	return failed_ioctl;
}

/*
 * KVM_RUN does not come here: its EINTR is the kick signal, which the run
 * loop wants to see.
 */
int kvm_ioctl_named(int fd, unsigned long request, void *arg,
		    const char *name)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	if (ret >= 0)
		return ret;
	failed_ioctl = name;
	return -errno;
}
