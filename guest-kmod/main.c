// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * hypermem guest module: one region per online CPU, offered to the host at
 * load and on CPU hotplug, and the events raised on it.
 *
 * A region belongs to one CPU because the host serves a request on the vCPU
 * that rang the doorbell. One event at a time owns a region: the busy flag
 * is taken with a cmpxchg, so an event that finds it taken (a syscall on a
 * CPU where a sleeping user event is being served) is dropped, never nested.
 *
 * A region is guest RAM, except under transport=ivshmem: there CPU n's is
 * slot n of the device's shared memory, whose offsets stand for the
 * guest-physical addresses; a CPU without a slot raises no events.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include "hypermem.h"
#include "mailbox.h"

#define HM_REGION_PAGES HM_MAX_REGION_PAGES

struct hm_cpu {
	struct hm_agent agent;
	struct page *pages;
	struct page *sub_page;	/* the host's subscription table */
	atomic_t busy;
	bool active;		/* a host acknowledged the region */
	u32 sub_seen;		/* the table's seq hm_syscalls_wanted() read */
	int register_err;
};

static DEFINE_PER_CPU(struct hm_cpu, hm_cpus);
static enum cpuhp_state hm_cpuhp_state;
/* Set once loading is over: from then on, a CPU without a host is no error. */
static bool hm_loaded;
/*
 * Loading, and a device plugged in meanwhile: the probe's offer waits for
 * the CPUs' setup, then offers what the setup found no mailbox for.
 * Taken before the CPU hotplug lock.
 */
static DEFINE_MUTEX(load_lock);
/* Against a hot-unplug of the mailbox, which takes every region back. */
static DEFINE_MUTEX(regions_lock);
static bool regions_dropped;

static bool passive;
module_param(passive, bool, 0444);
MODULE_PARM_DESC(passive, "Stay loaded when no host answers (default 0)");

static char *transport;
module_param(transport, charp, 0444);
MODULE_PARM_DESC(transport,
		 "Doorbell: ivshmem (QEMU's ivshmem-doorbell or ivshmem-plain device; the default where one has a hypermem host, the only one on 32-bit ARM and MIPS), pio (x86 default otherwise), vmcall (x86, KVM), hvc (arm64 default otherwise), selftest (an in-module host for tests)");

bool hm_loopback;
module_param_named(loopback, hm_loopback, bool, 0444);
MODULE_PARM_DESC(loopback,
		 "Debug: let /dev/hypermem run op handlers without a host");

static unsigned int region_order(void)
{
	return get_order(HM_REGION_PAGES * HM_PAGE_SIZE);
}

static void register_on_cpu(void *info)
{
	struct hm_cpu *hc = info;

	hc->register_err = hm_agent_register(&hc->agent, smp_processor_id());
}

static void free_region(struct hm_cpu *hc)
{
	if (hc->pages)
		__free_pages(hc->pages, region_order());
	hc->pages = NULL;
	hc->agent.region = NULL;
	if (hc->sub_page)
		__free_page(hc->sub_page);
	hc->sub_page = NULL;
	hc->agent.sub = NULL;
	kfree(hc->agent.name_buf);
	hc->agent.name_buf = NULL;
}

/* A CPU that comes online after loading may lack a host: no error then. */
static int no_host(unsigned int cpu)
{
	if (passive || hm_loaded) {
		pr_info("no host answered on cpu %u; no events from it\n", cpu);
		return 0;
	}
	pr_warn("no host answered on cpu %u; load with passive=1 to stay loaded\n",
		cpu);
	return -ENODEV;
}

static int offer_region(struct hm_cpu *hc, unsigned int cpu)
{
	hc->agent.ops = &hm_kmod_ops;
	hc->agent.features = HM_KMOD_FEATURES | hm_hooks_features() |
			     HM_FEATURE_PREFETCH | HM_FEATURE_COND_OPS;
	/*
	 * Names of mappings and files, and fd names past the region; without
	 * it those lists say EIO.
	 */
	hc->agent.name_buf = kmalloc_node(HM_NAME_MAX, GFP_KERNEL,
					  cpu_to_node(cpu));
	/* The doorbell must ring on the CPU that owns the region. */
	smp_call_function_single(cpu, register_on_cpu, hc, 1);
	if (hc->register_err) {
		free_region(hc);
		return no_host(cpu);
	}
	pr_info("cpu %u: host accepted %u pages, features %#llx\n", cpu,
		hc->agent.region_pages, hc->agent.features);
	/* Pairs with raise_here(): the agent is set up before it is used. */
	smp_store_release(&hc->active, true);
	hm_hooks_changed();
	return 0;
}

static int ram_region(struct hm_cpu *hc, unsigned int cpu)
{
	hc->pages = alloc_pages_node(cpu_to_node(cpu),
				     GFP_KERNEL | __GFP_ZERO, region_order());
	if (!hc->pages) {
		pr_warn("no memory for the region of cpu %u\n", cpu);
		return hm_loaded ? 0 : -ENOMEM;
	}
	hc->agent.region = page_address(hc->pages);
	hc->agent.region_gpa = page_to_phys(hc->pages);
	hc->agent.region_pages = HM_REGION_PAGES;
	/* Without the page the host cannot subscribe: the parameter rules. */
	hc->sub_page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
	hc->agent.sub = hc->sub_page ? page_address(hc->sub_page) : NULL;
	hc->agent.sub_gpa = hc->sub_page ? page_to_phys(hc->sub_page) : 0;
	return offer_region(hc, cpu);
}

/* The slots are the host's to size: a CPU beyond them is no error. */
static int slot_region(struct hm_cpu *hc, unsigned int cpu)
{
	struct hm_mailbox_guest *mb = hm_ivshmem_mailbox();
	uint32_t pages;
	uint64_t offset;

	if (!mb && hm_ivshmem_hotplug)
		return 0;
	/* Offered by the CPUs' setup after a probe during loading. */
	if (READ_ONCE(hc->active))
		return 0;
	if (!mb || regions_dropped)
		return no_host(cpu);
	hc->agent.region = hm_mailbox_region(mb, cpu, &offset, &pages);
	if (!hc->agent.region) {
		pr_info_once("no mailbox slot for cpu %u or above (the host offers %u); no events from them\n",
			     cpu, mb->nr_slots);
		return 0;
	}
	hc->agent.region_gpa = offset;
	hc->agent.region_pages = pages;
	hc->agent.sub = hm_mailbox_sub_page(mb, cpu, &hc->agent.sub_gpa);
	/* The agent offers a zeroed page; a host may have left a table. */
	memset(hc->agent.sub, 0, HM_PAGE_SIZE);
	return offer_region(hc, cpu);
}

static int hm_cpu_online(unsigned int cpu)
{
	struct hm_cpu *hc = per_cpu_ptr(&hm_cpus, cpu);
	int err;

	mutex_lock(&regions_lock);
	if (hm_transport_mailbox())
		err = slot_region(hc, cpu);
	else
		err = ram_region(hc, cpu);
	mutex_unlock(&regions_lock);
	return err;
}

static void drop_region(struct hm_cpu *hc)
{
	WRITE_ONCE(hc->active, false);
	/* Wait for an event still running on the region; none starts now. */
	while (atomic_cmpxchg(&hc->busy, 0, 1))
		usleep_range(100, 1000);
	free_region(hc);
	atomic_set(&hc->busy, 0);
	hm_hooks_changed();
}

static int hm_cpu_offline(unsigned int cpu)
{
	mutex_lock(&regions_lock);
	drop_region(per_cpu_ptr(&hm_cpus, cpu));
	mutex_unlock(&regions_lock);
	return 0;
}

static unsigned int count_active(void);

void hm_regions_offer(void)
{
	unsigned int cpu;

	mutex_lock(&load_lock);
	cpus_read_lock();
	if (!READ_ONCE(hm_loaded)) {
		/* The probe in pci_register_driver(): loading offers them. */
		cpus_read_unlock();
		mutex_unlock(&load_lock);
		return;
	}
	mutex_lock(&regions_lock);
	regions_dropped = false;
	for_each_online_cpu(cpu)
		slot_region(per_cpu_ptr(&hm_cpus, cpu), cpu);
	mutex_unlock(&regions_lock);
	pr_info("device plugged in: %u of %u cpus have a host\n",
		count_active(), num_online_cpus());
	cpus_read_unlock();
	mutex_unlock(&load_lock);
	hm_hooks_settle();
}

void hm_regions_drop(void)
{
	unsigned int cpu, live = 0;

	mutex_lock(&regions_lock);
	regions_dropped = true;
	for_each_possible_cpu(cpu) {
		struct hm_cpu *hc = per_cpu_ptr(&hm_cpus, cpu);

		live += READ_ONCE(hc->active);
		drop_region(hc);
	}
	mutex_unlock(&regions_lock);
	/*
	 * Unloading has taken every region back already: no message then.
	 * The driver stays registered: a device plugged in again is probed.
	 */
	if (live)
		pr_info("the device was unplugged; no events until one is plugged in again\n");
}

static int raise_here(const struct hm_event_record *event, struct hm_ctx *ctx,
		      struct hm_agent_control *control,
		      const struct hm_fetch_list *fetch)
{
	struct hm_cpu *hc = this_cpu_ptr(&hm_cpus);
	int err = 0;

	if (atomic_cmpxchg_acquire(&hc->busy, 0, 1))
		return -EBUSY;
	/* Pairs with hm_cpu_online(): see the agent it set up. */
	if (smp_load_acquire(&hc->active)) {
		hc->agent.ctx = ctx;
		hm_agent_raise_fetching(&hc->agent, event, fetch);
		if (control)
			*control = hc->agent.control;
		/* The host may have changed its table in the round trip. */
		if (hm_agent_sub_seq(&hc->agent) != READ_ONCE(hc->sub_seen))
			hm_hooks_changed();
	} else {
		err = -ENODEV;
	}
	atomic_set_release(&hc->busy, 0);
	return err;
}

bool hm_syscalls_wanted(bool by_parameter, bool *any_host)
{
	bool want = false;
	unsigned int cpu;

	*any_host = false;
	mutex_lock(&regions_lock);
	for_each_possible_cpu(cpu) {
		struct hm_cpu *hc = per_cpu_ptr(&hm_cpus, cpu);
		enum hm_want w;
		u32 seq;

		if (!READ_ONCE(hc->active))
			continue;
		*any_host = true;
		w = hm_agent_wants_syscalls(&hc->agent, &seq);
		WRITE_ONCE(hc->sub_seen, seq);
		want |= w == HM_WANT_YES || (w == HM_WANT_GUEST && by_parameter);
	}
	mutex_unlock(&regions_lock);
	return want;
}

/* For callers that already run with preemption disabled. */
enum hm_want hm_wants(const struct hm_event_record *event,
		      struct hm_fetch_list *fetch)
{
	struct hm_cpu *hc = this_cpu_ptr(&hm_cpus);
	struct hm_ctx ctx = { .atomic = true };
	enum hm_want want = HM_WANT_GUEST;

	if (atomic_cmpxchg_acquire(&hc->busy, 0, 1))
		return want;
	if (smp_load_acquire(&hc->active)) {
		hc->agent.ctx = &ctx;
		want = hm_agent_wants_fetching(&hc->agent, event, fetch);
	}
	atomic_set_release(&hc->busy, 0);
	return want;
}

/*
 * A process event: only where the host took the feature and a rule of its
 * subscription asks for it, never by the guest's own choice.
 */
bool hm_wants_process(const struct hm_event_record *event,
		      struct hm_fetch_list *fetch)
{
	struct hm_cpu *hc = this_cpu_ptr(&hm_cpus);
	struct hm_ctx ctx = { .atomic = true };
	bool want = false;

	if (atomic_cmpxchg_acquire(&hc->busy, 0, 1))
		return false;
	if (smp_load_acquire(&hc->active) &&
	    (hc->agent.features & HM_FEATURE_PROC_EVENTS)) {
		hc->agent.ctx = &ctx;
		want = hm_agent_wants_fetching(&hc->agent, event, fetch) ==
		       HM_WANT_YES;
	}
	atomic_set_release(&hc->busy, 0);
	return want;
}

/* For callers that already run with preemption disabled. */
int hm_raise_atomic(const struct hm_event_record *event,
		    struct hm_agent_control *control,
		    const struct hm_fetch_list *fetch)
{
	struct hm_ctx ctx = { .atomic = true };

	return raise_here(event, &ctx, control, fetch);
}

/*
 * A user event: raised where the host's subscription wants it, or where
 * it has none. Returns 0 as well when the host does not want it.
 */
int hm_raise_sleepable(const struct hm_event_record *event)
{
	struct hm_ctx ctx = { .atomic = false };
	struct hm_fetch_list fetch;
	enum hm_want want;
	int err = 0;

	migrate_disable();
	preempt_disable();
	want = hm_wants(event, &fetch);
	preempt_enable();
	if (want != HM_WANT_NO)
		err = raise_here(event, &ctx, NULL, &fetch);
	migrate_enable();
	return err;
}

static unsigned int count_active(void)
{
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(&hm_cpus, cpu)->active);
	return n;
}

static int __init hm_init(void)
{
	int err;

	err = hm_transport_select(transport);
	if (err)
		return err;
	/* Events raised before a CPU registers find it inactive. */
	err = hm_hooks_start();
	if (err)
		goto err_transport;
	mutex_lock(&load_lock);
	cpus_read_lock();
	err = cpuhp_setup_state_cpuslocked(CPUHP_AP_ONLINE_DYN,
					   "hypermem:online", hm_cpu_online,
					   hm_cpu_offline);
	if (err >= 0)
		WRITE_ONCE(hm_loaded, true);
	cpus_read_unlock();
	mutex_unlock(&load_lock);
	if (err < 0)
		goto err_hooks;
	hm_cpuhp_state = err;
	/* A host that subscribed at registration gets the first syscall. */
	hm_hooks_settle();
	err = hm_dev_register();
	if (err)
		goto err_cpuhp;
	pr_info("loaded: %u of %u cpus have a host, transport %s%s\n",
		count_active(), num_online_cpus(), hm_transport_name(),
		hm_loopback ? ", loopback" : "");
	return 0;

err_cpuhp:
	cpuhp_remove_state(hm_cpuhp_state);
err_hooks:
	hm_hooks_stop();
err_transport:
	hm_transport_close();
	return err;
}

static void __exit hm_exit(void)
{
	hm_dev_unregister();
	hm_hooks_stop();
	cpuhp_remove_state(hm_cpuhp_state);
	/* Last: the regions may be the device's memory. */
	hm_transport_close();
	pr_info("unloaded\n");
}

module_init(hm_init);
module_exit(hm_exit);

MODULE_DESCRIPTION("hypermem guest agent: lets the host read guest memory");
MODULE_LICENSE("Dual MIT/GPL");
