/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ioctls of /dev/hypermem (root only), shared with user programs.
 */
#ifndef HYPERMEM_IOCTL_H
#define HYPERMEM_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* HM_IOC_RAISE: raise an HM_EVENT_USER event with the caller's code. */
struct hm_ioc_event {
	__u64 code;
	__u64 args[6];
};

/*
 * HM_IOC_LOOPBACK (module loaded with loopback=1): the module serves the
 * request in the caller's one-page struct hm_region as if a host had written
 * it, and copies the response back. Returns 1 when the region held no
 * request (HM_OP_NONE or a response), 0 otherwise.
 */
struct hm_ioc_loopback {
	__u64 region;		/* user pointer to a struct hm_region */
	__u32 flags;		/* HM_LOOPBACK_* */
	__u32 reserved;		/* 0 */
};

/* Serve with preemption disabled, as a syscall tracepoint event is. */
#define HM_LOOPBACK_ATOMIC (1u << 0)

#define HM_IOC_MAGIC 0xb7
#define HM_IOC_RAISE _IOW(HM_IOC_MAGIC, 1, struct hm_ioc_event)
#define HM_IOC_LOOPBACK _IOW(HM_IOC_MAGIC, 2, struct hm_ioc_loopback)

#endif
