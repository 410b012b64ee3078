// SPDX-License-Identifier: MIT
/*
 * tiny-vmm: boot guest-tiny and show what libhypermem sees of it.
 *
 *   tiny-vmm [--cpus N] [--mem MiB] [--cmdline STR] [--timeout SEC] ELF
 *
 * A VMM attaches libhypermem in four steps, all in the core's vm.c:
 * hm_vm_new() and hm_vm_add_ram() for the guest's RAM, hm_vcpu_new() with
 * each vCPU's fd and kvm_run, hm_vm_set_event_handler(), and
 * hm_vcpu_handle_exit() on every exit of its KVM_RUN loop before its own
 * dispatcher. This program is the other half: the event handler, where
 * the hm_vcpu_* operations read the raising process's pid, argv, fds and
 * buffers, and run the original ioctl interaction sequence.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiny/abi.h>
#include <vmm/vmm.h>

#define SHOW_MAX 64
#define LINE_MAX 256

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

/* Whole console lines per vCPU, so that two vCPUs never cut into one. */
static void on_console(int cpu, const char *buf, size_t len, void *opaque)
{
	static char lines[VMM_MAX_CPUS][LINE_MAX];
	static size_t lens[VMM_MAX_CPUS];
	char *line = lines[cpu < 0 ? 0 : cpu];
	size_t *n = &lens[cpu < 0 ? 0 : cpu], i;

	(void)opaque;
	for (i = 0; i < len; i++) {
		line[(*n)++] = buf[i];
		if (buf[i] == '\n' || *n == LINE_MAX) {
			fwrite(line, 1, *n, stdout);
			*n = 0;
		}
	}
}

/* --cpus N, --mem MiB, --cmdline STR, --timeout SEC, then the ELF. */
static int parse_options(int argc, char **argv, struct vmm_config *c)
{
	int i;

	for (i = 1; i < argc - 1 && !strncmp(argv[i], "--", 2); i += 2) {
		unsigned long n = strtoul(argv[i + 1], NULL, 0);

		if (!strcmp(argv[i], "--cpus"))
			c->nr_cpus = (unsigned int)n;
		else if (!strcmp(argv[i], "--mem"))
			c->mem_size = (uint64_t)n << 20;
		else if (!strcmp(argv[i], "--cmdline"))
			c->cmdline = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout"))
			c->timeout_ms = (unsigned int)n * 1000;
		else
			return -1;
	}
	if (i != argc - 1)
		return -1;
	c->kernel = argv[i];
	return 0;
}

int main(int argc, char **argv)
{
	struct vmm_config config = {
		.board = VMM_BOARD_TINY, .cmdline = "", .timeout_ms = 30000,
		.console_fn = on_console, .event_fn = on_event,
	};
	struct vmm_result res;
	struct vmm *vm;
	int err;

	if (parse_options(argc, argv, &config)) {
		fprintf(stderr, "usage: %s [--cpus N] [--mem MiB] "
			"[--cmdline STR] [--timeout SEC] guest-tiny.elf\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = vmm_new(&config, &vm);
	if (err) {
		fprintf(stderr, "tiny-vmm: %s\n", strerror(-err));
		return 2;
	}
	err = vmm_run(vm, &res);
	if (res.reason == VMM_STOP_TIMEOUT)
		printf("tiny-vmm: timed out after %u s\n",
		       config.timeout_ms / 1000);
	printf("tiny-vmm: %s, %d failed\n", res.tiny.all_done ? "all done" :
	       "did not finish", res.tiny.failed);
	err = !err && res.reason == VMM_STOP_HALTED && res.tiny.all_done &&
	      !res.tiny.failed && !res.tiny.panicked ? 0 : 1;
	vmm_free(vm);
	return err;
}
