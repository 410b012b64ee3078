// SPDX-License-Identifier: MIT
/*
 * The VM and its run: creation, RAM registered once with KVM and with
 * libhypermem, one thread per vCPU whose exits go to libhypermem first and
 * then to one dispatcher, one kick signal for stops and deadlines, and
 * console input.
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

static __thread struct kvm_run *thread_run;

static const char *const stop_names[] = {
	[VMM_STOP_NONE] = "none",
	[VMM_STOP_HALTED] = "halted",
	[VMM_STOP_RESET] = "reset",
	[VMM_STOP_POWEROFF] = "poweroff",
	[VMM_STOP_TIMEOUT] = "timeout",
	[VMM_STOP_REQUESTED] = "requested",
	[VMM_STOP_UNSUPPORTED] = "unsupported",
	[VMM_STOP_CRASH] = "crash",
	[VMM_STOP_ERROR] = "error",
};

const char *vmm_stop_reason_name(enum vmm_stop_reason reason)
{
	if ((unsigned int)reason < sizeof(stop_names) / sizeof(stop_names[0]))
		return stop_names[reason];
	return "?";
}

void *vmm_gpa(struct vmm *vm, uint64_t gpa, uint64_t len)
{
	return hm_vm_gpa_to_hva(vm->hm, gpa, len);
}

int vmm_copy_to_guest(struct vmm *vm, uint64_t gpa, const void *src,
		      uint64_t len)
{
	void *dst = vmm_gpa(vm, gpa, len);

	if (!dst)
		return -E2BIG;
	memcpy(dst, src, len);
	return 0;
}

/* KVM api.rst, "immediate_exit": a kick between checks is not lost. */
static void on_kick(int signo)
{
	(void)signo;
	if (thread_run)
		thread_run->immediate_exit = 1;
}

static void kick_all(struct vmm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++)
		if (vm->cpus[i].started)
			pthread_kill(vm->cpus[i].thread, VMM_KICK_SIGNAL);
}

/* The first reason to stop wins; later ones are consequences. */
static void stop_result(struct vmm *vm, const struct vmm_result *result)
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

static void stop_error(struct vmm *vm, enum vmm_stop_reason reason,
		       int error, unsigned int vcpu)
{
	struct vmm_result r = { .reason = reason, .error = error,
				.vcpu = vcpu };

	stop_result(vm, &r);
}

void vmm_stop_with(struct vmm *vm, enum vmm_stop_reason reason,
		   unsigned int vcpu)
{
	stop_error(vm, reason, 0, vcpu);
}

void vmm_stop(struct vmm *vm)
{
	vmm_stop_with(vm, VMM_STOP_REQUESTED, 0);
}

int vmm_is_stopping(struct vmm *vm)
{
	return vm->stop;
}

void vmm_console_write(struct vmm *vm, int cpu, const char *buf, size_t len)
{
	pthread_mutex_lock(&vm->console_lock);
	if (vm->console_fn)
		vm->console_fn(cpu, buf, len, vm->console_opaque);
	else if (write(STDOUT_FILENO, buf, len) < 0)
		vm->console_fn = NULL;
	pthread_mutex_unlock(&vm->console_lock);
}

/* The exit in cpu->run that KVM could not handle, described. */
static void crash(struct vmm_cpu *cpu, enum vmm_stop_reason reason)
{
	struct vmm_result r = {
		.reason = reason,
		.vcpu = cpu->index,
		.exit_reason = cpu->run->exit_reason,
	};

	if (r.exit_reason == KVM_EXIT_INTERNAL_ERROR)
		r.suberror = cpu->run->internal.suberror;
	cpu->result.state = VMM_CPU_CRASHED;
	arch_read_state(cpu, &r);
	arch_describe(&r);
	stop_result(cpu->vm, &r);
}

static void system_event(struct vmm_cpu *cpu)
{
	switch (cpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vmm_stop_with(cpu->vm, VMM_STOP_POWEROFF, cpu->index);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vmm_stop_with(cpu->vm, VMM_STOP_RESET, cpu->index);
		break;
	default:
		crash(cpu, VMM_STOP_CRASH);
		break;
	}
}

/*
 * The exit dispatcher: 0 to run the vCPU on, 1 when it is done. An
 * emulation failure is the signature of a KVM that emulates guest kernel
 * code (kvm_pvm) meeting an instruction its emulator lacks.
 */
static int dispatch(struct vmm_cpu *cpu)
{
	struct kvm_run *run = cpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		trap_io(cpu);
		return 0;
	case KVM_EXIT_MMIO:
		trap_mmio(cpu);
		return 0;
	case KVM_EXIT_HYPERCALL:
		/* libhypermem took its own doorbells: this one is unknown. */
		arch_unknown_hypercall(cpu);
		return 0;
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_HLT:
		if (!cpu->vm->board->halt(cpu))
			return 0;
		cpu->result.state = VMM_CPU_HALTED;
		return 1;
	case KVM_EXIT_SYSTEM_EVENT:
		system_event(cpu);
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		crash(cpu, run->internal.suberror ==
		      KVM_INTERNAL_ERROR_EMULATION ?
		      VMM_STOP_UNSUPPORTED : VMM_STOP_CRASH);
		return 1;
	default:
		crash(cpu, VMM_STOP_CRASH);
		return 1;
	}
}

/*
 * libhypermem's view: exits while it drives a vCPU for an operation. A
 * stop ends the operation (the kick signal interrupted KVM_RUN, the library
 * reports it as KVM_EXIT_INTR) rather than wait for its reply.
 */
static int exit_during_op(struct hm_vcpu *vcpu, struct kvm_run *run,
			  void *opaque)
{
	struct vmm_cpu *cpu = hm_vcpu_get_data(vcpu);

	(void)run;
	(void)opaque;
	if (cpu->vm->stop)
		return -ECANCELED;
	return dispatch(cpu) ? -EIO : 0;
}

static void handle_exit(struct vmm_cpu *cpu, int *done)
{
	int ret;

	cpu->result.exits++;
	ret = hm_vcpu_handle_exit(cpu->hm);
	if (ret)
		cpu->result.hm_exits++;
	if (ret < 0) {
		/* A failed hypermem call was answered: the guest goes on. */
		cpu->result.hm_errors++;
		cpu->result.last_hm_error = ret;
	}
	if (!ret)
		*done = dispatch(cpu);
}

/* The one KVM_RUN loop of every guest the core runs. */
static void *vcpu_thread(void *arg)
{
	struct vmm_cpu *cpu = arg;
	struct vmm *vm = cpu->vm;
	int done = 0;

	thread_run = cpu->run;
	while (!vm->stop && !done) {
		if (ioctl(cpu->fd, KVM_RUN, 0) == 0) {
			handle_exit(cpu, &done);
			continue;
		}
		cpu->run->immediate_exit = 0;
		if (errno != EINTR && errno != EAGAIN) {
			stop_error(vm, VMM_STOP_ERROR, -errno, cpu->index);
			break;
		}
	}
	thread_run = NULL;
	pthread_mutex_lock(&vm->lock);
	vm->running--;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

uint64_t vmm_cpu_exits(struct hm_vcpu *vcpu)
{
	const struct vmm_cpu *cpu = hm_vcpu_get_data(vcpu);

	return cpu->result.exits;
}

int vmm_time_exits(struct vmm *vm, unsigned int n, double *us_per_exit)
{
	struct vmm_cpu *cpu = &vm->cpus[0];
	struct timespec t0, t1;
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if (ioctl(cpu->fd, KVM_RUN, 0) < 0 ||
		    cpu->run->exit_reason != KVM_EXIT_IO)
			return -EIO;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*us_per_exit = ((t1.tv_sec - t0.tv_sec) * 1e6 +
			(t1.tv_nsec - t0.tv_nsec) / 1e3) / (n ? n : 1);
	return 0;
}

static void *input_thread(void *arg)
{
	struct vmm *vm = arg;
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
		serial_input(&vm->serial, buf, (size_t)n);
	}
	return NULL;
}

static int create_memory(struct vmm *vm)
{
	struct kvm_userspace_memory_region region = {
		.guest_phys_addr = vm->ram_base,
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
	ret = kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (ret < 0)
		return ret;
	return hm_vm_add_ram(vm->hm, vm->ram_base, vm->ram_size, vm->ram);
}

static int create_vcpu(struct vmm *vm, unsigned int index,
		       const struct vmm_config *config)
{
	struct vmm_cpu *cpu = &vm->cpus[index];
	int ret;

	cpu->vm = vm;
	cpu->index = index;
	cpu->fd = kvm_ioctl_value(vm->fd, KVM_CREATE_VCPU, index);
	if (cpu->fd < 0)
		return cpu->fd;
	cpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			MAP_SHARED, cpu->fd, 0);
	if (cpu->run == MAP_FAILED) {
		cpu->run = NULL;
		return -errno;
	}
	ret = hm_vcpu_new(vm->hm, cpu->fd, cpu->run, &cpu->hm);
	if (ret)
		return ret;
	hm_vcpu_set_data(cpu->hm, cpu);
	return vm->board->setup_cpu(cpu, config);
}

static int check_config(const struct vmm_config *config,
			const struct board *board)
{
	if ((!config->kernel && !config->code) ||
	    config->nr_cpus > board->max_cpus ||
	    config->mem_size % (2ull << 20))
		return -EINVAL;
	if (config->mem_size && (config->mem_size < board->min_mem_size ||
				 config->mem_size > board->max_mem_size))
		return -EINVAL;
	return 0;
}

static void init_vm(struct vmm *vm, const struct vmm_config *config)
{
	struct sigaction sa = { .sa_handler = on_kick };
	unsigned int i;

	vm->kvm_fd = vm->fd = vm->irqchip_fd = -1;
	vm->wake_pipe[0] = vm->wake_pipe[1] = -1;
	for (i = 0; i < VMM_MAX_CPUS; i++)
		vm->cpus[i].fd = -1;
	vm->ram_base = vm->board->ram_base;
	vm->ram_size = config->mem_size ? config->mem_size :
		       vm->board->default_mem_size;
	vm->nr_cpus = config->nr_cpus ? config->nr_cpus : 1;
	vm->timeout_ms = config->timeout_ms;
	vm->console_fn = config->console_fn;
	vm->console_opaque = config->console_opaque;
	vm->input_fd = config->console_input ? config->console_input_fd : -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->console_lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	serial_init(&vm->serial);
	/* Installed before hm_vcpu_new(), so libhypermem keeps it. */
	sigemptyset(&sa.sa_mask);
	sigaction(VMM_KICK_SIGNAL, &sa, NULL);
}

int vmm_check_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int open_kvm(struct vmm *vm)
{
	int ret;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	vm->fd = kvm_ioctl_value(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return vm->fd;
	ret = kvm_ioctl_value(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < 0)
		return ret;
	vm->run_size = (size_t)ret;
	return arch_enable_doorbell(vm);
}

static int build_vm(struct vmm *vm, const struct vmm_config *config)
{
	unsigned int i;
	int ret;

	ret = hm_vm_new(&vm->hm);
	if (!ret)
		ret = hm_vm_set_kick_signal(vm->hm, VMM_KICK_SIGNAL);
	if (ret)
		return ret;
	hm_vm_set_exit_handler(vm->hm, exit_during_op, vm);
	if (config->event_fn)
		hm_vm_set_event_handler(vm->hm, config->event_fn,
					config->event_opaque);
	ret = open_kvm(vm);
	if (!ret)
		ret = create_memory(vm);
	if (!ret)
		ret = vm->board->setup(vm, config);
	for (i = 0; !ret && i < vm->nr_cpus; i++)
		ret = create_vcpu(vm, i, config);
	if (!ret && vm->board->setup_late)
		ret = vm->board->setup_late(vm);
	if (!ret && pipe2(vm->wake_pipe, O_CLOEXEC) < 0)
		ret = -errno;
	return ret;
}

int vmm_new(const struct vmm_config *config, struct vmm **ret)
{
	const struct board *board = arch_board(config->board);
	struct vmm *vm;
	int err;

	if (!board)
		return -EINVAL;
	err = check_config(config, board);
	if (err)
		return err;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->board = board;
	init_vm(vm, config);
	err = build_vm(vm, config);
	if (err) {
		vmm_free(vm);
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
static void wait_for_stop(struct vmm *vm)
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
		vmm_stop_with(vm, VMM_STOP_TIMEOUT, 0);
}

static int start_threads(struct vmm *vm)
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
			stop_error(vm, VMM_STOP_ERROR, -err, i);
			return -err;
		}
		vm->cpus[i].started = 1;
	}
	if (vm->input_fd >= 0 &&
	    !pthread_create(&vm->input_thread, NULL, input_thread, vm))
		vm->input_started = 1;
	return 0;
}

static void read_where(struct vmm_cpu *cpu, struct vmm_cpu_result *out)
{
	struct kvm_mp_state mp;
	struct vmm_result r;

	memset(&r, 0, sizeof(r));
	arch_read_state(cpu, &r);
	if (!r.has_regs || kvm_ioctl(cpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return;
	out->has_pc = 1;
	out->pc = arch_result_pc(&r);
	out->mp_state = mp.mp_state;
}

static void collect(struct vmm *vm, struct vmm_result *result)
{
	unsigned int i;

	/* Where a stopped-from-outside guest was: for tests and users. */
	int outside = vm->result.reason == VMM_STOP_TIMEOUT ||
		      vm->result.reason == VMM_STOP_REQUESTED;

	if (outside)
		arch_read_state(&vm->cpus[vm->result.vcpu], &vm->result);
	*result = vm->result;
	result->nr_cpus = vm->nr_cpus;
	for (i = 0; i < vm->nr_cpus; i++) {
		result->cpus[i] = vm->cpus[i].result;
		if (outside)
			read_where(&vm->cpus[i], &result->cpus[i]);
	}
	result->tiny = vm->tiny;
}

/*
 * After the stop: each vCPU thread returns once its KVM_RUN sees the kick.
 * The kick is sent again every second until each has, so that one a
 * thread missed (a signal that came between its checks, a handler of the
 * library's that cleared immediate_exit) cannot leave vmm_run() waiting.
 */
static void join_vcpus(struct vmm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++) {
		struct timespec t;

		if (!vm->cpus[i].started)
			continue;
		for (;;) {
			clock_gettime(CLOCK_REALTIME, &t);
			t.tv_sec++;
			if (pthread_timedjoin_np(vm->cpus[i].thread, NULL,
						 &t) != ETIMEDOUT)
				break;
			/* Not kick_all(): the threads joined are gone. */
			pthread_kill(vm->cpus[i].thread, VMM_KICK_SIGNAL);
		}
	}
}

int vmm_run(struct vmm *vm, struct vmm_result *result)
{
	int err;

	if (vm->ran)
		return -EALREADY;
	vm->ran = 1;
	err = start_threads(vm);
	if (!err)
		wait_for_stop(vm);
	if (!vm->stop)
		vmm_stop_with(vm, VMM_STOP_HALTED, 0);
	join_vcpus(vm);
	if (vm->input_started) {
		if (write(vm->wake_pipe[1], "", 1) < 0)
			pthread_cancel(vm->input_thread);
		pthread_join(vm->input_thread, NULL);
	}
	collect(vm, result);
	return err;
}

void vmm_free(struct vmm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpus; i++) {
		struct vmm_cpu *cpu = &vm->cpus[i];

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
	if (vm->irqchip_fd >= 0)
		close(vm->irqchip_fd);
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

struct hm_vm *vmm_get_hm(struct vmm *vm)
{
	return vm->hm;
}

struct hm_vcpu *vmm_get_hm_vcpu(struct vmm *vm, unsigned int index)
{
	return index < vm->nr_cpus ? vm->cpus[index].hm : NULL;
}

unsigned int vmm_cpu_index(struct hm_vcpu *vcpu)
{
	const struct vmm_cpu *cpu = hm_vcpu_get_data(vcpu);

	return cpu->index;
}

unsigned int vmm_get_nr_cpus(struct vmm *vm)
{
	return vm->nr_cpus;
}

void *vmm_get_ram(struct vmm *vm, uint64_t *size)
{
	*size = vm->ram_size;
	return vm->ram;
}

const struct vmm_e820_entry *vmm_get_e820(struct vmm *vm, size_t *count)
{
	*count = vm->nr_e820;
	return vm->e820;
}

const char *vmm_get_cmdline(struct vmm *vm)
{
	return vm->cmdline;
}

int vmm_is_pvh(struct vmm *vm)
{
	return vm->pvh;
}

int vmm_has_hypercall_exit(struct vmm *vm)
{
	return vm->hypercall_exit;
}
