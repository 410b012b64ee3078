// SPDX-License-Identifier: MIT
/*
 * The mailbox hand-over, guest side (mailbox.h). The turn word is the only
 * thing both sides change; every change is an atomic operation on it, and
 * the region is written only by the side whose turn it is.
 */
#include "mailbox.h"

static struct hm_mailbox_ctl *ctl_of(const struct hm_mailbox_guest *mb,
				     uint32_t slot)
{
	return (struct hm_mailbox_ctl *)(mb->mem + 64 * (1 + (uint64_t)slot));
}

int hm_mailbox_guest_init(struct hm_mailbox_guest *mb, void *mem,
			  uint64_t size)
{
	const struct hm_mailbox_header *h = mem;
	uint64_t ctl_end, slots, need;
	uint32_t nr, pages;

	if (size < HM_PAGE_SIZE)
		return -HM_ENODEV;
	nr = hm_le32(h->nr_slots);
	pages = hm_le32(h->slot_pages);
	slots = hm_le64(h->slots_offset);
	if (hm_le32(h->magic) != HM_MAILBOX_MAGIC ||
	    hm_le16(h->version) != HM_MAILBOX_VERSION ||
	    hm_le64(h->size) != size || nr == 0 ||
	    nr > HM_MAILBOX_MAX_SLOTS || pages < 2 ||
	    pages > HM_MAX_REGION_PAGES + 1 || slots % HM_PAGE_SIZE)
		return -HM_ENODEV;
	ctl_end = 64 * (1 + (uint64_t)nr);
	need = (uint64_t)nr * pages * HM_PAGE_SIZE;
	if (slots < ctl_end || slots > size || need > size - slots)
		return -HM_ENODEV;
	mb->mem = mem;
	mb->size = size;
	mb->nr_slots = nr;
	mb->slot_pages = pages;
	mb->slots_offset = slots;
	mb->flags = hm_le16(h->flags);
	return 0;
}

static uint64_t slot_offset(const struct hm_mailbox_guest *mb, uint32_t slot)
{
	return mb->slots_offset + (uint64_t)slot * mb->slot_pages * HM_PAGE_SIZE;
}

struct hm_region *hm_mailbox_region(const struct hm_mailbox_guest *mb,
				    uint32_t slot, uint64_t *offset,
				    uint32_t *pages)
{
	if (slot >= mb->nr_slots) {
		*pages = 0;
		return NULL;
	}
	*offset = slot_offset(mb, slot);
	*pages = mb->slot_pages - 1;
	return (struct hm_region *)(mb->mem + *offset);
}

struct hm_sub_page *hm_mailbox_sub_page(const struct hm_mailbox_guest *mb,
					uint32_t slot, uint64_t *offset)
{
	if (slot >= mb->nr_slots)
		return NULL;
	*offset = slot_offset(mb, slot) +
		  (uint64_t)(mb->slot_pages - 1) * HM_PAGE_SIZE;
	return (struct hm_sub_page *)(mb->mem + *offset);
}

int hm_mailbox_call(struct hm_mailbox_guest *mb, uint32_t slot,
		    unsigned int call, uint64_t arg)
{
	struct hm_mailbox_ctl *c = ctl_of(mb, slot);
	uint32_t turn = hm_le32(__atomic_load_n(&c->turn, __ATOMIC_ACQUIRE));
	uint32_t seq = HM_TURN_SEQ(turn) + 1;
	uint32_t asked = hm_le32(HM_TURN(seq, HM_TURN_HOST));
	uint32_t answered = hm_le32(HM_TURN(seq, HM_TURN_GUEST));
	uint64_t deadline;

	if (HM_TURN_STATE(turn) != HM_TURN_GUEST)
		return -HM_EAGAIN;
	c->call = hm_le32(call);
	c->arg = hm_le64(arg);
	/* The region, call and arg are the host's to see from here on. */
	__atomic_store_n(&c->turn, asked, __ATOMIC_RELEASE);
	if (!(mb->flags & HM_MAILBOX_HOST_POLLS))
		mb->ring(mb->ctx);
	deadline = mb->now_ns(mb->ctx) + mb->timeout_ns;
	for (;;) {
		uint32_t now = __atomic_load_n(&c->turn, __ATOMIC_ACQUIRE);
		uint32_t expected = asked;

		if (now == answered)
			return 0;
		if (mb->now_ns(mb->ctx) < deadline) {
			mb->relax(mb->ctx);
			continue;
		}
		/* Give up, unless the answer came meanwhile. */
		if (__atomic_compare_exchange_n(&c->turn, &expected,
				hm_le32(HM_TURN(seq, HM_TURN_GAVE_UP)), 0,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return -HM_MAILBOX_ETIMEDOUT;
		if (expected == answered)
			return 0;
		/* A host that wrote nonsense did not answer either. */
		return -HM_MAILBOX_ETIMEDOUT;
	}
}
