/* SPDX-License-Identifier: MIT */
/*
 * The guest side of the mailbox transport (protocol.h, "Mailbox
 * transport"): the layout the host wrote into the shared memory, checked
 * once, and the hand-over of a call on one slot. One source for the Linux
 * module's ivshmem driver and the host's unit tests; the OS supplies the
 * doorbell, a clock and a pause for the spin.
 */
#ifndef HYPERMEM_MAILBOX_H
#define HYPERMEM_MAILBOX_H

#include <hypermem/protocol.h>

#if !defined(__KERNEL__)
#include <stddef.h>
#endif

/* What a call returns when no answer came in time (Linux's ETIMEDOUT). */
#define HM_MAILBOX_ETIMEDOUT 110

struct hm_mailbox_guest {
	uint8_t *mem;
	uint64_t size;
	uint32_t nr_slots;
	uint32_t slot_pages;
	uint64_t slots_offset;
	uint16_t flags;			/* the header's: HM_MAILBOX_HOST_POLLS */
	uint64_t timeout_ns;		/* of one wait for the host */

	/* Ring the host (the device's Doorbell register), unless it polls. */
	void (*ring)(void *ctx);
	/* A monotonic clock in nanoseconds. */
	uint64_t (*now_ns)(void *ctx);
	/* Called between two looks at the turn word (cpu_relax()). */
	void (*relax)(void *ctx);
	void *ctx;
};

/*
 * Check the header the host wrote at the start of @mem (@size bytes): 0,
 * or -HM_ENODEV when it is not a hypermem host's or does not fit.
 */
int hm_mailbox_guest_init(struct hm_mailbox_guest *mb, void *mem,
			  uint64_t size);

/* Slot @slot's region: its offset and pages (0 for no such slot). */
struct hm_region *hm_mailbox_region(const struct hm_mailbox_guest *mb,
				    uint32_t slot, uint64_t *offset,
				    uint32_t *pages);
/* Slot @slot's subscription page and its offset. */
struct hm_sub_page *hm_mailbox_sub_page(const struct hm_mailbox_guest *mb,
					uint32_t slot, uint64_t *offset);

/*
 * Hand @call (@arg: the region's offset) to the host on @slot and wait for
 * its answer: 0; -HM_EAGAIN when the slot is not the guest's (an earlier
 * wait gave up and the host has not said it let go); -HM_MAILBOX_ETIMEDOUT
 * when none came before the deadline (the slot is then given up).
 */
int hm_mailbox_call(struct hm_mailbox_guest *mb, uint32_t slot,
		    unsigned int call, uint64_t arg);

#endif
