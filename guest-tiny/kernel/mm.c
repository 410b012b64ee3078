// SPDX-License-Identifier: MIT
/*
 * Physical pages and page tables. The kernel reaches all RAM through an
 * identity map of 2 MiB supervisor pages (PDPT entry 0, shared by every
 * address space); user memory is 4 KiB pages under PDPT entry 1.
 * Freshly allocated pages are zero: the boot contract zero-fills RAM and
 * pages are never freed.
 */
#include "kernel.h"
#include <x86-regs.h>

#define USER_VA_LIMIT (1ul << 47)

extern char __kernel_end[];

static uint64_t next_free;
static uint64_t ram_end;
static uint64_t kernel_pd[512] __attribute__((aligned(4096)));

void mm_init(uint64_t ram_size, unsigned int nr_cpus)
{
	uint64_t start = ((uint64_t)__kernel_end + PAGE_SIZE - 1) &
			 ~(PAGE_SIZE - 1);

	(void)nr_cpus;
	ram_end = ram_size;
	/* Every CPU runs this with the same values. */
	__atomic_compare_exchange_n(&next_free, &(uint64_t){ 0 }, start, 0,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void *alloc_pages(unsigned int n)
{
	uint64_t pa = __atomic_fetch_add(&next_free, n * PAGE_SIZE,
					 __ATOMIC_SEQ_CST);

	if (pa + n * PAGE_SIZE > ram_end) {
		kprintf("out of memory\n");
		report(TINY_EXIT_CRASH, 0xff);
		halt_forever();
	}
	return (void *)pa;
}

/* Identical writes from every CPU: the race is harmless. */
void kernel_pd_init(void)
{
	uint64_t i;

	for (i = 0; i < ram_end >> 21; i++)
		kernel_pd[i] = (i << 21) | X86_PTE_P | X86_PTE_W | X86_PTE_PS;
}

uint64_t *address_space_new(void)
{
	uint64_t *pml4 = alloc_pages(1);
	uint64_t *pdpt = alloc_pages(1);
	uint64_t *user_pd = alloc_pages(1);

	pml4[0] = (uint64_t)pdpt | X86_PTE_P | X86_PTE_W | X86_PTE_U;
	pdpt[0] = (uint64_t)kernel_pd | X86_PTE_P | X86_PTE_W;
	pdpt[1] = (uint64_t)user_pd | X86_PTE_P | X86_PTE_W | X86_PTE_U;
	return pml4;
}

static uint64_t *next_table(uint64_t *table, unsigned int index)
{
	if (!(table[index] & X86_PTE_P))
		table[index] = (uint64_t)alloc_pages(1) | X86_PTE_P |
			       X86_PTE_W | X86_PTE_U;
	return (uint64_t *)(table[index] & X86_PTE_ADDR);
}

void map_page(uint64_t *pml4, uint64_t va, uint64_t pa, int writable)
{
	uint64_t *t = pml4;

	t = next_table(t, (va >> 39) & 511);
	t = next_table(t, (va >> 30) & 511);
	t = next_table(t, (va >> 21) & 511);
	t[(va >> 12) & 511] = pa | X86_PTE_P | X86_PTE_U |
			      (writable ? X86_PTE_W : 0);
}

/*
 * The walk the MMU would do for a user-mode access (SDM vol. 3, 4.6):
 * every level must be present and user-accessible, and writable for a
 * write. Returns the physical address, or ~0 when the access would fault.
 */
uint64_t user_translate(const uint64_t *pml4, uint64_t va, int write)
{
	const uint64_t *t = pml4;
	uint64_t need = X86_PTE_P | X86_PTE_U | (write ? X86_PTE_W : 0);
	int shift;

	if (va >= USER_VA_LIMIT)
		return ~0ul;
	for (shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];

		if ((e & need) != need)
			return ~0ul;
		if (shift == 21 && (e & X86_PTE_PS))
			return (e & X86_PTE_ADDR & ~0x1ffffful) +
			       (va & 0x1ffffful);
		if (shift == 12)
			return (e & X86_PTE_ADDR) + (va & (PAGE_SIZE - 1));
		t = (const uint64_t *)(e & X86_PTE_ADDR);
	}
	return ~0ul;
}

static size_t in_page(uint64_t va, size_t len)
{
	size_t room = PAGE_SIZE - (va & (PAGE_SIZE - 1));

	return len < room ? len : room;
}

size_t user_copy_from(const uint64_t *pml4, void *dst, uint64_t src,
		      size_t len)
{
	char *d = dst;

	while (len) {
		uint64_t pa = user_translate(pml4, src, 0);
		size_t n = in_page(src, len);

		if (pa == ~0ul)
			break;
		memcpy(d, (const void *)pa, n);
		d += n;
		src += n;
		len -= n;
	}
	return len;
}

size_t user_copy_to(const uint64_t *pml4, uint64_t dst, const void *src,
		    size_t len)
{
	const char *s = src;

	while (len) {
		uint64_t pa = user_translate(pml4, dst, 1);
		size_t n = in_page(dst, len);

		if (pa == ~0ul)
			break;
		memcpy((void *)pa, s, n);
		s += n;
		dst += n;
		len -= n;
	}
	return len;
}

/* Index of the first NUL in p[0..n), or n. One instruction per byte. */
static size_t find_nul(const char *p, size_t n)
{
	const char *d = p;
	size_t c = n;

	if (!n)
		return 0;
	__asm__ volatile("repne scasb" : "+D"(d), "+c"(c) : "a"(0) :
			 "memory", "cc");
	return d[-1] == 0 ? (size_t)(d - p - 1) : n;
}

long user_string_from(const uint64_t *pml4, char *dst, uint64_t src,
		      size_t len, size_t *copied)
{
	size_t done = 0;

	*copied = 0;
	while (done < len) {
		uint64_t pa = user_translate(pml4, src + done, 0);
		size_t n = in_page(src + done, len - done);
		size_t nul;

		if (pa == ~0ul)
			return -HM_EFAULT;
		nul = find_nul((const char *)pa, n);
		memcpy(dst + done, (const void *)pa, nul < n ? nul + 1 : n);
		if (nul < n) {
			*copied = done + nul;
			return (long)(done + nul);
		}
		done += n;
		*copied = done;
	}
	return (long)len;
}

void load_cr3(const uint64_t *pml4)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(pml4) : "memory");
}
