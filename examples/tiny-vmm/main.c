// SPDX-License-Identifier: MIT
/*
 * tiny-vmm: boot guest-tiny under KVM and show what libhypermem sees of it.
 *
 *   tiny-vmm [--cpus N] [--mem MiB] [--cmdline STR] [--timeout SEC] ELF
 *
 * Each guest event is printed with the raising process's pid, argv and the
 * names behind its fd arguments; for the ioctl test's SIOCDEVPRIVATE
 * request the host runs the original interaction sequence.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vm.h"
#include <tiny/abi.h>

#define SHOW_MAX 64

struct options {
	unsigned int cpus;
	unsigned int mem_mib;
	unsigned int timeout_s;
	const char *cmdline;
	const char *path;
};

static const char *syscall_name(uint64_t nr)
{
	switch (nr) {
	case TINY_SYS_READ: return "read";
	case TINY_SYS_WRITE: return "write";
	case TINY_SYS_OPEN: return "open";
	case TINY_SYS_CLOSE: return "close";
	case TINY_SYS_IOCTL: return "ioctl";
	case TINY_SYS_GETPID: return "getpid";
	case TINY_SYS_SOCKET: return "socket";
	case TINY_SYS_EXIT: return "exit";
	case TINY_SYS_OPENAT: return "openat";
	default: return "?";
	}
}

static void show_bytes(const char *what, const unsigned char *buf, size_t n)
{
	size_t i;

	printf("    %s \"", what);
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			printf("\\n");
		else if (buf[i] >= 32 && buf[i] < 127)
			putchar(buf[i]);
		else
			printf("\\x%02x", buf[i]);
	}
	printf("\"\n");
}

static void show_process(struct hm_vcpu *vcpu)
{
	char **argv;
	size_t argc, i;
	uint64_t pid = 0;

	hm_vcpu_get_proc_pid(vcpu, &pid);
	printf("    pid %" PRIu64 " argv [", pid);
	if (!hm_vcpu_get_proc_args(vcpu, &argv, &argc)) {
		for (i = 0; i < argc; i++)
			printf("%s\"%s\"", i ? ", " : "", argv[i]);
		free(argv);
	}
	printf("]\n");
}

static void show_fd(struct hm_vcpu *vcpu, int64_t fd)
{
	char name[128];
	ssize_t n = hm_vcpu_read_fd_name(vcpu, fd, name, sizeof(name));

	if (n >= 0)
		printf("    fd %" PRId64 " -> %s\n", fd, name);
	else
		printf("    fd %" PRId64 " -> error %zd\n", fd, n);
}

static void show_buffer(struct hm_vcpu *vcpu, const char *what, uint64_t addr,
			uint64_t len)
{
	unsigned char buf[SHOW_MAX];
	ssize_t n = hm_vcpu_read(vcpu, addr, buf, len < SHOW_MAX ? len :
				 SHOW_MAX);

	if (n >= 0)
		show_bytes(what, buf, (size_t)n);
}

/* The original interaction test, step by step. */
static int ioctl_sequence(struct hm_vcpu *vcpu, uint64_t arg)
{
	char name[TINY_IFNAMSIZ];
	uint32_t value;
	ssize_t n;
	int err;

	n = hm_vcpu_read_str(vcpu, arg, name, sizeof(name));
	err = hm_vcpu_read_u32(vcpu, arg + TINY_IFNAMSIZ, &value);
	printf("    ifreq name \"%s\" (%zd) value %u (%d)\n", name, n, value,
	       err);
	err = hm_vcpu_write_str(vcpu, arg, "test");
	n = hm_vcpu_read_str(vcpu, arg, name, sizeof(name));
	printf("    wrote name \"test\" (%d), reads back \"%s\"\n", err, name);
	err = hm_vcpu_write_u32(vcpu, arg + TINY_IFNAMSIZ, 0x12345678);
	hm_vcpu_read_u32(vcpu, arg + TINY_IFNAMSIZ, &value);
	printf("    wrote value 0x12345678 (%d), reads back 0x%x\n", err,
	       value);
	return n < 0 ? (int)n : 0;
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	const uint64_t *a = ev->args;
	struct hm_guest_info info = { 0 };

	int ret = 0;

	(void)opaque;
	hm_vcpu_get_guest_info(vcpu, &info);
	/* One event's lines together, whatever the other vCPUs print. */
	flockfile(stdout);
	if (ev->kind == HM_EVENT_USER) {
		printf("event cpu%u user code %" PRIu64 " arg 0x%" PRIx64 "\n",
		       info.vcpu_index, ev->nr, a[0]);
		show_process(vcpu);
		goto out;
	}
	printf("event cpu%u %s %s(%" PRIu64 ")", info.vcpu_index,
	       ev->kind == HM_EVENT_SYSCALL_ENTER ? "enter" : "exit",
	       syscall_name(ev->nr), ev->nr);
	if (ev->kind == HM_EVENT_SYSCALL_EXIT)
		printf(" = %" PRId64, (int64_t)ev->ret);
	printf("\n");
	show_process(vcpu);
	switch (ev->nr) {
	case TINY_SYS_WRITE:
		show_fd(vcpu, (int64_t)a[0]);
		show_buffer(vcpu, "data", a[1], a[2]);
		break;
	case TINY_SYS_READ:
		show_fd(vcpu, (int64_t)a[0]);
		if ((int64_t)ev->ret > 0)
			show_buffer(vcpu, "data", a[1], ev->ret);
		break;
	case TINY_SYS_OPEN:
	case TINY_SYS_SOCKET:
		if ((int64_t)ev->ret >= 0)
			show_fd(vcpu, (int64_t)ev->ret);
		break;
	case TINY_SYS_CLOSE:
		show_fd(vcpu, (int64_t)a[0]);
		break;
	case TINY_SYS_IOCTL:
		show_fd(vcpu, (int64_t)a[0]);
		if (a[1] == TINY_SIOCDEVPRIVATE)
			ret = ioctl_sequence(vcpu, a[2]);
		break;
	}
out:
	funlockfile(stdout);
	return ret;
}

static void show_stats(struct tvm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++) {
		struct hm_stats s;

		hm_vcpu_get_stats(vm->cpus[i].hm, &s);
		printf("cpu%u: %" PRIu64 " events, %" PRIu64
		       " round trips, %" PRIu64 " exits in ops, %" PRIu64
		       " exits in all\n", i, s.events, s.round_trips,
		       s.exits, vm->cpus[i].exits);
	}
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--cpus N] [--mem MiB] [--cmdline STR] "
		"[--timeout SEC] guest-tiny.elf\n", argv0);
	return 2;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cmdline", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:m:l:t:", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			o->cpus = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o->mem_mib = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			o->cmdline = optarg;
			break;
		case 't':
			o->timeout_s = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		default:
			return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	o->path = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { 1, 64, 30, "", NULL };
	struct tvm vm;
	uint64_t entry;
	int err;

	if (parse_options(argc, argv, &o))
		return usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = tvm_create(&vm, (uint64_t)o.mem_mib << 20, o.cpus);
	if (!err)
		err = tvm_load_elf(&vm, o.path, &entry);
	if (!err)
		err = tvm_boot_setup(&vm, entry, o.cmdline);
	if (err) {
		fprintf(stderr, "tiny-vmm: %s\n", strerror(-err));
		tvm_destroy(&vm);
		return 2;
	}
	vm.echo = 1;
	hm_vm_set_event_handler(vm.hm, on_event, &vm);
	err = tvm_run(&vm, o.timeout_s * 1000);
	show_stats(&vm);
	if (err == -ETIMEDOUT)
		printf("tiny-vmm: timed out after %u s\n", o.timeout_s);
	printf("tiny-vmm: %s, %d failed\n", vm.all_done ? "all done" :
	       "did not finish", vm.failed);
	err = vm.all_done && !vm.failed && !vm.crashed ? 0 : 1;
	tvm_destroy(&vm);
	return err;
}
