// SPDX-License-Identifier: MIT
/*
 * The run's options (run.h): --name VALUE into struct options, the checks
 * of what each guest and backend takes, and whether KVM can be used.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <qemu/qemu.h>
#include <tiny/boot.h>
#include <vmm/vmm.h>

#include "output.h"
#include "run.h"
#include "syscalls.h"

#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* The core's boards differ by architecture: guest-tiny is x86-64's. */
#ifdef __aarch64__
#define HAVE_GUEST_TINY 0
#else
#define HAVE_GUEST_TINY 1
#endif

/* Say what to do about /dev/kvm before anything else fails on it. */
int run_check_kvm(void)
{
	int err = vmm_check_kvm();

	if (!err)
		return 0;
	if (err == -ENOENT)
		output_error("/dev/kvm does not exist: this machine has no "
			     "KVM. Enable virtualization (VT-x/AMD-V) in the "
			     "firmware and load the module (modprobe kvm_intel "
			     "or kvm_amd), or run on a host that offers KVM "
			     "to its guests (nested virtualization).");
	else if (err == -EACCES || err == -EPERM)
		output_error("no permission to open /dev/kvm. Add yourself to "
			     "its group (sudo usermod -aG kvm $USER, then log "
			     "in again), or run as a user that can open it.");
	else
		output_error("cannot open /dev/kvm: %s", strerror(-err));
	return EXIT_NO_KVM;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -1;
	*ret = (unsigned int)v;
	return 0;
}

/* A user's name or number, as --qemu-user takes it: 0 or -1. */
static int parse_user(const char *s, uid_t *ret)
{
	struct passwd *pw = getpwnam(s);
	unsigned int uid;

	if (pw) {
		*ret = pw->pw_uid;
		return 0;
	}
	if (parse_uint(s, 0, UINT_MAX - 1, &uid))
		return -1;
	*ret = (uid_t)uid;
	return 0;
}

/* Index 0 is the value of an option not given; -1: none of them. */
static const char *const vmm_names[] = { "", "core", "qemu", NULL };
static const char *const accel_names[] = { "", "auto", "kvm", "tcg", NULL };
static const char *const doorbell_names[] = { "", "auto", "on", "off", NULL };

static int parse_choice(const char *s, const char *const *names)
{
	int i;

	for (i = 1; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int run_set_option(struct options *o, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t offset;
	} texts[] = {
		{ "guest", offsetof(struct options, guest) },
		{ "kernel", offsetof(struct options, kernel) },
		{ "initrd", offsetof(struct options, initrd) },
		{ "append", offsetof(struct options, append) },
		{ "cmdline", offsetof(struct options, cmdline) },
		{ "qemu-socket", offsetof(struct options, qemu_socket) },
		{ "attach", offsetof(struct options, attach) },
		{ "drive", offsetof(struct options, drive) },
	};
	char names[128];
	size_t i;
	int choice;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (!strcmp(name, texts[i].name)) {
			*(const char **)((char *)o + texts[i].offset) = value;
			return 0;
		}
	}
	if (!strcmp(name, "cpus")) {
		if (parse_uint(value, 1, TINY_MAX_CPUS, &o->cpus))
			return output_usage_error("--cpus %s: want 1 to %u",
						  value, TINY_MAX_CPUS);
	} else if (!strcmp(name, "mem")) {
		if (parse_uint(value, 16, 1024, &o->mem_mib) ||
		    o->mem_mib % 2)
			return output_usage_error("--mem %s: want an even "
						  "number of MiB, 16 to 1024",
						  value);
	} else if (!strcmp(name, "timeout")) {
		if (parse_uint(value, 1, 86400, &o->timeout_s))
			return output_usage_error("--timeout %s: want 1 to "
						  "86400 seconds", value);
	} else if (!strcmp(name, "vmm")) {
		choice = parse_choice(value, vmm_names);
		if (choice < 0)
			return output_usage_error("--vmm %s: want core or qemu",
						  value);
		o->vmm = (enum run_vmm)choice;
	} else if (!strcmp(name, "qemu-arg")) {
		if (o->qemu_argc == RUN_MAX_QEMU_ARGS)
			return output_usage_error("--qemu-arg %s: %u at most",
						  value, RUN_MAX_QEMU_ARGS);
		o->qemu_args[o->qemu_argc++] = value;
	} else if (!strcmp(name, "qemu-user")) {
		if (parse_user(value, &o->qemu_uid))
			return output_usage_error("--qemu-user %s: no such "
						  "user", value);
		o->qemu_user = value;
	} else if (!strcmp(name, "arch")) {
		if (!qemu_machine_find(value)) {
			qemu_machine_names(names, sizeof(names));
			return output_usage_error("--arch %s: want one of %s",
						  value, names);
		}
		o->arch = value;
	} else if (!strcmp(name, "accel")) {
		choice = parse_choice(value, accel_names);
		if (choice < 0)
			return output_usage_error("--accel %s: want auto, kvm "
						  "or tcg", value);
		o->accel = (enum run_accel)choice;
	} else if (!strcmp(name, "qemu-doorbell")) {
		choice = parse_choice(value, doorbell_names);
		if (choice < 0)
			return output_usage_error("--qemu-doorbell %s: want "
						  "auto, on or off", value);
		o->doorbell = (enum run_doorbell)choice;
	} else {
		return output_usage_error("--%s: no such option", name);
	}
	return 0;
}

int run_uses_qemu(const struct options *o)
{
	return o->vmm == RUN_VMM_QEMU ||
	       (o->vmm == RUN_VMM_DEFAULT && (o->qemu_socket || o->attach));
}

static int check_tiny_options(const struct options *o)
{
	if (!HAVE_GUEST_TINY)
		return output_usage_error("guest-tiny is an x86-64 guest: name "
					  "a Linux kernel (an arm64 Image) "
					  "with --kernel");
	if (o->initrd)
		return output_usage_error("--initrd %s: only with --kernel",
					  o->initrd);
	if (o->append)
		return output_usage_error("--append %s: only with --kernel; "
					  "guest-tiny takes --cmdline",
					  o->append);
	if (o->guest && access(o->guest, R_OK))
		return output_usage_error("--guest %s: cannot read it",
					  o->guest);
	return 0;
}

static int check_linux_files(const struct options *o)
{
	if (access(o->kernel, R_OK))
		return output_usage_error("--kernel %s: cannot read it",
					  o->kernel);
	if (o->initrd && access(o->initrd, R_OK))
		return output_usage_error("--initrd %s: cannot read it",
					  o->initrd);
	return 0;
}

/*
 * The QEMU a person starts, or that runs already, has its own kernel, RAM,
 * CPUs and accelerator.
 */
static int check_own_qemu(const struct options *o, const char *why)
{
	if (o->kernel)
		return output_usage_error("--kernel %s: %s", o->kernel, why);
	if (o->initrd)
		return output_usage_error("--initrd %s: %s", o->initrd, why);
	if (o->append)
		return output_usage_error("--append %s: %s", o->append, why);
	if (o->mem_mib)
		return output_usage_error("--mem %u: %s", o->mem_mib, why);
	if (o->cpus != 1)
		return output_usage_error("--cpus %u: %s", o->cpus, why);
	if (o->accel)
		return output_usage_error("--accel %s: %s",
					  accel_names[o->accel], why);
	if (o->drive)
		return output_usage_error("--drive %s: %s", o->drive, why);
	if (o->qemu_argc)
		return output_usage_error("--qemu-arg %s: %s",
					  o->qemu_args[0], why);
	return 0;
}

static int check_socket_options(const struct options *o)
{
	const char *path = o->qemu_socket;
	int err = check_own_qemu(o, "the QEMU you start has its own; not "
				 "with --qemu-socket");

	if (err)
		return err;
	if (o->attach)
		return output_usage_error("--attach %s: not with --qemu-socket",
					  o->attach);
	/* What is there, the server sees when it makes the socket. */
	if (!*path || strlen(path) > SOCKET_PATH_MAX)
		return output_usage_error("--qemu-socket '%s': want the path "
					  "of a UNIX socket, 1 to %zu bytes",
					  path, SOCKET_PATH_MAX);
	return 0;
}

static int check_attach_options(const struct options *o)
{
	const char *path = o->attach;
	struct stat st;
	int err = check_own_qemu(o, "the running QEMU has its own; not with "
				 "--attach");

	if (err)
		return err;
	if (!*path || strlen(path) > SOCKET_PATH_MAX)
		return output_usage_error("--attach '%s': want the path of "
					  "QEMU's QMP socket, 1 to %zu bytes",
					  path, SOCKET_PATH_MAX);
	if (stat(path, &st) || !S_ISSOCK(st.st_mode))
		return output_usage_error("--attach %s: no socket there; start "
					  "QEMU with -qmp unix:%s,server=on,"
					  "wait=off", path, path);
	return 0;
}

/*
 * The kernel's architecture from its header, into o->arch, where --arch
 * did not name it: 0; -ENOEXEC, -EOPNOTSUPP (@f says what it is), or
 * the error of reading the file.
 */
static int kernel_arch(struct options *o, struct qemu_kernel_format *f)
{
	int err;

	*f = (struct qemu_kernel_format){ NULL, NULL };
	if (o->arch || !o->kernel)
		return 0;
	err = qemu_kernel_file_arch(o->kernel, f);
	if (!err)
		o->arch = f->arch;
	return err;
}

/* QEMU boots any architecture of its table; the kernel must say which. */
static int check_qemu_arch(struct options *o)
{
	struct qemu_kernel_format f;
	char names[128];
	int err = kernel_arch(o, &f);

	if (!err)
		return 0;
	qemu_machine_names(names, sizeof(names));
	if (err == -EOPNOTSUPP)
		return output_usage_error("--kernel %s: %s, which no QEMU "
					  "machine here boots (--arch: %s)",
					  o->kernel, f.format, names);
	if (err == -ENOEXEC)
		return output_usage_error("cannot tell the architecture of "
					  "%s: use --arch (%s)", o->kernel,
					  names);
	return output_usage_error("--kernel %s: %s", o->kernel,
				  strerror(-err));
}

/*
 * The core runs guests of the host's own architecture: a kernel for
 * another is refused here, one it cannot tell is its loader's to judge.
 */
static int check_core_arch(struct options *o)
{
	const struct qemu_machine *native = qemu_machine_native();
	struct qemu_kernel_format f;

	kernel_arch(o, &f);
	if (!o->arch || (native && !strcmp(o->arch, native->arch)))
		return 0;
	if (f.arch)
		return output_usage_error("--kernel %s: %s (%s), which the "
					  "VMM core does not run here; "
					  "--vmm qemu boots it under QEMU",
					  o->kernel, f.format, o->arch);
	return output_usage_error("--arch %s: the VMM core runs guests of "
				  "this machine's architecture only; --vmm "
				  "qemu boots %s guests under QEMU", o->arch,
				  o->arch);
}

/* guest-tiny needs the core; QEMU boots Linux only. */
static int check_qemu_options(struct options *o)
{
	if (o->guest)
		return output_usage_error("--guest %s: guest-tiny runs on the "
					  "VMM core only (--vmm core)",
					  o->guest);
	if (o->cmdline)
		return output_usage_error("--cmdline %s: guest-tiny's, which "
					  "runs on the VMM core only; give "
					  "the kernel its command line with "
					  "--append", o->cmdline);
	/* QEMU maps the polled device's memory as /proc/OUR_PID/fd/N. */
	if (o->qemu_user && o->doorbell == RUN_DOORBELL_OFF)
		return output_usage_error("--qemu-user %s: not with "
					  "--qemu-doorbell off, whose QEMU "
					  "must run as this user",
					  o->qemu_user);
	if (o->qemu_socket)
		return check_socket_options(o);
	if (o->attach)
		return check_attach_options(o);
	if (!o->kernel)
		return output_usage_error("--vmm qemu boots a Linux kernel: "
					  "name it with --kernel (guest-tiny "
					  "runs on the VMM core only)");
	if (o->drive && access(o->drive, R_OK))
		return output_usage_error("--drive %s: cannot read it",
					  o->drive);
	return check_linux_files(o) || check_qemu_arch(o) ? EXIT_USAGE : 0;
}

static int check_options(struct options *o)
{
	int err;

	if (run_uses_qemu(o))
		return check_qemu_options(o);
	if (o->qemu_socket)
		return output_usage_error("--qemu-socket %s: serves a QEMU, "
					  "not with --vmm core",
					  o->qemu_socket);
	if (o->attach)
		return output_usage_error("--attach %s: attaches to a QEMU, "
					  "not with --vmm core", o->attach);
	if (o->accel)
		return output_usage_error("--accel %s: QEMU's, only with "
					  "--vmm qemu", accel_names[o->accel]);
	if (o->drive)
		return output_usage_error("--drive %s: QEMU's, only with "
					  "--vmm qemu", o->drive);
	if (o->qemu_argc)
		return output_usage_error("--qemu-arg %s: only with --vmm "
					  "qemu", o->qemu_args[0]);
	if (o->qemu_user)
		return output_usage_error("--qemu-user %s: only with --vmm "
					  "qemu", o->qemu_user);
	if (o->doorbell)
		return output_usage_error("--qemu-doorbell %s: QEMU's, only "
					  "with --vmm qemu",
					  doorbell_names[o->doorbell]);
	if (!o->kernel)
		return check_tiny_options(o) || check_core_arch(o) ?
		       EXIT_USAGE : 0;
	if (o->guest)
		return output_usage_error("--guest %s: a guest-tiny image, not "
					  "with --kernel", o->guest);
	if (o->cmdline)
		return output_usage_error("--cmdline %s: guest-tiny's; give "
					  "the kernel its command line with "
					  "--append", o->cmdline);
	err = check_linux_files(o);
	return err ? err : check_core_arch(o);
}

/*
 * The guest's architecture, --arch's or its kernel's, names the syscalls
 * of the run's scripts and plugins from here on (bindings/syscalls.h).
 */
int run_check_options(struct options *o)
{
	int code = check_options(o);

	if (!code && o->arch)
		syscalls_set_arch(syscalls_arch_by_name(o->arch));
	return code;
}
