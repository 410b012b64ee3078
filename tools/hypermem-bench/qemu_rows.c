// SPDX-License-Identifier: MIT
/*
 * The rows under a stock QEMU: the Linux guest of tests/linux (or another
 * architecture's, tests/linux/qemu-aarch64's) booted by the QEMU of its
 * kernel's architecture with TCG, its module on the
 * ivshmem-doorbell device, or on ivshmem-plain with the host polling (on
 * request, and on machines without MSI-X), the mailbox transport. Inside the first event
 * hm-ioctl-test raises (user event HMIO, its ifreq on the stack), 8-byte
 * and 4 KiB reads are timed one at a time; then QEMU is killed. The
 * loop that serves the guest is the backend's, qemu/qemu.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hypermem/hypermem.h>
#include <qemu/qemu.h>

#include "bench.h"

#define HMIO 0x484d494full
#define REPS 30
#define BOOT_MS 180000

static struct bench_cell *rows_out;
static int measured;
static struct qemu *the_qemu;

struct read_op {
	uint64_t addr;
	size_t len;
};

static int read_op(struct hm_vcpu *vcpu, void *ctx)
{
	static uint8_t buf[4096];
	const struct read_op *r = ctx;

	return hm_vcpu_read(vcpu, r->addr, buf, r->len) == (ssize_t)r->len;
}

static void time_reads(struct hm_vcpu *vcpu, uint64_t addr, size_t len,
		       struct bench_cell *row)
{
	struct read_op r = { addr, len };

	bench_time(vcpu, REPS, read_op, &r, row);
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	(void)opaque;
	if (measured || ev->kind != HM_EVENT_USER || ev->nr != HMIO)
		return 0;
	/* The ifreq, and the whole stack page it lies in. */
	time_reads(vcpu, ev->args[0], 8, &rows_out[0]);
	time_reads(vcpu, ev->args[0] & ~4095ull, 4096, &rows_out[1]);
	measured = 1;
	qemu_stop(the_qemu);
	return 0;
}

/* How the run ended, as -errno: 0 once the guest was measured. */
static int run_error(const struct qemu_result *res)
{
	if (measured)
		return 0;
	switch (res->end) {
	case QEMU_END_EXITED:
		return -ECHILD;
	case QEMU_END_FAILED:
		return res->error;
	default:
		return -ETIMEDOUT;
	}
}

/* Boot under our QEMU and serve it until it was measured, or its end. */
static int measure(struct qemu *q, const struct qemu_launch *l)
{
	struct qemu_result res;
	int mailbox_failed;
	int err;

	err = qemu_listen(q, &mailbox_failed);
	if (!err)
		err = qemu_launch(q, l);
	if (err)
		return err;
	qemu_run(q, &res);
	qemu_kill(q);
	return run_error(&res);
}

/* DIR's kernel, bzImage, Image or vmlinuz, into @kernel: 0 or -ENOENT. */
static int find_kernel(const char *dir, char *kernel, size_t cap)
{
	static const char *const names[] = { "bzImage", "Image", "vmlinuz" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(kernel, cap, "%s/%s", dir, names[i]);
		if (!access(kernel, R_OK))
			return 0;
	}
	return -ENOENT;
}

int bench_qemu_rows(const char *dir, int polled, struct bench_cell rows[2],
		    const char **arch, char *why, size_t cap)
{
	char kernel[512], initrd[512], append[128];
	struct qemu_config c = {
		.timeout_ms = BOOT_MS, .event_fn = on_event,
	};
	struct qemu_launch l = {
		.kernel = kernel, .initrd = initrd, .cpus = 1,
		.append = append,
	};
	struct qemu_kernel_format f;
	int err;

	snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio", dir);
	if (find_kernel(dir, kernel, sizeof(kernel)) || access(initrd, R_OK)) {
		snprintf(why, cap, "no Linux guest in %s", dir);
		return -ENOENT;
	}
	err = qemu_kernel_file_arch(kernel, &f);
	if (err) {
		snprintf(why, cap, "%s: no kernel of a QEMU machine type",
			 kernel);
		return err;
	}
	l.machine = qemu_machine_find(f.arch);
	l.mem_mib = l.machine->mem_mib;
	if (!polled && !l.machine->msix) {
		snprintf(why, cap, "%s's QEMU machine has no MSI-X for the "
			 "doorbell", f.arch);
		return -EOPNOTSUPP;
	}
	c.polled = polled;
	snprintf(append, sizeof(append),
		 "console=%s rdinit=/init panic=-1 quiet", l.machine->console);
	*arch = f.arch;
	rows_out = rows;
	measured = 0;
	err = qemu_new(&c, &the_qemu);
	if (!err) {
		err = measure(the_qemu, &l);
		qemu_free(the_qemu);
		the_qemu = NULL;
	}
	if (err)
		snprintf(why, cap, "QEMU run: %s", strerror(-err));
	return err;
}
