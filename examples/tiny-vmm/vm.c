// SPDX-License-Identifier: MIT
/*
 * VM creation, long-mode boot and the vCPU run loop. Every exit goes to
 * hm_vcpu_handle_exit() first; what libhypermem does not claim is handled
 * by one switch on the exit reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"
#include <x86-regs.h>


/* Kicks a vCPU thread out of KVM_RUN when the VM must stop. */
#define STOP_SIGNAL SIGUSR1

static __thread struct kvm_run *thread_run;

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
};

const char *tvm_exit_name(unsigned int reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[reason])
		return exit_names[reason];
	return "?";
}

/* Retries EINTR, except for KVM_RUN whose EINTR the caller wants. */
static int kvm_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR && request != KVM_RUN);
	return ret < 0 ? -errno : ret;
}

static void on_stop_signal(int signo)
{
	(void)signo;
	if (thread_run)
		thread_run->immediate_exit = 1;
}

static int create_vcpu(struct tvm *vm, unsigned int index, int run_size)
{
	struct tvm_cpu *cpu = &vm->cpus[index];
	struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 entries[128];
	} cpuid = { .head.nent = 128 };
	int ret;

	cpu->vm = vm;
	cpu->index = index;
	cpu->fd = kvm_ioctl(vm->fd, KVM_CREATE_VCPU, (void *)(long)index);
	if (cpu->fd < 0)
		return cpu->fd;
	cpu->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			cpu->fd, 0);
	if (cpu->run == MAP_FAILED)
		return -errno;
	ret = kvm_ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid);
	if (ret < 0)
		return ret;
	ret = kvm_ioctl(cpu->fd, KVM_SET_CPUID2, &cpuid);
	if (ret < 0)
		return ret;
	ret = hm_vcpu_new(vm->hm, cpu->fd, cpu->run, &cpu->hm);
	if (ret)
		return ret;
	hm_vcpu_set_data(cpu->hm, cpu);
	return 0;
}

static int create_memory(struct tvm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem_size,
	};
	int ret;

	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		return -errno;
	}
	region.userspace_addr = (uintptr_t)vm->mem;
	ret = kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (ret < 0)
		return ret;
	return hm_vm_add_ram(vm->hm, 0, vm->mem_size, vm->mem);
}

int tvm_create(struct tvm *vm, uint64_t mem_size, unsigned int nr_cpus)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	unsigned int i;
	int run_size, ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	if (!nr_cpus || nr_cpus > TINY_MAX_CPUS || mem_size < TINY_RAM_MIN ||
	    mem_size > TINY_RAM_MAX || mem_size % (2u << 20))
		return -EINVAL;
	vm->mem_size = mem_size;
	vm->nr_cpus = nr_cpus;
	sigemptyset(&sa.sa_mask);
	sigaction(STOP_SIGNAL, &sa, NULL);

	ret = hm_vm_new(&vm->hm);
	if (ret)
		return ret;
	hm_vm_set_exit_handler(vm->hm, tvm_exit_during_op, vm);
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	vm->fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return vm->fd;
	ret = create_memory(vm);
	if (ret)
		return ret;
	run_size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (run_size < 0)
		return run_size;
	vm->run_size = (size_t)run_size;
	for (i = 0; i < nr_cpus; i++) {
		ret = create_vcpu(vm, i, run_size);
		if (ret)
			return ret;
	}
	return 0;
}

void tvm_destroy(struct tvm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++) {
		struct tvm_cpu *cpu = &vm->cpus[i];

		if (cpu->hm)
			hm_vcpu_free(cpu->hm);
		if (cpu->run && cpu->run != MAP_FAILED && vm->run_size)
			munmap(cpu->run, vm->run_size);
		if (cpu->fd > 0)
			close(cpu->fd);
	}
	if (vm->hm)
		hm_vm_free(vm->hm);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->console);
	pthread_mutex_destroy(&vm->lock);
}

/* Identity map of RAM with 2 MiB pages at TINY_BOOT_PML4 (boot.h). */
static void build_boot_page_tables(struct tvm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + TINY_BOOT_PML4);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512;
	uint64_t gpa;

	pml4[0] = (TINY_BOOT_PML4 + 0x1000) | X86_PTE_P | X86_PTE_W;
	pdpt[0] = (TINY_BOOT_PML4 + 0x2000) | X86_PTE_P | X86_PTE_W;
	for (gpa = 0; gpa < vm->mem_size; gpa += 2u << 20)
		pd[gpa >> 21] = gpa | X86_PTE_P | X86_PTE_W | X86_PTE_PS;
}

static void long_mode_sregs(struct kvm_sregs *s)
{
	struct kvm_segment code = {
		.limit = 0xffffffff, .selector = 0x08, .present = 1,
		.type = 11, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.limit = 0xffffffff, .selector = 0x10, .present = 1,
		.type = 3, .s = 1, .db = 1, .g = 1,
	};
	/* VM entry wants a busy TSS in TR, used or not (SDM 26.3.1.2). */
	struct kvm_segment tr = {
		.limit = 0x67, .selector = 0x18, .present = 1, .type = 11,
	};

	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = tr;
	s->ldt.unusable = 1;
	s->cr0 = X86_CR0_LONG_MODE;
	s->cr3 = TINY_BOOT_PML4;
	s->cr4 = X86_CR4_PAE;
	s->efer = X86_EFER_LME | X86_EFER_LMA;
}

static int setup_vcpu(struct tvm_cpu *cpu, uint64_t entry)
{
	struct kvm_regs regs = {
		.rip = entry,
		.rdi = cpu->index,
		.rsi = TINY_BOOT_INFO,
		.rflags = 0x2,
	};
	struct kvm_sregs sregs;
	int ret;

	ret = kvm_ioctl(cpu->fd, KVM_GET_SREGS, &sregs);
	if (ret < 0)
		return ret;
	long_mode_sregs(&sregs);
	ret = kvm_ioctl(cpu->fd, KVM_SET_SREGS, &sregs);
	if (ret < 0)
		return ret;
	return kvm_ioctl(cpu->fd, KVM_SET_REGS, &regs);
}

int tvm_boot_setup(struct tvm *vm, uint64_t entry, const char *cmdline)
{
	struct tiny_boot_info *bi = (void *)(vm->mem + TINY_BOOT_INFO);
	unsigned int i;
	int ret;

	if (strlen(cmdline) >= sizeof(bi->cmdline))
		return -E2BIG;
	build_boot_page_tables(vm);
	bi->magic = TINY_BOOT_MAGIC;
	bi->nr_cpus = vm->nr_cpus;
	bi->ram_size = vm->mem_size;
	strcpy(bi->cmdline, cmdline);
	for (i = 0; i < vm->nr_cpus; i++) {
		ret = setup_vcpu(&vm->cpus[i], entry);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Each vCPU thread echoes the console a whole line at a time, so that lines
 * from two vCPUs and the event log never cut into each other.
 */
static void console_echo(struct tvm_cpu *cpu, const char *buf, size_t len)
{
	static __thread char line[256];
	static __thread size_t line_len;
	struct tvm *vm = cpu->vm;
	size_t i;

	for (i = 0; i < len; i++) {
		line[line_len++] = buf[i];
		if (buf[i] != '\n' && line_len < sizeof(line))
			continue;
		if (vm->console_fn)
			vm->console_fn(cpu, line, line_len, vm->console_opaque);
		else
			fwrite(line, 1, line_len, stdout);
		line_len = 0;
	}
}

static void console_append(struct tvm_cpu *cpu, const char *buf, size_t len)
{
	struct tvm *vm = cpu->vm;

	pthread_mutex_lock(&vm->lock);
	if (vm->console_len + len + 1 > vm->console_cap) {
		size_t cap = (vm->console_cap + len + 1) * 2;
		char *p = realloc(vm->console, cap);

		if (!p)
			goto out;
		vm->console = p;
		vm->console_cap = cap;
	}
	memcpy(vm->console + vm->console_len, buf, len);
	vm->console_len += len;
	vm->console[vm->console_len] = 0;
out:
	pthread_mutex_unlock(&vm->lock);
	if (vm->echo)
		console_echo(cpu, buf, len);
}

static void exit_word(struct tvm *vm, uint32_t word)
{
	unsigned int pid = TINY_EXIT_PID(word);

	pthread_mutex_lock(&vm->lock);
	switch (TINY_EXIT_KIND(word)) {
	case TINY_EXIT_PROC:
		if (pid < TVM_MAX_PROCS)
			vm->proc_status[pid] = (int)TINY_EXIT_LOW(word) + 1;
		break;
	case TINY_EXIT_ALL_DONE:
		vm->all_done = 1;
		vm->failed = (int)TINY_EXIT_LOW(word);
		break;
	case TINY_EXIT_CRASH:
		vm->crashed = 1;
		break;
	case TINY_EXIT_NO_HOST:
		vm->no_host = 1;
		break;
	}
	pthread_mutex_unlock(&vm->lock);
}

static void handle_io(struct tvm_cpu *cpu, struct kvm_run *run)
{
	struct tvm *vm = cpu->vm;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t word;

	if (run->io.direction == KVM_EXIT_IO_IN) {
		memset(data, 0xff, run->io.size * run->io.count);
		return;
	}
	if (run->io.port == TINY_SERIAL_PORT && run->io.size == 1) {
		console_append(cpu, (const char *)data, run->io.count);
	} else if (run->io.port == TINY_EXIT_PORT && run->io.size == 4) {
		memcpy(&word, data, sizeof(word));
		exit_word(vm, word);
	}
	/* Anything else (TINY_NOISE_PORT included) is ignored. */
}

static void crash(struct tvm_cpu *cpu, const char *what)
{
	struct tvm *vm = cpu->vm;
	char line[128];
	int n;

	n = snprintf(line, sizeof(line), "tiny-vmm: cpu%u: %s (exit %s)\n",
		     cpu->index, what, tvm_exit_name(cpu->run->exit_reason));
	console_append(cpu, line, (size_t)n);
	pthread_mutex_lock(&vm->lock);
	vm->crashed = 1;
	cpu->crashed = 1;
	pthread_mutex_unlock(&vm->lock);
	tvm_stop(vm);
}

/* Returns 1 when this vCPU is finished. */
static int handle_exit(struct tvm_cpu *cpu)
{
	struct kvm_run *run = cpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(cpu, run);
		return 0;
	case KVM_EXIT_HLT:
		return 1;
	case KVM_EXIT_SHUTDOWN:
		crash(cpu, "triple fault");
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		crash(cpu, "KVM internal error (emulation failure?)");
		return 1;
	default:
		crash(cpu, "unexpected exit");
		return 1;
	}
}

int tvm_exit_during_op(struct hm_vcpu *vcpu, struct kvm_run *run,
		       void *opaque)
{
	struct tvm *vm = opaque;
	struct tvm_cpu *cpu = hm_vcpu_get_data(vcpu);

	if (vm->stop)
		return -ECANCELED;
	if (run->exit_reason != KVM_EXIT_IO || !cpu)
		return -EIO;
	handle_io(cpu, run);
	return 0;
}

static void *vcpu_thread(void *arg)
{
	struct tvm_cpu *cpu = arg;
	int ret;

	thread_run = cpu->run;
	while (!cpu->vm->stop) {
		cpu->run->immediate_exit = 0;
		ret = ioctl(cpu->fd, KVM_RUN, 0);
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			crash(cpu, strerror(errno));
			break;
		}
		cpu->exits++;
		ret = hm_vcpu_handle_exit(cpu->hm);
		if (ret > 0)
			continue;
		if (ret < 0) {
			cpu->hm_errors++;
			cpu->last_hm_error = ret;
			continue;
		}
		if (handle_exit(cpu))
			break;
	}
	thread_run = NULL;
	__atomic_store_n(&cpu->halted, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

void tvm_stop(struct tvm *vm)
{
	vm->stop = 1;
}

static int all_halted(struct tvm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++) {
		if (!__atomic_load_n(&vm->cpus[i].halted, __ATOMIC_SEQ_CST))
			return 0;
	}
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * The watchdog: poll every 5 ms; past the deadline, or once stop is asked
 * for, signal each vCPU thread until it leaves KVM_RUN. The signal handler
 * sets immediate_exit, so a kick that lands just before KVM_RUN still
 * counts (KVM api.rst, "immediate_exit").
 */
static void watch(struct tvm *vm, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	unsigned int i;

	while (!all_halted(vm)) {
		nanosleep(&tick, NULL);
		if (!vm->stop && now_ms() >= deadline) {
			vm->timed_out = 1;
			tvm_stop(vm);
		}
		if (!vm->stop)
			continue;
		for (i = 0; i < vm->nr_cpus; i++) {
			if (!__atomic_load_n(&vm->cpus[i].halted,
					     __ATOMIC_SEQ_CST))
				pthread_kill(vm->cpus[i].thread, STOP_SIGNAL);
		}
	}
}

int tvm_run(struct tvm *vm, unsigned int timeout_ms)
{
	unsigned int i, started;
	int ret = 0;

	for (started = 0; started < vm->nr_cpus; started++) {
		ret = -pthread_create(&vm->cpus[started].thread, NULL,
				      vcpu_thread, &vm->cpus[started]);
		if (ret) {
			tvm_stop(vm);
			break;
		}
	}
	for (i = started; i < vm->nr_cpus; i++)
		vm->cpus[i].halted = 1;
	watch(vm, timeout_ms);
	for (i = 0; i < started; i++)
		pthread_join(vm->cpus[i].thread, NULL);
	if (ret)
		return ret;
	return vm->timed_out ? -ETIMEDOUT : 0;
}
