// SPDX-License-Identifier: MIT
/*
 * Allocation failures: each allocation of the library's allocating calls
 * fails in turn (the linker's --wrap on malloc, calloc, realloc and free);
 * every one gives -ENOMEM and leaves nothing allocated behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

/* Allocations to let through before one fails; -1: none fails. */
static long fail_after = -1;
static long live;		/* blocks allocated and not yet freed */
static unsigned long failures;

static bool fail_now(void)
{
	if (fail_after < 0)
		return false;
	if (fail_after-- > 0)
		return false;
	failures++;
	return true;
}

static void *counted(void *p)
{
	if (p)
		live++;
	return p;
}

void *__wrap_malloc(size_t size)
{
	return fail_now() ? NULL : counted(__real_malloc(size));
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : counted(__real_calloc(n, size));
}

void *__wrap_realloc(void *p, size_t size)
{
	if (fail_now())
		return NULL;
	if (!p)
		return counted(__real_realloc(p, size));
	return __real_realloc(p, size);
}

void __wrap_free(void *p)
{
	if (p)
		live--;
	__real_free(p);
}

/*
 * Run @call with its k-th allocation failing, k = 0, 1, ... until it
 * allocates no more: each failure must be -ENOMEM with no block left
 * behind. Returns how many allocations the call makes.
 */
static unsigned long each_allocation_fails(int (*call)(void *), void *arg)
{
	unsigned long k;

	for (k = 0;; k++) {
		long before = live;
		unsigned long failed = failures;
		int ret;

		fail_after = (long)k;
		ret = call(arg);
		fail_after = -1;
		if (failures == failed) {
			assert_int_equal(ret, 0);
			return k;
		}
		assert_int_equal(ret, -ENOMEM);
		assert_int_equal(live, before);
	}
}

static int new_vm(void *arg)
{
	struct hm_vm *vm;
	int err = hm_vm_new(&vm);

	(void)arg;
	if (!err)
		hm_vm_free(vm);
	return err;
}

static void vm_new_fails_with_enomem(void **state)
{
	(void)state;
	assert_int_equal(each_allocation_fails(new_vm, NULL), 1);
}

static uint8_t ram[3][0x1000];

static int add_third_slot(void *arg)
{
	struct hm_vm *vm = arg;
	int err = hm_vm_add_ram(vm, 0x3000, sizeof(ram[2]), ram[2]);

	if (!err)
		hm_vm_free(vm);
	return err;
}

/* A failed hm_vm_add_ram() keeps the slots the VM had. */
static void add_ram_fails_with_enomem_and_keeps_slots(void **state)
{
	struct hm_vm *vm;

	(void)state;
	assert_int_equal(hm_vm_new(&vm), 0);
	assert_int_equal(hm_vm_add_ram(vm, 0x1000, sizeof(ram[0]), ram[0]), 0);
	assert_int_equal(hm_vm_add_ram(vm, 0x2000, sizeof(ram[1]), ram[1]), 0);
	fail_after = 0;
	assert_int_equal(add_third_slot(vm), -ENOMEM);
	fail_after = -1;
	assert_ptr_equal(hm_vm_gpa_to_hva(vm, 0x2000, 1), ram[1]);
	assert_null(hm_vm_gpa_to_hva(vm, 0x3000, 1));
	assert_int_equal(each_allocation_fails(add_third_slot, vm), 1);
}

static int new_vcpu(void *arg)
{
	static uint8_t run[2 * 4096] __attribute__((aligned(4096)));
	struct hm_vcpu *vcpu;
	int err = hm_vcpu_new(arg, 1000, (struct kvm_run *)run, &vcpu);

	if (!err)
		hm_vcpu_free(vcpu);
	return err;
}

static void vcpu_new_fails_with_enomem(void **state)
{
	struct hm_vm *vm;

	(void)state;
	assert_int_equal(hm_vm_new(&vm), 0);
	assert_int_equal(each_allocation_fails(new_vcpu, vm), 1);
	hm_vm_free(vm);
}

static int proc_args(void *arg)
{
	struct unit *u = arg;
	char **argv;
	size_t argc;
	int err = hm_vcpu_get_proc_args(u->vcpu, &argv, &argc);

	if (!err) {
		assert_string_equal(argv[2], "value with spaces");
		free(argv);
	}
	return err;
}

static void args_each_allocation(struct unit *u, const struct hm_event *ev)
{
	(void)ev;
	assert_int_equal(each_allocation_fails(proc_args, u), 2);
}

static void proc_args_fail_with_enomem_without_leak(void **state)
{
	(void)state;
	unit_with_event(args_each_allocation);
}

static int proc_env(void *arg)
{
	struct unit *u = arg;
	struct hm_env_var *vars;
	size_t n;
	int err = hm_vcpu_get_proc_env(u->vcpu, &vars, &n);

	if (!err) {
		assert_string_equal(vars[4].value, "/bin");
		free(vars);
	}
	return err;
}

static void env_each_allocation(struct unit *u, const struct hm_event *ev)
{
	(void)ev;
	assert_int_equal(each_allocation_fails(proc_env, u), 2);
}

static void proc_env_fails_with_enomem_without_leak(void **state)
{
	(void)state;
	unit_with_event(env_each_allocation);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vm_new_fails_with_enomem),
		cmocka_unit_test(add_ram_fails_with_enomem_and_keeps_slots),
		cmocka_unit_test(vcpu_new_fails_with_enomem),
		cmocka_unit_test(proc_args_fail_with_enomem_without_leak),
		cmocka_unit_test(proc_env_fails_with_enomem_without_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
