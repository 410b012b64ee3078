// SPDX-License-Identifier: MIT
/*
 * hypermem.Event: one guest event, whose methods are the operations on the
 * process that raised it (bindings/ops.h), inside its handler only. A
 * failed operation raises GuestError (an OSError: errno, strerror) naming
 * the operation and the guest address; an Event used after its handler
 * returned raises RuntimeError.
 */
#include "core.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/vmm.h>

#include "ops.h"

PyObject *py_guest_error;

void py_event_gone(void)
{
	PyErr_SetString(PyExc_RuntimeError,
			"operation outside its event's handler");
}

/* Refused before its arguments are converted: its handler returned. */
static bool live(EventObject *self)
{
	if (!__atomic_load_n(&self->vcpu, __ATOMIC_ACQUIRE)) {
		py_event_gone();
		return false;
	}
	return true;
}

struct hm_vcpu *py_event_take(EventObject *self)
{
	pthread_mutex_lock(&self->lock);
	if (self->vcpu)
		return self->vcpu;
	pthread_mutex_unlock(&self->lock);
	return NULL;
}

void py_event_give(EventObject *self)
{
	pthread_mutex_unlock(&self->lock);
}

/* obj.name = v, taking v (NULL: an error is set). */
static int set_attr(PyObject *obj, const char *name, PyObject *v)
{
	int err;

	if (!v)
		return -1;
	err = PyObject_SetAttrString(obj, name, v);
	Py_DECREF(v);
	return err;
}

PyObject *py_raise_guest_error(int err, const char *text, const char *op,
				const char *where, PyObject *addr)
{
	PyObject *e = PyObject_CallFunction(py_guest_error, "is", -err, text);
	int failed = !e || set_attr(e, "op", PyUnicode_FromString(op)) ||
		     set_attr(e, "where", PyUnicode_DecodeUTF8(where,
			      (Py_ssize_t)strlen(where), "surrogateescape"));

	if (failed)
		Py_XDECREF(addr);
	if (failed || set_attr(e, "addr", addr)) {
		Py_XDECREF(e);
		return NULL;
	}
	PyErr_SetObject(py_guest_error, e);
	Py_DECREF(e);
	return NULL;
}

static PyObject *raise_guest(const struct op_def *op,
			     const struct op_value *args,
			     const struct op_result *r, int err)
{
	char where[256];

	op_where_text(op, args, r, where, sizeof(where));
	return py_raise_guest_error(err, op_strerror(op, err), op->name, where,
				    op->where <= OP_AT_PATH ?
				    PyLong_FromUnsignedLongLong(r->at) :
				    Py_NewRef(Py_None));
}

/* ---- the operations' results as Python values (bindings/ops.h) ---- */

#define DEPTH_MAX 4

struct py_emit {
	PyObject *root;
	int failed;
	unsigned int depth;
	struct {
		PyObject *container;	/* a list or a dict */
		PyObject *key;		/* a dict's next key */
	} frames[DEPTH_MAX];
};

/* Take v (a new reference, or NULL after an error) to where it goes. */
static void put(struct py_emit *pe, PyObject *v)
{
	PyObject *c;
	int err;

	if (!v || pe->failed) {
		pe->failed = 1;
		Py_XDECREF(v);
		return;
	}
	if (!pe->depth) {
		pe->root = v;
		return;
	}
	c = pe->frames[pe->depth - 1].container;
	if (PyList_Check(c)) {
		err = PyList_Append(c, v);
	} else {
		err = PyDict_SetItem(c, pe->frames[pe->depth - 1].key, v);
		Py_CLEAR(pe->frames[pe->depth - 1].key);
	}
	Py_DECREF(v);
	pe->failed = err != 0;
}

static PyObject *decode(const char *s, size_t len)
{
	/* Guest bytes are not always UTF-8: undecodable ones survive. */
	return PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "surrogateescape");
}

static void emit_done(void *ctx)
{
	put(ctx, Py_NewRef(Py_None));
}

static void emit_boolean(void *ctx, int v)
{
	put(ctx, PyBool_FromLong(v));
}

static void emit_integer(void *ctx, int64_t v)
{
	put(ctx, PyLong_FromLongLong(v));
}

static void emit_uinteger(void *ctx, uint64_t v)
{
	put(ctx, PyLong_FromUnsignedLongLong(v));
}

static void emit_bytes(void *ctx, const void *p, size_t len)
{
	put(ctx, PyBytes_FromStringAndSize(p, (Py_ssize_t)len));
}

static void emit_text(void *ctx, const char *s, size_t len)
{
	put(ctx, decode(s, len));
}

static void begin(struct py_emit *pe, PyObject *container)
{
	if (pe->depth == DEPTH_MAX || !container) {
		Py_XDECREF(container);
		container = NULL;
		pe->failed = 1;
	}
	if (pe->depth < DEPTH_MAX) {
		pe->frames[pe->depth].container = container;
		pe->frames[pe->depth].key = NULL;
	}
	pe->depth++;
}

static void emit_begin_list(void *ctx, size_t count)
{
	(void)count;
	begin(ctx, PyList_New(0));
}

static void emit_begin_record(void *ctx, size_t count)
{
	(void)count;
	begin(ctx, PyDict_New());
}

static void emit_key(void *ctx, const char *key)
{
	struct py_emit *pe = ctx;

	if (pe->failed || pe->depth > DEPTH_MAX)
		return;
	Py_XSETREF(pe->frames[pe->depth - 1].key, decode(key, strlen(key)));
	if (!pe->frames[pe->depth - 1].key)
		pe->failed = 1;
}

static void emit_end(void *ctx)
{
	struct py_emit *pe = ctx;
	PyObject *c = NULL;

	if (--pe->depth < DEPTH_MAX) {
		c = pe->frames[pe->depth].container;
		Py_CLEAR(pe->frames[pe->depth].key);
	}
	put(pe, c);
}

static PyObject *emitted(struct py_emit *pe)
{
	if (!pe->failed)
		return pe->root;
	Py_XDECREF(pe->root);
	if (!PyErr_Occurred())
		PyErr_SetString(PyExc_RuntimeError,
				"a result nested deeper than expected");
	return NULL;
}

/* ---- the operations' arguments ---- */

/* Any 64-bit pattern: -2**63 to 2**64 - 1. */
static int to_word(PyObject *o, uint64_t *out)
{
	int overflow;
	long long v = PyLong_AsLongLongAndOverflow(o, &overflow);

	if (v == -1 && PyErr_Occurred())
		return -1;
	if (overflow > 0) {
		*out = PyLong_AsUnsignedLongLong(o);
		return PyErr_Occurred() ? -1 : 0;
	}
	if (overflow < 0) {
		PyErr_SetString(PyExc_OverflowError, "below -2**63");
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

static int to_int(const struct op_def *op, const struct op_arg *a,
		  PyObject *o, uint64_t *out)
{
	int overflow;
	long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
	char range[64];
	const char *bad;

	if (v == -1 && PyErr_Occurred())
		return -1;
	bad = op_check_int(a, overflow ? (overflow > 0 ? INT64_MAX :
				INT64_MIN) : v, range, sizeof(range));
	if (overflow && !bad)
		bad = "64 bits";
	if (bad) {
		PyErr_Format(a->type == OP_INDEX ? PyExc_IndexError :
			     PyExc_ValueError, "%s: %s: %s", op->name,
			     a->name, bad);
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

/* Bytes-like data or a str (BYTES), as TEXT without NUL; str as UTF-8. */
static int to_data(const struct op_def *op, const struct op_arg *a,
		   PyObject *o, struct op_value *v, Py_buffer *view)
{
	if (PyUnicode_Check(o)) {
		PyObject *b = PyUnicode_AsEncodedString(o, "utf-8",
							"surrogateescape");
		int err;

		if (!b)
			return -1;
		err = PyObject_GetBuffer(b, view, PyBUF_SIMPLE);
		Py_DECREF(b);
		if (err)
			return -1;
	} else if (PyObject_GetBuffer(o, view, PyBUF_SIMPLE)) {
		return -1;
	}
	v->p = view->buf;
	v->len = (size_t)view->len;
	if (a->type == OP_TEXT && memchr(v->p, 0, v->len)) {
		PyErr_Format(PyExc_ValueError, "%s: %s: text with a NUL byte",
			     op->name, a->name);
		return -1;
	}
	return 0;
}

/*
 * Text must reach the library NUL-terminated: a copy of the bytes with a
 * NUL, kept in *copy until the call is over.
 */
static int terminate(struct op_value *v, char **copy)
{
	*copy = malloc(v->len + 1);
	if (!*copy) {
		PyErr_NoMemory();
		return -1;
	}
	memcpy(*copy, v->p, v->len);
	(*copy)[v->len] = 0;
	v->p = *copy;
	return 0;
}

static int to_value(const struct op_def *op, unsigned int i, PyObject *o,
		    struct op_value *v, Py_buffer *view, char **copy)
{
	const struct op_arg *a = &op->args[i];

	switch (a->type) {
	case OP_ADDR:
	case OP_WORD:
		return to_word(o, &v->u);
	case OP_INT:
	case OP_INDEX:
		return to_int(op, a, o, &v->u);
	case OP_BYTES:
		return to_data(op, a, o, v, view);
	case OP_TEXT:
		return to_data(op, a, o, v, view) ? -1 : terminate(v, copy);
	}
	return -1;
}

static unsigned int required_args(const struct op_def *op)
{
	unsigned int n = 0;

	while (n < op->nargs && !op->args[n].optional)
		n++;
	return n;
}

/* One operation: arguments, the guest I/O without the GIL, its result. */
static PyObject *event_call(EventObject *self, PyObject *args,
			    enum op_id id)
{
	const struct op_def *op = &op_defs[id];
	Py_ssize_t given = PyTuple_GET_SIZE(args);
	struct op_value v[OP_MAX_ARGS] = { { 0 } };
	Py_buffer views[OP_MAX_ARGS] = { { 0 } };
	char *copies[OP_MAX_ARGS] = { 0 };
	struct py_emit pe = { 0 };
	const struct op_emitter e = {
		emit_done, emit_boolean, emit_integer, emit_uinteger,
		emit_bytes, emit_text,
		emit_begin_list, emit_begin_record, emit_key, emit_end, &pe,
	};
	PyObject *out = NULL;
	struct hm_vcpu *vcpu;
	struct op_result r;
	unsigned int i;
	int err = 0;

	if (given < required_args(op) || given > op->nargs) {
		/* The doc's signature: "name(args)". */
		PyObject *sig = PyUnicode_FromStringAndSize(op->doc,
			strchr(op->doc, ')') - op->doc + 1);

		if (sig)
			PyErr_Format(PyExc_TypeError, "%U: %zd given", sig,
				     given);
		Py_XDECREF(sig);
		return NULL;
	}
	if (!live(self))
		return NULL;
	for (i = 0; i < op->nargs; i++) {
		if (i >= given)
			v[i].u = (uint64_t)op->args[i].def;
		else if (to_value(op, i, PyTuple_GET_ITEM(args, i), &v[i],
				  &views[i], &copies[i]))
			goto out;
	}
	/* The conversions may have run Python code, the handler returned. */
	Py_BEGIN_ALLOW_THREADS
	vcpu = py_event_take(self);
	if (vcpu) {
		err = op_run(op, vcpu, v, &r);
		py_event_give(self);
	}
	Py_END_ALLOW_THREADS
	if (!vcpu) {
		py_event_gone();
		goto out;
	}
	if (err == -EINVAL && op->einval) {
		PyErr_Format(PyExc_ValueError, "%s: %s", op->name, op->einval);
	} else if (err) {
		raise_guest(op, v, &r, err);
	} else {
		op_emit(op, &r, &e);
		out = emitted(&pe);
	}
	op_result_free(&r);
out:
	for (i = 0; i < OP_MAX_ARGS; i++) {
		if (views[i].obj)
			PyBuffer_Release(&views[i]);
		free(copies[i]);
	}
	return out;
}

#define OP_METHOD(name) \
static PyObject *event_##name(EventObject *self, PyObject *args) \
{ \
	return event_call(self, args, OP_##name); \
}
HM_OPERATIONS(OP_METHOD)
#undef OP_METHOD

static PyCFunction const op_methods[OP_COUNT] = {
#define OP_FUNCTION(name) [OP_##name] = (PyCFunction)event_##name,
	HM_OPERATIONS(OP_FUNCTION)
#undef OP_FUNCTION
};

/*
 * KVM_RUN returns of the event's vCPU so far: the core's loop sees the
 * events, the library its round trips (hm_stats.exits).
 */
static PyObject *exits(EventObject *self)
{
	struct hm_stats stats;
	struct hm_vcpu *vcpu;
	uint64_t n = 0;

	if (!self->core)
		Py_RETURN_NONE;
	Py_BEGIN_ALLOW_THREADS
	vcpu = py_event_take(self);
	if (vcpu) {
		hm_vcpu_get_stats(vcpu, &stats);
		n = vmm_cpu_exits(vcpu) + stats.exits;
		py_event_give(self);
	}
	Py_END_ALLOW_THREADS
	if (!vcpu) {
		py_event_gone();
		return NULL;
	}
	return PyLong_FromUnsignedLongLong(n);
}

static PyObject *event_get(EventObject *self, void *what)
{
	const struct hm_event *ev = &self->ev;

	switch ((int)(intptr_t)what) {
	case 0:
		return PyUnicode_FromString(
			ev->kind == HM_EVENT_SYSCALL_ENTER ? "enter" :
			ev->kind == HM_EVENT_SYSCALL_EXIT ? "return" :
			ev->kind == HM_EVENT_PROCESS ? "process" : "user");
	case 1:
		return PyLong_FromUnsignedLongLong(ev->nr);
	case 2:
		return Py_BuildValue("(KKKKKK)",
			(unsigned long long)ev->args[0],
			(unsigned long long)ev->args[1],
			(unsigned long long)ev->args[2],
			(unsigned long long)ev->args[3],
			(unsigned long long)ev->args[4],
			(unsigned long long)ev->args[5]);
	case 3:
		if (ev->kind != HM_EVENT_SYSCALL_EXIT)
			Py_RETURN_NONE;
		return PyLong_FromLongLong((long long)ev->ret);
	case 4:
		if (!(ev->flags & HM_EVENT_HAS_TASK) || !ev->pid)
			Py_RETURN_NONE;
		return PyLong_FromUnsignedLongLong(ev->pid);
	case 5:
		if (!(ev->flags & HM_EVENT_HAS_TASK))
			Py_RETURN_NONE;
		return PyUnicode_DecodeUTF8(ev->comm,
					    (Py_ssize_t)strlen(ev->comm),
					    "surrogateescape");
	case 6:
		return PyLong_FromUnsignedLong(self->cpu);
	default:
		return exits(self);
	}
}

static PyGetSetDef event_getset[] = {
	{ "phase", (getter)event_get, NULL,
	  "enter, return, user or process", (void *)0 },
	{ "nr", (getter)event_get, NULL, "syscall number or user code",
	  (void *)1 },
	{ "args", (getter)event_get, NULL, "the six arguments", (void *)2 },
	{ "ret", (getter)event_get, NULL, "the return value, or None",
	  (void *)3 },
	{ "pid", (getter)event_get, NULL, "who raised it, where known",
	  (void *)4 },
	{ "comm", (getter)event_get, NULL, "its name, where known",
	  (void *)5 },
	{ "cpu", (getter)event_get, NULL, "the vCPU", (void *)6 },
	{ "exits", (getter)event_get, NULL,
	  "the vCPU's KVM exits so far, or None under a stock QEMU",
	  (void *)7 },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* The operations, filled from bindings/ops.c before the type is ready. */
static PyMethodDef event_methods[OP_COUNT + 1];

static void event_dealloc(EventObject *e)
{
	pthread_mutex_destroy(&e->lock);
	Py_TYPE(e)->tp_free((PyObject *)e);
}

PyTypeObject py_event_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "hypermem.Event",
	.tp_basicsize = sizeof(EventObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_dealloc = (destructor)event_dealloc,
	.tp_doc = "A guest event; its methods act on the process that "
		  "raised it, inside its handler only.",
	.tp_methods = event_methods,
	.tp_getset = event_getset,
};

int py_call_handler(PyObject *handler, struct hm_vcpu *vcpu, int cpu,
		    const struct hm_event *ev, int core)
{
	EventObject *e = PyObject_New(EventObject, &py_event_type);
	PyObject *r;

	if (!e)
		return -1;
	pthread_mutex_init(&e->lock, NULL);
	e->vcpu = vcpu;
	e->ev = *ev;
	e->cpu = cpu;
	e->core = core;
	r = PyObject_CallOneArg(handler, (PyObject *)e);
	/* After another thread's operation on it, if one is under way. */
	Py_BEGIN_ALLOW_THREADS
	pthread_mutex_lock(&e->lock);
	__atomic_store_n(&e->vcpu, NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&e->lock);
	Py_END_ALLOW_THREADS
	Py_DECREF(e);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

int py_event_ready(void)
{
	size_t i;

	for (i = 0; i < OP_COUNT; i++)
		event_methods[i] = (PyMethodDef){ op_defs[i].name,
			op_methods[i], METH_VARARGS, op_defs[i].doc };
	py_guest_error = PyErr_NewExceptionWithDoc("hypermem.GuestError",
		"An operation the guest could not do: errno, strerror, the "
		"operation (op) and the guest address (addr).",
		PyExc_OSError, NULL);
	if (!py_guest_error)
		return -1;
	return PyType_Ready(&py_event_type);
}
