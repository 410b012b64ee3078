/* SPDX-License-Identifier: MIT */
/*
 * What the parts of hypermem._core share: the Event a handler gets
 * (event.c), the rules of a subscription (rule.c), Machine (machine.c),
 * and python3 -m hypermem's run (cli.c); _core.c makes the module. Each
 * includes it first: Python.h comes before any standard header.
 */
#ifndef HM_PYTHON_CORE_H
#define HM_PYTHON_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <stddef.h>

#include <hypermem/hypermem.h>

/*
 * A handler may hand its Event to another thread: whoever uses the vCPU
 * holds lock, taken and released with the GIL released (no holder ever
 * waits for the GIL), so that two threads never interleave requests and
 * the handler's return waits for an operation in progress.
 */
typedef struct {
	PyObject_HEAD
	pthread_mutex_t lock;
	struct hm_vcpu *vcpu;	/* NULL once its handler returned */
	struct hm_event ev;
	unsigned int cpu;
	int core;		/* the VMM core's vCPU: its exits are counted */
} EventObject;

/* event.c */
extern PyObject *py_guest_error;
extern PyTypeObject py_event_type;
/*
 * Without the GIL: the event's vCPU, locked, or NULL (its handler
 * returned); py_event_give() unlocks it.
 */
struct hm_vcpu *py_event_take(EventObject *self);
void py_event_give(EventObject *self);
/* RuntimeError: the Event was used after its handler returned. */
void py_event_gone(void);
/*
 * Raise GuestError(-@err, @text) with op, where and addr (taken; None
 * where not one); NULL.
 */
PyObject *py_raise_guest_error(int err, const char *text, const char *op,
			       const char *where, PyObject *addr);
/* Event's methods from bindings/ops.c, then the type; 0 or -1 (raised). */
int py_event_ready(void);
/*
 * handler(Event) on its vCPU's thread, with the GIL; 0 or -1 (raised).
 * @cpu: the guest's CPU (a mailbox's slot under QEMU); @core: whether the
 * vCPU is the VMM core's.
 */
int py_call_handler(PyObject *handler, struct hm_vcpu *vcpu, int cpu,
		    const struct hm_event *ev, int core);

/* rule.c */
extern PyTypeObject py_rule_type;
/*
 * The rules of a list of Rule or (kind, nr or None[, filter]), calloc'd;
 * NULL with an exception raised.
 */
struct hm_sub_rule *py_rules_from(PyObject *list, size_t *n);

/* machine.c */
extern PyTypeObject py_machine_type;

/* cli.c: run(), start_output(), print_line(), error(), result(). */
extern PyMethodDef py_cli_methods[];

#endif
