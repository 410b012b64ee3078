// SPDX-License-Identifier: MIT
/*
 * hypermem._core: libhypermem and the VMM core for Python. Machine boots
 * guest-tiny or a Linux kernel and calls one Python function per guest
 * event with an Event (event.c), whose methods are the operations on the
 * process that raised it; Rule says which events a handler wants (rule.c);
 * run() is python3 -m hypermem's (cli.c). Here: the module, its syscall
 * tables and the protocol's constants, so that no Python file restates
 * them. Whatever the guest does, the interpreter only ever sees
 * GuestError, RuntimeError and the exceptions of a handler.
 */
#include "core.h"
#include "ops.h"
#include "syscalls.h"

/* syscall_nr(name) -> int, or None: arch()'s number. */
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
	for (i = 0; t && i < n; i++) {
		PyObject *name = PyUnicode_FromString(d->args[i]);

		if (!name)
			Py_CLEAR(t);
		else
			PyTuple_SET_ITEM(t, i, name);
	}
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

/* arch() -> "x86_64", ...: the architecture syscall names are for. */
static PyObject *core_arch(PyObject *mod, PyObject *unused)
{
	(void)mod;
	(void)unused;
	return PyUnicode_FromString(syscalls_arch_name(syscalls_arch()));
}

/* set_arch(name): the guest's architecture, "x86_64", "aarch64", ... */
static PyObject *core_set_arch(PyObject *mod, PyObject *arg)
{
	const char *name = PyUnicode_AsUTF8(arg);
	uint32_t arch;

	(void)mod;
	if (!name)
		return NULL;
	arch = syscalls_arch_by_name(name);
	if (!arch)
		return PyErr_Format(PyExc_ValueError,
				    "set_arch: unknown architecture %R "
				    "(x86_64, aarch64, arm, mipsel, mips64el)",
				    arg);
	syscalls_set_arch(arch);
	Py_RETURN_NONE;
}

static PyMethodDef core_methods[] = {
	{ "arch", core_arch, METH_NOARGS, NULL },
	{ "set_arch", core_set_arch, METH_O, NULL },
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

/* The protocol's numbers a plugin names (protocol.h). */
static const struct {
	const char *name;
	long value;
} constants[] = {
	{ "ENTER", HM_EVENT_SYSCALL_ENTER },
	{ "RETURN", HM_EVENT_SYSCALL_EXIT },
	{ "USER", HM_EVENT_USER },
	{ "PROCESS", HM_EVENT_PROCESS },
	{ "EXEC", HM_PROC_EXEC },
	{ "EXIT", HM_PROC_EXIT },
	{ "FORK", HM_PROC_FORK },
	{ "MAX_CONDITIONS", HM_SUB_MAX_CONDS },
	{ "FETCH_STR", HM_FETCH_STR },
	{ "FETCH_BUF", HM_FETCH_BUF },
	{ "FETCH_FD_NAME", HM_FETCH_FD_NAME },
	{ "FETCH_ARGV", HM_FETCH_ARGV },
};

/* OPERATIONS: the names of the operations, Event's methods. */
static int add_operations(PyObject *mod)
{
	PyObject *names = PyTuple_New(OP_COUNT);
	size_t i;
	int err;

	for (i = 0; names && i < OP_COUNT; i++) {
		PyObject *name = PyUnicode_FromString(op_defs[i].name);

		if (!name)
			Py_CLEAR(names);
		else
			PyTuple_SET_ITEM(names, (Py_ssize_t)i, name);
	}
	err = !names || PyModule_AddObjectRef(mod, "OPERATIONS", names);
	Py_XDECREF(names);
	return err ? -1 : 0;
}

static int add_all(PyObject *mod)
{
	size_t i;

	for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
		if (PyModule_AddIntConstant(mod, constants[i].name,
					    constants[i].value))
			return -1;
	}
	if (PyModule_AddFunctions(mod, py_cli_methods) ||
	    PyModule_AddObjectRef(mod, "GuestError", py_guest_error) ||
	    PyModule_AddObjectRef(mod, "Event", (PyObject *)&py_event_type) ||
	    PyModule_AddObjectRef(mod, "Rule", (PyObject *)&py_rule_type) ||
	    PyModule_AddObjectRef(mod, "Machine",
				  (PyObject *)&py_machine_type) ||
	    PyModule_AddStringConstant(mod, "VERSION", HM_PACKAGE_VERSION) ||
	    PyModule_AddStringConstant(mod, "BUILD_GUEST", HM_BUILD_GUEST) ||
	    PyModule_AddStringConstant(mod, "INSTALLED_GUEST",
				       HM_INSTALLED_GUEST))
		return -1;
	return add_operations(mod);
}

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC PyInit__core(void)
{
	PyObject *mod;

	if (py_event_ready() || PyType_Ready(&py_rule_type) ||
	    PyType_Ready(&py_machine_type))
		return NULL;
	mod = PyModule_Create(&core_module);
	if (mod && add_all(mod))
		Py_CLEAR(mod);
	return mod;
}
