// SPDX-License-Identifier: MIT
/*
 * The VM and its run: creation with the in-kernel interrupt controllers,
 * one thread per vCPU whose exits go to libhypermem first and then to one
 * switch, a watchdog that ends the run at its deadline, and console input.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Where KVM on VMX keeps its real-mode TSS: three pages below 4 GiB. */
#define TSS_ADDR 0xfffbd000ul
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET 0xfe

static __thread struct kvm_run *thread_run;

static const char *const stop_names[] = {
	[LB_STOP_NONE] = "none",
	[LB_STOP_RESET] = "reset",
	[LB_STOP_POWEROFF] = "poweroff",
	[LB_STOP_TIMEOUT] = "timeout",
	[LB_STOP_REQUESTED] = "requested",
	[LB_STOP_UNSUPPORTED] = "unsupported",
	[LB_STOP_CRASH] = "crash",
	[LB_STOP_ERROR] = "error",
};

const char *lb_stop_reason_name(enum lb_stop_reason reason)
{
	if ((unsigned int)reason < sizeof(stop_names) / sizeof(stop_names[0]))
		return stop_names[reason];
	return "?";
}

/* Retries EINTR, except for KVM_RUN, whose EINTR is the watchdog's kick. */
int lb_kvm_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR && request != KVM_RUN);
	return ret < 0 ? -errno : ret;
}

/* KVM api.rst, "immediate_exit": a kick between checks is not lost. */
static void on_kick(int signo)
{
	(void)signo;
	if (thread_run)
		thread_run->immediate_exit = 1;
}

static void kick_all(struct lb_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++)
		if (vm->cpus[i].started)
			pthread_kill(vm->cpus[i].thread, LB_KICK_SIGNAL);
}

/* The first reason to stop wins; later ones are consequences. */
static void stop_with(struct lb_vm *vm, const struct lb_result *result)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->stop) {
		vm->result = *result;
		vm->stop = 1;
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	kick_all(vm);
}

static void stop_simple(struct lb_vm *vm, enum lb_stop_reason reason,
			int error, unsigned int vcpu)
{
	struct lb_result r = { .reason = reason, .error = error, .vcpu = vcpu };

	stop_with(vm, &r);
}

void lb_vm_stop(struct lb_vm *vm)
{
	stop_simple(vm, LB_STOP_REQUESTED, 0, 0);
}

int lb_vm_is_stopping(struct lb_vm *vm)
{
	return vm->stop;
}

static void console_output(void *opaque, const char *buf, size_t len)
{
	struct lb_vm *vm = opaque;

	pthread_mutex_lock(&vm->console_lock);
	if (vm->console_fn)
		vm->console_fn(buf, len, vm->console_opaque);
	else if (write(STDOUT_FILENO, buf, len) < 0)
		vm->console_fn = NULL;
	pthread_mutex_unlock(&vm->console_lock);
}

static void serial_set_irq(void *opaque, int level)
{
	struct lb_vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = COM1_IRQ, .level = level };

	lb_kvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

/* Ports nobody claims read as all ones, as on an ISA bus. */
static void port_io(struct lb_cpu *cpu, uint16_t port, uint8_t *data,
		    unsigned int size, int is_write)
{
	struct lb_vm *vm = cpu->vm;

	if (port >= COM1_PORT && port < COM1_PORT + 8 && size == 1) {
		lb_serial_io(&vm->serial, port - COM1_PORT, data, is_write);
		return;
	}
	if (is_write) {
		if (port == I8042_COMMAND_PORT && *data == I8042_CMD_RESET)
			stop_simple(vm, LB_STOP_RESET, 0, cpu->index);
		return;
	}
	memset(data, 0xff, size);
}

static void handle_io(struct lb_cpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, data += run->io.size)
		port_io(cpu, run->io.port, data, run->io.size,
			run->io.direction == KVM_EXIT_IO_OUT);
}

/* No MMIO device here: reads see all ones, writes vanish. */
static void handle_mmio(struct lb_cpu *cpu)
{
	if (!cpu->run->mmio.is_write)
		memset(cpu->run->mmio.data, 0xff, sizeof(cpu->run->mmio.data));
}

static void handle_system_event(struct lb_cpu *cpu)
{
	switch (cpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		stop_simple(cpu->vm, LB_STOP_POWEROFF, 0, cpu->index);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		stop_simple(cpu->vm, LB_STOP_RESET, 0, cpu->index);
		break;
	default:
		stop_simple(cpu->vm, LB_STOP_CRASH, 0, cpu->index);
		break;
	}
}

static void stop_diagnosed(struct lb_cpu *cpu, enum lb_stop_reason reason)
{
	struct lb_result r;

	lb_diagnose(cpu, reason, &r);
	stop_with(cpu->vm, &r);
}

/*
 * An emulation failure is the signature of a KVM that emulates guest
 * kernel code (kvm_pvm) meeting an instruction its emulator lacks.
 */
static int handle_exit(struct lb_cpu *cpu)
{
	switch (cpu->run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(cpu);
		return 0;
	case KVM_EXIT_MMIO:
		handle_mmio(cpu);
		return 0;
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(cpu);
		return -ESHUTDOWN;
	case KVM_EXIT_HLT:
		stop_simple(cpu->vm, LB_STOP_POWEROFF, 0, cpu->index);
		return -ESHUTDOWN;
	case KVM_EXIT_INTERNAL_ERROR:
		stop_diagnosed(cpu, cpu->run->internal.suberror ==
			       KVM_INTERNAL_ERROR_EMULATION ?
			       LB_STOP_UNSUPPORTED : LB_STOP_CRASH);
		return -EIO;
	default:
		stop_diagnosed(cpu, LB_STOP_CRASH);
		return -EIO;
	}
}

/* libhypermem's view: exits while it drives a vCPU for an operation. */
static int exit_during_op(struct hm_vcpu *vcpu, struct kvm_run *run,
			  void *opaque)
{
	struct lb_cpu *cpu = hm_vcpu_get_data(vcpu);

	(void)run;
	(void)opaque;
	/* A stop request ends the operation rather than wait for its reply. */
	if (cpu->vm->stop)
		return -ECANCELED;
	return handle_exit(cpu);
}

static void *vcpu_thread(void *arg)
{
	struct lb_cpu *cpu = arg;
	struct lb_vm *vm = cpu->vm;
	int ret;

	thread_run = cpu->run;
	while (!vm->stop) {
		ret = ioctl(cpu->fd, KVM_RUN, 0);
		if (ret < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (ret < 0) {
			stop_simple(vm, LB_STOP_ERROR, -errno, cpu->index);
			break;
		}
		/* A failed hypermem call was answered: the guest goes on. */
		if (hm_vcpu_handle_exit(cpu->hm) != 0)
			continue;
		handle_exit(cpu);
	}
	pthread_mutex_lock(&vm->lock);
	vm->running--;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

static void *input_thread(void *arg)
{
	struct lb_vm *vm = arg;
	struct pollfd fds[2] = {
		{ .fd = vm->input_fd, .events = POLLIN },
		{ .fd = vm->wake_pipe[0], .events = POLLIN },
	};
	char buf[64];
	ssize_t n;

	while (poll(fds, 2, -1) >= 0 || errno == EINTR) {
		if (fds[1].revents)
			break;
		if (!(fds[0].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(vm->input_fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		lb_serial_input(&vm->serial, buf, (size_t)n);
	}
	return NULL;
}

static int create_memory(struct lb_vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.memory_size = vm->ram_size,
	};
	int ret;

	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return -errno;
	}
	region.userspace_addr = (uintptr_t)vm->ram;
	ret = lb_kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (ret < 0)
		return ret;
	return hm_vm_add_ram(vm->hm, 0, vm->ram_size, vm->ram);
}

/* The PIC, IOAPIC and LAPICs in KVM, and the PIT; before any vCPU. */
static int create_platform(struct lb_vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int ret;

	ret = lb_kvm_ioctl(vm->fd, KVM_SET_TSS_ADDR, (void *)TSS_ADDR);
	if (ret < 0)
		return ret;
	ret = lb_kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, NULL);
	if (ret < 0)
		return ret;
	ret = lb_kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &pit);
	return ret < 0 ? ret : 0;
}

static int create_vcpu(struct lb_vm *vm, unsigned int index,
		       enum lb_cpuid_hide hide)
{
	struct lb_cpu *cpu = &vm->cpus[index];
	int ret;

	cpu->vm = vm;
	cpu->index = index;
	cpu->fd = lb_kvm_ioctl(vm->fd, KVM_CREATE_VCPU, (void *)(long)index);
	if (cpu->fd < 0)
		return cpu->fd;
	cpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			MAP_SHARED, cpu->fd, 0);
	if (cpu->run == MAP_FAILED) {
		cpu->run = NULL;
		return -errno;
	}
	ret = lb_setup_cpuid(vm, cpu, hide);
	if (ret)
		return ret;
	ret = hm_vcpu_new(vm->hm, cpu->fd, cpu->run, &cpu->hm);
	if (ret)
		return ret;
	hm_vcpu_set_data(cpu->hm, cpu);
	return index == 0 ? lb_setup_boot_regs(vm, cpu) : 0;
}

static int check_options(const struct lb_options *opts)
{
	if (!opts->kernel || opts->nr_cpus > LB_MAX_CPUS ||
	    opts->mem_size % (2ull << 20))
		return -EINVAL;
	if (opts->mem_size && (opts->mem_size < (64ull << 20) ||
			       opts->mem_size > LOW_RAM_END))
		return -EINVAL;
	return 0;
}

static void init_vm(struct lb_vm *vm, const struct lb_options *opts)
{
	struct sigaction sa = { .sa_handler = on_kick };
	unsigned int i;

	vm->kvm_fd = vm->fd = -1;
	vm->wake_pipe[0] = vm->wake_pipe[1] = -1;
	for (i = 0; i < LB_MAX_CPUS; i++)
		vm->cpus[i].fd = -1;
	vm->ram_size = opts->mem_size ? opts->mem_size : LB_DEFAULT_MEM_SIZE;
	vm->nr_cpus = opts->nr_cpus ? opts->nr_cpus : 1;
	vm->timeout_ms = opts->timeout_ms;
	vm->console_fn = opts->console_fn;
	vm->console_opaque = opts->console_opaque;
	vm->input_fd = opts->console_input ? opts->console_input_fd : -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->console_lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	lb_serial_init(&vm->serial);
	vm->serial.set_irq = serial_set_irq;
	vm->serial.output = console_output;
	vm->serial.opaque = vm;
	sigemptyset(&sa.sa_mask);
	sigaction(LB_KICK_SIGNAL, &sa, NULL);
}

static int open_kvm(struct lb_vm *vm)
{
	int ret;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	vm->fd = lb_kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, NULL);
	if (vm->fd < 0)
		return vm->fd;
	ret = lb_kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (ret < 0)
		return ret;
	vm->run_size = (size_t)ret;
	return 0;
}

static int build_vm(struct lb_vm *vm, const struct lb_options *opts)
{
	unsigned int i;
	int ret;

	ret = hm_vm_new(&vm->hm);
	if (ret)
		return ret;
	hm_vm_set_exit_handler(vm->hm, exit_during_op, vm);
	if (opts->event_fn)
		hm_vm_set_event_handler(vm->hm, opts->event_fn,
					opts->event_opaque);
	ret = open_kvm(vm);
	if (!ret)
		ret = create_platform(vm);
	if (!ret)
		ret = create_memory(vm);
	if (!ret)
		ret = lb_load_kernel(vm, opts);
	if (!ret)
		ret = lb_write_mptable(vm);
	for (i = 0; !ret && i < vm->nr_cpus; i++)
		ret = create_vcpu(vm, i, opts->cpuid_hide);
	if (!ret && pipe2(vm->wake_pipe, O_CLOEXEC) < 0)
		ret = -errno;
	return ret;
}

int lb_vm_new(const struct lb_options *opts, struct lb_vm **ret)
{
	struct lb_vm *vm;
	int err;

	err = check_options(opts);
	if (err)
		return err;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	init_vm(vm, opts);
	err = build_vm(vm, opts);
	if (err) {
		lb_vm_free(vm);
		return err;
	}
	*ret = vm;
	return 0;
}

static void deadline_after(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The watchdog: wait for the vCPUs, stop them at the deadline. */
static void wait_for_stop(struct lb_vm *vm)
{
	struct timespec deadline;
	int timed_out = 0;

	deadline_after(&deadline, vm->timeout_ms);
	pthread_mutex_lock(&vm->lock);
	while (vm->running && !vm->stop && !timed_out) {
		if (vm->timeout_ms)
			timed_out = pthread_cond_timedwait(&vm->cond, &vm->lock,
							   &deadline) ==
				    ETIMEDOUT;
		else
			pthread_cond_wait(&vm->cond, &vm->lock);
	}
	pthread_mutex_unlock(&vm->lock);
	if (timed_out)
		stop_simple(vm, LB_STOP_TIMEOUT, 0, 0);
}

static int start_threads(struct lb_vm *vm)
{
	unsigned int i;
	int err;

	for (i = 0; i < vm->nr_cpus; i++) {
		pthread_mutex_lock(&vm->lock);
		vm->running++;
		pthread_mutex_unlock(&vm->lock);
		err = pthread_create(&vm->cpus[i].thread, NULL, vcpu_thread,
				     &vm->cpus[i]);
		if (err) {
			pthread_mutex_lock(&vm->lock);
			vm->running--;
			pthread_mutex_unlock(&vm->lock);
			stop_simple(vm, LB_STOP_ERROR, -err, i);
			return -err;
		}
		vm->cpus[i].started = 1;
	}
	if (vm->input_fd >= 0 &&
	    !pthread_create(&vm->input_thread, NULL, input_thread, vm))
		vm->input_started = 1;
	return 0;
}

int lb_vm_run(struct lb_vm *vm, struct lb_result *result)
{
	unsigned int i;
	int err;

	if (vm->ran)
		return -EALREADY;
	vm->ran = 1;
	err = start_threads(vm);
	if (!err)
		wait_for_stop(vm);
	if (!vm->stop)
		stop_simple(vm, LB_STOP_REQUESTED, 0, 0);
	for (i = 0; i < vm->nr_cpus; i++)
		if (vm->cpus[i].started)
			pthread_join(vm->cpus[i].thread, NULL);
	if (vm->input_started) {
		if (write(vm->wake_pipe[1], "", 1) < 0)
			pthread_cancel(vm->input_thread);
		pthread_join(vm->input_thread, NULL);
	}
	/* Where a stopped-from-outside guest was: for tests and users. */
	if (vm->result.reason == LB_STOP_TIMEOUT ||
	    vm->result.reason == LB_STOP_REQUESTED)
		lb_read_state(&vm->cpus[vm->result.vcpu], &vm->result);
	*result = vm->result;
	return err;
}

void lb_vm_free(struct lb_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++) {
		struct lb_cpu *cpu = &vm->cpus[i];

		if (cpu->hm)
			hm_vcpu_free(cpu->hm);
		if (cpu->run)
			munmap(cpu->run, vm->run_size);
		if (cpu->fd >= 0)
			close(cpu->fd);
	}
	if (vm->hm)
		hm_vm_free(vm->hm);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	for (i = 0; i < 2; i++)
		if (vm->wake_pipe[i] >= 0)
			close(vm->wake_pipe[i]);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->console_lock);
	pthread_mutex_destroy(&vm->serial.lock);
	free(vm->cmdline);
	free(vm);
}

struct hm_vm *lb_vm_get_hm(struct lb_vm *vm)
{
	return vm->hm;
}

struct hm_vcpu *lb_vm_get_hm_vcpu(struct lb_vm *vm, unsigned int index)
{
	return index < vm->nr_cpus ? vm->cpus[index].hm : NULL;
}

unsigned int lb_vm_get_nr_cpus(struct lb_vm *vm)
{
	return vm->nr_cpus;
}

const struct lb_e820_entry *lb_vm_get_e820(struct lb_vm *vm, size_t *count)
{
	*count = vm->nr_e820;
	return vm->e820;
}

const char *lb_vm_get_cmdline(struct lb_vm *vm)
{
	return vm->cmdline;
}

int lb_vm_is_pvh(struct lb_vm *vm)
{
	return vm->pvh;
}
