// SPDX-License-Identifier: MIT
/* The guest-physical map and the VM's settings. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>

#include "unit.h"

static uint8_t ram_a[0x4000], ram_b[0x4000];

static struct hm_vm *vm_with_two_slots(void)
{
	struct hm_vm *vm;

	assert_int_equal(hm_vm_new(&vm), 0);
	/* Adjacent in guest-physical space, apart in the host's. */
	assert_int_equal(hm_vm_add_ram(vm, 0x10000, sizeof(ram_a), ram_a), 0);
	assert_int_equal(hm_vm_add_ram(vm, 0x14000, sizeof(ram_b), ram_b), 0);
	return vm;
}

static void add_ram_refuses_empty_wrapping_and_null(void **state)
{
	struct hm_vm *vm;

	(void)state;
	assert_int_equal(hm_vm_new(&vm), 0);
	assert_int_equal(hm_vm_add_ram(vm, 0x1000, 0, ram_a), -EINVAL);
	assert_int_equal(hm_vm_add_ram(vm, UINT64_MAX - 0xfff, 0x1000, ram_a),
			 -EINVAL);
	assert_int_equal(hm_vm_add_ram(vm, UINT64_MAX - 0xfff, 0x2000, ram_a),
			 -EINVAL);
	assert_int_equal(hm_vm_add_ram(vm, 0x1000, 0x1000, NULL), -EINVAL);
	hm_vm_free(vm);
}

static void add_ram_refuses_overlapping_slots(void **state)
{
	struct hm_vm *vm = vm_with_two_slots();

	(void)state;
	assert_int_equal(hm_vm_add_ram(vm, 0x13fff, 1, ram_a), -EEXIST);
	assert_int_equal(hm_vm_add_ram(vm, 0x0, 0x10001, ram_a), -EEXIST);
	assert_int_equal(hm_vm_add_ram(vm, 0x0, 0x100000, ram_a), -EEXIST);
	assert_int_equal(hm_vm_add_ram(vm, 0x0, 0x10000, ram_a), 0);
	hm_vm_free(vm);
}

static void translation_inside_a_slot(void **state)
{
	struct hm_vm *vm = vm_with_two_slots();

	(void)state;
	assert_ptr_equal(hm_vm_gpa_to_hva(vm, 0x10000, 1), ram_a);
	assert_ptr_equal(hm_vm_gpa_to_hva(vm, 0x10000, sizeof(ram_a)), ram_a);
	assert_ptr_equal(hm_vm_gpa_to_hva(vm, 0x13fff, 1), ram_a + 0x3fff);
	assert_ptr_equal(hm_vm_gpa_to_hva(vm, 0x14000, 0x10), ram_b);
	assert_ptr_equal(hm_vm_gpa_to_hva(vm, 0x17ff0, 0x10), ram_b + 0x3ff0);
	hm_vm_free(vm);
}

static void translation_refuses_straddle_overflow_and_holes(void **state)
{
	struct hm_vm *vm = vm_with_two_slots();

	(void)state;
	/* Straddling two slots, though both are contiguous in the guest. */
	assert_null(hm_vm_gpa_to_hva(vm, 0x13fff, 2));
	assert_null(hm_vm_gpa_to_hva(vm, 0x10000, 0x8000));
	/* Outside RAM, ending past RAM, wrapping. */
	assert_null(hm_vm_gpa_to_hva(vm, 0xffff, 1));
	assert_null(hm_vm_gpa_to_hva(vm, 0x18000, 1));
	assert_null(hm_vm_gpa_to_hva(vm, 0x17fff, 2));
	assert_null(hm_vm_gpa_to_hva(vm, 0x10000, UINT64_MAX));
	assert_null(hm_vm_gpa_to_hva(vm, UINT64_MAX, 2));
	assert_null(hm_vm_gpa_to_hva(vm, 0x10000, 0));
	hm_vm_free(vm);
}

static void settings_are_validated(void **state)
{
	struct hm_vm *vm;

	(void)state;
	assert_int_equal(hm_vm_new(&vm), 0);
	assert_int_equal(hm_vm_set_timeout(vm, 0), -EINVAL);
	assert_int_equal(hm_vm_set_timeout(vm, 50), 0);
	assert_int_equal(hm_vm_set_memory_budget(vm, 0), -EINVAL);
	assert_int_equal(hm_vm_set_memory_budget(vm, 4096), 0);
	assert_int_equal(hm_vm_set_kick_signal(vm, 0), -EINVAL);
	assert_int_equal(hm_vm_set_kick_signal(vm, SIGKILL), -EINVAL);
	assert_int_equal(hm_vm_set_kick_signal(vm, SIGRTMAX + 1), -EINVAL);
	assert_int_equal(hm_vm_set_kick_signal(vm, SIGUSR2), 0);
	hm_vm_free(vm);
}

static void vcpu_needs_fd_and_run(void **state)
{
	struct hm_vcpu *vcpu = NULL;
	struct hm_vm *vm;
	struct kvm_run run;

	(void)state;
	assert_int_equal(hm_vm_new(&vm), 0);
	assert_int_equal(hm_vcpu_new(vm, -1, &run, &vcpu), -EINVAL);
	assert_int_equal(hm_vcpu_new(vm, 5, NULL, &vcpu), -EINVAL);
	assert_null(vcpu);
	assert_int_equal(hm_vcpu_new(vm, 5, &run, &vcpu), 0);
	/* The kick signal cannot change under a running vCPU. */
	assert_int_equal(hm_vm_set_kick_signal(vm, SIGUSR2), -EBUSY);
	hm_vcpu_free(vcpu);
	hm_vm_free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_ram_refuses_empty_wrapping_and_null),
		cmocka_unit_test(add_ram_refuses_overlapping_slots),
		cmocka_unit_test(translation_inside_a_slot),
		cmocka_unit_test(translation_refuses_straddle_overflow_and_holes),
		cmocka_unit_test(settings_are_validated),
		cmocka_unit_test(vcpu_needs_fd_and_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
