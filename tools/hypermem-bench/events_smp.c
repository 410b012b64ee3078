// SPDX-License-Identifier: MIT
/*
 * hypermem-bench --events-smp: events from one vCPU and from two at once.
 * Over the exit transport, guest-tiny's unhooked loop (every getpid() an
 * event, no subscription) on one vCPU, then on each of two (scenario
 * unhooked-smp), each vCPU thread handling its own exits; over the
 * mailbox, the simulator's guest threads (sim.c, --mailbox-events) with
 * one serve thread. Beside the rates, the CPU time of every thread that
 * takes part: where the host's cores, not the library, bound the figure,
 * the threads' CPU seconds add up to the cores' wall seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiny/abi.h>
#include <vmm/vmm.h>

#include "bench.h"

#define SMP_MAX_CPUS 2
#define SMP_BOOTS 3
#define SIM_EVENTS_MS 1000

/* One boot: each vCPU's marks (0 and 1), wall and thread CPU seconds. */
struct smp_boot {
	double t[SMP_MAX_CPUS][2];
	double cpu[SMP_MAX_CPUS][2];
	unsigned int marks[SMP_MAX_CPUS];
	unsigned int events[SMP_MAX_CPUS];	/* getpid() between marks */
	int bad;
};

static struct smp_boot boot;

/* On each vCPU's own thread: its entries of boot only. */
static int on_smp_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
			void *opaque)
{
	unsigned int cpu = vmm_cpu_index(vcpu), mark;

	(void)opaque;
	if (cpu >= SMP_MAX_CPUS) {
		__atomic_fetch_add(&boot.bad, 1, __ATOMIC_RELAXED);
		return 0;
	}
	/* guest-tiny reports getpid() on its way out. */
	if (ev->kind == HM_EVENT_SYSCALL_EXIT && ev->nr == TINY_SYS_GETPID) {
		boot.events[cpu] += boot.marks[cpu] == 1;
		return 0;
	}
	if (ev->kind != HM_EVENT_USER || ev->nr != TINY_EVENT_BENCH ||
	    ev->args[0] > 1)
		return 0;
	mark = (unsigned int)ev->args[0];
	if (boot.marks[cpu] != mark) {
		__atomic_fetch_add(&boot.bad, 1, __ATOMIC_RELAXED);
		return 0;
	}
	boot.t[cpu][mark] = bench_now_us() / 1e6;
	boot.cpu[cpu][mark] = bench_thread_cpu_s();
	boot.marks[cpu]++;
	return 0;
}

/* A row: one configuration, the boot of median total rate. */
struct smp_row {
	unsigned int cpus;
	double events_per_s;		/* all vCPUs', first mark to last */
	double per_cpu[SMP_MAX_CPUS];	/* each vCPU's own */
	double cpu_s[SMP_MAX_CPUS];	/* its thread's, between its marks */
	double own_s[SMP_MAX_CPUS];	/* the wall time between them */
	double wall_s;
	int ok;
};

static int smp_boot_once(const char *elf, unsigned int cpus,
			 struct smp_row *r)
{
	const struct vmm_config config = {
		.kernel = elf, .nr_cpus = cpus,
		.cmdline = cpus > 1 ? "scenario=unhooked-smp quiet" :
				      "scenario=unhooked quiet",
		.mem_size = 64ull << 20, .timeout_ms = 300000,
		.event_fn = on_smp_event,
	};
	double first = 0, last = 0;
	struct vmm_result res;
	struct vmm *vm;
	unsigned int i;
	int err = vmm_new(&config, &vm);

	if (err)
		return err;
	memset(&boot, 0, sizeof(boot));
	err = vmm_run(vm, &res);
	vmm_free(vm);
	if (!err && (res.reason == VMM_STOP_TIMEOUT || !res.tiny.all_done ||
		     res.tiny.failed || boot.bad))
		err = -EIO;
	if (err)
		return err;
	for (i = 0; i < cpus; i++) {
		if (boot.marks[i] != 2 ||
		    boot.events[i] != TINY_BENCH_SYSCALLS)
			return -EIO;
		r->per_cpu[i] = TINY_BENCH_SYSCALLS /
				(boot.t[i][1] - boot.t[i][0]);
		r->cpu_s[i] = boot.cpu[i][1] - boot.cpu[i][0];
		r->own_s[i] = boot.t[i][1] - boot.t[i][0];
		if (!i || boot.t[i][0] < first)
			first = boot.t[i][0];
		if (!i || boot.t[i][1] > last)
			last = boot.t[i][1];
	}
	r->cpus = cpus;
	r->wall_s = last - first;
	r->events_per_s = cpus * TINY_BENCH_SYSCALLS / r->wall_s;
	return 0;
}

static int cmp_rate(const void *a, const void *b)
{
	const struct smp_row *x = a, *y = b;

	return bench_cmp_double(&x->events_per_s, &y->events_per_s);
}

static void measure_kvm(const char *elf, unsigned int cpus,
			struct smp_row *r)
{
	struct smp_row boots[SMP_BOOTS] = { 0 };
	int i;

	for (i = 0; i < SMP_BOOTS; i++) {
		if (smp_boot_once(elf, cpus, &boots[i])) {
			*r = (struct smp_row){ .cpus = cpus };
			return;
		}
	}
	qsort(boots, SMP_BOOTS, sizeof(boots[0]), cmp_rate);
	*r = boots[SMP_BOOTS / 2];
	r->ok = 1;
}

/* A line of the simulator's --mailbox-events. */
struct sim_row {
	int read_8, threads, ok;
	unsigned long long events;
	double wall_s, serve_cpu_s, serve_in_s, guest_cpu_s[SMP_MAX_CPUS];
	double process_cpu_s, machine_busy;
};

/* [read_8][threads - 1]; 0 rows when the simulator failed. */
static int measure_sim(const char *sim, struct sim_row rows[2][2])
{
	char cmd[1024], line[256];
	int n = 0;
	FILE *f;

	if (!sim || access(sim, X_OK))
		return 0;
	snprintf(cmd, sizeof(cmd), "%s --mailbox-events %d", sim,
		 SIM_EVENTS_MS);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		struct sim_row r;

		if (sscanf(line, "%d %d %llu %lf %lf %lf %lf %lf %lf %lf %d",
			   &r.read_8, &r.threads, &r.events, &r.wall_s,
			   &r.serve_cpu_s, &r.serve_in_s, &r.guest_cpu_s[0],
			   &r.guest_cpu_s[1], &r.process_cpu_s,
			   &r.machine_busy, &r.ok) == 11 &&
		    (r.read_8 == 0 || r.read_8 == 1) && r.threads >= 1 &&
		    r.threads <= SMP_MAX_CPUS) {
			rows[r.read_8][r.threads - 1] = r;
			n++;
		}
	}
	/* A failed run prints its line, ok 0, and exits 1: keep the line. */
	if (f)
		pclose(f);
	return n == 4 ? n : 0;
}

static double ratio(double two, double one)
{
	return one > 0 ? two / one : 0;
}

static void print_kvm_table(const struct smp_row kvm[2])
{
	int i;

	printf("%-30s %5s %12s %12s %12s %9s %9s\n", "transport", "vcpus",
	       "events/s", "vcpu0 ev/s", "vcpu1 ev/s", "vcpu0 cpu",
	       "vcpu1 cpu");
	for (i = 0; i < 2; i++)
		printf("%-30s %5u %12.0f %12.0f %12.0f %8.0f%% %8.0f%%%s\n",
		       "exit (VMM core, KVM)", kvm[i].cpus,
		       kvm[i].events_per_s, kvm[i].per_cpu[0],
		       kvm[i].per_cpu[1],
		       100 * ratio(kvm[i].cpu_s[0], kvm[i].own_s[0]),
		       100 * ratio(kvm[i].cpu_s[1], kvm[i].own_s[1]),
		       kvm[i].ok ? "" : "  (FAILED)");
	printf("two vCPUs / one: %.2fx\n",
	       ratio(kvm[1].events_per_s, kvm[0].events_per_s));
}

static void print_sim_table(const struct sim_row sim[2][2])
{
	static const char *const handlers[2] = { "none", "read 8 B" };
	int h, t;

	printf("\n%-24s %-9s %7s %10s %9s %9s %8s %8s %8s %8s\n", "transport",
	       "handler", "threads", "events/s", "serve cpu", "in serve",
	       "guest0", "guest1", "process", "machine");
	for (h = 0; h < 2; h++) {
		for (t = 0; t < 2; t++) {
			const struct sim_row *r = &sim[h][t];

			printf("%-24s %-9s %7d %10.0f %8.0f%% %8.0f%% %7.0f%% "
			       "%7.0f%% %7.0f%% %7.0f%%%s\n",
			       "mailbox (guest threads)", handlers[h],
			       r->threads, r->events / r->wall_s,
			       100 * r->serve_cpu_s / r->wall_s,
			       100 * r->serve_in_s / r->wall_s,
			       100 * r->guest_cpu_s[0] / r->wall_s,
			       100 * r->guest_cpu_s[1] / r->wall_s,
			       100 * r->process_cpu_s / r->wall_s,
			       100 * r->machine_busy,
			       r->ok ? "" : "  (FAILED)");
		}
		printf("two threads / one (%s): %.2fx\n", handlers[h],
		       ratio(sim[h][1].events / sim[h][1].wall_s,
			     sim[h][0].events / sim[h][0].wall_s));
	}
}

static void print_json(const char *model, const char *kind,
		       const struct smp_row kvm[2],
		       const struct sim_row sim[2][2], int have_sim)
{
	int i, h;

	printf("{\"cpu\":\"%s\",\"machine\":\"%s\",\"host_cpus\":%ld,"
	       "\"events_smp\":[", model, kind, sysconf(_SC_NPROCESSORS_ONLN));
	for (i = 0; i < 2; i++)
		printf("%s{\"transport\":\"exit\",\"handler\":\"none\","
		       "\"vcpus\":%u,\"events_per_s\":%.0f,"
		       "\"per_vcpu_events_per_s\":[%.0f,%.0f],"
		       "\"vcpu_thread_cpu_s\":[%.4f,%.4f],\"wall_s\":%.4f,"
		       "\"ok\":%s}", i ? "," : "", kvm[i].cpus,
		       kvm[i].events_per_s, kvm[i].per_cpu[0],
		       kvm[i].per_cpu[1], kvm[i].cpu_s[0], kvm[i].cpu_s[1],
		       kvm[i].wall_s, kvm[i].ok ? "true" : "false");
	for (h = 0; have_sim && h < 2; h++)
		for (i = 0; i < 2; i++)
			printf(",{\"transport\":\"mailbox\",\"handler\":\"%s\","
			       "\"vcpus\":%d,\"events_per_s\":%.0f,"
			       "\"guest_thread_cpu_s\":[%.4f,%.4f],"
			       "\"serve_thread_cpu_s\":%.4f,"
			       "\"serve_in_serve_s\":%.4f,"
			       "\"process_cpu_s\":%.4f,\"machine_busy\":%.3f,"
			       "\"wall_s\":%.4f,\"ok\":%s}",
			       h ? "read 8 B" : "none",
			       sim[h][i].threads,
			       sim[h][i].events / sim[h][i].wall_s,
			       sim[h][i].guest_cpu_s[0],
			       sim[h][i].guest_cpu_s[1],
			       sim[h][i].serve_cpu_s, sim[h][i].serve_in_s,
			       sim[h][i].process_cpu_s, sim[h][i].machine_busy,
			       sim[h][i].wall_s,
			       sim[h][i].ok ? "true" : "false");
	printf("]}\n");
}

int bench_events_smp(const char *elf, const char *sim, const char *model,
		     const char *kind)
{
	struct sim_row sims[2][2] = { 0 };
	struct smp_row kvm[2];
	int have_sim, ok, h;

	measure_kvm(elf, 1, &kvm[0]);
	measure_kvm(elf, 2, &kvm[1]);
	have_sim = measure_sim(sim, sims);
	printf("machine: %s; %s; %ld host CPUs\n", model, kind,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("cpu, serve, guest, process: CPU time over the run's wall "
	       "time (100%% a core); in serve: wall time inside "
	       "hm_mailbox_serve(); machine: the share of all CPUs busy, "
	       "other processes' included\n");
	print_kvm_table(kvm);
	if (have_sim)
		print_sim_table(sims);
	else
		printf("mailbox rows: n/a (the simulator missing or failed)\n");
	print_json(model, kind, kvm, sims, have_sim);
	ok = kvm[0].ok && kvm[1].ok && have_sim;
	for (h = 0; have_sim && h < 2; h++)
		ok &= sims[h][0].ok && sims[h][1].ok;
	return ok ? 0 : 1;
}
