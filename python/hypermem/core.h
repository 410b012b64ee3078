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

#include <stddef.h>

#include <hypermem/hypermem.h>

typedef struct {
	PyObject_HEAD
	struct hm_vcpu *vcpu;	/* NULL once its handler returned */
	struct hm_event ev;
	unsigned int cpu;
	int core;		/* the VMM core's vCPU: its exits are counted */
} EventObject;

/* event.c */
extern PyObject *py_guest_error;
extern PyTypeObject py_event_type;
/* The event's vCPU, or NULL with RuntimeError set: its handler returned. */
struct hm_vcpu *py_event_live(EventObject *self);
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
