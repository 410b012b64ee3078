// SPDX-License-Identifier: MIT
/*
 * The simulated guest that hypermem-bench runs under callgrind: the unit
 * tests' fake guest (a thread running the real agent) with 4 MiB of user
 * memory mapped by 2 MiB pages. It does one op REPS times in one event;
 * bench_op() is what callgrind collects, less the fake KVM_RUN:
 *
 *   valgrind --tool=callgrind --collect-atstart=no \
 *	--toggle-collect=bench_op --toggle-collect=__wrap_ioctl \
 *	hypermem-bench-sim ROW MODE REPS
 *
 * With --mailbox it times every row instead, over the mailbox transport
 * (protocol.h): the same agent in a guest thread, its regions in shared
 * memory, its doorbells on an eventfd, the host serving it as it would
 * serve a QEMU's ivshmem device. One line per row: its index, the median
 * microseconds, then round trips, doorbells and ioctls per op, and 1 when
 * every op read what it should:
 *
 *	hypermem-bench-sim --mailbox REPS
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

#include "bench.h"
#include "fake_guest.h"

#define DATA_GPA 0x10000000ull
#define DATA_VA 0x40000000ull
#define DATA_SIZE (4u * MIB)
#define STR_OFFSET (3u * MIB)
#define TABLES_GPA (FAKE_RAM_GPA + 0x80000)

static int row, reps;
static enum hm_read_mode mode;
static uint8_t *data;
static uint8_t out[MIB];

int bench_op(struct hm_vcpu *vcpu);

__attribute__((noinline)) int bench_op(struct hm_vcpu *vcpu)
{
	const struct bench_target target = {
		.small = DATA_VA,
		.big = DATA_VA,
		.str = DATA_VA + STR_OFFSET,
	};

	return bench_row_op(vcpu, row, &target, out);
}

static int failures;

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	int i;

	(void)ev;
	(void)opaque;
	hm_vm_set_read_mode(hm_vcpu_get_vm(vcpu), mode);
	for (i = 0; i < reps; i++)
		failures += !bench_op(vcpu);
	return 0;
}

static int timed_op(struct hm_vcpu *vcpu, void *ctx)
{
	(void)ctx;
	return bench_op(vcpu);
}

/* --mailbox: every row, timed one op at a time. */
static int on_timed_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
			  void *opaque)
{
	struct bench_cell c;

	(void)ev;
	(void)opaque;
	for (row = 0; row < NR_ROWS; row++) {
		bench_time(vcpu, row == ROW_READ_1M ? reps / 4 + 1 : reps,
			   timed_op, NULL, &c);
		printf("%d %.2f %.2f %.2f %.2f %d\n", row, c.median_us,
		       c.round_trips, c.exits, c.ioctls, c.ok);
	}
	return 0;
}
static int run_mailbox(struct fake_guest *g)
{
	size_t size = 4 * MIB;
	uint8_t *mem = aligned_alloc(4096, size);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct hm_mailbox *mb;
	struct hm_vm *vm;

	if (!mem || efd < 0 || hm_vm_new(&vm))
		return 1;
	memset(mem, 0, size);
	if (hm_mailbox_new(vm, mem, size, HM_MAX_REGION_PAGES, efd, &mb) ||
	    fake_guest_use_mailbox(g, mem, size, 0, efd, 5000))
		return 1;
	hm_vm_set_event_handler(vm, on_timed_event, NULL);
	fake_guest_start(g);
	while (!fake_guest_done(g)) {
		struct pollfd pfd = { .fd = efd, .events = POLLIN };

		poll(&pfd, 1, 100);
		if (hm_mailbox_serve(mb) < 0)
			return 1;
	}
	hm_mailbox_free(mb);
	hm_vm_free(vm);
	return g->mailbox_failures != 0;
}

static void guest_main(struct fake_guest *g)
{
	fake_guest_register(g);
	fake_guest_raise(g, HM_EVENT_USER, 1, 0, 0, 0);
}

/* PML4 -> PDPT -> PD with two 2 MiB user pages over the data. */
static void build_tables(struct fake_guest *g)
{
	uint64_t *t = (uint64_t *)(g->ram + (TABLES_GPA - FAKE_RAM_GPA));
	uint64_t flags = 0x7;	/* present, writable, user */
	unsigned int i;

	t[0] = (TABLES_GPA + 4096) | flags;
	t[512 + (DATA_VA >> 30)] = (TABLES_GPA + 8192) | flags;
	for (i = 0; i < DATA_SIZE >> 21; i++)
		t[1024 + i] = (DATA_GPA + ((uint64_t)i << 21)) | flags | 0x80;
	g->sregs.cr0 = 1ull << 31 | 1;
	g->sregs.cr4 = 1ull << 5;
	g->sregs.efer = 1ull << 8 | 1ull << 10 | 1ull << 11;
	g->sregs.cr3 = TABLES_GPA;
}

static struct fake_guest *make_guest(struct fake_process *proc)
{
	struct fake_guest *g = fake_guest_new(guest_main, NULL);

	data = aligned_alloc(2 * MIB, DATA_SIZE);
	if (!data)
		exit(1);
	for (size_t i = 0; i < DATA_SIZE; i++)
		data[i] = (uint8_t)('a' + i % 26);
	data[STR_OFFSET + 100] = '\0';
	proc->maps[0] = (struct fake_mapping){ .va = DATA_VA,
		.len = DATA_SIZE, .mem = data, .writable = true };
	proc->nr_maps = 1;
	g->current = proc;
	g->agent.region_pages = HM_MAX_REGION_PAGES;
	g->agent.features |= HM_FEATURE_READV;
	build_tables(g);
	return g;
}

int main(int argc, char **argv)
{
	struct fake_process proc = { .pid = 1 };
	struct fake_guest *g;
	struct hm_vcpu *vcpu;
	struct hm_vm *vm;

	if (argc == 3 && !strcmp(argv[1], "--mailbox")) {
		reps = atoi(argv[2]);
		if (reps < 1 || reps > BENCH_MAX_REPS)
			return 2;
		return run_mailbox(make_guest(&proc));
	}
	if (argc != 4) {
		fprintf(stderr, "usage: %s ROW MODE REPS | --mailbox REPS\n",
			argv[0]);
		return 2;
	}
	row = atoi(argv[1]);
	mode = (enum hm_read_mode)atoi(argv[2]);
	reps = atoi(argv[3]);
	g = make_guest(&proc);
	if (hm_vm_new(&vm) ||
	    hm_vm_add_ram(vm, FAKE_RAM_GPA, FAKE_RAM_SIZE, g->ram) ||
	    hm_vm_add_ram(vm, DATA_GPA, DATA_SIZE, data) ||
	    hm_vcpu_new(vm, g->fd, g->run, &vcpu))
		return 1;
	hm_vm_set_event_handler(vm, on_event, NULL);
	hm_vm_set_exit_handler(vm, fake_exit_handler, g);
	fake_guest_start(g);
	fake_vmm_run(vcpu, g);
	printf("%d failures\n", failures);
	return failures != 0;
}
