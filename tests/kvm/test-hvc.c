// SPDX-License-Identifier: MIT
/*
 * The arm64 doorbell against the host's KVM, with no guest OS: seven
 * instructions at EL1, MMU off, make the HVCs an agent makes while the
 * test plays the agent's part in the region, and report X0 after each by a
 * store to an address no memory slot holds (KVM_EXIT_MMIO). What it checks
 * is what the unit tests' fake HVC (tests/fake-guest/arm64.c) takes for
 * granted: KVM's SMCCC filter forwards hypermem's range and only it, the
 * exit's nr is the function ID, X1 is read and X0 written with
 * KVM_{GET,SET}_ONE_REG, and the guest goes on past the HVC.
 *
 * Exits 77 (skip) without /dev/kvm or without the SMCCC filter (Linux 6.4).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>

#include <hypermem/hypermem.h>

#include "arm64-regs.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE (2u << 20)
#define TABLE_GPA (RAM_GPA + 0x1000)	/* the calls: X0, X1 pairs */
#define REGION_GPA (RAM_GPA + 0x10000)
#define REPORT_GPA 0x10000000ull	/* no slot: stores exit as MMIO */
#define MAX_EXITS 64
#define SMCCC_RET_NOT_SUPPORTED ((uint64_t)-1)

/*
 * The guest: for each pair at X19 until an X0 of 0, HVC with it and store
 * the X0 it got back at X20; then store at X20 + 8, forever.
 */
extern const uint32_t guest_code[], guest_code_end[];
__asm__(".pushsection .rodata\n"
	".balign 4\n"
	".hidden guest_code\n.globl guest_code\n"
	".hidden guest_code_end\n.globl guest_code_end\n"
	"guest_code:\n"
	"1:	ldp x0, x1, [x19], #16\n"
	"	cbz x0, 2f\n"
	"	hvc #0\n"
	"	str x0, [x20]\n"
	"	b 1b\n"
	"2:	str xzr, [x20, #8]\n"
	"	b 2b\n"
	"guest_code_end:\n"
	".popsection\n");

struct machine {
	int kvm;
	int fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
	struct hm_vm *hm;
	struct hm_vcpu *vcpu;

	/* The agent's part between two calls, after each report. */
	void (*after_report)(struct machine *m);
	/* What came out. */
	uint64_t x0[8];			/* X0 after each call */
	unsigned int calls;
	uint64_t hypercall_nr[8];	/* each forwarded call's exit */
	uint64_t hypercall_flags[8];
	int handled[8];			/* hm_vcpu_handle_exit() on it */
	unsigned int hypercalls;
	struct hm_event event;		/* the last one the handler saw */
	unsigned int events;
};

static void *gpa(struct machine *m, uint64_t addr)
{
	return m->ram + (addr - RAM_GPA);
}

static void set_reg(struct machine *m, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&value };

	assert_int_equal(ioctl(m->vcpu_fd, KVM_SET_ONE_REG, &reg), 0);
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct machine *m = opaque;

	(void)vcpu;
	m->event = *ev;
	m->events++;
	return 0;
}

/* The VM, its vCPU at guest_code, the filter as a VMM installs it. */
static void machine_new(struct machine *m, const uint64_t *calls, size_t n)
{
	struct kvm_smccc_filter filter = {
		.base = HM_SMCCC_FUNC(0),
		.nr_functions = 256,
		.action = KVM_SMCCC_FILTER_FWD_TO_USER,
	};
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
		.addr = (uintptr_t)&filter,
	};
	struct kvm_userspace_memory_region slot = {
		.guest_phys_addr = RAM_GPA, .memory_size = RAM_SIZE,
	};
	struct kvm_vcpu_init init;
	int size;

	m->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	assert_true(m->kvm >= 0);
	m->fd = ioctl(m->kvm, KVM_CREATE_VM, 0);
	assert_true(m->fd >= 0);
	m->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m->ram != MAP_FAILED);
	memcpy(m->ram, guest_code,
	       (size_t)(guest_code_end - guest_code) * sizeof(uint32_t));
	memcpy(gpa(m, TABLE_GPA), calls, n * 2 * sizeof(uint64_t));
	slot.userspace_addr = (uintptr_t)m->ram;
	assert_int_equal(ioctl(m->fd, KVM_SET_USER_MEMORY_REGION, &slot), 0);

	m->vcpu_fd = ioctl(m->fd, KVM_CREATE_VCPU, 0);
	assert_true(m->vcpu_fd >= 0);
	size = ioctl(m->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	assert_true(size > 0);
	m->run_size = (size_t)size;
	m->run = mmap(NULL, m->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      m->vcpu_fd, 0);
	assert_true(m->run != MAP_FAILED);
	assert_int_equal(ioctl(m->fd, KVM_ARM_PREFERRED_TARGET, &init), 0);
	assert_int_equal(ioctl(m->vcpu_fd, KVM_ARM_VCPU_INIT, &init), 0);
	assert_int_equal(ioctl(m->fd, KVM_SET_DEVICE_ATTR, &attr), 0);
	set_reg(m, ARM64_CORE_REG(regs.pc), RAM_GPA);
	set_reg(m, ARM64_CORE_REG(regs.regs[19]), TABLE_GPA);
	set_reg(m, ARM64_CORE_REG(regs.regs[20]), REPORT_GPA);

	assert_int_equal(hm_vm_new(&m->hm), 0);
	assert_int_equal(hm_vm_add_ram(m->hm, RAM_GPA, RAM_SIZE, m->ram), 0);
	hm_vm_set_event_handler(m->hm, on_event, m);
	assert_int_equal(hm_vcpu_new(m->hm, m->vcpu_fd, m->run, &m->vcpu), 0);
}

static void machine_free(struct machine *m)
{
	hm_vcpu_free(m->vcpu);
	hm_vm_free(m->hm);
	munmap(m->run, m->run_size);
	close(m->vcpu_fd);
	munmap(m->ram, RAM_SIZE);
	close(m->fd);
	close(m->kvm);
}

static void on_hypercall(struct machine *m)
{
	unsigned int i = m->hypercalls++;

	assert_true(i < 8);
	m->hypercall_nr[i] = m->run->hypercall.nr;
	m->hypercall_flags[i] = m->run->hypercall.flags;
	m->handled[i] = hm_vcpu_handle_exit(m->vcpu);
}

/* A report: X0 after a call (true), or the end of the calls (false). */
static bool on_report(struct machine *m)
{
	const struct kvm_run *run = m->run;
	uint64_t value;

	assert_true(run->mmio.is_write);
	if (run->mmio.phys_addr == REPORT_GPA + 8)
		return false;
	assert_int_equal(run->mmio.phys_addr, REPORT_GPA);
	assert_int_equal(run->mmio.len, 8);
	assert_true(m->calls < 8);
	memcpy(&value, run->mmio.data, sizeof(value));
	m->x0[m->calls++] = value;
	return true;
}

/* Run until the guest has made every call; a loop is a failure. */
static void machine_run(struct machine *m)
{
	unsigned int exits;

	for (exits = 0; exits < MAX_EXITS; exits++) {
		if (ioctl(m->vcpu_fd, KVM_RUN, 0) < 0) {
			assert_int_equal(errno, EINTR);
			continue;
		}
		switch (m->run->exit_reason) {
		case KVM_EXIT_HYPERCALL:
			on_hypercall(m);
			break;
		case KVM_EXIT_MMIO:
			if (!on_report(m))
				return;
			if (m->after_report)
				m->after_report(m);
			break;
		default:
			fail_msg("exit reason %u", m->run->exit_reason);
		}
	}
	fail_msg("the guest did not finish in %d exits", MAX_EXITS);
}

/* The agent's hello in the region, as registration wants it. */
static void write_hello(struct machine *m)
{
	struct hm_region *r = gpa(m, REGION_GPA);
	struct hm_hello hello = {
		.magic = HM_MAGIC, .version = HM_VERSION, .pointer_width = 8,
		.endianness = HM_ENDIAN_LITTLE, .region_pages = 1,
	};

	memcpy(r->data, &hello, sizeof(hello));
	r->size = hm_le64(HM_HELLO_SIZE_V1);
	r->op = hm_le64(HM_OP_REGISTER);
}

static void registration_is_answered_with_zero_in_x0(void **state)
{
	const uint64_t calls[] = {
		HM_SMCCC_FUNC(HM_CALL_REGISTER), REGION_GPA, 0, 0,
	};
	struct machine m = { 0 };
	struct hm_guest_info info;
	struct hm_region *r;

	(void)state;
	machine_new(&m, calls, 2);
	r = gpa(&m, REGION_GPA);
	write_hello(&m);
	machine_run(&m);
	assert_int_equal(m.hypercalls, 1);
	assert_int_equal(m.hypercall_nr[0], HM_SMCCC_FUNC(HM_CALL_REGISTER));
	/* HVC, a 32-bit instruction (KVM_HYPERCALL_EXIT_SMC, _16BIT: 0). */
	assert_int_equal(m.hypercall_flags[0], 0);
	assert_int_equal(m.handled[0], 1);
	assert_int_equal(m.calls, 1);
	assert_int_equal(m.x0[0], 0);
	assert_int_equal(hm_le64(r->op), HM_RESP_REGISTER_OK);
	assert_int_equal(hm_vcpu_get_guest_info(m.vcpu, &info), 0);
	assert_int_equal(info.region_gpa, REGION_GPA);
	machine_free(&m);
}

static void refused_registration_leaves_the_errno_in_x0(void **state)
{
	const uint64_t calls[] = {
		HM_SMCCC_FUNC(HM_CALL_REGISTER), REGION_GPA + 8, 0, 0,
	};
	struct machine m = { 0 };

	(void)state;
	machine_new(&m, calls, 2);
	write_hello(&m);
	machine_run(&m);
	assert_int_equal(m.handled[0], -EINVAL);
	assert_int_equal(m.x0[0], (uint64_t)-EINVAL);
	machine_free(&m);
}

static void unknown_call_in_the_range_is_eproto_in_x0(void **state)
{
	const uint64_t calls[] = { HM_SMCCC_FUNC(0x77), 0, 0, 0 };
	struct machine m = { 0 };

	(void)state;
	machine_new(&m, calls, 2);
	machine_run(&m);
	assert_int_equal(m.hypercalls, 1);
	assert_int_equal(m.handled[0], -EPROTO);
	assert_int_equal(m.x0[0], (uint64_t)-EPROTO);
	machine_free(&m);
}

/* KVM answers what the filter does not forward: the library never sees it. */
static void function_id_past_the_range_stays_in_kvm(void **state)
{
	const uint64_t calls[] = {
		HM_SMCCC_FUNC(0) + 0x100, REGION_GPA,
		HM_SMCCC_FUNC(HM_CALL_REGISTER), REGION_GPA,
		0, 0,
	};
	struct machine m = { 0 };

	(void)state;
	machine_new(&m, calls, 3);
	write_hello(&m);
	machine_run(&m);
	assert_int_equal(m.calls, 2);
	assert_int_equal(m.x0[0], SMCCC_RET_NOT_SUPPORTED);
	assert_int_equal(m.hypercalls, 1);
	assert_int_equal(m.hypercall_nr[0], HM_SMCCC_FUNC(HM_CALL_REGISTER));
	assert_int_equal(m.x0[1], 0);
	machine_free(&m);
}

/* Once registered, the agent writes its event. */
static void write_event(struct machine *m)
{
	struct hm_region *r = gpa(m, REGION_GPA);
	struct hm_event_record ev = {
		.kind = hm_le32(HM_EVENT_USER), .nr = hm_le64(42),
	};

	if (m->calls != 1)
		return;
	memcpy(r->data, &ev, sizeof(ev));
	r->size = hm_le64(sizeof(ev));
	r->op = hm_le64(HM_OP_EVENT);
}

static void event_reaches_the_handler_and_is_answered_with_zero(void **s)
{
	const uint64_t calls[] = {
		HM_SMCCC_FUNC(HM_CALL_REGISTER), REGION_GPA,
		HM_SMCCC_FUNC(HM_CALL_EVENT), REGION_GPA,
		0, 0,
	};
	struct machine m = { .after_report = write_event };
	struct hm_region *r;

	(void)s;
	machine_new(&m, calls, 3);
	r = gpa(&m, REGION_GPA);
	write_hello(&m);
	machine_run(&m);
	assert_int_equal(m.events, 1);
	assert_int_equal(m.event.kind, HM_EVENT_USER);
	assert_int_equal(m.event.nr, 42);
	assert_int_equal(m.handled[1], 1);
	assert_int_equal(m.x0[1], 0);
	/* The event is over: the guest may go back to what raised it. */
	assert_int_equal(hm_le64(r->op), HM_OP_NONE);
	machine_free(&m);
}

/* /dev/kvm with KVM's SMCCC filter, or a reason to skip. */
static int kvm_usable(void)
{
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
	};
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int fd = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	int err = fd < 0 ? errno : 0;

	if (!err && ioctl(fd, KVM_HAS_DEVICE_ATTR, &attr))
		err = errno;
	if (err)
		printf("skip: %s: %s\n", fd < 0 ? "no KVM VM" :
		       "no SMCCC filter (Linux 6.4)", strerror(err));
	if (fd >= 0)
		close(fd);
	if (kvm >= 0)
		close(kvm);
	return err ? 77 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registration_is_answered_with_zero_in_x0),
		cmocka_unit_test(refused_registration_leaves_the_errno_in_x0),
		cmocka_unit_test(unknown_call_in_the_range_is_eproto_in_x0),
		cmocka_unit_test(function_id_past_the_range_stays_in_kvm),
		cmocka_unit_test(
			event_reaches_the_handler_and_is_answered_with_zero),
	};
	int err = kvm_usable();

	if (err)
		return err;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
