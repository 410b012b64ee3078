// SPDX-License-Identifier: MIT
/* The VM context: guest RAM map and settings shared by its vCPUs. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int hm_vm_new(struct hm_vm **ret)
{
	struct hm_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return -ENOMEM;
	vm->timeout_ms = HM_DEFAULT_TIMEOUT_MS;
	vm->op_memory = HM_DEFAULT_MEMORY_BUDGET;
	vm->kick_signal = SIGRTMIN + 7;
	pthread_mutex_init(&vm->sub_lock, NULL);
	*ret = vm;
	return 0;
}

void hm_vm_free(struct hm_vm *vm)
{
	if (!vm)
		return;
	pthread_mutex_destroy(&vm->sub_lock);
	free(vm->sub_rules);
	free(vm->slots);
	free(vm);
}

static bool ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b,
			   uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

int hm_vm_add_ram(struct hm_vm *vm, uint64_t gpa, uint64_t size, void *hva)
{
	struct ram_slot *slots;
	size_t i;

	if (!size || !hva || gpa + size <= gpa)
		return -EINVAL;
	for (i = 0; i < vm->nr_slots; i++)
		if (ranges_overlap(gpa, size, vm->slots[i].gpa,
				   vm->slots[i].size))
			return -EEXIST;
	slots = realloc(vm->slots, (vm->nr_slots + 1) * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	vm->slots = slots;
	for (i = vm->nr_slots; i > 0 && slots[i - 1].gpa > gpa; i--)
		slots[i] = slots[i - 1];
	slots[i] = (struct ram_slot){ .gpa = gpa, .size = size, .hva = hva };
	vm->nr_slots++;
	return 0;
}

/*
 * The only guest-physical to host translation in the library: the host
 * address of gpa and, in *ret_len, how many of the len bytes from there
 * lie in the same slot (at least 1); NULL when gpa is not RAM.
 */
void *vm_translate_prefix(const struct hm_vm *vm, uint64_t gpa, uint64_t len,
			  uint64_t *ret_len)
{
	size_t lo = 0, hi = vm->nr_slots;

	if (!len)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ram_slot *s = &vm->slots[mid];
		uint64_t offset = gpa - s->gpa;

		if (gpa < s->gpa) {
			hi = mid;
		} else if (offset >= s->size) {
			lo = mid + 1;
		} else {
			*ret_len = len < s->size - offset ? len :
							    s->size - offset;
			return s->hva + offset;
		}
	}
	return NULL;
}

/*
 * The whole range in one slot: a range that straddles two slots is refused
 * even when they happen to be adjacent in both address spaces.
 */
void *vm_translate(const struct hm_vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t in_slot;
	void *hva = vm_translate_prefix(vm, gpa, len, &in_slot);

	return hva && in_slot == len ? hva : NULL;
}

void *hm_vm_gpa_to_hva(struct hm_vm *vm, uint64_t gpa, uint64_t len)
{
	return vm_translate(vm, gpa, len);
}

void hm_vm_set_event_handler(struct hm_vm *vm, hm_event_fn fn, void *opaque)
{
	vm->event_fn = fn;
	vm->event_opaque = opaque;
}

void hm_vm_set_exit_handler(struct hm_vm *vm, hm_exit_fn fn, void *opaque)
{
	vm->exit_fn = fn;
	vm->exit_opaque = opaque;
}

int hm_vm_set_timeout(struct hm_vm *vm, unsigned int ms)
{
	if (!ms)
		return -EINVAL;
	vm->timeout_ms = ms;
	return 0;
}

int hm_vm_set_memory_budget(struct hm_vm *vm, size_t bytes)
{
	if (!bytes)
		return -EINVAL;
	vm->op_memory = bytes;
	return 0;
}

int hm_vm_set_read_mode(struct hm_vm *vm, enum hm_read_mode mode)
{
	if (mode != HM_READ_COOPERATIVE && mode != HM_READ_DIRECT &&
	    mode != HM_READ_HYBRID)
		return -EINVAL;
	vm->read_mode = mode;
	return 0;
}

int hm_vm_set_kick_signal(struct hm_vm *vm, int signo)
{
	if (signo <= 0 || signo > SIGRTMAX || signo == SIGKILL ||
	    signo == SIGSTOP)
		return -EINVAL;
	if (vm->nr_vcpus)
		return -EBUSY;
	vm->kick_signal = signo;
	return 0;
}
