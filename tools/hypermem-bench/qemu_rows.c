// SPDX-License-Identifier: MIT
/*
 * The rows under a stock QEMU: the Linux guest of tests/linux booted by
 * qemu-system-x86_64 with TCG (KVM where it runs Linux), its module on the
 * ivshmem-doorbell device, the mailbox transport. Inside the first event
 * hm-ioctl-test raises (user event HMIO, its ifreq on the stack), 8-byte
 * and 4 KiB reads are timed one at a time; then QEMU is killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hypermem/hypermem.h>
#include <qemu/ivshmem.h>

#include "bench.h"
#include "launch.h"

#define SHM_SIZE (4u << 20)
#define HMIO 0x484d494full
#define REPS 30
#define BOOT_MS 180000

static struct bench_cell *rows_out;
static int measured;

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
	return 0;
}

/* Serve the guest until it was measured, QEMU left or time ran out. */
static int serve(struct ivshmem_server *s, struct hm_mailbox *mb,
		 struct qemu *q)
{
	double end = bench_now_us() + BOOT_MS * 1e3;
	struct pollfd p[] = {
		{ .fd = ivshmem_server_doorbell_fd(s, 0), .events = POLLIN },
		{ .fd = q->console_fd, .events = POLLIN },
		{ .fd = q->pidfd, .events = POLLIN },
	};

	while (!measured && bench_now_us() < end) {
		char sink[4096];

		if (poll(p, 3, 1000) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents && read(p[1].fd, sink, sizeof(sink)) <= 0)
			p[1].fd = -1;
		if (p[0].revents & POLLIN)
			hm_mailbox_serve(mb);
		if (p[2].revents)
			return -ECHILD;
	}
	return measured ? 0 : -ETIMEDOUT;
}

int bench_qemu_rows(const char *dir, struct bench_cell rows[2],
		    char *why, size_t cap)
{
	char kernel[512], initrd[512], tmp[] = "/tmp/hm-bench-XXXXXX";
	char sock[600];
	const struct qemu_config c = {
		.kernel = kernel, .initrd = initrd, .cpus = 1, .mem_mib = 512,
		.append = "console=ttyS0 rdinit=/init panic=-1 quiet",
		.socket = sock,
	};
	struct ivshmem_server *s = NULL;
	struct hm_mailbox *mb = NULL;
	struct qemu q = QEMU_NONE;
	struct qemu_args args;
	struct hm_vm *vm = NULL;
	size_t size;
	void *shm;
	int err;

	snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
	snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio", dir);
	if (access(kernel, R_OK) || access(initrd, R_OK)) {
		snprintf(why, cap, "no Linux guest in %s", dir);
		return -ENOENT;
	}
	if (!mkdtemp(tmp))
		return -errno;
	snprintf(sock, sizeof(sock), "%s/ivshmem.sock", tmp);
	rows_out = rows;
	measured = 0;
	err = ivshmem_server_new(sock, SHM_SIZE, 1, &s);
	if (!err)
		err = hm_vm_new(&vm);
	shm = err ? NULL : ivshmem_server_shm(s, &size);
	if (!err)
		err = hm_mailbox_new(vm, shm, size, HM_MAX_REGION_PAGES,
				     ivshmem_server_doorbell_fd(s, 0), &mb);
	if (!err) {
		hm_vm_set_event_handler(vm, on_event, NULL);
		err = qemu_build_args(&c, &args);
	}
	if (!err)
		err = qemu_start(&args, 0, &q);
	if (!err)
		err = ivshmem_server_accept(s, 30000);
	if (!err)
		err = serve(s, mb, &q);
	if (err)
		snprintf(why, cap, "QEMU run: %s", strerror(-err));
	qemu_stop(&q);
	qemu_close(&q);
	hm_mailbox_free(mb);
	hm_vm_free(vm);
	ivshmem_server_free(s);
	unlink(sock);
	rmdir(tmp);
	return err;
}
