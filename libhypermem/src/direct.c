// SPDX-License-Identifier: MIT
/*
 * The direct path: guest virtual memory read by walking the vCPU's page
 * tables through the GPA map, with no guest code running. The control
 * registers are read once per event: the vCPU runs only the agent between
 * requests, and the agent never switches address space.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int current_paging(struct hm_vcpu *vcpu, const struct paging **ret)
{
	int err;

	if (!vcpu->ops->read_paging)
		return -EOPNOTSUPP;
	if (vcpu->paging_event != vcpu->stats.events) {
		err = vcpu->ops->read_paging(vcpu, &vcpu->paging);
		if (err)
			return err;
		vcpu->paging_event = vcpu->stats.events;
	}
	*ret = &vcpu->paging;
	return 0;
}

int hm_vcpu_translate(struct hm_vcpu *vcpu, uint64_t addr,
		      struct hm_translation *ret)
{
	const struct paging *paging;
	int err = vcpu_can_request(vcpu);

	if (!err)
		err = current_paging(vcpu, &paging);
	if (!err)
		err = arch_walk(vcpu->vm, paging, addr, ret);
	return err;
}

int hm_vcpu_walk(struct hm_vcpu *vcpu, uint64_t addr,
		 struct hm_translation *ret)
{
	struct paging paging;
	int err;

	if (!vcpu->ops->read_paging)
		return -EOPNOTSUPP;
	err = vcpu->ops->read_paging(vcpu, &paging);
	if (!err)
		err = arch_walk(vcpu->vm, &paging, addr, ret);
	return err;
}

/* Kernel pages only for a guest that lets the host read them. */
static bool readable(const struct hm_vcpu *vcpu, const struct hm_translation *t)
{
	return (t->flags & HM_PAGE_USER) ||
	       (vcpu->guest.features & HM_FEATURE_KERNEL_ADDR);
}

/*
 * Copy guest-physical bytes slot by slot: a large page may lie on two
 * adjacent slots, or run past the end of RAM. Returns the bytes copied, up
 * to the first one that is not RAM or, with stop_at_nul, the first NUL.
 * The NUL is looked for in the copy: another vCPU may write the RAM
 * meanwhile. (Bytes past it may be copied too, within len.)
 */
static size_t copy_ram(const struct hm_vm *vm, uint64_t gpa, char *buf,
		       size_t len, bool stop_at_nul)
{
	size_t done = 0;

	while (done < len) {
		uint64_t n;
		const char *hva = vm_translate_prefix(vm, gpa + done,
						      len - done, &n);
		const char *nul;

		if (!hva)
			break;
		memcpy(buf + done, hva, n);
		nul = stop_at_nul ? memchr(buf + done, '\0', n) : NULL;
		if (nul)
			return (size_t)(nul - buf) + 1;
		done += n;
	}
	return done;
}

/* Copy up to len bytes of one page; returns bytes copied, 0 at the end. */
static ssize_t copy_page(struct hm_vcpu *vcpu, const struct paging *paging,
			 uint64_t addr, char *buf, size_t len, bool stop_at_nul)
{
	struct hm_translation t;
	size_t n;
	int err = arch_walk(vcpu->vm, paging, addr, &t);

	if (err == -EOPNOTSUPP)
		return err;
	if (err || !readable(vcpu, &t))
		return 0;
	n = min_size(len, t.page_size - (addr & (t.page_size - 1)));
	return (ssize_t)copy_ram(vcpu->vm, t.gpa, buf, n, stop_at_nul);
}

/*
 * Copy what the page tables map of [addr, addr + len): returns the bytes
 * copied, up to the first unreadable byte or, with stop_at_nul, up to and
 * including the first NUL.
 */
ssize_t direct_copy(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
		    size_t len, bool stop_at_nul)
{
	const struct paging *paging;
	size_t done = 0;
	int err = current_paging(vcpu, &paging);

	if (err)
		return err;
	while (done < len) {
		ssize_t n = copy_page(vcpu, paging, addr + done,
				      (char *)buf + done, len - done,
				      stop_at_nul);

		if (n < 0)
			return n;
		done += (size_t)n;
		if (!n || (stop_at_nul && ((char *)buf)[done - 1] == '\0'))
			break;
	}
	return (ssize_t)done;
}
