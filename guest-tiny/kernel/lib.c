// SPDX-License-Identifier: MIT
/*
 * Freestanding helpers. Kernel code runs emulated on some hosts (about a
 * microsecond per instruction), so copies use string instructions.
 */
#include <stdarg.h>

#include "kernel.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t q = n / 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : :
			 "memory");
	n %= 8;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : :
			 "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
}

void report(uint32_t kind, uint32_t payload)
{
	outl(TINY_EXIT_PORT, TINY_EXIT_WORD(kind, payload));
}

void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

struct out {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void put_number(struct out *o, uint64_t v, unsigned int base,
		       int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

static void format(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, longs = 0;
		char pad = ' ';
		int64_t sv;

		if (*fmt != '%') {
			put(o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = *fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l')
			longs++, fmt++;
		switch (*fmt) {
		case 'd':
			sv = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (sv < 0) {
				put(o, '-');
				sv = -sv;
			}
			put_number(o, (uint64_t)sv, 10, width, pad);
			break;
		case 'u':
			put_number(o, longs ? va_arg(ap, uint64_t) :
				   va_arg(ap, unsigned int), 10, width, pad);
			break;
		case 'x':
			put_number(o, longs ? va_arg(ap, uint64_t) :
				   va_arg(ap, unsigned int), 16, width, pad);
			break;
		case 'p':
			put(o, '0');
			put(o, 'x');
			put_number(o, (uintptr_t)va_arg(ap, void *), 16, width,
				   pad);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			while (*s)
				put(o, *s++);
			break;
		}
		case 'c':
			put(o, (char)va_arg(ap, int));
			break;
		default:
			put(o, '%');
			put(o, *fmt);
			break;
		}
	}
	if (o->cap)
		o->buf[o->len < o->cap ? o->len : o->cap - 1] = 0;
}

int ksnprintf(char *buf, size_t cap, const char *fmt, ...)
{
	struct out o = { buf, cap, 0 };
	va_list ap;

	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	return (int)o.len;
}

static int console_busy;

/* Whole lines from each CPU: the VMM sees one byte per OUT. */
void console_lock(void)
{
	while (__atomic_exchange_n(&console_busy, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

void console_unlock(void)
{
	__atomic_store_n(&console_busy, 0, __ATOMIC_RELEASE);
}

void kprintf(const char *fmt, ...)
{
	char buf[256];
	struct out o = { buf, sizeof(buf), 0 };
	const char *p;
	va_list ap;

	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	console_lock();
	for (p = buf; *p; p++)
		outb(TINY_SERIAL_PORT, *p);
	console_unlock();
}
