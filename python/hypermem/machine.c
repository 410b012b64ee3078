// SPDX-License-Identifier: MIT
/*
 * hypermem.Machine: guest-tiny or a Linux kernel on the VMM core, one
 * Python function called per guest event with an Event. The VM runs with
 * the GIL released; each event and each console write takes it on its
 * vCPU thread. A handler's exception stops the guest and is raised again
 * by Machine.run().
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/vmm.h>

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
	int ret = 0;

	if (!m->err_type && m->handler &&
	    py_call_handler(m->handler, vcpu, vmm_cpu_index(vcpu), ev, 1)) {
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

/*
 * subscribe([Rule or (kind, nr or None[, filter]), ...]): the events the
 * guest raises (rule.c), or subscribe(None): everything the guest chooses.
 */
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
	rules = py_rules_from(arg, &n);
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

PyTypeObject py_machine_type = {
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

