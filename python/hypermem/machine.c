// SPDX-License-Identifier: MIT
/*
 * hypermem.Machine: guest-tiny or a Linux kernel on the VMM core, one
 * Python function called per guest event with an Event. The VM runs with
 * the GIL released; each event and each console write takes it on its
 * vCPU thread. A handler's exception stops the guest and is raised again
 * by Machine.run(), and so is what a signal raised meanwhile (Ctrl-C's
 * KeyboardInterrupt): run() waits where signals reach it.
 */
#include "core.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

/* A handler that holds its Machine makes a cycle: the collector's. */
static int machine_traverse(MachineObject *m, visitproc visit, void *arg)
{
	Py_VISIT(m->handler);
	Py_VISIT(m->console);
	Py_VISIT(m->err_type);
	Py_VISIT(m->err_value);
	Py_VISIT(m->err_tb);
	return 0;
}

static int machine_clear(MachineObject *m)
{
	Py_CLEAR(m->handler);
	Py_CLEAR(m->console);
	Py_CLEAR(m->err_type);
	Py_CLEAR(m->err_value);
	Py_CLEAR(m->err_tb);
	return 0;
}

static void machine_dealloc(MachineObject *m)
{
	PyObject_GC_UnTrack(m);
	if (m->vm)
		vmm_free(m->vm);
	machine_clear(m);
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
	/* A second __init__ after a failed one replaces what it kept. */
	if (console && console != Py_None) {
		c.console_fn = on_console;
		c.console_opaque = m;
		Py_XSETREF(m->console, Py_NewRef(console));
	}
	if (handler && handler != Py_None)
		Py_XSETREF(m->handler, Py_NewRef(handler));
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

/* vmm_run() on a thread of its own; done_fd says it returned. */
struct run_thread {
	struct vmm *vm;
	struct vmm_result *res;
	int err;
	int done_fd;
};

static void *run_thread(void *arg)
{
	struct run_thread *t = arg;
	uint64_t one = 1;

	t->err = vmm_run(t->vm, t->res);
	/* An eventfd far from its limit: the write cannot fail. */
	if (write(t->done_fd, &one, sizeof(one)) < 0)
		abort();
	return NULL;
}

/*
 * The signals a person or a program sends a process, which must reach
 * the thread that runs Python's handlers: the run's threads (the vCPUs
 * are created by it) block them. The core's kick signal stays theirs.
 */
static void stop_signals(sigset_t *set)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				       SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD,
				       SIGWINCH };
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaddset(set, signals[i]);
}

/* How often Python's handlers run when a signal went to another thread. */
#define SIGNAL_TICK_NS 200000000L

/*
 * Wait for @t's run with the GIL released, in ppoll(), the one place
 * the stop signals reach this thread; each one runs Python's handlers.
 * The first exception they raise (Ctrl-C's KeyboardInterrupt) stops the
 * guest, comes back in @raised (type, value, traceback), and the wait
 * goes on to the run's end:
 * its threads never outlive run().
 */
static void wait_for_run(MachineObject *m, struct run_thread *t,
			 const sigset_t *unblocked, PyObject *raised[3])
{
	const struct timespec tick = { 0, SIGNAL_TICK_NS };
	struct pollfd p = { .fd = t->done_fd, .events = POLLIN };
	int n;

	for (;;) {
		Py_BEGIN_ALLOW_THREADS
		n = ppoll(&p, 1, &tick, unblocked);
		Py_END_ALLOW_THREADS
		if (n > 0)
			return;
		if (!PyErr_CheckSignals())
			continue;
		if (raised[0]) {
			PyErr_Clear();
			continue;
		}
		PyErr_Fetch(&raised[0], &raised[1], &raised[2]);
		vmm_stop(m->vm);
	}
}

/* vmm_run() where signals reach Python; its error, or a raised one. */
static int run_interruptibly(MachineObject *m, struct vmm_result *res,
			     PyObject *raised[3])
{
	struct run_thread t = { .vm = m->vm, .res = res };
	sigset_t block, old;
	pthread_t thread;
	int err;

	t.done_fd = eventfd(0, EFD_CLOEXEC);
	if (t.done_fd < 0)
		return -errno;
	stop_signals(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(&thread, NULL, run_thread, &t);
	if (!err) {
		wait_for_run(m, &t, &old, raised);
		pthread_join(thread, NULL);
		err = t.err;
	} else {
		err = -err;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(t.done_fd);
	return err;
}

/*
 * run() -> dict: how the run ended; a handler's exception is raised, and
 * before it what a signal raised while the guest ran.
 */
static PyObject *machine_run(MachineObject *m, PyObject *noargs)
{
	struct vmm_result *res;
	PyObject *d, *raised[3] = { NULL, NULL, NULL };
	int err;

	(void)noargs;
	if (!m->vm)
		return PyErr_Format(PyExc_RuntimeError, "no machine");
	res = calloc(1, sizeof(*res));
	if (!res)
		return PyErr_NoMemory();
	err = run_interruptibly(m, res, raised);
	if (raised[0]) {
		/* The handler's error came from the stop, if it failed. */
		Py_CLEAR(m->err_type);
		Py_CLEAR(m->err_value);
		Py_CLEAR(m->err_tb);
		free(res);
		PyErr_Restore(raised[0], raised[1], raised[2]);
		return NULL;
	}
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
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_traverse = (traverseproc)machine_traverse,
	.tp_clear = (inquiry)machine_clear,
	.tp_doc = "A guest under KVM: guest-tiny or Linux.",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)machine_init,
	.tp_dealloc = (destructor)machine_dealloc,
	.tp_methods = machine_methods,
};

