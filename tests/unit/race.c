// SPDX-License-Identifier: MIT
#include <pthread.h>
#include <stdint.h>

#include "race.h"

void *__real_memchr(const void *s, int c, size_t n);
void *__wrap_memchr(const void *s, int c, size_t n);

static uintptr_t race_start, race_end;
static pthread_t host;
static bool armed, landed;

void race_nul_after_look(void *mem, size_t len)
{
	race_start = (uintptr_t)mem;
	race_end = race_start + len;
	host = pthread_self();
	armed = true;
	landed = false;
}

bool race_landed(void)
{
	return landed;
}

void *__wrap_memchr(const void *s, int c, size_t n)
{
	void *found = __real_memchr(s, c, n);
	uintptr_t at = (uintptr_t)s;

	if (armed && n >= 2 && at >= race_start && at + n <= race_end &&
	    pthread_equal(pthread_self(), host)) {
		armed = false;
		landed = true;
		((char *)at)[1] = '\0';
	}
	return found;
}
