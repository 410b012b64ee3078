// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "seams.h"
#include "sync_guest.h"

/* The clock the library sees: it moves only when a guest stays silent. */
static uint64_t now_ns;

static bool in_mem(uint64_t va, size_t len)
{
	return va >= SYNC_VA && va - SYNC_VA <= SYNC_MEM_SIZE &&
	       len <= SYNC_MEM_SIZE - (va - SYNC_VA);
}

/* Bytes of [va, va + len) that lie in the task's memory, from va on. */
static size_t readable(uint64_t va, size_t len)
{
	if (va < SYNC_VA || va - SYNC_VA >= SYNC_MEM_SIZE)
		return 0;
	return in_mem(va, len) ? len : SYNC_MEM_SIZE - (size_t)(va - SYNC_VA);
}

static size_t op_copy_from(void *ctx, void *dst, uint64_t src, size_t len)
{
	struct sync_guest *g = ctx;
	size_t n = readable(src, len);

	memcpy(dst, g->mem + (n ? src - SYNC_VA : 0), n);
	return len - n;
}

static size_t op_copy_to(void *ctx, uint64_t dst, const void *src, size_t len)
{
	struct sync_guest *g = ctx;
	size_t n = readable(dst, len);

	memcpy(g->mem + (n ? dst - SYNC_VA : 0), src, n);
	return len - n;
}

static long op_string_from(void *ctx, char *dst, uint64_t src, size_t len,
			   size_t *copied)
{
	struct sync_guest *g = ctx;
	size_t n = readable(src, len);
	const char *s = (const char *)g->mem + (n ? src - SYNC_VA : 0);
	const char *nul = memchr(s, '\0', n);

	*copied = nul ? (size_t)(nul - s) : n;
	memcpy(dst, s, *copied);
	if (nul || n == len)
		return (long)*copied;
	return -HM_EFAULT;
}

static void ring(struct sync_guest *g, unsigned int call, uint64_t gpa)
{
	fake_cpu_ring(g->run, &g->regs, call, gpa,
		      g->vmcall ? FAKE_RING_VMCALL : FAKE_RING_SYNCED);
}

/* Registration and events reach the host at once, as the VMM's loop would. */
static int op_doorbell(void *ctx, unsigned int call, uint64_t gpa)
{
	struct sync_guest *g = ctx;

	ring(g, call, gpa);
	if (call != HM_CALL_REPLY)
		hm_vcpu_handle_exit(g->vcpu);
	return 0;
}

static int sync_kvm_run(struct hm_vcpu *vcpu, void *opaque)
{
	struct sync_guest *g = hm_vcpu_get_data(vcpu);

	(void)opaque;
	g->kvm_runs++;
	if (g->silent) {
		/* The watchdog's kick, a second after the last. */
		g->silent--;
		now_ns += 1000000000ull;
		return -EINTR;
	}
	if (g->foreign) {
		/* A byte to the serial port, the VMM's exit, comes first. */
		g->foreign--;
		fake_cpu_serial(g->run, 'x');
		return 0;
	}
	hm_agent_serve(&g->agent);
	if (g->spoil)
		g->spoil(g);
	ring(g, g->reply_call ? g->reply_call : HM_CALL_REPLY,
	     g->agent.region_gpa);
	return 0;
}

static int sync_vcpu_ioctl(struct hm_vcpu *vcpu, unsigned long request,
			   void *arg, void *opaque)
{
	struct sync_guest *g = hm_vcpu_get_data(vcpu);

	(void)opaque;
	return fake_cpu_ioctl(&g->regs, request, arg);
}

static void sync_clock(struct timespec *now, void *opaque)
{
	(void)opaque;
	now->tv_sec = (time_t)(now_ns / 1000000000ull);
	now->tv_nsec = (long)(now_ns % 1000000000ull);
}

uint64_t sync_guest_clock_ns(void)
{
	return now_ns;
}

static const struct hm_seams seams = {
	.kvm_run = sync_kvm_run,
	.vcpu_ioctl = sync_vcpu_ioctl,
	.clock = sync_clock,
};

/* Fake vCPU fds: no real ioctl sees them with the seams installed. */
#define SYNC_FD_BASE 1000

struct sync_guest *sync_guest_new(struct hm_vm *vm, unsigned int index)
{
	struct sync_guest *g = calloc(1, sizeof(*g));
	uint64_t gpa = SYNC_RAM_GPA + (uint64_t)index * SYNC_RAM_SIZE;

	if (!g)
		abort();
	g->run = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g->ram = calloc(1, SYNC_RAM_SIZE);
	if (g->run == MAP_FAILED || !g->ram ||
	    hm_vm_add_ram(vm, gpa, SYNC_RAM_SIZE, g->ram) ||
	    hm_vcpu_new(vm, SYNC_FD_BASE + (int)index, g->run, &g->vcpu))
		abort();
	g->ops = (struct hm_agent_ops){
		.doorbell = op_doorbell,
		.copy_from = op_copy_from,
		.copy_to = op_copy_to,
		.string_from = op_string_from,
	};
	g->agent = (struct hm_agent){
		.ops = &g->ops,
		.ctx = g,
		.region = (struct hm_region *)g->ram,
		.region_gpa = gpa,
		.region_pages = 1,
		.name_buf = g->name_buf,
	};
	g->ram_gpa = gpa;
	g->mem = g->ram + SYNC_MEM;
	hm_vcpu_set_data(g->vcpu, g);
	hm_seams_set(&seams);
	return g;
}

void sync_guest_free(struct sync_guest *g)
{
	hm_vcpu_free(g->vcpu);
	munmap(g->run, 2 * 4096);
	free(g->ram);
	free(g);
}

int sync_guest_register(struct sync_guest *g)
{
	return hm_agent_register(&g->agent, 0);
}

void sync_guest_raise(struct sync_guest *g, uint32_t kind, uint64_t nr)
{
	struct hm_event_record ev = { .kind = kind, .nr = nr };

	hm_agent_raise(&g->agent, &ev);
}

struct event_call {
	int (*fn)(struct hm_vcpu *vcpu, struct sync_guest *g);
	int result;
};

static int call_in_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
			 void *opaque)
{
	struct event_call *call = opaque;

	(void)ev;
	call->result = call->fn(vcpu, hm_vcpu_get_data(vcpu));
	return 0;
}

int sync_guest_event(struct sync_guest *g,
		     int (*fn)(struct hm_vcpu *vcpu, struct sync_guest *g))
{
	struct event_call call = { fn, -1 };

	hm_vm_set_event_handler(hm_vcpu_get_vm(g->vcpu), call_in_event, &call);
	sync_guest_raise(g, HM_EVENT_USER, 7);
	hm_vm_set_event_handler(hm_vcpu_get_vm(g->vcpu), NULL, NULL);
	return call.result;
}
