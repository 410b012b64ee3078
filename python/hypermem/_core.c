// SPDX-License-Identifier: MIT
/*
 * hypermem._core: libhypermem and the VMM core for Python. A Machine boots
 * guest-tiny or a Linux kernel and calls one Python function per guest
 * event with an Event, whose methods are the operations on the process
 * that raised it. A failed operation raises GuestError (an OSError: errno,
 * strerror) naming the operation and the guest address; an Event used
 * after its handler returned raises RuntimeError. Whatever the guest does,
 * the interpreter only ever sees these exceptions.
 *
 * The VM runs with the GIL released; each event and each console write
 * takes it on its vCPU thread. A handler's exception stops the guest and
 * is raised again by Machine.run().
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/vmm.h>

#include "ops.h"
#include "output.h"
#include "run.h"
#include "syscalls.h"


static PyObject *guest_error;

/* ---- Event ---- */

typedef struct {
	PyObject_HEAD
	struct hm_vcpu *vcpu;	/* NULL once its handler returned */
	struct hm_event ev;
	unsigned int cpu;
} EventObject;

/* The vCPU, or NULL with RuntimeError set. */
static struct hm_vcpu *live(EventObject *self)
{
	if (!self->vcpu)
		PyErr_SetString(PyExc_RuntimeError,
				"operation outside its event's handler");
	return self->vcpu;
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

/* GuestError(errno, strerror) with op, addr (None where not one), where. */
static PyObject *raise_guest(const struct op_def *op,
			     const struct op_value *args,
			     const struct op_result *r, int err)
{
	PyObject *e = PyObject_CallFunction(guest_error, "is", -err,
					    op_strerror(op, err));
	char where[256];

	if (!e)
		return NULL;
	op_where_text(op, args, r, where, sizeof(where));
	if (set_attr(e, "op", PyUnicode_FromString(op->name)) ||
	    set_attr(e, "where", PyUnicode_DecodeUTF8(where,
		     (Py_ssize_t)strlen(where), "surrogateescape")) ||
	    set_attr(e, "addr", op->where <= OP_AT_PATH ?
		     PyLong_FromUnsignedLongLong(r->at) : Py_NewRef(Py_None))) {
		Py_DECREF(e);
		return NULL;
	}
	PyErr_SetObject(guest_error, e);
	Py_DECREF(e);
	return NULL;
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
	struct op_result r;
	unsigned int i;
	int err;

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
	Py_BEGIN_ALLOW_THREADS
	err = op_run(op, self->vcpu, v, &r);
	Py_END_ALLOW_THREADS
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

static PyObject *event_get(EventObject *self, void *what)
{
	const struct hm_event *ev = &self->ev;
	PyObject *t;
	int i;

	switch ((int)(intptr_t)what) {
	case 0:
		return PyUnicode_FromString(
			ev->kind == HM_EVENT_SYSCALL_ENTER ? "enter" :
			ev->kind == HM_EVENT_SYSCALL_EXIT ? "return" :
			ev->kind == HM_EVENT_PROCESS ? "process" : "user");
	case 1:
		return PyLong_FromUnsignedLongLong(ev->nr);
	case 2:
		t = PyTuple_New(6);
		for (i = 0; t && i < 6; i++)
			PyTuple_SET_ITEM(t, i,
				PyLong_FromUnsignedLongLong(ev->args[i]));
		return t;
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
	default:
		return PyLong_FromUnsignedLong(self->cpu);
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
	{ NULL, NULL, NULL, NULL, NULL },
};

/* The operations, filled from bindings/ops.c before the type is ready. */
static PyMethodDef event_methods[OP_COUNT + 1];

static PyTypeObject event_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "hypermem.Event",
	.tp_basicsize = sizeof(EventObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A guest event; its methods act on the process that "
		  "raised it, inside its handler only.",
	.tp_methods = event_methods,
	.tp_getset = event_getset,
};

/* ---- Machine ---- */

typedef struct {
	PyObject_HEAD
	struct vmm *vm;
	PyObject *handler;	/* called with each Event */
	PyObject *console;	/* called with each console str, or NULL */
	/* The first handler exception, if any (Python 3.11's triple). */
	PyObject *err_type, *err_value, *err_tb;
} MachineObject;

/* Keep the exception the handler raised, stop the guest. */
static void keep_error(MachineObject *m)
{
	if (m->err_type) {
		PyErr_Clear();
		return;
	}
	PyErr_Fetch(&m->err_type, &m->err_value, &m->err_tb);
	PyErr_NormalizeException(&m->err_type, &m->err_value, &m->err_tb);
	if (m->vm)
		vmm_stop(m->vm);
}

/*
 * handler(Event) on its vCPU's thread, with the GIL; 0 or -1 (raised).
 * @cpu: the guest's CPU (a mailbox's slot under QEMU).
 */
static int call_handler(PyObject *handler, struct hm_vcpu *vcpu, int cpu,
			const struct hm_event *ev)
{
	EventObject *e = PyObject_New(EventObject, &event_type);
	PyObject *r;

	if (!e)
		return -1;
	e->vcpu = vcpu;
	e->ev = *ev;
	e->cpu = cpu;
	r = PyObject_CallOneArg(handler, (PyObject *)e);
	e->vcpu = NULL;
	Py_DECREF(e);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	MachineObject *m = opaque;
	PyGILState_STATE g = PyGILState_Ensure();
	int ret = 0;

	if (!m->err_type && m->handler && call_handler(m->handler, vcpu, vmm_cpu_index(vcpu), ev)) {
		keep_error(m);
		ret = -ECANCELED;
	}
	PyGILState_Release(g);
	return ret;
}

static void on_console(int cpu, const char *buf, size_t len, void *opaque)
{
	MachineObject *m = opaque;
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *r;

	r = PyObject_CallFunction(m->console, "is#", cpu, buf,
				  (Py_ssize_t)len);
	if (r)
		Py_DECREF(r);
	else
		keep_error(m);
	PyGILState_Release(g);
}

static void machine_dealloc(MachineObject *m)
{
	if (m->vm)
		vmm_free(m->vm);
	Py_XDECREF(m->handler);
	Py_XDECREF(m->console);
	Py_XDECREF(m->err_type);
	Py_XDECREF(m->err_value);
	Py_XDECREF(m->err_tb);
	Py_TYPE(m)->tp_free((PyObject *)m);
}

/*
 * Machine(kernel, *, linux=False, initrd=None, cmdline=None, cpus=1,
 *         mem_mb=0, timeout=0.0, handler=None, console=None)
 * kernel: guest-tiny's ELF, or with linux=True a vmlinux or bzImage.
 */
static int machine_init(MachineObject *m, PyObject *args, PyObject *kw)
{
	static char *names[] = { "kernel", "linux", "initrd", "cmdline",
				 "cpus", "mem_mb", "timeout", "handler",
				 "console", NULL };
	const char *kernel, *initrd = NULL, *cmdline = NULL;
	int linux_board = 0;
	unsigned int cpus = 1;
	unsigned long long mem_mb = 0;
	double timeout = 0;
	PyObject *handler = NULL, *console = NULL;
	struct vmm_config c;
	int err;

	if (m->vm) {
		PyErr_SetString(PyExc_RuntimeError, "Machine made already");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kw, "s|$pzzIKdOO", names,
					 &kernel, &linux_board, &initrd,
					 &cmdline, &cpus, &mem_mb, &timeout,
					 &handler, &console))
		return -1;
	if (timeout < 0 || timeout > 86400 || mem_mb > (1ull << 20)) {
		PyErr_SetString(PyExc_ValueError,
				"timeout: 0 to 86400 s; mem_mb: up to 1 TiB");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.board = linux_board ? VMM_BOARD_LINUX : VMM_BOARD_TINY;
	c.kernel = kernel;
	c.initrd = initrd;
	c.cmdline = cmdline;
	c.nr_cpus = cpus;
	c.mem_size = mem_mb << 20;
	c.timeout_ms = (unsigned int)(timeout * 1000);
	c.event_fn = on_event;
	c.event_opaque = m;
	if (console && console != Py_None) {
		c.console_fn = on_console;
		c.console_opaque = m;
		Py_INCREF(console);
		m->console = console;
	}
	if (handler && handler != Py_None) {
		Py_INCREF(handler);
		m->handler = handler;
	}
	/* KVM first, so that its error is not blamed on the image. */
	err = vmm_check_kvm();
	if (err) {
		errno = -err;
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, "/dev/kvm");
		return -1;
	}
	err = vmm_new(&c, &m->vm);
	if (err) {
		errno = -err;
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, kernel);
		return -1;
	}
	return 0;
}

/* (field, lo, hi) with integers, or (HM_FIELD_COMM, name). */
static int cond_from(PyObject *item, struct hm_sub_cond *c)
{
	unsigned int field;
	PyObject *lo, *hi = NULL;
	char name[HM_COMM_LEN] = { 0 };
	const char *s;
	Py_ssize_t len;

	if (!PyArg_ParseTuple(item, "IO|O:condition", &field, &lo, &hi))
		return -1;
	c->field = (uint8_t)field;
	if (field == HM_FIELD_COMM) {
		s = PyUnicode_AsUTF8AndSize(lo, &len);
		if (!s)
			return -1;
		if (len >= (Py_ssize_t)HM_COMM_LEN) {
			PyErr_SetString(PyExc_ValueError,
					"comm: at most 15 bytes");
			return -1;
		}
		memcpy(name, s, (size_t)len);
		memcpy(&c->lo, name, 8);
		memcpy(&c->hi, name + 8, 8);
		return 0;
	}
	if (!hi)
		hi = lo;
	c->lo = (uint64_t)PyLong_AsLongLong(lo);
	c->hi = (uint64_t)PyLong_AsLongLong(hi);
	if (PyErr_Occurred())
		return -1;
	if ((int64_t)c->lo < 0 || (int64_t)c->hi < 0)
		c->flags = HM_COND_SIGNED;
	return 0;
}

/* (kind, nr or None[, [condition, ...]]) */
static int rule_from(PyObject *item, struct hm_sub_rule *r)
{
	unsigned int kind;
	PyObject *nr, *conds = NULL, *seq;
	Py_ssize_t i, n;

	memset(r, 0, sizeof(*r));
	if (!PyArg_ParseTuple(item, "IO|O:rule", &kind, &nr, &conds))
		return -1;
	r->kind = kind;
	if (nr == Py_None) {
		r->flags = HM_RULE_ANY_NR;
	} else {
		r->nr = PyLong_AsUnsignedLongLong(nr);
		if (PyErr_Occurred())
			return -1;
	}
	if (!conds || conds == Py_None)
		return 0;
	seq = PySequence_Fast(conds, "rule: a list of conditions");
	if (!seq)
		return -1;
	n = PySequence_Fast_GET_SIZE(seq);
	if (n > (Py_ssize_t)HM_SUB_MAX_CONDS) {
		Py_DECREF(seq);
		PyErr_Format(PyExc_ValueError, "rule: at most %u conditions",
			     HM_SUB_MAX_CONDS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (cond_from(PySequence_Fast_GET_ITEM(seq, i),
			      &r->conds[i])) {
			Py_DECREF(seq);
			return -1;
		}
	}
	r->nr_conds = (uint8_t)n;
	Py_DECREF(seq);
	return 0;
}

/*
 * subscribe([(kind, nr or None[, conditions]), ...]): the events the guest
 * raises (kind: 1 entry, 2 return, 3 user; None: every number; conditions
 * as in protocol.h: (field, lo[, hi]) or (HM_FIELD_COMM = 8, name)), or
 * subscribe(None): everything the guest chooses.
 */
/* The rules of a list of (kind, nr or None[, conditions]); calloc'd. */
static struct hm_sub_rule *rules_from(PyObject *arg, size_t *n)
{
	struct hm_sub_rule *rules;
	PyObject *seq;
	Py_ssize_t i, len;

	seq = PySequence_Fast(arg, "subscribe: a list of (kind, nr)");
	if (!seq)
		return NULL;
	len = PySequence_Fast_GET_SIZE(seq);
	rules = calloc((size_t)len + 1, sizeof(*rules));
	if (!rules) {
		Py_DECREF(seq);
		PyErr_NoMemory();
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if (rule_from(PySequence_Fast_GET_ITEM(seq, i), &rules[i])) {
			free(rules);
			Py_DECREF(seq);
			return NULL;
		}
	}
	Py_DECREF(seq);
	*n = (size_t)len;
	return rules;
}

static PyObject *machine_subscribe(MachineObject *m, PyObject *arg)
{
	struct hm_sub_rule *rules;
	size_t n;
	int err;

	if (!m->vm)
		return PyErr_Format(PyExc_RuntimeError, "no machine");
	if (arg == Py_None) {
		hm_vm_unsubscribe(vmm_get_hm(m->vm));
		Py_RETURN_NONE;
	}
	rules = rules_from(arg, &n);
	if (!rules)
		return NULL;
	err = hm_vm_subscribe(vmm_get_hm(m->vm), rules, n, 0);
	free(rules);
	if (err)
		return PyErr_Format(PyExc_ValueError, "subscribe: %s",
				    strerror(-err));
	Py_RETURN_NONE;
}

/* run() -> dict: how the run ended; a handler's exception is raised. */
static PyObject *machine_run(MachineObject *m, PyObject *noargs)
{
	struct vmm_result *res;
	PyObject *d;
	int err;

	(void)noargs;
	if (!m->vm)
		return PyErr_Format(PyExc_RuntimeError, "no machine");
	res = calloc(1, sizeof(*res));
	if (!res)
		return PyErr_NoMemory();
	Py_BEGIN_ALLOW_THREADS
	err = vmm_run(m->vm, res);
	Py_END_ALLOW_THREADS
	if (m->err_type) {
		PyErr_Restore(m->err_type, m->err_value, m->err_tb);
		m->err_type = m->err_value = m->err_tb = NULL;
		free(res);
		return NULL;
	}
	if (err) {
		free(res);
		errno = -err;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	d = Py_BuildValue("{s:s,s:i,s:i,s:i,s:s}",
			  "reason", vmm_stop_reason_name(res->reason),
			  "all_done", res->tiny.all_done,
			  "failed", res->tiny.failed,
			  "panicked", res->tiny.panicked,
			  "diagnosis", res->diagnosis);
	free(res);
	return d;
}

static PyObject *machine_stop(MachineObject *m, PyObject *noargs)
{
	(void)noargs;
	if (m->vm)
		vmm_stop(m->vm);
	Py_RETURN_NONE;
}

static PyMethodDef machine_methods[] = {
	{ "subscribe", (PyCFunction)machine_subscribe, METH_O, NULL },
	{ "run", (PyCFunction)machine_run, METH_NOARGS, NULL },
	{ "stop", (PyCFunction)machine_stop, METH_NOARGS, NULL },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject machine_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "hypermem.Machine",
	.tp_basicsize = sizeof(MachineObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A guest under KVM: guest-tiny or Linux.",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)machine_init,
	.tp_dealloc = (destructor)machine_dealloc,
	.tp_methods = machine_methods,
};

/* ---- python3 -m hypermem: the command line's run (bindings/run.h) ---- */

struct py_run {
	PyObject *handler;
	struct hm_sub_rule *rules;
	size_t nr_rules;
	int failed;
};

/* The exception raised, with its traceback, as one of the run's errors. */
static void report_exception(const char *what)
{
	PyObject *type, *value, *tb, *mod, *lines = NULL, *text = NULL;
	const char *msg = NULL;
	size_t len;

	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	mod = PyImport_ImportModule("traceback");
	if (mod)
		lines = PyObject_CallMethod(mod, "format_exception", "OOO",
					    type, value, tb ? tb : Py_None);
	if (lines) {
		PyObject *empty = PyUnicode_FromString("");

		text = empty ? PyUnicode_Join(empty, lines) : NULL;
		Py_XDECREF(empty);
	}
	if (text)
		msg = PyUnicode_AsUTF8(text);
	len = msg ? strlen(msg) : 0;
	while (len && msg[len - 1] == '\n')
		len--;
	output_error("%s: %.*s", what, (int)len,
		     msg ? msg : "(its traceback could not be formatted)");
	PyErr_Clear();
	Py_XDECREF(text);
	Py_XDECREF(lines);
	Py_XDECREF(mod);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

static void run_started(void *opaque, struct vmm *vm)
{
	struct py_run *r = opaque;
	int err;

	(void)vm;
	err = hm_vm_subscribe(run_hm_vm(), r->rules, r->nr_rules, 0);
	if (err)
		output_error("subscribing to the plugin's events: %s",
			     strerror(-err));
}

static int run_event(void *opaque, struct hm_vcpu *vcpu, int cpu,
		     const struct hm_event *ev)
{
	struct py_run *r = opaque;
	PyGILState_STATE g = PyGILState_Ensure();
	int ret = 0;

	if (r->failed || run_is_stopping())
		goto out;
	output_event(cpu, ev);
	if (call_handler(r->handler, vcpu, cpu, ev)) {
		report_exception("plugin error in a handler");
		output_error("stopping the guest");
		r->failed = 1;
		run_stop();
		ret = -ECANCELED;
	}
out:
	PyGILState_Release(g);
	return ret;
}

static void run_ended(void *opaque)
{
	(void)opaque;
}

static enum run_outcome run_outcome(void *opaque)
{
	struct py_run *r = opaque;

	return r->failed ? RUN_CLIENT_FAILED : RUN_CLIENT_OK;
}

/* Each item of {name: value} through run_set_option(); 0 or exit code. */
static int set_options(struct options *o, PyObject *dict)
{
	PyObject *k, *v;
	Py_ssize_t pos = 0;
	const char *name, *value;
	int err;

	while (PyDict_Next(dict, &pos, &k, &v)) {
		if (v == Py_None)
			continue;
		name = PyUnicode_AsUTF8(k);
		value = name ? PyUnicode_AsUTF8(v) : NULL;
		if (!value)
			return -1;
		err = run_set_option(o, name, value);
		if (err)
			return err;
	}
	return 0;
}

/*
 * run(handler, rules, options) -> exit code: the guest the options name
 * ({"guest": path, "cpus": "2", ...}: hypermem-run's, as text), handler
 * called with each Event, rules as Machine.subscribe's; the output as
 * start_output() set it. Usage and KVM errors are said and give their
 * exit codes; a handler's exception is said with its traceback and stops
 * the guest (exit code 1).
 */
static PyObject *core_run(PyObject *mod, PyObject *args)
{
	struct options o = {
		.cpus = 1, .timeout_s = 60, .json = output_json(),
		.verbosity = output_verbosity(),
	};
	struct py_run r = { 0 };
	const struct run_client client = {
		run_started, run_event, run_ended, run_outcome, &r,
	};
	PyObject *rules, *options;
	int code;

	(void)mod;
	if (!PyArg_ParseTuple(args, "OOO!:run", &r.handler, &rules,
			      &PyDict_Type, &options))
		return NULL;
	code = set_options(&o, options);
	if (code < 0)
		return NULL;
	if (!code)
		code = run_check_options(&o);
	/* QEMU's accelerator is its own choice (--accel). */
	if (!code && !run_uses_qemu(&o))
		code = run_check_kvm();
	if (code)
		return PyLong_FromLong(code);
	r.rules = rules_from(rules, &r.nr_rules);
	if (!r.rules)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	code = run_guest(&o, &client);
	Py_END_ALLOW_THREADS
	free(r.rules);
	return PyLong_FromLong(code);
}

/* start_output(json, verbosity): -1 quiet, 0 normal, 1 verbose. */
static PyObject *core_start_output(PyObject *mod, PyObject *args)
{
	int json, verbosity;

	(void)mod;
	if (!PyArg_ParseTuple(args, "pi:start_output", &json, &verbosity))
		return NULL;
	output_set_program("python3 -m hypermem");
	output_init(json, verbosity < 0 ? VERBOSITY_QUIET :
		    verbosity > 0 ? VERBOSITY_VERBOSE : VERBOSITY_NORMAL);
	Py_RETURN_NONE;
}

/* print_line(cpu, text): a line the plugin printed; cpu -1 outside. */
static PyObject *core_print_line(PyObject *mod, PyObject *args)
{
	const char *text;
	Py_ssize_t len;
	int cpu;

	(void)mod;
	if (!PyArg_ParseTuple(args, "is#:print_line", &cpu, &text, &len))
		return NULL;
	output_print(cpu, text, (size_t)len);
	Py_RETURN_NONE;
}

/* error(text): an error for people, with --json also on stdout. */
static PyObject *core_error(PyObject *mod, PyObject *arg)
{
	const char *text = PyUnicode_AsUTF8(arg);

	(void)mod;
	if (!text)
		return NULL;
	output_error("%s", text);
	Py_RETURN_NONE;
}

/* result(code, status): the closing summary of a run that did not run. */
static PyObject *core_result(PyObject *mod, PyObject *args)
{
	const char *status;
	int code;

	(void)mod;
	if (!PyArg_ParseTuple(args, "is:result", &code, &status))
		return NULL;
	output_result(code, status, NULL);
	Py_RETURN_NONE;
}

/* syscall_nr(name) -> int, or None; hypermem-run's table. */
static PyObject *core_syscall_nr(PyObject *mod, PyObject *arg)
{
	const char *name = PyUnicode_AsUTF8(arg);
	const struct syscall_desc *d;

	(void)mod;
	if (!name)
		return NULL;
	d = syscall_by_name(name);
	if (!d)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLongLong(d->nr);
}

/* syscall_name(nr) -> str, or None. */
static PyObject *core_syscall_name(PyObject *mod, PyObject *arg)
{
	unsigned long long nr = PyLong_AsUnsignedLongLong(arg);
	const struct syscall_desc *d;

	(void)mod;
	if (PyErr_Occurred())
		return NULL;
	d = syscall_by_nr(nr);
	if (!d)
		Py_RETURN_NONE;
	return PyUnicode_FromString(d->name);
}

static PyObject *arg_names(const struct syscall_desc *d)
{
	PyObject *t;
	int i, n = 0;

	while (d && n < 6 && d->args[n])
		n++;
	t = PyTuple_New(n);
	for (i = 0; t && i < n; i++)
		PyTuple_SET_ITEM(t, i, PyUnicode_FromString(d->args[i]));
	return t;
}

/* process_event(nr) -> ("exec", ("tid", "tgid", "old_tid")), or None. */
static PyObject *core_process_event(PyObject *mod, PyObject *arg)
{
	unsigned long long nr = PyLong_AsUnsignedLongLong(arg);
	const struct syscall_desc *d;

	(void)mod;
	if (PyErr_Occurred())
		return NULL;
	d = process_event_by_nr(nr);
	if (!d)
		Py_RETURN_NONE;
	return Py_BuildValue("(sN)", d->name, arg_names(d));
}

/* process_event_nr("exec") -> 1, or None. */
static PyObject *core_process_event_nr(PyObject *mod, PyObject *arg)
{
	const char *name = PyUnicode_AsUTF8(arg);
	const struct syscall_desc *d;

	(void)mod;
	if (!name)
		return NULL;
	d = process_event_by_name(name);
	if (!d)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLongLong(d->nr);
}

/* syscall_args(nr) -> tuple of its argument names (empty: unknown). */
static PyObject *core_syscall_args(PyObject *mod, PyObject *arg)
{
	unsigned long long nr = PyLong_AsUnsignedLongLong(arg);

	(void)mod;
	if (PyErr_Occurred())
		return NULL;
	return arg_names(syscall_by_nr(nr));
}

static PyMethodDef core_methods[] = {
	{ "run", core_run, METH_VARARGS, NULL },
	{ "start_output", core_start_output, METH_VARARGS, NULL },
	{ "print_line", core_print_line, METH_VARARGS, NULL },
	{ "error", core_error, METH_O, NULL },
	{ "result", core_result, METH_VARARGS, NULL },
	{ "syscall_nr", core_syscall_nr, METH_O, NULL },
	{ "syscall_name", core_syscall_name, METH_O, NULL },
	{ "syscall_args", core_syscall_args, METH_O, NULL },
	{ "process_event", core_process_event, METH_O, NULL },
	{ "process_event_nr", core_process_event_nr, METH_O, NULL },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef core_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "hypermem._core",
	.m_doc = "libhypermem and the VMM core (see the hypermem package).",
	.m_size = -1,
	.m_methods = core_methods,
};

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC PyInit__core(void)
{
	PyObject *mod, *names;
	size_t i;
	int err;

	for (i = 0; i < OP_COUNT; i++)
		event_methods[i] = (PyMethodDef){ op_defs[i].name,
			op_methods[i], METH_VARARGS, op_defs[i].doc };
	if (PyType_Ready(&event_type) || PyType_Ready(&machine_type))
		return NULL;
	mod = PyModule_Create(&core_module);
	if (!mod)
		return NULL;
	guest_error = PyErr_NewExceptionWithDoc("hypermem.GuestError",
		"An operation the guest could not do: errno, strerror, the "
		"operation (op) and the guest address (addr).",
		PyExc_OSError, NULL);
	if (!guest_error ||
	    PyModule_AddObjectRef(mod, "GuestError", guest_error) ||
	    PyModule_AddObjectRef(mod, "Event", (PyObject *)&event_type) ||
	    PyModule_AddObjectRef(mod, "Machine", (PyObject *)&machine_type) ||
	    PyModule_AddStringConstant(mod, "VERSION", HM_PACKAGE_VERSION) ||
	    PyModule_AddStringConstant(mod, "BUILD_GUEST", HM_BUILD_GUEST) ||
	    PyModule_AddStringConstant(mod, "INSTALLED_GUEST",
				       HM_INSTALLED_GUEST)) {
		Py_DECREF(mod);
		return NULL;
	}
	names = PyTuple_New(OP_COUNT);
	for (i = 0; names && i < OP_COUNT; i++) {
		PyObject *name = PyUnicode_FromString(op_defs[i].name);

		if (!name)
			Py_CLEAR(names);
		else
			PyTuple_SET_ITEM(names, (Py_ssize_t)i, name);
	}
	err = !names || PyModule_AddObjectRef(mod, "OPERATIONS", names);
	Py_XDECREF(names);
	if (err) {
		Py_DECREF(mod);
		return NULL;
	}
	return mod;
}
