// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Doorbells: how a call reaches the host (protocol.h, "Doorbells").
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
#else
#error "hypermem supports x86 and arm64 guests"
#endif

enum hm_transport {
	HM_TRANSPORT_PIO,
	HM_TRANSPORT_VMCALL,
	HM_TRANSPORT_HVC,
	HM_TRANSPORT_SELFTEST,
};

static const char *const transport_names[] = {
	[HM_TRANSPORT_PIO] = "pio",
	[HM_TRANSPORT_VMCALL] = "vmcall",
	[HM_TRANSPORT_HVC] = "hvc",
	[HM_TRANSPORT_SELFTEST] = "selftest",
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
#endif

int hm_transport_select(const char *name)
{
	int transport = HM_DEFAULT_TRANSPORT;
	int err;

	if (name)
		transport = match_string(transport_names,
					 ARRAY_SIZE(transport_names), name);
	if (transport < 0) {
		pr_err("transport=%s: use pio, vmcall, hvc or selftest\n",
		       name);
		return -EINVAL;
	}
	if (transport != HM_TRANSPORT_SELFTEST) {
		err = arch_check(transport);
		if (err)
			return err;
	}
	hm_transport = transport;
	return 0;
}

const char *hm_transport_name(void)
{
	return transport_names[hm_transport];
}

void hm_doorbell(void *opaque, unsigned int call, uint64_t gpa)
{
	if (hm_transport == HM_TRANSPORT_SELFTEST)
		hm_selftest_host(call, gpa);
	else
		arch_doorbell(call, gpa);
	barrier();
}
