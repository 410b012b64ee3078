// SPDX-License-Identifier: MIT
/*
 * Our QEMU (launch.h), on a machine type of the table. Its stdout is
 * the machine's serial port (a stdio chardev) on a pipe the backend reads as the VMM core's
 * console is read; its stdin is the terminal, when the guest should have
 * the keys, or /dev/null; its stderr, where QEMU says what went wrong, is
 * ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

#define CHARDEV_ID "hypermem"
/* One vector: the guest's doorbell; the host answers in shared memory. */
#define DEVICE "ivshmem-doorbell,chardev=" CHARDEV_ID ",vectors=1"
/* No doorbell, no MSI-X: the memory only, which the host polls. */
#define MEMORY_ID "hypermem-mem"
#define PLAIN_DEVICE "ivshmem-plain,memdev=" MEMORY_ID
#define MAX_PATH_OPTION 512

/*
 * The machine types, one for each guest architecture QEMU boots here,
 * with the CPU that TCG emulates (KVM's is the host's). Without -machine,
 * qemu-system-x86_64's default is a PC (i440FX). On ARM, QEMU's virt
 * (docs/system/arm/virt.rst) has a PL011 (ttyAMA0) and a GICv2m that gives
 * PCI devices MSI-X; under KVM it takes the host's GIC. arm64's CPU is the
 * newest Armv8 QEMU has, which sets the access flag in hardware
 * (FEAT_HAFDBS): on an Armv8.0 CPU (cortex-a57) a page that fork() left
 * old faults on its first access, and the module's reads in a syscall's
 * event, which may not fault, fail with -EFAULT; pauth-impdef is the
 * pointer authentication TCG runs fast. A 32-bit kernel without LPAE
 * (Debian's armmp) reaches no PCI window above 4 GiB: highmem=off keeps
 * them all below. Debian's qemu-system-mipsel has no ivshmem,
 * qemu-system-mips64el has it and runs 32-bit CPUs too; Malta's interrupt
 * controller has no MSI-X, and RAM above 256 MiB needs a kernel with
 * highmem.
 */
static const struct qemu_machine machines[] = {
	{ .arch = "x86_64", .program = "qemu-system-x86_64",
	  .console = "ttyS0", .package = "qemu-system-x86", .mem_mib = 512,
	  .msix = 1 },
	{ .arch = "aarch64", .program = "qemu-system-aarch64",
	  .machine = "virt", .kvm_machine = "virt,gic-version=host",
	  .cpu = "max,pauth-impdef=on", .console = "ttyAMA0",
	  .package = "qemu-system-arm", .mem_mib = 512, .msix = 1 },
	{ .arch = "arm", .program = "qemu-system-arm",
	  .machine = "virt,highmem=off", .cpu = "cortex-a15",
	  .console = "ttyAMA0", .package = "qemu-system-arm", .mem_mib = 512,
	  .msix = 1 },
	{ .arch = "mipsel", .program = "qemu-system-mips64el",
	  .machine = "malta", .cpu = "24Kf", .console = "ttyS0",
	  .package = "qemu-system-mips", .mem_mib = 256 },
	{ .arch = "mips64el", .program = "qemu-system-mips64el",
	  .machine = "malta", .cpu = "5KEc", .console = "ttyS0",
	  .package = "qemu-system-mips", .mem_mib = 256 },
};

#define NR_MACHINES (sizeof(machines) / sizeof(machines[0]))

#if defined(__x86_64__)
#define NATIVE_ARCH "x86_64"
#elif defined(__aarch64__)
#define NATIVE_ARCH "aarch64"
#endif

const struct qemu_machine *qemu_machine_find(const char *arch)
{
	size_t i;

	for (i = 0; i < NR_MACHINES; i++)
		if (!strcmp(machines[i].arch, arch))
			return &machines[i];
	return NULL;
}

const struct qemu_machine *qemu_machine_native(void)
{
	return qemu_machine_find(NATIVE_ARCH);
}

void qemu_machine_names(char *buf, size_t cap)
{
	size_t i, n = 0;
	int w;

	for (i = 0; i < NR_MACHINES && n < cap; i++) {
		w = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "",
			     machines[i].arch);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* In QEMU's KEY=VALUE lists a comma is written twice. */
static int escape_commas(const char *s, char *buf, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		if (n + 3 > cap)
			return -ENAMETOOLONG;
		if (*s == ',')
			buf[n++] = ',';
		buf[n++] = *s;
	}
	buf[n] = 0;
	return 0;
}

static void add(struct qemu_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct qemu_args *a, const char *fmt, ...)
{
	size_t room = sizeof(a->text) - a->used;
	va_list ap;
	int n;

	if (a->argc == QEMU_MAX_ARGS)
		a->full = 1;
	if (a->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(a->text + a->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		a->full = 1;
		return;
	}
	a->argv[a->argc++] = a->text + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
}

/*
 * Either device keeps the chardev: ivshmem-doorbell's protocol runs on
 * it; beside ivshmem-plain it has no device, and QEMU only connects,
 * which lets the server check QEMU's user and see it leave. share=on:
 * QEMU maps the file MAP_SHARED, so the host sees the guest's writes.
 */
static int add_device(struct qemu_args *a, const struct qemu_device *d)
{
	char path[MAX_PATH_OPTION];

	if (escape_commas(d->socket, path, sizeof(path)))
		return -ENAMETOOLONG;
	add(a, "-chardev");
	add(a, "socket,path=%s,id=" CHARDEV_ID, path);
	if (d->memory) {
		if (escape_commas(d->memory, path, sizeof(path)))
			return -ENAMETOOLONG;
		add(a, "-object");
		add(a, "memory-backend-file,id=" MEMORY_ID
		    ",share=on,mem-path=%s,size=%zu", path, d->size);
	}
	add(a, "-device");
	add(a, d->memory ? PLAIN_DEVICE : DEVICE);
	return a->full ? -E2BIG : 0;
}

static int add_drive(struct qemu_args *a, const char *image)
{
	char path[MAX_PATH_OPTION];

	if (escape_commas(image, path, sizeof(path)))
		return -ENAMETOOLONG;
	add(a, "-drive");
	add(a, "file=%s,if=virtio,format=raw,snapshot=on", path);
	return 0;
}

/*
 * No default devices, monitor or display: the serial port on stdio, the
 * disk, and the ivshmem device (none on a machine without MSI-X); the caller's own arguments last, where QEMU lets a
 * later option add to the earlier ones. With -no-reboot a reset ends QEMU
 * as a power-off does, which ends the run as the core's reset does.
 */
int qemu_build_args(const struct qemu_launch *c, const struct qemu_device *d,
		    struct qemu_args *a)
{
	const struct qemu_machine *m = c->machine;
	const char *machine = m->machine;
	unsigned int i;
	int err;

	*a = (struct qemu_args){ .argc = 0 };
	/* ivshmem-doorbell's interrupts are MSI-X. */
	if (!m->msix && !d->memory)
		return -EOPNOTSUPP;
	add(a, "%s", m->program);
	if (c->kvm && m->kvm_machine)
		machine = m->kvm_machine;
	if (machine) {
		add(a, "-machine");
		add(a, "%s", machine);
	}
	add(a, "-accel");
	add(a, c->kvm ? "kvm" : "tcg");
	if (c->kvm || m->cpu) {
		add(a, "-cpu");
		add(a, "%s", c->kvm ? "host" : m->cpu);
	}
	add(a, "-m");
	add(a, "%u", c->mem_mib);
	add(a, "-smp");
	add(a, "%u", c->cpus);
	add(a, "-nodefaults");
	add(a, "-no-user-config");
	add(a, "-display");
	add(a, "none");
	add(a, "-chardev");
	add(a, "stdio,id=console");
	add(a, "-serial");
	add(a, "chardev:console");
	add(a, "-no-reboot");
	add(a, "-kernel");
	add(a, "%s", c->kernel);
	if (c->initrd) {
		add(a, "-initrd");
		add(a, "%s", c->initrd);
	}
	add(a, "-append");
	add(a, "%s", c->append);
	if (c->drive) {
		err = add_drive(a, c->drive);
		if (err)
			return err;
	}
	err = add_device(a, d);
	if (err)
		return err;
	for (i = 0; i < c->extra_argc; i++)
		add(a, "%s", c->extra_args[i]);
	return a->full ? -E2BIG : 0;
}

static int shell_safe(const char *s)
{
	return *s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
			    "vwxyz0123456789_-+=.,:/@%") == strlen(s);
}

/* As much of @len bytes at @s as fits after the @n bytes in @buf. */
static void append(char *buf, size_t cap, size_t *n, const char *s,
		   size_t len)
{
	if (len > cap - 1 - *n)
		len = cap - 1 - *n;
	memcpy(buf + *n, s, len);
	*n += len;
	buf[*n] = 0;
}

void qemu_format_args(const struct qemu_args *a, char *buf, size_t cap)
{
	size_t n = 0;
	const char *s;
	int i;

	if (!cap)
		return;
	buf[0] = 0;
	for (i = 0; i < a->argc; i++) {
		if (i)
			append(buf, cap, &n, " ", 1);
		if (shell_safe(a->argv[i])) {
			append(buf, cap, &n, a->argv[i], strlen(a->argv[i]));
			continue;
		}
		append(buf, cap, &n, "'", 1);
		for (s = a->argv[i]; *s; s++)
			append(buf, cap, &n, *s == '\'' ? "'\\''" : s,
			       *s == '\'' ? 4 : 1);
		append(buf, cap, &n, "'", 1);
	}
}

int qemu_device_options(const struct qemu_device *d, char *buf, size_t cap)
{
	struct qemu_args a = { .argc = 0 };
	int err = add_device(&a, d);

	if (!err)
		qemu_format_args(&a, buf, cap);
	return err;
}

/*
 * In the child, between fork() and exec: async-signal-safe calls only.
 * PR_SET_PDEATHSIG (prctl(2)) kills it when its parent dies, however;
 * a parent already gone before the call is seen by getppid().
 */
static void __attribute__((noreturn))
exec_child(const struct qemu_args *a, pid_t parent, int out, int in,
	   int report)
{
	ssize_t n;
	int err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	if (dup2(out, STDOUT_FILENO) >= 0 &&
	    (in < 0 || dup2(in, STDIN_FILENO) >= 0))
		execvp(a->argv[0], a->argv);
	err = errno;
	n = write(report, &err, sizeof(err));
	(void)n;
	_exit(127);
}

/* What the child reported before exec: 0 once exec closed the pipe. */
static int exec_error(int report)
{
	ssize_t n;
	int err;

	do
		n = read(report, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(err) ? -err : 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int qemu_child_start(const struct qemu_args *a, int console_input,
		     struct qemu_child *q)
{
	int out[2] = { -1, -1 }, report[2] = { -1, -1 }, in = -1, err = 0;
	pid_t parent = getpid();

	*q = QEMU_CHILD_NONE;
	if (pipe2(out, O_CLOEXEC) || pipe2(report, O_CLOEXEC))
		err = -errno;
	if (!err && !console_input) {
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in < 0)
			err = -errno;
	}
	if (!err) {
		q->pid = fork();
		if (q->pid < 0)
			err = -errno;
		else if (!q->pid)
			exec_child(a, parent, out[1], in, report[1]);
	}
	q->console_fd = out[0];
	close_fd(&out[1]);
	close_fd(&report[1]);
	close_fd(&in);
	if (!err)
		err = exec_error(report[0]);
	close_fd(&report[0]);
	if (!err) {
		q->pidfd = (int)syscall(SYS_pidfd_open, q->pid, 0);
		if (q->pidfd < 0)
			err = -errno;
	}
	if (!err && fcntl(q->console_fd, F_SETFL, O_NONBLOCK))
		err = -errno;
	if (err)
		qemu_child_close(q);
	return err;
}

int qemu_child_exited(struct qemu_child *q)
{
	if (q->pid < 0 || q->reaped)
		return 1;
	if (waitpid(q->pid, &q->status, WNOHANG) != q->pid)
		return 0;
	q->reaped = 1;
	return 1;
}

void qemu_child_kill(struct qemu_child *q)
{
	if (q->pid < 0 || q->reaped)
		return;
	kill(q->pid, SIGKILL);
	while (waitpid(q->pid, &q->status, 0) < 0 && errno == EINTR)
		;
	q->reaped = 1;
}

void qemu_child_close(struct qemu_child *q)
{
	qemu_child_kill(q);
	close_fd(&q->pidfd);
	close_fd(&q->console_fd);
}
