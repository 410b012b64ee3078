// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * transport=ivshmem: QEMU's ivshmem-doorbell device (docs/specs/ivshmem-spec
 * in QEMU) carrying the mailbox of protocol.h, "Mailbox transport". BAR2 is
 * memory the host process maps too: the slots are the CPUs' regions, and a
 * call is handed over by the turn word of its slot, then the host, peer 0,
 * is rung through BAR0's Doorbell register. The guest spins for the answer
 * (guest-common/mailbox.c), so no interrupt is used.
 *
 * ivshmem-plain (same PCI id; no MSI-X BAR, no peers: machines without
 * MSI-X, such as MIPS Malta) carries the same mailbox: its header says
 * the host polls, and the guest does not ring (QEMU would drop the write).
 *
 * A device without a hypermem header is someone else's: the probe says
 * -ENODEV and another driver may take it. One device only.
 *
 * With hotplug=1 the module loads without the device and takes one that
 * is hot-plugged later (hypermem-run --attach): its probe offers every
 * online CPU's slot to the host, and its removal takes them back, the
 * module staying loaded for the next one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/processor.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#include "hypermem.h"
#include "mailbox.h"

#define IVSHMEM_DEVICE_ID 0x1110
#define REGS_BAR 0
#define SHMEM_BAR 2
/* BAR0 registers (ivshmem-spec, "Device registers"). */
#define REG_IVPOSITION 8
#define REG_DOORBELL 12
#define HOST_PEER 0
#define HOST_VECTOR 0

static unsigned int mailbox_timeout_ms = 5000;
module_param(mailbox_timeout_ms, uint, 0444);
MODULE_PARM_DESC(mailbox_timeout_ms,
		 "transport=ivshmem: how long one call waits for the host's answer, in ms (default 5000); a CPU whose call timed out raises no event until the host lets go of its slot");

bool hm_ivshmem_hotplug;
module_param_named(hotplug, hm_ivshmem_hotplug, bool, 0444);
MODULE_PARM_DESC(hotplug,
		 "transport=ivshmem: load without the device, take one hot-plugged later and let it go when it is unplugged (default 0)");

static struct ivshmem {
	struct pci_dev *pdev;
	void __iomem *regs;
	void *mem;
	struct hm_mailbox_guest mb;
} ivshmem;

static void ring(void *ctx)
{
	struct ivshmem *dev = ctx;

	writel(HOST_PEER << 16 | HOST_VECTOR, dev->regs + REG_DOORBELL);
}

static uint64_t now_ns(void *ctx)
{
	return ktime_get_ns();
}

static void relax(void *ctx)
{
	cpu_relax();
}

/* Write-back: the turn words take atomic operations, which UC or WC do not. */
static int map_mailbox(struct pci_dev *pdev)
{
	resource_size_t size = pci_resource_len(pdev, SHMEM_BAR);
	int err = -ENOMEM;

	ivshmem.regs = pci_iomap(pdev, REGS_BAR, 0);
	if (!ivshmem.regs)
		return -ENOMEM;
	ivshmem.mem = memremap(pci_resource_start(pdev, SHMEM_BAR), size,
			       MEMREMAP_WB);
	if (!ivshmem.mem)
		goto err_regs;
	err = -ENODEV;
	if (hm_mailbox_guest_init(&ivshmem.mb, ivshmem.mem, size)) {
		dev_info(&pdev->dev, "no hypermem host behind it; left to other drivers\n");
		goto err_mem;
	}
	return 0;

err_mem:
	memunmap(ivshmem.mem);
err_regs:
	pci_iounmap(pdev, ivshmem.regs);
	return err;
}

static int ivshmem_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int err;

	if (ivshmem.pdev) {
		dev_info(&pdev->dev, "hypermem already uses %s; one device only\n",
			 pci_name(ivshmem.pdev));
		return -EBUSY;
	}
	if (!(pci_resource_flags(pdev, REGS_BAR) & IORESOURCE_MEM) ||
	    !(pci_resource_flags(pdev, SHMEM_BAR) & IORESOURCE_MEM))
		return -ENODEV;
	/* A hot-plugged device gets what its bridge's windows have left. */
	if (!pci_resource_start(pdev, SHMEM_BAR)) {
		dev_err(&pdev->dev, "BAR2, the shared memory, got no address: its bridge's window is too small (QEMU: pcie-root-port,pref64-reserve=8M)\n");
		return -ENOMEM;
	}
	err = pci_enable_device(pdev);
	if (err)
		return err;
	err = pci_request_regions(pdev, KBUILD_MODNAME);
	if (err)
		goto err_disable;
	err = map_mailbox(pdev);
	if (err)
		goto err_release;
	ivshmem.mb.timeout_ns = (u64)mailbox_timeout_ms * NSEC_PER_MSEC;
	ivshmem.mb.ring = ring;
	ivshmem.mb.now_ns = now_ns;
	ivshmem.mb.relax = relax;
	ivshmem.mb.ctx = &ivshmem;
	ivshmem.pdev = pdev;
	if (ivshmem.mb.flags & HM_MAILBOX_HOST_POLLS)
		dev_info(&pdev->dev, "hypermem host: %u slots of %u pages, no doorbell: the host polls\n",
			 ivshmem.mb.nr_slots, ivshmem.mb.slot_pages);
	else
		dev_info(&pdev->dev, "hypermem host: %u slots of %u pages, our peer id %u\n",
			 ivshmem.mb.nr_slots, ivshmem.mb.slot_pages,
			 readl(ivshmem.regs + REG_IVPOSITION));
	hm_regions_offer();
	return 0;

err_release:
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
	return err;
}

/* Only a hot-unplug gets here while regions are live (unbind is off). */
static void ivshmem_remove(struct pci_dev *pdev)
{
	hm_regions_drop();
	memunmap(ivshmem.mem);
	pci_iounmap(pdev, ivshmem.regs);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	memset(&ivshmem, 0, sizeof(ivshmem));
}

static const struct pci_device_id ivshmem_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, IVSHMEM_DEVICE_ID) },
	{ }
};
/* udev loads the module by this modalias when the device appears. */
MODULE_DEVICE_TABLE(pci, ivshmem_ids);

static struct pci_driver ivshmem_driver = {
	.name = KBUILD_MODNAME,
	.id_table = ivshmem_ids,
	.probe = ivshmem_probe,
	.remove = ivshmem_remove,
	/* Unbinding through sysfs would pull the slots from under the CPUs. */
	.driver.suppress_bind_attrs = true,
	/* hm_transport_select() looks for a bound device right after. */
	.driver.probe_type = PROBE_FORCE_SYNCHRONOUS,
};

int hm_ivshmem_register(void)
{
	return pci_register_driver(&ivshmem_driver);
}

void hm_ivshmem_unregister(void)
{
	pci_unregister_driver(&ivshmem_driver);
}

struct hm_mailbox_guest *hm_ivshmem_mailbox(void)
{
	return ivshmem.pdev ? &ivshmem.mb : NULL;
}

/* The doorbell rings on the CPU that owns the region: its slot. */
int hm_ivshmem_call(unsigned int call, uint64_t offset)
{
	unsigned int cpu = smp_processor_id();
	int err = hm_mailbox_call(&ivshmem.mb, cpu, call, offset);

	if (err == -HM_MAILBOX_ETIMEDOUT)
		pr_warn_ratelimited("host did not answer within %u ms on cpu %u; events from it stop until it does\n",
				    mailbox_timeout_ms, cpu);
	return err;
}
