// SPDX-License-Identifier: MIT
/*
 * hypermem-bench: boots guest-tiny's pattern scenario and times, inside its
 * event, each read cooperatively, directly and hybrid; then the floor (a
 * bare port-I/O exit round trip) and, under callgrind, the library's host
 * instructions per op on a simulated guest; then events: syscalls no hook
 * wants, with the guest raising every one it reports (no subscription)
 * and with a subscription to user events only, and hooked write() and
 * openat() whose handlers read the buffer, fd name and path by round trips
 * or from what the guest fetched with the event. Beside the cooperative
 * rows, the same ops over the mailbox transport (the simulator's
 * --mailbox: the agent in a guest thread, regions in shared memory,
 * doorbells on an eventfd, as with QEMU's ivshmem device), and 8-byte and
 * 4 KiB reads from the Linux guest of tests/linux under a stock QEMU with
 * TCG, over the same transport (qemu_rows.c), with the doorbell and with
 * the host polling (ivshmem-plain). A table for people, then one line of
 * JSON. With --qemu, only the rows under QEMU, which need no KVM, for the
 * guest in LINUX_GUEST_DIR of any architecture QEMU boots here. With
 * --events-smp, only events from one vCPU and from two at once
 * (events_smp.c).
 *
 *   hypermem-bench GUEST_TINY_ELF [SIM_DRIVER [LINUX_GUEST_DIR]]
 *   hypermem-bench --qemu [LINUX_GUEST_DIR]
 *   hypermem-bench --events-smp GUEST_TINY_ELF [SIM_DRIVER]
 */
#include <cpuid.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tiny/abi.h>
#include <tiny/boot.h>
#include <vmm/vmm.h>

#include "bench.h"

#define MEM_SIZE (64ull << 20)
#define KERNEL_1M 0x800000ull	/* untouched guest RAM, read as kernel */
#define FLOOR_EXITS 2000

static const char *const row_names[NR_ROWS] = {
	"read 8 B", "read 4 KiB", "read 1 MiB", "readv 64 x 8 B",
	"read_str 100 B",
};
static const char *const mode_names[NR_MODES] = {
	"cooperative", "direct", "hybrid",
};
static const enum hm_read_mode modes[NR_MODES] = {
	HM_READ_COOPERATIVE, HM_READ_DIRECT, HM_READ_HYBRID,
};

static struct bench_cell cells[NR_ROWS][NR_MODES];

/*
 * Events: syscalls between TINY_EVENT_BENCH marks. Rows: no hook wants the
 * unhooked scenario's getpid(); the hooked scenario's write() handler reads
 * the buffer and the fd's name, its openat() handler the path. Two modes
 * each: the guest's own choice against a subscription, round trips
 * against what the guest fetched with the event.
 */
enum { EV_UNHOOKED, EV_WRITE, EV_OPENAT, NR_EV_ROWS };
enum { EV_REPORT_ALL, EV_SUBSCRIBED, NR_EV_MODES };
enum { EV_ROUND_TRIPS, EV_PREFETCHED };
static const char *const ev_row_names[NR_EV_ROWS] = {
	"event unhooked syscall", "event write buffer+fd",
	"event openat path",
};
static const char *const ev_mode_names[NR_EV_ROWS][NR_EV_MODES] = {
	{ "report all", "subscribed" },
	{ "round trips", "prefetched" },
	{ "round trips", "prefetched" },
};
struct ev_cell {
	double events_per_s;	/* the guest's syscalls a second */
	double exits_per_event;	/* VM exits each of them cost */
	int ok;
};
static struct ev_cell ev_cells[NR_EV_ROWS][NR_EV_MODES];
/* Times and exits at the marks 0, 2 and 1 (as indices 0, 1, 2). */
static struct {
	double t[3];
	uint64_t exits[3];
	int seen;
	int handler_errors;
} ev_run;
/* The rows over the mailbox transport, from the simulator. */
static struct bench_cell mailbox[NR_ROWS];
static int have_mailbox;
/*
 * 8 B and 4 KiB reads of Linux under QEMU (TCG), over the mailbox: [0]
 * with the doorbell, [1] on ivshmem-plain, the host polling.
 */
static struct bench_cell qemu_rows[2][2];
static int qemu_err[2];
static const char *qemu_arch;
static char qemu_why[2][256];
static const char *const qemu_modes[2] = { "qemu tcg", "qemu polled" };
/* The 1 MiB cooperative read through the original one-page region. */
static struct bench_cell one_page;
static int one_page_run;
static int done;

static int reps_of(int row, int mode)
{
	return row == ROW_READ_1M && mode != 1 ? 5 : 30;
}

static uint8_t big[MIB];

/* Bytes of each row, in pieces of this size: what memcpy would move. */
static const size_t row_bytes[NR_ROWS] = { 8, 4096, MIB, 8, 100 };
static const int row_pieces[NR_ROWS] = { 1, 1, 1, 64, 1 };

/*
 * The direct path's floor: the same bytes moved by memcpy between two host
 * buffers, as scattered as the row's pieces. Median of 31 batches.
 */
static double memcpy_us(int row)
{
	static uint8_t src[MIB + 64 * 4096], dst[MIB];
	double batches[31];
	int b, i, k, n = row == ROW_READ_1M ? 20 : 2000;

	for (b = 0; b < 31; b++) {
		double t0 = bench_now_us();

		for (i = 0; i < n; i++)
			for (k = 0; k < row_pieces[row]; k++)
				memcpy(dst + k * 8, src + k * 4096,
				       row_bytes[row]);
		/* Keep the copies: the compiler may not drop them. */
		__asm__ volatile("" : : "r"(dst) : "memory");
		batches[b] = (bench_now_us() - t0) / n;
	}
	qsort(batches, 31, sizeof(batches[0]), bench_cmp_double);
	return batches[15];
}

static int one_op(struct hm_vcpu *vcpu, const struct tiny_pattern *d,
		  int row)
{
	/* The last 100 bytes of the pattern's string, then its NUL. */
	const struct bench_target target = {
		.small = d->buf[3],
		.big = KERNEL_1M,
		.str = d->str + TINY_PATTERN_STR_LEN - 100,
	};

	return bench_row_op(vcpu, row, &target, big);
}

struct pattern_op {
	const struct tiny_pattern *d;
	int row;
};

static int pattern_op(struct hm_vcpu *vcpu, void *ctx)
{
	const struct pattern_op *p = ctx;

	return one_op(vcpu, p->d, p->row);
}

static void measure(struct hm_vcpu *vcpu, const struct tiny_pattern *d,
		    int row, int mode, struct bench_cell *c)
{
	struct pattern_op p = { d, row };

	hm_vm_set_read_mode(hm_vcpu_get_vm(vcpu), modes[mode]);
	bench_time(vcpu, reps_of(row, mode), pattern_op, &p, c);
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct tiny_pattern d;
	int row, mode;

	(void)opaque;
	if (ev->kind != HM_EVENT_USER || ev->nr != TINY_EVENT_PATTERN ||
	    hm_vcpu_read(vcpu, ev->args[0], &d, sizeof(d)) != sizeof(d))
		return 0;
	if (one_page_run)
		measure(vcpu, &d, ROW_READ_1M, 0, &one_page);
	for (row = 0; !one_page_run && row < NR_ROWS; row++)
		for (mode = 0; mode < NR_MODES; mode++)
			measure(vcpu, &d, row, mode, &cells[row][mode]);
	hm_vm_set_read_mode(hm_vcpu_get_vm(vcpu), HM_READ_COOPERATIVE);
	done = 1;
	return 0;
}

static int run_guest_tiny(const char *elf, const char *cmdline)
{
	const struct vmm_config config = {
		.kernel = elf, .cmdline = cmdline, .mem_size = MEM_SIZE,
		.timeout_ms = 120000, .event_fn = on_event,
	};
	struct vmm_result res;
	struct vmm *vm;
	int err = vmm_new(&config, &vm);

	if (err)
		return err;
	err = vmm_run(vm, &res);
	if (!err && res.reason == VMM_STOP_TIMEOUT)
		err = -ETIMEDOUT;
	if (!err && !done)
		err = -EIO;
	vmm_free(vm);
	return err;
}

/* The hooked handlers: read what a tracing script would. */
static void read_like_a_script(struct hm_vcpu *vcpu, const struct hm_event *ev)
{
	static uint8_t buf[4096];
	char name[256];
	ssize_t n;

	if (ev->nr == TINY_SYS_WRITE) {
		n = hm_vcpu_read(vcpu, ev->args[1], buf, ev->args[2]);
		if (n != (ssize_t)ev->args[2] ||
		    hm_vcpu_read_fd_name(vcpu, (int64_t)ev->args[0], name,
					 sizeof(name)) < 0)
			ev_run.handler_errors++;
	} else if (ev->nr == TINY_SYS_OPENAT) {
		if (hm_vcpu_read_str(vcpu, ev->args[1], name,
				     sizeof(name)) != 13)
			ev_run.handler_errors++;
	}
}

static int on_bench_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
			  void *opaque)
{
	struct hm_stats stats;
	int mark;

	(void)opaque;
	if (ev->kind == HM_EVENT_SYSCALL_ENTER) {
		read_like_a_script(vcpu, ev);
		return 0;
	}
	if (ev->kind != HM_EVENT_USER || ev->nr != TINY_EVENT_BENCH ||
	    ev->args[0] > 2)
		return 0;
	mark = ev->args[0] == 0 ? 0 : ev->args[0] == 2 ? 1 : 2;
	ev_run.t[mark] = bench_now_us();
	/* The core's loop sees the events; the library, its round trips. */
	hm_vcpu_get_stats(vcpu, &stats);
	ev_run.exits[mark] = vmm_cpu_exits(vcpu) + stats.exits;
	ev_run.seen++;
	return 0;
}

/* The rules of a hooked row: the write and openat hooks, user events. */
static void hooked_rules(struct hm_sub_rule rules[3], int prefetched)
{
	memset(rules, 0, 3 * sizeof(rules[0]));
	rules[0] = (struct hm_sub_rule){ .kind = HM_EVENT_USER,
					 .flags = HM_RULE_ANY_NR };
	rules[1] = (struct hm_sub_rule){ .kind = HM_EVENT_SYSCALL_ENTER,
					 .nr = TINY_SYS_WRITE };
	rules[2] = (struct hm_sub_rule){ .kind = HM_EVENT_SYSCALL_ENTER,
					 .nr = TINY_SYS_OPENAT };
	if (!prefetched)
		return;
	rules[1].nr_fetches = 2;
	rules[1].fetches[0] = (struct hm_sub_fetch){
		.what = HM_FETCH_BUF, .arg = 1, .len_arg = 2, .cap = 4096 };
	rules[1].fetches[1] = (struct hm_sub_fetch){
		.what = HM_FETCH_FD_NAME, .arg = 0 };
	rules[2].nr_fetches = 1;
	rules[2].fetches[0] = (struct hm_sub_fetch){
		.what = HM_FETCH_STR, .arg = 1, .cap = 256 };
}

/*
 * One boot of a benchmark scenario; 0 and ev_run filled, or -errno.
 * unhooked: @mode EV_SUBSCRIBED subscribes to user events only; hooked:
 * @mode EV_PREFETCHED has the rules fetch what the handlers read.
 */
static int run_events(const char *elf, int hooked, int mode)
{
	static const struct hm_sub_rule user_events = {
		.kind = HM_EVENT_USER, .flags = HM_RULE_ANY_NR,
	};
	const struct vmm_config config = {
		.kernel = elf,
		.cmdline = hooked ? "scenario=hooked quiet" :
				    "scenario=unhooked quiet",
		.mem_size = MEM_SIZE, .timeout_ms = 120000,
		.event_fn = on_bench_event,
	};
	struct hm_sub_rule rules[3];
	struct vmm_result res;
	struct vmm *vm;
	int err = vmm_new(&config, &vm);

	if (err)
		return err;
	memset(&ev_run, 0, sizeof(ev_run));
	if (hooked) {
		hooked_rules(rules, mode == EV_PREFETCHED);
		err = hm_vm_subscribe(vmm_get_hm(vm), rules, 3, 0);
	} else if (mode == EV_SUBSCRIBED) {
		err = hm_vm_subscribe(vmm_get_hm(vm), &user_events, 1, 0);
	}
	if (!err)
		err = vmm_run(vm, &res);
	if (!err && (res.reason == VMM_STOP_TIMEOUT || !res.tiny.all_done ||
		     res.tiny.failed))
		err = -EIO;
	if (!err && (ev_run.seen != (hooked ? 3 : 2) ||
		     ev_run.handler_errors))
		err = -EIO;
	vmm_free(vm);
	return err;
}

/*
 * Median of three boots: the syscalls a second between two marks, and the
 * exits between them but the closing mark's own.
 */
static void measure_events(const char *elf, int row, int mode,
			   struct ev_cell *c)
{
	double rate[3], exits[3];
	int i, from = row == EV_OPENAT ? 1 : 0;
	int to = row == EV_WRITE ? 1 : 2;

	c->ok = 1;
	for (i = 0; i < 3; i++) {
		if (run_events(elf, row != EV_UNHOOKED, mode)) {
			c->ok = 0;
			return;
		}
		rate[i] = TINY_BENCH_SYSCALLS * 1e6 /
			  (ev_run.t[to] - ev_run.t[from]);
		exits[i] = (double)(ev_run.exits[to] - ev_run.exits[from] -
				    1) / TINY_BENCH_SYSCALLS;
	}
	qsort(rate, 3, sizeof(rate[0]), bench_cmp_double);
	qsort(exits, 3, sizeof(exits[0]), bench_cmp_double);
	c->events_per_s = rate[1];
	c->exits_per_event = exits[1];
}

/* mov edx, 0x80; 1: out dx, al; jmp 1b -- an exit per iteration. */
static const uint8_t floor_code[] = {
	0xba, 0x80, 0x00, 0x00, 0x00, 0xee, 0xeb, 0xfd,
};

/* The floor: KVM_RUN and back for one OUT, nothing else. */
static double measure_floor(void)
{
	const struct vmm_config config = {
		.code = floor_code, .code_size = sizeof(floor_code),
		.mem_size = 16u << 20,
	};
	double batches[9];
	struct vmm *vm;
	int i, err = vmm_new(&config, &vm);

	if (err)
		return -1;
	for (i = 0; !err && i < 9; i++)
		err = vmm_time_exits(vm, FLOOR_EXITS / 9, &batches[i]);
	vmm_free(vm);
	if (err)
		return -1;
	qsort(batches, 9, sizeof(batches[0]), bench_cmp_double);
	return batches[4];
}

/* Instructions of one op in the library, by callgrind on the simulator. */
static double callgrind(const char *sim, int row, int mode)
{
	char cmd[1024], line[256], out[] = "/tmp/hm-bench-cg-XXXXXX";
	double total = -1;
	int reps = 20, fd = mkstemp(out);
	FILE *f;

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "valgrind --tool=callgrind "
		 "--callgrind-out-file=%s --collect-atstart=no "
		 "--toggle-collect=bench_op --toggle-collect=__wrap_ioctl "
		 "%s %d %d %d >/dev/null 2>&1", out, sim, row, mode, reps);
	if (system(cmd) == 0 && (f = fopen(out, "r"))) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "totals:", 7) ||
			    !strncmp(line, "summary:", 8))
				total = atof(strchr(line, ':') + 1) / reps;
		fclose(f);
	}
	unlink(out);
	return total;
}

static void count_instructions(const char *sim)
{
	int row, mode;

	if (!sim || access(sim, X_OK) || system("valgrind --version "
						">/dev/null 2>&1"))
		return;
	for (row = 0; row < NR_ROWS; row++)
		for (mode = 0; mode < NR_MODES; mode++)
			cells[row][mode].instructions =
				callgrind(sim, row, mode);
}

/* The simulator's --mailbox lines: row, median, trips, exits, ioctls, ok. */
static void measure_mailbox(const char *sim)
{
	char cmd[1024], line[256];
	FILE *f;

	if (!sim || access(sim, X_OK))
		return;
	snprintf(cmd, sizeof(cmd), "%s --mailbox 30", sim);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		struct bench_cell c = { .instructions = -1 };
		int row;

		if (sscanf(line, "%d %lf %lf %lf %lf %d", &row, &c.median_us,
			   &c.round_trips, &c.exits, &c.ioctls, &c.ok) == 6 &&
		    row >= 0 && row < NR_ROWS) {
			mailbox[row] = c;
			have_mailbox++;
		}
	}
	if (f && pclose(f))
		have_mailbox = 0;
}

static void cpu_model(char *buf, size_t cap, int *hypervisor)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, cap, "unknown");
	*hypervisor = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon)
			snprintf(buf, cap, "%s", colon + 2);
		if (!strncmp(line, "flags", 5) && strstr(line, " hypervisor"))
			*hypervisor = 1;
	}
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * Where the figures come from. QEMU's TCG answers the hypervisor CPUID leaf
 * 0x40000000 with "TCGTCGTCGTCG": then this KVM is scripts/with-kvm's, on
 * emulated AMD SVM, and every figure is an emulation figure.
 */
static const char *machine_kind(int hypervisor)
{
	unsigned int eax, sig[3];

	if (!access("/sys/module/kvm_pvm", F_OK))
		return "nested KVM, kvm_pvm: guest kernel code is emulated";
	if (!hypervisor)
		return "bare metal";
	__cpuid(0x40000000, eax, sig[0], sig[1], sig[2]);
	if (!memcmp(sig, "TCGTCGTCGTCG", sizeof(sig)))
		return "nested KVM on QEMU's TCG-emulated AMD SVM "
		       "(scripts/with-kvm): emulation figures, not native";
	return "running under a hypervisor (nested KVM)";
}

static void print_cell(int row, const char *mode, const struct bench_cell *c,
		       double floor_us)
{
	char instr[32] = "n/a";

	if (c->instructions >= 0)
		snprintf(instr, sizeof(instr), "%.0f", c->instructions);
	printf("%-16s %-12s %12.2f %9.2f %7.2f %7.2f %7.2f %12s",
	       row_names[row], mode, c->median_us, c->median_us / floor_us,
	       c->round_trips, c->exits, c->ioctls, instr);
	if (row == ROW_READ_1M)
		printf(" %9.1f", MIB / c->median_us);
	printf("%s\n", c->ok ? "" : "  (FAILED)");
}

/*
 * "x floor" is against the exit round trip for cooperative rows and against
 * a host memcpy of the same bytes for direct and hybrid ones.
 */
static void print_table(double floor_us)
{
	int row, mode;

	printf("%-16s %-12s %12s %9s %7s %7s %7s %12s %9s\n", "op", "mode",
	       "median us", "x floor", "trips", "exits", "ioctls",
	       "host instr", "MB/s");
	for (row = 0; row < NR_ROWS; row++) {
		double copy_us = memcpy_us(row);

		printf("%-16s %-12s %12.3f\n", row_names[row], "host memcpy",
		       copy_us);
		for (mode = 0; mode < NR_MODES; mode++)
			print_cell(row, mode_names[mode], &cells[row][mode],
				   mode ? copy_us : floor_us);
		if (row == ROW_READ_1M)
			print_cell(row, "coop 1 page", &one_page, floor_us);
		if (have_mailbox == NR_ROWS)
			print_cell(row, "mailbox", &mailbox[row], floor_us);
		for (mode = 0; mode < 2; mode++)
			if (!qemu_err[mode] && row <= ROW_READ_4K)
				print_cell(row, qemu_modes[mode],
					   &qemu_rows[mode][row], floor_us);
	}
}

/* A row measured without callgrind, after the first: ",{...}". */
static void print_json_cell(const char *op, const char *mode,
			    const struct bench_cell *c)
{
	printf(",{\"op\":\"%s\",\"mode\":\"%s\",\"median_us\":%.2f,"
	       "\"round_trips\":%.2f,\"exits\":%.2f,\"ioctls\":%.2f,"
	       "\"ok\":%s}", op, mode, c->median_us, c->round_trips, c->exits,
	       c->ioctls, c->ok ? "true" : "false");
}

static void print_json(double floor_us, const char *model, const char *kind,
		       int nested)
{
	int row, mode;

	printf("{\"cpu\":\"%s\",\"machine\":\"%s\",\"kvm_nested\":%s,"
	       "\"floor_us\":%.2f,\"rows\":[", model, kind,
	       nested ? "true" : "false", floor_us);
	for (row = 0; row < NR_ROWS; row++) {
		for (mode = 0; mode < NR_MODES; mode++) {
			const struct bench_cell *c = &cells[row][mode];

			printf("%s{\"op\":\"%s\",\"mode\":\"%s\",\"median_us\":"
			       "%.2f,\"round_trips\":%.2f,\"exits\":%.2f,"
			       "\"ioctls\":%.2f,\"host_instructions\":%.0f,"
			       "\"ok\":%s}", row || mode ? "," : "",
			       row_names[row], mode_names[mode],
			       c->median_us, c->round_trips, c->exits,
			       c->ioctls, c->instructions,
			       c->ok ? "true" : "false");
		}
	}
	print_json_cell(row_names[ROW_READ_1M], "cooperative, one-page region",
			&one_page);
	for (row = 0; have_mailbox == NR_ROWS && row < NR_ROWS; row++)
		print_json_cell(row_names[row], "mailbox, guest thread",
				&mailbox[row]);
	for (row = 0; !qemu_err[0] && row <= ROW_READ_4K; row++)
		print_json_cell(row_names[row], "mailbox, Linux under QEMU TCG",
				&qemu_rows[0][row]);
	for (row = 0; !qemu_err[1] && row <= ROW_READ_4K; row++)
		print_json_cell(row_names[row], "mailbox polled (ivshmem-plain), "
				"Linux under QEMU TCG", &qemu_rows[1][row]);
	for (row = 0; row < NR_EV_ROWS; row++)
		for (mode = 0; mode < NR_EV_MODES; mode++)
			printf(",{\"op\":\"%s\",\"mode\":\"%s\","
			       "\"events_per_s\":%.0f,\"exits_per_event\":"
			       "%.3f,\"ok\":%s}", ev_row_names[row],
			       ev_mode_names[row][mode],
			       ev_cells[row][mode].events_per_s,
			       ev_cells[row][mode].exits_per_event,
			       ev_cells[row][mode].ok ? "true" : "false");
	printf("]}\n");
}

static void print_events_table(void)
{
	int row, mode;

	printf("\n%-24s %-12s %14s %16s\n", "op", "mode", "events/s",
	       "exits/event");
	for (row = 0; row < NR_EV_ROWS; row++)
		for (mode = 0; mode < NR_EV_MODES; mode++)
			printf("%-24s %-12s %14.0f %16.3f%s\n",
			       ev_row_names[row], ev_mode_names[row][mode],
			       ev_cells[row][mode].events_per_s,
			       ev_cells[row][mode].exits_per_event,
			       ev_cells[row][mode].ok ? "" : "  (FAILED)");
}

static void measure_qemu(const char *dir)
{
	int mode;

	for (mode = 0; mode < 2; mode++)
		qemu_err[mode] = bench_qemu_rows(dir, mode, qemu_rows[mode],
						 &qemu_arch, qemu_why[mode],
						 sizeof(qemu_why[mode]));
}

static void print_qemu_summary(void)
{
	int mode;

	for (mode = 0; mode < 2; mode++)
		if (!qemu_err[mode])
			printf("one round trip (read 8 B), Linux (%s) under "
			       "QEMU TCG over the mailbox%s: %.2f us\n",
			       qemu_arch, mode ? ", the host polling" : "",
			       qemu_rows[mode][0].median_us);
		else
			printf("%s rows: n/a (%s)\n", qemu_modes[mode],
			       qemu_why[mode]);
}

/*
 * --qemu: only the rows under QEMU, which need no KVM; a machine without
 * MSI-X has no doorbell row.
 */
static int qemu_only(const char *dir)
{
	int row, mode;

	measure_qemu(dir);
	print_qemu_summary();
	printf("%-16s %-12s %12s %9s %7s %7s %7s\n", "op", "mode",
	       "median us", "x floor", "trips", "exits", "ioctls");
	for (row = 0; row <= ROW_READ_4K; row++)
		for (mode = 0; mode < 2; mode++)
			if (!qemu_err[mode])
				print_cell(row, qemu_modes[mode],
					   &qemu_rows[mode][row], NAN);
	return (!qemu_err[0] || qemu_err[0] == -EOPNOTSUPP) && !qemu_err[1] ?
	       0 : 1;
}

int main(int argc, char **argv)
{
	char model[256];
	double floor_us;
	const char *kind;
	int hypervisor, err, row, mode;

	if (argc < 2 || (!strcmp(argv[1], "--events-smp") && argc < 3)) {
		fprintf(stderr, "usage: %s GUEST_TINY_ELF [SIM_DRIVER "
			"[LINUX_GUEST_DIR]]\n       %s --qemu "
			"[LINUX_GUEST_DIR]\n       %s --events-smp "
			"GUEST_TINY_ELF [SIM_DRIVER]\n", argv[0], argv[0],
			argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "--qemu"))
		return qemu_only(argc > 2 ? argv[2] : LINUX_GUEST_DIR);
	cpu_model(model, sizeof(model), &hypervisor);
	kind = machine_kind(hypervisor);
	if (!strcmp(argv[1], "--events-smp"))
		return bench_events_smp(argv[2],
					argc > 3 ? argv[3] : SIM_DRIVER,
					model, kind);
	floor_us = measure_floor();
	err = run_guest_tiny(argv[1], "scenario=pattern quiet");
	if (!err) {
		one_page_run = 1;
		done = 0;
		err = run_guest_tiny(argv[1],
				     "scenario=pattern quiet region_pages=1");
	}
	if (floor_us < 0 || err) {
		fprintf(stderr, "hypermem-bench: cannot run the guest: %s\n",
			strerror(err ? -err : EIO));
		return 1;
	}
	for (row = 0; row < NR_EV_ROWS; row++)
		for (mode = 0; mode < NR_EV_MODES; mode++)
			measure_events(argv[1], row, mode,
				       &ev_cells[row][mode]);
	count_instructions(argc > 2 ? argv[2] : SIM_DRIVER);
	measure_mailbox(argc > 2 ? argv[2] : SIM_DRIVER);
	measure_qemu(argc > 3 ? argv[3] : LINUX_GUEST_DIR);
	printf("machine: %s; %s\n", model, kind);
	printf("floor (bare port-I/O exit round trip): %.2f us\n", floor_us);
	if (have_mailbox == NR_ROWS)
		printf("one round trip (read 8 B): exit transport %.2f us, "
		       "mailbox %.2f us (guest thread; mailbox rows: exits "
		       "are doorbells)\n", cells[ROW_READ_8][0].median_us,
		       mailbox[ROW_READ_8].median_us);
	else
		printf("mailbox rows: n/a (the simulator missing or failed)\n");
	print_qemu_summary();
	if (cells[0][0].instructions < 0)
		printf("host instr: n/a (valgrind or the simulator missing)\n");
	print_table(floor_us);
	print_events_table();
	print_json(floor_us, model, kind, strcmp(kind, "bare metal") != 0);
	return 0;
}
