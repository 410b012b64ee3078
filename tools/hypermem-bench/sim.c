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
 *
 * With --mailbox-events, 1 then 2 guest threads, each on its own slot,
 * raise user events as fast as they can for MS milliseconds, handled by
 * a handler that does nothing, then by one that reads 8 bytes; the host
 * serves them as it serves QEMU (hm_mailbox_wait(), hm_mailbox_serve()
 * on one thread). One line per run: the handler (0: none, 1: read 8 B),
 * the threads, the events, the wall seconds, the serve thread's CPU
 * seconds and its seconds inside hm_mailbox_serve(), each guest thread's
 * CPU seconds (two columns, 0 for a thread not run), the whole process's
 * CPU seconds, the share of the machine's CPU time that was busy (from
 * /proc/stat: other processes' too; -1 when unreadable), and 1 when
 * every event and read went right:
 *
 *	hypermem-bench-sim --mailbox-events MS
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

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

#define EV_MAX_THREADS 2
#define EV_MAILBOX_SIZE (8u * MIB)

/* --mailbox-events: one run's guests, and what the host saw. */
static struct {
	bool stop;		/* host -> guests: raise no more */
	int read_8;		/* the handler reads 8 bytes */
	unsigned long long handled;
	int failures;
} ev;

struct ev_guest {
	unsigned long long raised;
	double cpu_s;		/* the guest thread's, over its loop */
};

static double process_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* All CPUs' busy and total jiffies so far, from /proc/stat's first line. */
static int machine_jiffies(unsigned long long *busy,
			   unsigned long long *total)
{
	unsigned long long v[8];
	FILE *f = fopen("/proc/stat", "r");
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) : 0;

	if (f)
		fclose(f);
	if (n != 8)
		return -1;
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*busy = *total - v[3] - v[4];	/* less idle and iowait */
	return 0;
}

static double wall_s(void)
{
	return bench_now_us() / 1e6;
}

/* Runs on the serve thread only: plain counters are enough. */
static int on_counted_event(struct hm_vcpu *vcpu, const struct hm_event *ev_,
			    void *opaque)
{
	uint8_t buf[8];

	(void)opaque;
	ev.handled++;
	if (ev_->kind != HM_EVENT_USER)
		ev.failures++;
	if (ev.read_8 && (hm_vcpu_read(vcpu, DATA_VA + 8, buf, 8) != 8 ||
			  memcmp(buf, data + 8, 8)))
		ev.failures++;
	return 0;
}

/* A guest CPU raising user events until the host says stop. */
static void event_loop_main(struct fake_guest *g)
{
	struct ev_guest *me = g->opaque;
	double cpu0;

	g->register_result = hm_agent_register(&g->agent, g->slot);
	if (g->register_result)
		return;
	cpu0 = bench_thread_cpu_s();
	while (!__atomic_load_n(&ev.stop, __ATOMIC_ACQUIRE)) {
		fake_guest_raise(g, HM_EVENT_USER, 1, me->raised, 0, 0);
		me->raised++;
	}
	me->cpu_s = bench_thread_cpu_s() - cpu0;
}

/* Serve until every guest's program is over; seconds inside serve. */
static int serve_until_done(struct hm_mailbox *mb, struct fake_guest **g,
			    int n, int ms, double *in_serve_s)
{
	double end = wall_s() + ms / 1e3;
	int i, done = 0;

	*in_serve_s = 0;
	while (done < n) {
		double t0;

		if (wall_s() >= end)
			__atomic_store_n(&ev.stop, true, __ATOMIC_RELEASE);
		if (hm_mailbox_wait(mb, NULL, 0, 10))
			return -1;
		t0 = wall_s();
		if (hm_mailbox_serve(mb) < 0)
			return -1;
		*in_serve_s += wall_s() - t0;
		for (i = 0, done = 0; i < n; i++)
			done += fake_guest_done(g[i]);
	}
	return 0;
}

/* One run of @n guest threads for @ms; its line, and 0 when all went right. */
static int events_run(struct fake_process *proc, int n, int read_8, int ms)
{
	struct ev_guest guests[EV_MAX_THREADS] = { 0 };
	struct fake_guest *g[EV_MAX_THREADS];
	uint8_t *mem = aligned_alloc(4096, EV_MAILBOX_SIZE);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	double t0, cpu0, proc_cpu, wall, cpu, in_serve, busy_share = -1;
	unsigned long long raised = 0, busy0, total0, busy1, total1;
	struct hm_mailbox *mb;
	struct hm_vm *vm;
	int i, ok = 1;

	if (!mem || efd < 0 || hm_vm_new(&vm))
		return 1;
	memset(mem, 0, EV_MAILBOX_SIZE);
	if (hm_mailbox_new(vm, mem, EV_MAILBOX_SIZE, 1, efd, &mb))
		return 1;
	memset(&ev, 0, sizeof(ev));
	ev.read_8 = read_8;
	hm_vm_set_event_handler(vm, on_counted_event, NULL);
	for (i = 0; i < n; i++) {
		g[i] = fake_guest_new(event_loop_main, &guests[i]);
		g[i]->current = proc;
		if (fake_guest_use_mailbox(g[i], mem, EV_MAILBOX_SIZE,
					   (uint32_t)i, efd, 5000))
			return 1;
	}
	if (machine_jiffies(&busy0, &total0))
		total0 = 0;
	t0 = wall_s();
	cpu0 = bench_thread_cpu_s();
	proc_cpu = process_cpu_s();
	for (i = 0; i < n; i++)
		fake_guest_start(g[i]);
	if (serve_until_done(mb, g, n, ms, &in_serve))
		ok = 0;
	wall = wall_s() - t0;
	cpu = bench_thread_cpu_s() - cpu0;
	proc_cpu = process_cpu_s() - proc_cpu;
	if (total0 && !machine_jiffies(&busy1, &total1) && total1 > total0)
		busy_share = (double)(busy1 - busy0) /
			     (double)(total1 - total0);
	for (i = 0; i < n; i++) {
		ok &= !g[i]->register_result && !g[i]->mailbox_failures;
		raised += guests[i].raised;
		fake_guest_free(g[i]);
	}
	ok &= !ev.failures && ev.handled == raised && raised > 0;
	printf("%d %d %llu %.4f %.4f %.4f %.4f %.4f %.4f %.3f %d\n", read_8, n,
	       raised, wall, cpu, in_serve, guests[0].cpu_s, guests[1].cpu_s,
	       proc_cpu, busy_share, ok);
	hm_mailbox_free(mb);
	hm_vm_free(vm);
	close(efd);
	free(mem);
	return !ok;
}

static int run_mailbox_events(struct fake_process *proc, int ms)
{
	int read_8, n, failed = 0;

	for (read_8 = 0; read_8 < 2; read_8++)
		for (n = 1; n <= EV_MAX_THREADS; n++)
			failed |= events_run(proc, n, read_8, ms);
	return failed;
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

/* The process whose memory the ops read: DATA_SIZE bytes at DATA_VA. */
static void make_process(struct fake_process *proc)
{
	data = aligned_alloc(2 * MIB, DATA_SIZE);
	if (!data)
		exit(1);
	for (size_t i = 0; i < DATA_SIZE; i++)
		data[i] = (uint8_t)('a' + i % 26);
	data[STR_OFFSET + 100] = '\0';
	proc->maps[0] = (struct fake_mapping){ .va = DATA_VA,
		.len = DATA_SIZE, .mem = data, .writable = true };
	proc->nr_maps = 1;
}

static struct fake_guest *make_guest(struct fake_process *proc)
{
	struct fake_guest *g = fake_guest_new(guest_main, NULL);

	make_process(proc);
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
	if (argc == 3 && !strcmp(argv[1], "--mailbox-events")) {
		int ms = atoi(argv[2]);

		if (ms < 1 || ms > 600000)
			return 2;
		make_process(&proc);
		return run_mailbox_events(&proc, ms);
	}
	if (argc != 4) {
		fprintf(stderr, "usage: %s ROW MODE REPS | --mailbox REPS | "
			"--mailbox-events MS\n", argv[0]);
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
