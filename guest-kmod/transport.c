// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Doorbells: how a call reaches the host (protocol.h, "Doorbells" and
 * "Mailbox transport").
 *
 * With no transport named, a bound ivshmem device with a hypermem host wins
 * (ivshmem.c), else the architecture's VM exit: port I/O on x86, HVC on
 * arm64. 32-bit ARM and MIPS guests have no exit a hypermem host answers:
 * the mailbox is their only transport. A named transport is used or the
 * load fails; the PCI driver is registered only while transport=ivshmem is
 * in use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>
#include "hypermem.h"

#if defined(CONFIG_X86)
#include <asm/kvm_para.h>
#elif defined(CONFIG_ARM64)
#include <linux/arm-smccc.h>
#elif !defined(CONFIG_ARM) && !defined(CONFIG_MIPS)
#error "hypermem supports x86, arm64, 32-bit ARM and MIPS guests"
#endif

enum hm_transport {
	HM_TRANSPORT_PIO,
	HM_TRANSPORT_VMCALL,
	HM_TRANSPORT_HVC,
	HM_TRANSPORT_SELFTEST,
	HM_TRANSPORT_IVSHMEM,
};

static const char *const transport_names[] = {
	[HM_TRANSPORT_PIO] = "pio",
	[HM_TRANSPORT_VMCALL] = "vmcall",
	[HM_TRANSPORT_HVC] = "hvc",
	[HM_TRANSPORT_SELFTEST] = "selftest",
	[HM_TRANSPORT_IVSHMEM] = "ivshmem",
};

static enum hm_transport hm_transport;

#if defined(CONFIG_X86)
#define HM_DEFAULT_TRANSPORT HM_TRANSPORT_PIO

static int arch_check(enum hm_transport transport)
{
	if (transport == HM_TRANSPORT_HVC) {
		pr_err("transport=hvc is for arm64\n");
		return -EINVAL;
	}
	/* VMCALL outside a KVM guest raises #UD. */
	if (transport == HM_TRANSPORT_VMCALL && !kvm_para_available()) {
		pr_err("transport=vmcall needs a KVM host\n");
		return -ENODEV;
	}
	return 0;
}

/* The memory clobbers: the host rewrites the region meanwhile. */
static void arch_doorbell(unsigned int call, uint64_t gpa)
{
	if (hm_transport == HM_TRANSPORT_VMCALL)
		kvm_hypercall3(HM_KVM_HC_MAP_GPA_RANGE, gpa,
			       HM_VMCALL_NPAGES(call), 0);
	else
		asm volatile("outl %%eax, %%dx"
			     : : "a"(call), "d"(HM_X86_PORT), "b"(gpa)
			     : "memory");
}
#elif defined(CONFIG_ARM64)
#define HM_DEFAULT_TRANSPORT HM_TRANSPORT_HVC

static int arch_check(enum hm_transport transport)
{
	if (transport == HM_TRANSPORT_HVC)
		return 0;
	pr_err("transport=%s is for x86\n", transport_names[transport]);
	return -EINVAL;
}

static void arch_doorbell(unsigned int call, uint64_t gpa)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(HM_SMCCC_FUNC(call), gpa, &res);
}
#else
#define HM_DEFAULT_TRANSPORT HM_TRANSPORT_IVSHMEM

static int arch_check(enum hm_transport transport)
{
	pr_err("transport=%s: this architecture has no VM-exit doorbell; use transport=ivshmem\n",
	       transport_names[transport]);
	return -EOPNOTSUPP;
}

/* arch_check() refuses every transport that would ring here. */
static void arch_doorbell(unsigned int call, uint64_t gpa)
{
	WARN_ON_ONCE(1);
}
#endif

/* pci_register_driver() probed the devices present: one is bound, or none. */
static int bind_ivshmem(void)
{
	int err = hm_ivshmem_register();

	if (err)
		return err;
	if (hm_ivshmem_mailbox())
		return 0;
	hm_ivshmem_unregister();
	return -ENODEV;
}

static int select_named(const char *name)
{
	int transport = match_string(transport_names,
				     ARRAY_SIZE(transport_names), name);
	int err = 0;

	if (transport < 0) {
		pr_err("transport=%s: use pio, vmcall, hvc, ivshmem or selftest\n",
		       name);
		return -EINVAL;
	}
	if (transport == HM_TRANSPORT_IVSHMEM && hm_ivshmem_hotplug) {
		err = hm_ivshmem_register();
		if (!err && !hm_ivshmem_mailbox())
			pr_info("transport=ivshmem: waiting for an ivshmem-doorbell device to be plugged in\n");
	} else if (transport == HM_TRANSPORT_IVSHMEM) {
		err = bind_ivshmem();
		if (err == -ENODEV)
			pr_err("transport=ivshmem: no ivshmem device with a hypermem host (QEMU: -device ivshmem-doorbell,chardev=... or ivshmem-plain,memdev=...)\n");
	} else if (transport != HM_TRANSPORT_SELFTEST) {
		err = arch_check(transport);
	}
	if (!err)
		hm_transport = transport;
	return err;
}

int hm_transport_select(const char *name)
{
	int err;

	if (name)
		return select_named(name);
	err = bind_ivshmem();
	if (!err) {
		hm_transport = HM_TRANSPORT_IVSHMEM;
		return 0;
	}
	if (err != -ENODEV)
		return err;
	if (HM_DEFAULT_TRANSPORT == HM_TRANSPORT_IVSHMEM) {
		pr_err("no ivshmem device with a hypermem host, and this architecture has no other transport\n");
		return err;
	}
	hm_transport = HM_DEFAULT_TRANSPORT;
	return 0;
}

void hm_transport_close(void)
{
	if (hm_transport == HM_TRANSPORT_IVSHMEM)
		hm_ivshmem_unregister();
}

const char *hm_transport_name(void)
{
	return transport_names[hm_transport];
}

bool hm_transport_mailbox(void)
{
	return hm_transport == HM_TRANSPORT_IVSHMEM;
}

/* 0 once the host answered; the exits return only then. */
int hm_doorbell(void *opaque, unsigned int call, uint64_t gpa)
{
	if (hm_transport == HM_TRANSPORT_IVSHMEM)
		return hm_ivshmem_call(call, gpa);
	if (hm_transport == HM_TRANSPORT_SELFTEST)
		hm_selftest_host(call, gpa);
	else
		arch_doorbell(call, gpa);
	barrier();
	return 0;
}
