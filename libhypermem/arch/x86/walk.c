// SPDX-License-Identifier: MIT
/*
 * x86-64 page walk, 4- and 5-level (SDM vol. 3A, 4.5 "4-level paging and
 * 5-level paging"). Every table is read through the GPA map, so a hostile
 * guest's CR3 or table pointer can reach nothing but its own RAM.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "../../src/internal.h"
#include <x86-regs.h>



/* KVM_SYNC_X86_SREGS saves the ioctl when the VMM enabled it (api.rst). */
int arch_read_paging(struct hm_vcpu *vcpu, struct paging *paging)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_sregs sregs;
	const struct kvm_sregs *s = &run->s.regs.sregs;
	int err;

	if (!(run->kvm_valid_regs & KVM_SYNC_X86_SREGS)) {
		err = vcpu_kvm_ioctl(vcpu, KVM_GET_SREGS, &sregs);
		if (err < 0)
			return err;
		s = &sregs;
	}
	paging->cr0 = s->cr0;
	paging->cr3 = s->cr3;
	paging->cr4 = s->cr4;
	paging->efer = s->efer;
	return 0;
}

/* Bits above the top level's index must copy bit 47 (or 56). */
static bool canonical(uint64_t va, unsigned int bits)
{
	return (uint64_t)((int64_t)(va << (64 - bits)) >> (64 - bits)) == va;
}

static int read_entry(const struct hm_vm *vm, uint64_t table, uint64_t va,
		      unsigned int shift, uint64_t *entry)
{
	const void *p = vm_translate(vm, table + ((va >> shift) & 511) * 8, 8);

	if (!p)
		return -EFAULT;
	memcpy(entry, p, sizeof(*entry));
	return 0;
}

/* PS is a leaf at the PDPT (1 GiB) and PD (2 MiB); reserved above. */
static int check_entry(const struct paging *paging, uint64_t e,
		       unsigned int level)
{
	if (!(e & X86_PTE_P))
		return -ENOENT;
	if ((e & X86_PTE_NX) && !(paging->efer & X86_EFER_NXE))
		return -EFAULT;
	if ((e & X86_PTE_PS) && level > 3)
		return -EFAULT;
	return 0;
}

static void accumulate(uint32_t *flags, uint64_t e)
{
	if (!(e & X86_PTE_W))
		*flags &= ~HM_PAGE_WRITABLE;
	if (!(e & X86_PTE_U))
		*flags &= ~HM_PAGE_USER;
	if (e & X86_PTE_NX)
		*flags |= HM_PAGE_NX;
}

int arch_walk(const struct hm_vm *vm, const struct paging *paging,
	      uint64_t va, struct hm_translation *ret)
{
	unsigned int levels = paging->cr4 & X86_CR4_LA57 ? 5 : 4;
	uint64_t table = paging->cr3 & X86_PTE_ADDR, e;
	uint32_t flags = HM_PAGE_WRITABLE | HM_PAGE_USER;
	unsigned int level, shift;
	int err;

	if (!(paging->cr0 & X86_CR0_PG) || !(paging->efer & X86_EFER_LMA))
		return -EOPNOTSUPP;
	if (!canonical(va, 12 + 9 * levels))
		return -EINVAL;
	for (level = levels; level > 0; level--) {
		shift = 12 + 9 * (level - 1);
		err = read_entry(vm, table, va, shift, &e);
		if (!err)
			err = check_entry(paging, e, level);
		if (err)
			return err;
		accumulate(&flags, e);
		if (level == 1 || (e & X86_PTE_PS))
			break;
		table = e & X86_PTE_ADDR;
	}
	ret->page_size = 1ull << shift;
	ret->gpa = (e & X86_PTE_ADDR & ~(ret->page_size - 1)) |
		   (va & (ret->page_size - 1));
	ret->flags = flags;
	return 0;
}
