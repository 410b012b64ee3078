// SPDX-License-Identifier: MIT
/*
 * The allocator, counted (fuzz.h): the targets that check an operation's
 * memory budget link with --wrap on malloc, calloc and realloc, and this
 * adds up what this thread asks for between fuzz_alloc_begin() and
 * fuzz_alloc_end(), each allocation as it is asked, a realloc at its new
 * size: what hm_vm_set_memory_budget() bounds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static __thread bool counting;
static __thread size_t counted;

static void count(size_t size)
{
	if (counting)
		counted = size > SIZE_MAX - counted ? SIZE_MAX : counted + size;
}

void *__wrap_malloc(size_t size)
{
	count(size);
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	count(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	count(size);
	return __real_realloc(p, size);
}

void fuzz_alloc_begin(void)
{
	counted = 0;
	counting = true;
}

size_t fuzz_alloc_end(void)
{
	counting = false;
	return counted;
}
