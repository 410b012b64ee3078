// SPDX-License-Identifier: MIT
/*
 * The run (run.h): the options choose a backend once, the VMM core or a
 * stock QEMU (backend.h), and the client reaches the running guest
 * through it, whichever it is. The terminal and console are console.c's,
 * the options options.c's, how a run ended ending.c's.
 */
#include <errno.h>

#include "backend.h"
#include "output.h"
#include "run.h"
#include "syscalls.h"

static struct run the_run;

int run_guest(const struct options *o, const struct run_client *client)
{
	struct run *r = &the_run;
	int code;

	*r = (struct run){
		.backend = run_uses_qemu(o) ? &run_backend_qemu :
			   &run_backend_vmm,
		.client = client,
	};
	code = r->backend->run(r, o);
	*r = (struct run){ .backend = NULL };
	return code;
}

struct hm_vm *run_hm_vm(void)
{
	return the_run.guest ? the_run.backend->hm_vm(the_run.guest) : NULL;
}

void run_stop(void)
{
	if (the_run.guest)
		the_run.backend->stop(the_run.guest);
}

int run_is_stopping(void)
{
	return the_run.guest ? the_run.backend->is_stopping(the_run.guest) :
	       0;
}

int run_event(struct run *r, struct hm_vcpu *vcpu, int cpu,
	      const struct hm_event *ev)
{
	int arch = hm_vcpu_get_guest_arch(vcpu);
	uint32_t named = syscalls_arch();

	if (arch > 0 && (uint32_t)arch != named) {
		if (!__atomic_exchange_n(&r->wrong_arch, 1, __ATOMIC_RELAXED)) {
			output_error("the guest is %s, the run's syscall names "
				     "are %s's (--arch %s)",
				     syscalls_arch_name((uint32_t)arch),
				     syscalls_arch_name(named),
				     syscalls_arch_name((uint32_t)arch));
			r->backend->stop(r->guest);
		}
		return -ECANCELED;
	}
	__atomic_add_fetch(&r->events, 1, __ATOMIC_RELAXED);
	return r->client->event(r->client->opaque, vcpu, cpu, ev);
}

int run_counts(struct output_counts *counts)
{
	if (!the_run.guest)
		return 0;
	counts->events = __atomic_load_n(&the_run.events, __ATOMIC_RELAXED);
	counts->exits = the_run.exits;
	return 1;
}

int run_wrong_arch(void)
{
	return the_run.wrong_arch;
}
