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

#include "syscalls.h"

#define READ_MAX (16u << 20)	/* one read_bytes or read_str */
#define STR_DEFAULT 4096u

static PyObject *guest_error;

/* ---- Event ---- */

typedef struct {
	PyObject_HEAD
	struct hm_vcpu *vcpu;	/* NULL once its handler returned */
	struct hm_event ev;
	unsigned int cpu;
} EventObject;

static PyObject *raise_guest(const char *op, uint64_t addr, int err)
{
	PyObject *e = PyObject_CallFunction(guest_error, "is", -err,
					    strerror(-err));
	PyObject *a;

	if (!e)
		return NULL;
	a = PyLong_FromUnsignedLongLong(addr);
	if (a) {
		PyObject_SetAttrString(e, "addr", a);
		Py_DECREF(a);
	}
	a = PyUnicode_FromString(op);
	if (a) {
		PyObject_SetAttrString(e, "op", a);
		Py_DECREF(a);
	}
	PyErr_SetObject(guest_error, e);
	Py_DECREF(e);
	return NULL;
}

/* The vCPU, or NULL with RuntimeError set. */
static struct hm_vcpu *live(EventObject *self)
{
	if (!self->vcpu)
		PyErr_SetString(PyExc_RuntimeError,
				"operation outside its event's handler");
	return self->vcpu;
}

static PyObject *event_read_bytes(EventObject *self, PyObject *args)
{
	unsigned long long addr;
	Py_ssize_t n;
	PyObject *out;
	ssize_t got;

	if (!PyArg_ParseTuple(args, "Kn:read_bytes", &addr, &n) || !live(self))
		return NULL;
	if (n < 0 || (size_t)n > READ_MAX)
		return PyErr_Format(PyExc_ValueError,
				    "read_bytes: 0 to %u bytes", READ_MAX);
	out = PyBytes_FromStringAndSize(NULL, n);
	if (!out)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	got = hm_vcpu_read(self->vcpu, addr, PyBytes_AS_STRING(out),
			   (size_t)n);
	Py_END_ALLOW_THREADS
	/* Fewer bytes where memory ends: the bytes there are, never zeros. */
	if (got < 0) {
		Py_DECREF(out);
		return raise_guest("read_bytes", addr, (int)got);
	}
	if (got < n && _PyBytes_Resize(&out, got))
		return NULL;
	return out;
}

static PyObject *event_read_str(EventObject *self, PyObject *args)
{
	unsigned long long addr;
	Py_ssize_t cap = STR_DEFAULT;
	PyObject *out;
	ssize_t got;
	char *buf;

	if (!PyArg_ParseTuple(args, "K|n:read_str", &addr, &cap) ||
	    !live(self))
		return NULL;
	if (cap < 1 || (size_t)cap > READ_MAX)
		return PyErr_Format(PyExc_ValueError,
				    "read_str: a cap of 1 to %u bytes",
				    READ_MAX);
	buf = malloc((size_t)cap);
	if (!buf)
		return PyErr_NoMemory();
	Py_BEGIN_ALLOW_THREADS
	got = hm_vcpu_read_str(self->vcpu, addr, buf, (size_t)cap);
	Py_END_ALLOW_THREADS
	if (got < 0) {
		free(buf);
		return raise_guest("read_str", addr, (int)got);
	}
	/* Guest bytes are not always UTF-8: undecodable ones survive. */
	out = PyUnicode_DecodeUTF8(buf, got, "surrogateescape");
	free(buf);
	return out;
}

static PyObject *read_number(EventObject *self, PyObject *args,
			     const char *fmt, const char *op, int width)
{
	unsigned long long addr;
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	int err;

	if (!PyArg_ParseTuple(args, fmt, &addr) || !live(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	if (width == 4)
		err = hm_vcpu_read_u32(self->vcpu, addr, &v32);
	else if (width == 8)
		err = hm_vcpu_read_u64(self->vcpu, addr, &v64);
	else
		err = hm_vcpu_read_ptr(self->vcpu, addr, &v64);
	Py_END_ALLOW_THREADS
	if (err)
		return raise_guest(op, addr, err);
	return PyLong_FromUnsignedLongLong(width == 4 ? v32 : v64);
}

static PyObject *event_read_int(EventObject *self, PyObject *args)
{
	return read_number(self, args, "K:read_int", "read_int", 4);
}

static PyObject *event_read_long(EventObject *self, PyObject *args)
{
	return read_number(self, args, "K:read_long", "read_long", 8);
}

static PyObject *event_read_ptr(EventObject *self, PyObject *args)
{
	return read_number(self, args, "K:read_ptr", "read_ptr", 0);
}

static PyObject *event_write_bytes(EventObject *self, PyObject *args)
{
	unsigned long long addr;
	Py_buffer b;
	ssize_t got;

	if (!PyArg_ParseTuple(args, "Ky*:write_bytes", &addr, &b))
		return NULL;
	if (!live(self)) {
		PyBuffer_Release(&b);
		return NULL;
	}
	Py_BEGIN_ALLOW_THREADS
	got = hm_vcpu_write(self->vcpu, addr, b.buf, (size_t)b.len);
	Py_END_ALLOW_THREADS
	PyBuffer_Release(&b);
	if (got < 0)
		return raise_guest("write_bytes", addr, (int)got);
	return PyLong_FromSsize_t(got);
}

static PyObject *event_write_str(EventObject *self, PyObject *args)
{
	unsigned long long addr;
	const char *s;
	int err;

	if (!PyArg_ParseTuple(args, "Ks:write_str", &addr, &s) || !live(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = hm_vcpu_write_str(self->vcpu, addr, s);
	Py_END_ALLOW_THREADS
	if (err)
		return raise_guest("write_str", addr, err);
	Py_RETURN_NONE;
}

static PyObject *write_number(EventObject *self, PyObject *args,
			      const char *fmt, const char *op, int width)
{
	unsigned long long addr, v;
	int err;

	if (!PyArg_ParseTuple(args, fmt, &addr, &v) || !live(self))
		return NULL;
	if (width == 4 && v > UINT32_MAX)
		return PyErr_Format(PyExc_OverflowError,
				    "%s: the value does not fit 32 bits", op);
	Py_BEGIN_ALLOW_THREADS
	if (width == 4)
		err = hm_vcpu_write_u32(self->vcpu, addr, (uint32_t)v);
	else if (width == 8)
		err = hm_vcpu_write_u64(self->vcpu, addr, v);
	else
		err = hm_vcpu_write_ptr(self->vcpu, addr, v);
	Py_END_ALLOW_THREADS
	if (err)
		return raise_guest(op, addr, err);
	Py_RETURN_NONE;
}

static PyObject *event_write_int(EventObject *self, PyObject *args)
{
	return write_number(self, args, "KK:write_int", "write_int", 4);
}

static PyObject *event_write_long(EventObject *self, PyObject *args)
{
	return write_number(self, args, "KK:write_long", "write_long", 8);
}

static PyObject *event_write_ptr(EventObject *self, PyObject *args)
{
	return write_number(self, args, "KK:write_ptr", "write_ptr", 0);
}

static PyObject *event_get_proc_args(EventObject *self, PyObject *noargs)
{
	char **argv;
	size_t argc, i;
	PyObject *list;
	int err;

	(void)noargs;
	if (!live(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = hm_vcpu_get_proc_args(self->vcpu, &argv, &argc);
	Py_END_ALLOW_THREADS
	if (err)
		return raise_guest("get_proc_args", 0, err);
	list = PyList_New((Py_ssize_t)argc);
	for (i = 0; list && i < argc; i++) {
		PyObject *s = PyUnicode_DecodeUTF8(argv[i],
						   (Py_ssize_t)strlen(argv[i]),
						   "surrogateescape");

		if (!s) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, s);
	}
	free(argv);
	return list;
}

static PyObject *event_get_proc_env(EventObject *self, PyObject *noargs)
{
	struct hm_env_var *env;
	size_t n, i;
	PyObject *dict;
	int err;

	(void)noargs;
	if (!live(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = hm_vcpu_get_proc_env(self->vcpu, &env, &n);
	Py_END_ALLOW_THREADS
	if (err)
		return raise_guest("get_proc_env", 0, err);
	dict = PyDict_New();
	for (i = 0; dict && i < n; i++) {
		PyObject *k = PyUnicode_DecodeUTF8(env[i].name,
				(Py_ssize_t)strlen(env[i].name),
				"surrogateescape");
		PyObject *v = PyUnicode_DecodeUTF8(env[i].value,
				(Py_ssize_t)strlen(env[i].value),
				"surrogateescape");

		if (!k || !v || PyDict_SetItem(dict, k, v))
			Py_CLEAR(dict);
		Py_XDECREF(k);
		Py_XDECREF(v);
	}
	free(env);
	return dict;
}

static PyObject *event_get_proc_pid(EventObject *self, PyObject *noargs)
{
	uint64_t pid;
	int err;

	(void)noargs;
	if (!live(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = hm_vcpu_get_proc_pid(self->vcpu, &pid);
	Py_END_ALLOW_THREADS
	if (err)
		return raise_guest("get_proc_pid", 0, err);
	return PyLong_FromUnsignedLongLong(pid);
}

static PyObject *event_read_fd_name(EventObject *self, PyObject *args)
{
	long long fd;
	char name[HM_NAME_MAX];
	ssize_t got;

	if (!PyArg_ParseTuple(args, "L:read_fd_name", &fd) || !live(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	got = hm_vcpu_read_fd_name(self->vcpu, fd, name, sizeof(name));
	Py_END_ALLOW_THREADS
	if (got < 0)
		return raise_guest("read_fd_name", (uint64_t)fd, (int)got);
	return PyUnicode_DecodeUTF8(name, got, "surrogateescape");
}

static PyObject *event_read_file(EventObject *self, PyObject *args)
{
	const char *path;
	unsigned long long offset = 0;
	Py_ssize_t n = 1 << 20;
	PyObject *out;
	ssize_t got;

	if (!PyArg_ParseTuple(args, "s|Kn:read_file", &path, &offset, &n) ||
	    !live(self))
		return NULL;
	if (n < 0 || (size_t)n > READ_MAX)
		return PyErr_Format(PyExc_ValueError,
				    "read_file: 0 to %u bytes", READ_MAX);
	out = PyBytes_FromStringAndSize(NULL, n);
	if (!out)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	got = hm_vcpu_read_file(self->vcpu, path, offset,
				PyBytes_AS_STRING(out), (size_t)n);
	Py_END_ALLOW_THREADS
	if (got < 0) {
		Py_DECREF(out);
		return raise_guest("read_file", offset, (int)got);
	}
	if (got < n && _PyBytes_Resize(&out, got))
		return NULL;
	return out;
}

/* An AF_INET or AF_INET6 address as (text, port); else the raw bytes. */
static int put_sockaddr(PyObject *d, const char *name, const uint8_t *sa,
			uint32_t len)
{
	char key[32], text[64];
	PyObject *v;
	int port = -1, err;

	if (len > HM_SOCKADDR_MAX)
		len = HM_SOCKADDR_MAX;
	if (len >= 8 && sa[0] == 2 && sa[1] == 0) {
		snprintf(text, sizeof(text), "%u.%u.%u.%u", sa[4], sa[5],
			 sa[6], sa[7]);
		port = sa[2] << 8 | sa[3];
		v = PyUnicode_FromString(text);
	} else {
		v = PyBytes_FromStringAndSize((const char *)sa, len);
	}
	if (!v)
		return -1;
	snprintf(key, sizeof(key), "%s_addr", name);
	err = PyDict_SetItemString(d, key, v);
	Py_DECREF(v);
	if (err || port < 0)
		return err;
	v = PyLong_FromLong(port);
	snprintf(key, sizeof(key), "%s_port", name);
	err = !v || PyDict_SetItemString(d, key, v);
	Py_XDECREF(v);
	return err ? -1 : 0;
}

static PyObject *event_read_socket_info(EventObject *self, PyObject *args)
{
	struct hm_socket_info si;
	long long fd;
	PyObject *d;
	int err;

	if (!PyArg_ParseTuple(args, "L:read_socket_info", &fd) || !live(self))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = hm_vcpu_read_socket_info(self->vcpu, fd, &si);
	Py_END_ALLOW_THREADS
	if (err)
		return raise_guest("read_socket_info", (uint64_t)fd, err);
	d = Py_BuildValue("{s:I,s:I,s:I,s:I}", "family", si.family, "type",
			  si.type, "protocol", si.protocol, "state", si.state);
	if (d && (put_sockaddr(d, "local", si.local, si.local_len) ||
		  put_sockaddr(d, "remote", si.remote, si.remote_len)))
		Py_CLEAR(d);
	return d;
}

static PyObject *control(int err, const char *op)
{
	if (!err)
		Py_RETURN_NONE;
	if (err == -EINVAL)
		return PyErr_Format(PyExc_ValueError,
				    "%s: not in this kind of event", op);
	return raise_guest(op, 0, err);
}

static PyObject *event_set_arg(EventObject *self, PyObject *args)
{
	unsigned int i;
	unsigned long long v;
	PyObject *r;

	if (!PyArg_ParseTuple(args, "IK:set_arg", &i, &v) || !live(self))
		return NULL;
	if (i > 5)
		return PyErr_Format(PyExc_IndexError, "set_arg: 0 to 5");
	r = control(hm_vcpu_set_arg(self->vcpu, i, v), "set_arg");
	if (r)
		self->ev.args[i] = v;
	return r;
}

static PyObject *event_skip(EventObject *self, PyObject *args)
{
	long long ret = 0;

	if (!PyArg_ParseTuple(args, "|L:skip", &ret) || !live(self))
		return NULL;
	return control(hm_vcpu_skip_syscall(self->vcpu, (uint64_t)ret),
		       "skip");
}

static PyObject *event_set_return(EventObject *self, PyObject *args)
{
	long long ret;

	if (!PyArg_ParseTuple(args, "L:set_return", &ret) || !live(self))
		return NULL;
	return control(hm_vcpu_set_return(self->vcpu, (uint64_t)ret),
		       "set_return");
}

static PyObject *event_get(EventObject *self, void *what)
{
	const struct hm_event *ev = &self->ev;
	PyObject *t;
	int i;

	switch ((int)(intptr_t)what) {
	case 0:
		return PyUnicode_FromString(
			ev->kind == HM_EVENT_SYSCALL_ENTER ? "enter" :
			ev->kind == HM_EVENT_SYSCALL_EXIT ? "return" : "user");
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
	{ "phase", (getter)event_get, NULL, "enter, return or user",
	  (void *)0 },
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

#define M(name, flags) { #name, (PyCFunction)event_##name, flags, NULL }
static PyMethodDef event_methods[] = {
	M(read_bytes, METH_VARARGS), M(read_str, METH_VARARGS),
	M(read_int, METH_VARARGS), M(read_long, METH_VARARGS),
	M(read_ptr, METH_VARARGS), M(write_bytes, METH_VARARGS),
	M(write_str, METH_VARARGS), M(write_int, METH_VARARGS),
	M(write_long, METH_VARARGS), M(write_ptr, METH_VARARGS),
	M(get_proc_args, METH_NOARGS), M(get_proc_env, METH_NOARGS),
	M(get_proc_pid, METH_NOARGS), M(read_fd_name, METH_VARARGS),
	M(read_file, METH_VARARGS), M(read_socket_info, METH_VARARGS),
	M(set_arg, METH_VARARGS), M(skip, METH_VARARGS),
	M(set_return, METH_VARARGS),
	{ NULL, NULL, 0, NULL },
};
#undef M

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

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	MachineObject *m = opaque;
	PyGILState_STATE g = PyGILState_Ensure();
	EventObject *e;
	PyObject *r;
	int ret = 0;

	if (m->err_type || !m->handler)
		goto out;
	e = PyObject_New(EventObject, &event_type);
	if (!e) {
		keep_error(m);
		ret = -ENOMEM;
		goto out;
	}
	e->vcpu = vcpu;
	e->ev = *ev;
	e->cpu = vmm_cpu_index(vcpu);
	r = PyObject_CallOneArg(m->handler, (PyObject *)e);
	e->vcpu = NULL;
	Py_DECREF(e);
	if (r) {
		Py_DECREF(r);
	} else {
		keep_error(m);
		ret = -ECANCELED;
	}
out:
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
static PyObject *machine_subscribe(MachineObject *m, PyObject *arg)
{
	struct hm_sub_rule *rules;
	PyObject *seq;
	Py_ssize_t n, i;
	int err;

	if (!m->vm)
		return PyErr_Format(PyExc_RuntimeError, "no machine");
	if (arg == Py_None) {
		hm_vm_unsubscribe(vmm_get_hm(m->vm));
		Py_RETURN_NONE;
	}
	seq = PySequence_Fast(arg, "subscribe: a list of (kind, nr)");
	if (!seq)
		return NULL;
	n = PySequence_Fast_GET_SIZE(seq);
	rules = calloc((size_t)n + 1, sizeof(*rules));
	if (!rules) {
		Py_DECREF(seq);
		return PyErr_NoMemory();
	}
	for (i = 0; i < n; i++) {
		if (rule_from(PySequence_Fast_GET_ITEM(seq, i), &rules[i])) {
			free(rules);
			Py_DECREF(seq);
			return NULL;
		}
	}
	Py_DECREF(seq);
	err = hm_vm_subscribe(vmm_get_hm(m->vm), rules, (size_t)n, 0);
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

/* syscall_args(nr) -> tuple of its argument names (empty: unknown). */
static PyObject *core_syscall_args(PyObject *mod, PyObject *arg)
{
	unsigned long long nr = PyLong_AsUnsignedLongLong(arg);
	const struct syscall_desc *d;
	PyObject *t;
	int i, n = 0;

	(void)mod;
	if (PyErr_Occurred())
		return NULL;
	d = syscall_by_nr(nr);
	while (d && n < 6 && d->args[n])
		n++;
	t = PyTuple_New(n);
	for (i = 0; t && i < n; i++)
		PyTuple_SET_ITEM(t, i, PyUnicode_FromString(d->args[i]));
	return t;
}

static PyMethodDef core_methods[] = {
	{ "syscall_nr", core_syscall_nr, METH_O, NULL },
	{ "syscall_name", core_syscall_name, METH_O, NULL },
	{ "syscall_args", core_syscall_args, METH_O, NULL },
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
	PyObject *mod;

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
	    PyModule_AddStringConstant(mod, "BUILD_GUEST", HM_BUILD_GUEST) ||
	    PyModule_AddStringConstant(mod, "INSTALLED_GUEST",
				       HM_INSTALLED_GUEST)) {
		Py_DECREF(mod);
		return NULL;
	}
	return mod;
}
