// SPDX-License-Identifier: MIT
/*
 * python3 -m hypermem: the command line's run (bindings/run.h) with a
 * plugin's handler, its options, output and exit codes hypermem-run's.
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "run.h"

struct py_run {
	PyObject *handler;
	struct hm_sub_rule *rules;
	size_t nr_rules;
	int failed;
	int core;		/* on the VMM core, not a stock QEMU */
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
	if (py_call_handler(r->handler, vcpu, cpu, ev, r->core)) {
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

/* One value, or each of a list's, through run_set_option(). */
static int set_option(struct options *o, const char *name, PyObject *v)
{
	const char *value;
	Py_ssize_t i;
	int err;

	if (!PyList_Check(v)) {
		value = PyUnicode_AsUTF8(v);
		return value ? run_set_option(o, name, value) : -1;
	}
	for (i = 0; i < PyList_Size(v); i++) {
		err = set_option(o, name, PyList_GetItem(v, i));
		if (err)
			return err;
	}
	return 0;
}

/*
 * Each item of {name: value} through run_set_option(), a list's values
 * one by one (a repeated option); 0 or exit code.
 */
static int set_options(struct options *o, PyObject *dict)
{
	PyObject *k, *v;
	Py_ssize_t pos = 0;
	const char *name;
	int err;

	while (PyDict_Next(dict, &pos, &k, &v)) {
		if (v == Py_None)
			continue;
		name = PyUnicode_AsUTF8(k);
		if (!name)
			return -1;
		err = set_option(o, name, v);
		if (err)
			return err;
	}
	return 0;
}

/*
 * check(options) -> exit code: the options as run() checks them, before
 * the plugin is loaded: the guest's architecture (--arch, or its
 * kernel's) then names the syscalls the plugin subscribes to.
 */
static PyObject *core_check(PyObject *mod, PyObject *arg)
{
	struct options o = {
		.cpus = 1, .timeout_s = 60, .json = output_json(),
		.verbosity = output_verbosity(),
	};
	int code;

	(void)mod;
	if (!PyDict_Check(arg))
		return PyErr_Format(PyExc_TypeError, "check: a dict");
	code = set_options(&o, arg);
	if (code < 0)
		return NULL;
	if (!code)
		code = run_check_options(&o);
	return PyLong_FromLong(code);
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
	r.core = !run_uses_qemu(&o);
	r.rules = py_rules_from(rules, &r.nr_rules);
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

PyMethodDef py_cli_methods[] = {
	{ "check", core_check, METH_O, NULL },
	{ "run", core_run, METH_VARARGS, NULL },
	{ "start_output", core_start_output, METH_VARARGS, NULL },
	{ "print_line", core_print_line, METH_VARARGS, NULL },
	{ "error", core_error, METH_O, NULL },
	{ "result", core_result, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL },
};
