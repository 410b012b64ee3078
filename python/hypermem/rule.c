// SPDX-License-Identifier: MIT
/*
 * hypermem.Rule: the events of one kind and number that a handler wants,
 * with its filter, {key: value} as a Lua hook's (bindings/filter.h), and
 * the fetches such a handler reads declared with it: the guest sends them
 * with the event, and the handler's reads of them cost no round trip. A
 * subscription is a list of rules; Rule.matches(event) checks an event
 * against one as the guest does (protocol.h).
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

typedef struct {
	PyObject_HEAD
	struct filter filter;
} RuleObject;

/* A 64-bit signed int, or 0 with no exception left. */
static int int_of(PyObject *o, int64_t *v)
{
	long long x;
	int overflow;

	if (!PyLong_Check(o))
		return 0;
	x = PyLong_AsLongLongAndOverflow(o, &overflow);
	if (overflow || (x == -1 && PyErr_Occurred())) {
		PyErr_Clear();
		return 0;
	}
	*v = x;
	return 1;
}

/* An int, a bool or a str (as UTF-8) into @v. */
static void scalar_of(PyObject *o, struct filter_value *v)
{
	Py_ssize_t len;

	if (PyBool_Check(o)) {
		v->type = FILTER_BOOL;
		v->lo = o == Py_True;
	} else if (PyUnicode_Check(o)) {
		v->text = PyUnicode_AsUTF8AndSize(o, &len);
		if (v->text) {
			v->type = FILTER_TEXT;
			v->len = (size_t)len;
		}
		PyErr_Clear();
	} else if (int_of(o, &v->lo)) {
		v->type = FILTER_INTEGER;
	}
}

/*
 * A filter's value: an int, (lo, hi) or [lo, hi], a str (as UTF-8), or
 * {op: value}, a dict of one str key.
 */
static struct filter_value value_of(PyObject *o)
{
	struct filter_value v = { .type = FILTER_OTHER };
	Py_ssize_t pos = 0;
	PyObject *k, *x;

	if (PyDict_Check(o)) {
		if (PyDict_Size(o) == 1 && PyDict_Next(o, &pos, &k, &x) &&
		    PyUnicode_Check(k)) {
			v.op = PyUnicode_AsUTF8(k);
			PyErr_Clear();
			if (v.op)
				scalar_of(x, &v);
		}
	} else if ((PyTuple_Check(o) || PyList_Check(o)) &&
		   PySequence_Fast_GET_SIZE(o) == 2) {
		if (int_of(PySequence_Fast_GET_ITEM(o, 0), &v.lo) &&
		    int_of(PySequence_Fast_GET_ITEM(o, 1), &v.hi))
			v.type = FILTER_RANGE;
	} else if (!PyBool_Check(o)) {
		scalar_of(o, &v);
	}
	return v;
}

static int add_filter(struct filter *f, PyObject *filter)
{
	char msg[FILTER_MSG_MAX];
	Py_ssize_t pos = 0;
	PyObject *k, *o;

	if (!PyDict_Check(filter)) {
		PyErr_SetString(PyExc_TypeError, "a filter is a dict");
		return -1;
	}
	while (PyDict_Next(filter, &pos, &k, &o)) {
		struct filter_value v = value_of(o);
		const char *key = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) :
				  NULL;

		PyErr_Clear();
		if (filter_add(f, key, &v, msg)) {
			PyErr_SetString(PyExc_ValueError, msg);
			return -1;
		}
	}
	return 0;
}

/* kind, nr or None (every one), filter or None; 0 or -1 (raised). */
static int make_rule(struct filter *f, unsigned int kind, PyObject *nr,
		     PyObject *filter)
{
	int64_t n = FILTER_ANY_NR;

	if (nr && nr != Py_None) {
		n = (int64_t)PyLong_AsUnsignedLongLong(nr);
		if (PyErr_Occurred())
			return -1;
	}
	filter_init(f, kind, n);
	return filter && filter != Py_None ? add_filter(f, filter) : 0;
}

/* Rule(kind, nr=None, filter=None) */
static int rule_init(RuleObject *self, PyObject *args, PyObject *kw)
{
	static char *names[] = { "kind", "nr", "filter", NULL };
	PyObject *nr = NULL, *filter = NULL;
	unsigned int kind;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "I|OO:Rule", names, &kind,
					 &nr, &filter))
		return -1;
	return make_rule(&self->filter, kind, nr, filter);
}

/*
 * matches(event) -> bool; GuestError where the guest leaves the filter
 * unchecked (filter.h), as an operation's failure is.
 */
static PyObject *rule_matches(RuleObject *self, PyObject *arg)
{
	char msg[FILTER_MSG_MAX];
	struct hm_vcpu *vcpu;
	EventObject *e;
	int ret = 0;

	if (!PyObject_TypeCheck(arg, &py_event_type))
		return PyErr_Format(PyExc_TypeError, "matches: an Event");
	e = (EventObject *)arg;
	/* A pid condition may ask the guest. */
	Py_BEGIN_ALLOW_THREADS
	vcpu = py_event_take(e);
	if (vcpu) {
		ret = filter_matches(vcpu, &e->ev, &self->filter);
		py_event_give(e);
	}
	Py_END_ALLOW_THREADS
	if (!vcpu) {
		py_event_gone();
		return NULL;
	}
	if (ret < 0) {
		filter_match_error(ret, msg);
		return py_raise_guest_error(ret, msg, "matches", "",
					    Py_NewRef(Py_None));
	}
	return PyBool_FromLong(ret);
}

static PyObject *rule_get(RuleObject *self, void *what)
{
	const struct hm_sub_rule *r = &self->filter.rule;
	PyObject *t;
	unsigned int i;

	switch ((int)(intptr_t)what) {
	case 0:
		return PyLong_FromUnsignedLong(r->kind);
	case 1:
		if (r->flags & HM_RULE_ANY_NR)
			Py_RETURN_NONE;
		return PyLong_FromUnsignedLongLong(r->nr);
	default:
		t = PyTuple_New(r->nr_fetches);
		for (i = 0; t && i < r->nr_fetches; i++) {
			const struct hm_sub_fetch *f = &r->fetches[i];
			PyObject *item = Py_BuildValue("(BBBI)", f->what,
						       f->arg, f->len_arg,
						       f->cap);

			if (!item) {
				Py_CLEAR(t);
				break;
			}
			PyTuple_SET_ITEM(t, i, item);
		}
		return t;
	}
}

static PyGetSetDef rule_getset[] = {
	{ "kind", (getter)rule_get, NULL, "ENTER, RETURN, USER or PROCESS",
	  (void *)0 },
	{ "nr", (getter)rule_get, NULL, "the number, or None for every one",
	  (void *)1 },
	{ "fetches", (getter)rule_get, NULL,
	  "what the guest sends with the event: (FETCH_*, arg, len_arg, "
	  "cap) each", (void *)2 },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyMethodDef rule_methods[] = {
	{ "matches", (PyCFunction)rule_matches, METH_O,
	  "matches(event): whether the event passes the filter" },
	{ NULL, NULL, 0, NULL },
};

PyTypeObject py_rule_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "hypermem.Rule",
	.tp_basicsize = sizeof(RuleObject),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Rule(kind, nr=None, filter=None): the events a handler "
		  "wants; filter {key: value} with keys pid, comm, ret, "
		  "arg1..arg6 or the syscall's argument names, each an int, "
		  "(lo, hi), {op: value} (ne, gt, ge, lt, le, bits_set, "
		  "bits_clear; str, prefix, suffix, contains on an argument's "
		  "string; success, error on ret) or, for comm, a str.",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc)rule_init,
	.tp_methods = rule_methods,
	.tp_getset = rule_getset,
};

/* (kind, nr or None[, filter]) */
static int rule_from_tuple(PyObject *item, struct hm_sub_rule *r)
{
	PyObject *nr, *filter = NULL;
	struct filter f;
	unsigned int kind;

	if (!PyArg_ParseTuple(item, "IO|O:rule", &kind, &nr, &filter) ||
	    make_rule(&f, kind, nr, filter))
		return -1;
	*r = f.rule;
	return 0;
}

struct hm_sub_rule *py_rules_from(PyObject *list, size_t *n)
{
	struct hm_sub_rule *rules;
	Py_ssize_t i, len;
	PyObject *seq;

	seq = PySequence_Fast(list, "subscribe: a list of rules");
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
		PyObject *item = PySequence_Fast_GET_ITEM(seq, i);

		if (PyObject_TypeCheck(item, &py_rule_type))
			rules[i] = ((RuleObject *)item)->filter.rule;
		else if (rule_from_tuple(item, &rules[i]))
			break;
	}
	Py_DECREF(seq);
	if (i < len) {
		free(rules);
		return NULL;
	}
	*n = (size_t)len;
	return rules;
}
