// SPDX-License-Identifier: MIT
/*
 * The Lua state, the handler registry and event dispatch. Handlers live in
 * a registry table, per phase ("enter", "return", then user events) a list
 * of { nr, fn, rule[, said] } in registration order (nr -1 matches every
 * call or code; rule, a struct filter userdata, holds the hook's
 * filter; said: the guest's failure to have it checked was said).
 * The handlers' rules are the VM's subscription: the guest raises only
 * what some handler wants. Events from all vCPUs are serialized by s->lock
 * because a Lua state is not thread-safe.
 */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "output.h"
#include "script.h"
#include "syscalls.h"

#define HANDLERS_KEY "hypermem-run.handlers"
#define ANY_SYSCALL FILTER_ANY_NR
#define PHASE_USER 3
#define PHASE_PROCESS 4
/* Lua instructions between checks for a stop (timeout, error, hm.stop). */
#define STOP_CHECK_COUNT 100000

static const char *const phases[] = { "enter", "return", NULL };

static struct script *script_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

static void subscribe(struct script *s);

static void stop_guest(struct script *s)
{
	if (s->running)
		run_stop();
}

static int guest_stopping(struct script *s)
{
	return s->running && run_is_stopping();
}

/* print(...) as Lua's own, but through output_print(). */
static int lua_print(lua_State *L)
{
	struct script *s = script_of(L);
	int i, n = lua_gettop(L);
	luaL_Buffer b;
	size_t len;
	const char *text;

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	text = lua_tolstring(L, -1, &len);
	output_print(s->cpu, text, len);
	return 0;
}

/* The syscall number named by argument 1: a name, "*" or a number. */
static lua_Integer check_syscall(lua_State *L)
{
	const struct syscall_desc *desc;
	const char *name;

	if (lua_type(L, 1) == LUA_TNUMBER)
		return luaL_checkinteger(L, 1);
	name = luaL_checkstring(L, 1);
	if (!strcmp(name, "*"))
		return ANY_SYSCALL;
	desc = syscall_by_name(name);
	if (!desc)
		return luaL_error(L, "hm.on_syscall: %s guests have no "
				  "syscall '%s' (Linux names, e.g. \"write\")",
				  syscalls_arch_name(syscalls_arch()), name);
	return (lua_Integer)desc->nr;
}

static const uint32_t phase_kinds[] = {
	[1] = HM_EVENT_SYSCALL_ENTER,
	[2] = HM_EVENT_SYSCALL_EXIT,
	[PHASE_USER] = HM_EVENT_USER,
	[PHASE_PROCESS] = HM_EVENT_PROCESS,
};

/* An integer, a string or a boolean on the stack's top. */
static void lua_scalar_value(lua_State *L, struct filter_value *v)
{
	int ok;

	switch (lua_type(L, -1)) {
	case LUA_TSTRING:
		v->type = FILTER_TEXT;
		v->text = lua_tolstring(L, -1, &v->len);
		break;
	case LUA_TBOOLEAN:
		v->type = FILTER_BOOL;
		v->lo = lua_toboolean(L, -1);
		break;
	case LUA_TNUMBER:
		v->lo = lua_tointegerx(L, -1, &ok);
		if (ok)
			v->type = FILTER_INTEGER;
		break;
	}
}

/*
 * { op = value }, a table of one string key, on the stack's top: the
 * key and its value stay pushed above it while @v is used. Returns how
 * many values it pushed.
 */
static int lua_op_value(lua_State *L, struct filter_value *v)
{
	int keys = 0;

	lua_pushnil(L);
	while (lua_next(L, -2)) {
		keys++;
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	if (keys != 1 || !lua_next(L, -2))
		return 0;
	if (lua_type(L, -2) != LUA_TSTRING)
		return 2;
	v->op = lua_tostring(L, -2);
	lua_scalar_value(L, v);
	return 2;
}

/*
 * The Lua value on the stack's top as a filter's value. Returns how many
 * values it pushed above it, to pop once @v is used.
 */
static int lua_filter_value(lua_State *L, struct filter_value *v)
{
	int ok_lo, ok_hi;

	*v = (struct filter_value){ .type = FILTER_OTHER };
	if (lua_type(L, -1) != LUA_TTABLE) {
		lua_scalar_value(L, v);
		return 0;
	}
	if (!lua_rawlen(L, -1))
		return lua_op_value(L, v);
	lua_rawgeti(L, -1, 1);
	lua_rawgeti(L, -2, 2);
	v->lo = lua_tointegerx(L, -2, &ok_lo);
	v->hi = lua_tointegerx(L, -1, &ok_hi);
	lua_pop(L, 2);
	if (ok_lo && ok_hi)
		v->type = FILTER_RANGE;
	return 0;
}

/* The filter table at @idx into @f's conditions, all of which hold. */
static void parse_filter(lua_State *L, int idx, struct filter *f)
{
	char msg[FILTER_MSG_MAX];

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ?
				  lua_tostring(L, -2) : NULL;
		struct filter_value v;
		int pushed = lua_filter_value(L, &v);

		if (filter_add(f, key, &v, msg))
			luaL_error(L, "%s", msg);
		lua_pop(L, 1 + pushed);
	}
}

/*
 * Append { nr, the function at fn_index, its rule } to the list of
 * @phase, the filter at filter_index (0: none) in the rule.
 */
static void add_handler(lua_State *L, int phase, lua_Integer nr, int fn_index,
			int filter_index)
{
	struct script *s = script_of(L);
	struct filter *f;

	f = lua_newuserdatauv(L, sizeof(*f), 0);
	filter_init(f, phase_kinds[phase], nr);
	if (filter_index)
		parse_filter(L, filter_index, f);
	lua_getfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);
	lua_rawgeti(L, -1, phase);
	lua_createtable(L, 3, 0);
	lua_pushinteger(L, nr);
	lua_rawseti(L, -2, 1);
	lua_pushvalue(L, fn_index);
	lua_rawseti(L, -2, 2);
	lua_pushvalue(L, -4);
	lua_rawseti(L, -2, 3);
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	lua_pop(L, 3);
	/* A hook added while the guest runs changes what it raises now. */
	if (s->running)
		subscribe(s);
}

/* hm.on_syscall(name, "enter" | "return", [filter,] function(ev) ... end) */
static int lua_on_syscall(lua_State *L)
{
	lua_Integer nr = check_syscall(L);
	const char *phase = luaL_checkstring(L, 2);
	int which, with_filter = lua_gettop(L) >= 4;

	/* "exit" is what Linux's tracepoints call the return. */
	which = strcmp(phase, "exit") ? luaL_checkoption(L, 2, NULL, phases) :
		1;
	if (with_filter)
		luaL_checktype(L, 3, LUA_TTABLE);
	luaL_checktype(L, with_filter ? 4 : 3, LUA_TFUNCTION);
	add_handler(L, which + 1, nr, with_filter ? 4 : 3,
		    with_filter ? 3 : 0);
	return 0;
}

/*
 * hm.on_user_event([code,] [filter,] function(ev) ... end): events a guest
 * program raises itself (in Linux, through the hypermem module's
 * HM_IOC_RAISE).
 */
static int lua_on_user_event(lua_State *L)
{
	int top = lua_gettop(L), filter = 0;
	lua_Integer code = ANY_SYSCALL;

	luaL_checktype(L, top, LUA_TFUNCTION);
	if (top >= 2 && lua_type(L, top - 1) == LUA_TTABLE)
		filter = top - 1;
	if ((filter ? filter : top) > 1)
		code = luaL_checkinteger(L, 1);
	add_handler(L, PHASE_USER, code, top, filter);
	return 0;
}

/*
 * hm.on_process("exec" | "exit" | "fork" | "*", [filter,] function(ev)
 * ... end): a process's life, where the guest offers it; ev.kind, and
 * ev.tid, ev.tgid with ev.old_tid (exec), ev.status and ev.last (exit),
 * ev.child and ev.child_tgid (fork). Filter keys as on_syscall's, the
 * argument names being these.
 */
static int lua_on_process(lua_State *L)
{
	const char *kind = luaL_checkstring(L, 1);
	const struct syscall_desc *d = process_event_by_name(kind);
	int with_filter = lua_gettop(L) >= 3;

	if (!d && strcmp(kind, "*"))
		return luaL_error(L, "hm.on_process: '%s' is not \"exec\", "
				  "\"exit\", \"fork\" or \"*\"", kind);
	if (with_filter)
		luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, with_filter ? 3 : 2, LUA_TFUNCTION);
	add_handler(L, PHASE_PROCESS, d ? (lua_Integer)d->nr : ANY_SYSCALL,
		    with_filter ? 3 : 2, with_filter ? 2 : 0);
	return 0;
}

/* hm.stop(): end the run early, successfully. */
static int lua_stop(lua_State *L)
{
	struct script *s = script_of(L);

	s->stopped = 1;
	stop_guest(s);
	return 0;
}

static int lua_syscall_name(lua_State *L)
{
	const struct syscall_desc *d = syscall_by_nr(
		(uint64_t)luaL_checkinteger(L, 1));

	if (!d)
		return 0;
	lua_pushstring(L, d->name);
	return 1;
}

/*
 * hm.arch(), hm.pointer_size(): the guest's architecture, whose names the
 * run's syscalls have (--arch, or its kernel's), and its pointers' bytes.
 */
static int lua_arch(lua_State *L)
{
	lua_pushstring(L, syscalls_arch_name(syscalls_arch()));
	return 1;
}

static int lua_pointer_size(lua_State *L)
{
	lua_pushinteger(L, hm_arch_pointer_width(syscalls_arch()));
	return 1;
}

static const luaL_Reg handler_funcs[] = {
	{ "arch", lua_arch },
	{ "pointer_size", lua_pointer_size },
	{ "on_syscall", lua_on_syscall },
	{ "on_user_event", lua_on_user_event },
	{ "on_process", lua_on_process },
	{ "stop", lua_stop },
	{ "syscall_name", lua_syscall_name },
	{ NULL, NULL },
};

/* Message handler: the error with the Lua traceback under it. */
static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)",
				      luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

static int call(lua_State *L, int nargs)
{
	int base = lua_gettop(L) - nargs, ret;

	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	ret = lua_pcall(L, nargs, 0, base);
	lua_remove(L, base);
	return ret;
}

/*
 * A handler that never returns would hold its vCPU thread forever: once
 * the VM is asked to stop, the next check raises an error in it.
 */
static void stop_hook(lua_State *L, lua_Debug *ar)
{
	struct script *s = *(struct script **)lua_getextraspace(L);

	(void)ar;
	if (guest_stopping(s) && s->vcpu) {
		s->interrupted = 1;
		luaL_error(L, "handler interrupted: the guest is stopping");
	}
}

static void open_state(struct script *s)
{
	lua_State *L = s->L;
	int i;

	*(struct script **)lua_getextraspace(L) = s;
	lua_sethook(L, stop_hook, LUA_MASKCOUNT, STOP_CHECK_COUNT);
	luaL_openlibs(L);
	lua_newtable(L);
	for (i = 1; i <= PHASE_PROCESS; i++) {
		lua_newtable(L);
		lua_rawseti(L, -2, i);
	}
	lua_setfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);
	api_open(s);
	lua_getglobal(L, "hm");
	lua_pushlightuserdata(L, s);
	luaL_setfuncs(L, handler_funcs, 1);
	lua_pop(L, 1);
	lua_pushlightuserdata(L, s);
	lua_pushcclosure(L, lua_print, 1);
	lua_setglobal(L, "print");
}

int script_load(struct script *s, const char *path)
{
	s->cpu = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->L = luaL_newstate();
	if (!s->L) {
		output_error("out of memory for the Lua state");
		return -1;
	}
	open_state(s);
	if (luaL_loadfile(s->L, path) || call(s->L, 0)) {
		output_error("script error: %s", lua_tostring(s->L, -1));
		lua_pop(s->L, 1);
		return -1;
	}
	return 0;
}

void script_free(struct script *s)
{
	if (s->L)
		lua_close(s->L);
	pthread_mutex_destroy(&s->lock);
}

static int event_phase(const struct hm_event *ev)
{
	switch (ev->kind) {
	case HM_EVENT_SYSCALL_ENTER:
		return 1;
	case HM_EVENT_SYSCALL_EXIT:
		return 2;
	case HM_EVENT_USER:
		return PHASE_USER;
	case HM_EVENT_PROCESS:
		return PHASE_PROCESS;
	default:
		return 0;
	}
}

/*
 * The subscription: one rule per handler, exact duplicates once. The
 * library keeps rules past a page's worth and has the guests raise
 * everything then, which dispatch still filters here.
 */
static void subscribe(struct script *s)
{
	lua_State *L = s->L;
	struct hm_sub_rule *rules = NULL, *more;
	size_t n = 0, cap = 0, k;
	lua_Integer i, count;
	int phase, err, oom = 0;

	lua_getfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);
	for (phase = 1; phase <= PHASE_PROCESS; phase++) {
		lua_rawgeti(L, -1, phase);
		count = (lua_Integer)lua_rawlen(L, -1);
		for (i = 1; i <= count; i++) {
			const struct filter *f;
			const struct hm_sub_rule *r;

			lua_rawgeti(L, -1, i);
			lua_rawgeti(L, -1, 3);
			f = lua_touserdata(L, -1);
			r = &f->rule;
			lua_pop(L, 2);
			for (k = 0; k < n && memcmp(&rules[k], r, sizeof(*r));
			     k++)
				;
			if (k < n)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				more = realloc(rules, cap * sizeof(*rules));
				if (!more) {
					oom = 1;
					break;
				}
				rules = more;
			}
			rules[n++] = *r;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	/* Out of memory: every event, which dispatch filters. */
	err = hm_vm_subscribe(run_hm_vm(), oom ? NULL : rules,
			      oom ? 0 : n, oom ? HM_SUB_ALL : 0);
	if (err)
		output_error("subscribing to the script's events: %s",
			     strerror(-err));
	free(rules);
}

/*
 * The guest could not have a hook's filter checked (filter.h): said once
 * per hook, in the handler's entry (its field 4), unless the run is
 * stopping.
 */
static void say_guest_fault(lua_State *L, int err)
{
	char msg[FILTER_MSG_MAX];
	int said;

	lua_rawgeti(L, -1, 4);
	said = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (said || err == -ECANCELED)
		return;
	lua_pushboolean(L, 1);
	lua_rawseti(L, -2, 4);
	filter_match_error(err, msg);
	output_error("%s", msg);
}

/*
 * Whether the handler on the stack's top wants @ev: 1 or 0. A filter the
 * guest leaves unchecked is not met: the guest's fault, the run goes on.
 */
static int handler_wants(struct script *s, lua_State *L,
			 const struct hm_event *ev)
{
	const struct filter *f;
	int ret;

	lua_rawgeti(L, -1, 3);
	f = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (!f->rule.nr_conds)
		return 1;
	ret = filter_matches(s->vcpu, ev, f);
	if (ret < 0)
		say_guest_fault(L, ret);
	return ret > 0;
}

/* Run the handlers matching the event; 0, or -ECANCELED after an error. */
static int run_handlers(struct script *s, int cpu, const struct hm_event *ev,
			int phase)
{
	lua_State *L = s->L;
	lua_Integer i, n, nr;
	int ret = 0;

	lua_getfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);
	lua_rawgeti(L, -1, phase);
	n = (lua_Integer)lua_rawlen(L, -1);
	for (i = 1; i <= n && !ret; i++) {
		lua_rawgeti(L, -1, i);
		lua_rawgeti(L, -1, 1);
		nr = lua_tointeger(L, -1);
		lua_pop(L, 1);
		if (nr != ANY_SYSCALL && (uint64_t)nr != ev->nr) {
			lua_pop(L, 1);
			continue;
		}
		if (!handler_wants(s, L, ev)) {
			lua_pop(L, 1);
			continue;
		}
		lua_rawgeti(L, -1, 2);
		if (phase == PHASE_USER || phase == PHASE_PROCESS)
			event_push_user(L, cpu, ev);
		else
			event_push_syscall(L, s, ev);
		if (call(L, 1)) {
			if (!s->interrupted)
				output_error("script error in a handler: %s",
					     lua_tostring(L, -1));
			lua_pop(L, 1);
			ret = -ECANCELED;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
	return ret;
}

int script_event(void *opaque, struct hm_vcpu *vcpu, int cpu,
		 const struct hm_event *ev)
{
	struct script *s = opaque;
	int phase = event_phase(ev), ret = 0;

	pthread_mutex_lock(&s->lock);
	if (s->failed || s->stopped || guest_stopping(s))
		goto out;
	output_event(cpu, ev);
	if (!phase)
		goto out;
	s->vcpu = vcpu;
	s->cpu = cpu;
	s->serial++;
	ret = run_handlers(s, cpu, ev, phase);
	s->vcpu = NULL;
	s->cpu = -1;
	if (ret && !s->interrupted) {
		s->failed = 1;
		output_error("stopping the guest");
		stop_guest(s);
	}
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void script_started(void *opaque, struct vmm *vm)
{
	struct script *s = opaque;

	(void)vm;
	s->running = 1;
	subscribe(s);
}

void script_ended(void *opaque)
{
	struct script *s = opaque;

	s->running = 0;
}

enum run_outcome script_outcome(void *opaque)
{
	struct script *s = opaque;

	if (s->failed)
		return RUN_CLIENT_FAILED;
	return s->stopped ? RUN_CLIENT_STOPPED : RUN_CLIENT_OK;
}
