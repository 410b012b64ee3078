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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	if (argc != 4) {
		fprintf(stderr, "usage: %s ROW MODE REPS\n", argv[0]);
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
