/* SPDX-License-Identifier: MIT */
/* Shared fixture of the unit tests: one fake guest with a scripted process. */
#ifndef UNIT_H
#define UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_guest.h"

/* The scripted process's memory. */
#define VA_BUF 0x400000ull		/* BUF_SIZE bytes of pattern, rw */
#define BUF_SIZE (256u * 1024 + 8192)	/* then a hole: unmapped */
#define VA_RO 0x800000ull		/* one read-only page */
#define VA_STR 0x900000ull		/* STR_LEN 'a'..'z' bytes, then NUL */
#define STR_LEN 10000u
#define VA_NONUL 0xa00000ull		/* NONUL_LEN bytes, no NUL, then hole */
#define NONUL_LEN 100u
#define PID 4242u
#define FD_LONG 5			/* its name: LONG_NAME_LEN bytes */
#define LONG_NAME_LEN 4095u		/* Linux's longest path */

struct unit;
typedef void (*unit_body)(struct unit *u, const struct hm_event *event);

struct unit {
	struct hm_vm *vm;
	struct hm_vcpu *vcpu;
	struct fake_guest *g;
	struct fake_process proc;
	uint8_t *buf;
	uint8_t *ro;
	char *str;
	char *nonul;
	char *long_name;
	unit_body body;
	int events;
	struct hm_event event;
};

/* Build the fixture with @guest_main as the guest's program. */
struct unit *unit_new(fake_guest_fn guest_main);
void unit_free(struct unit *u);

/* Guest program: register, raise one syscall-enter event of ioctl, halt. */
void guest_one_event(struct fake_guest *g);

/* Run the guest until it halts; @body runs inside each event. */
int unit_run(struct unit *u, unit_body body);

/* The usual case: one event, @body asserts inside it. */
void unit_with_event(unit_body body);

#endif
