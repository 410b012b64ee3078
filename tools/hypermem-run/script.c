// SPDX-License-Identifier: MIT
/*
 * The Lua state, the handler registry and event dispatch. Handlers live in
 * a registry table, per phase ("enter", "return", then user events) a list
 * of { nr, fn } in registration order (nr -1 matches every call or code).
 * Events from all vCPUs are serialized by s->lock because a Lua state is
 * not thread-safe.
 */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/vmm.h>

#include "output.h"
#include "script.h"
#include "syscalls.h"

#define HANDLERS_KEY "hypermem-run.handlers"
#define ANY_SYSCALL (-1)
#define PHASE_USER 3
/* Lua instructions between checks for a stop (timeout, error, hm.stop). */
#define STOP_CHECK_COUNT 100000

static const char *const phases[] = { "enter", "return", NULL };

static struct script *script_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

static void stop_guest(struct script *s)
{
	if (s->vm)
		vmm_stop(s->vm);
}

static int guest_stopping(struct script *s)
{
	return s->vm && vmm_is_stopping(s->vm);
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
		return luaL_error(L, "hm.on_syscall: unknown syscall name "
				  "'%s' (Linux x86-64 names, e.g. \"write\")",
				  name);
	return (lua_Integer)desc->nr;
}

/* Append { nr, the function at fn_index } to the list of @phase. */
static void add_handler(lua_State *L, int phase, lua_Integer nr, int fn_index)
{
	lua_getfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);
	lua_rawgeti(L, -1, phase);
	lua_createtable(L, 2, 0);
	lua_pushinteger(L, nr);
	lua_rawseti(L, -2, 1);
	lua_pushvalue(L, fn_index);
	lua_rawseti(L, -2, 2);
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	lua_pop(L, 2);
}

/* hm.on_syscall(name, "enter" | "return", function(ev) ... end) */
static int lua_on_syscall(lua_State *L)
{
	lua_Integer nr = check_syscall(L);
	const char *phase = luaL_checkstring(L, 2);
	int which;

	/* "exit" is what Linux's tracepoints call the return. */
	which = strcmp(phase, "exit") ? luaL_checkoption(L, 2, NULL, phases) :
		1;
	luaL_checktype(L, 3, LUA_TFUNCTION);
	add_handler(L, which + 1, nr, 3);
	return 0;
}

/*
 * hm.on_user_event([code,] function(ev) ... end): events a guest program
 * raises itself (in Linux, through the hypermem module's HM_IOC_RAISE).
 */
static int lua_on_user_event(lua_State *L)
{
	if (lua_gettop(L) < 2) {
		luaL_checktype(L, 1, LUA_TFUNCTION);
		add_handler(L, PHASE_USER, ANY_SYSCALL, 1);
		return 0;
	}
	luaL_checktype(L, 2, LUA_TFUNCTION);
	add_handler(L, PHASE_USER, luaL_checkinteger(L, 1), 2);
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

static const luaL_Reg handler_funcs[] = {
	{ "on_syscall", lua_on_syscall },
	{ "on_user_event", lua_on_user_event },
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
	for (i = 1; i <= PHASE_USER; i++) {
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

static void set_integer(lua_State *L, const char *key, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, key);
}

/*
 * An event's arguments and return value are written through: ev.args[i],
 * ev.<argument name> and ev.ret live in a hidden table of values (slot 0
 * the return value, 1..6 the arguments) that the event's metatables read
 * and that an assignment updates once the library took it. A slot is
 * named in a table of names (argument name or "ret" to slot).
 */
#define UP_SCRIPT 1
#define UP_SERIAL 2
#define UP_VALUES 3
#define UP_NAMES 4

static const char *control_error(int err, lua_Integer slot)
{
	switch (err) {
	case -EINVAL:
		return slot ? "arguments change only at a syscall's entry" :
			      "the return value changes only at a return";
	case -EOPNOTSUPP:
		return "the guest does not offer event control";
	default:
		return strerror(-err);
	}
}

/* Assign the value at index 3 to slot @slot of the event. */
static int set_slot(lua_State *L, lua_Integer slot, const char *what)
{
	struct script *s = lua_touserdata(L, lua_upvalueindex(UP_SCRIPT));
	lua_Integer v = luaL_checkinteger(L, 3);
	lua_Integer serial = lua_tointeger(L, lua_upvalueindex(UP_SERIAL));
	int err;

	if (!s->vcpu || (lua_Integer)s->serial != serial)
		return luaL_error(L, "%s: only inside its event's handler",
				  what);
	err = slot ? hm_vcpu_set_arg(s->vcpu, (unsigned int)slot - 1,
				     (uint64_t)v) :
		     hm_vcpu_set_return(s->vcpu, (uint64_t)v);
	if (err)
		return luaL_error(L, "%s: %s", what, control_error(err, slot));
	lua_pushinteger(L, v);
	lua_rawseti(L, lua_upvalueindex(UP_VALUES), slot);
	return 0;
}

/* The slot ev[key] names, or -1. */
static lua_Integer named_slot(lua_State *L)
{
	lua_Integer slot;

	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(UP_NAMES)) != LUA_TNUMBER) {
		lua_pop(L, 1);
		return -1;
	}
	slot = lua_tointeger(L, -1);
	lua_pop(L, 1);
	return slot;
}

static int event_index(lua_State *L)
{
	lua_Integer slot = named_slot(L);

	if (slot < 0)
		return 0;
	lua_rawgeti(L, lua_upvalueindex(UP_VALUES), slot);
	return 1;
}

static int event_newindex(lua_State *L)
{
	lua_Integer slot = named_slot(L);

	if (slot < 0) {
		lua_rawset(L, 1);
		return 0;
	}
	return set_slot(L, slot, lua_pushfstring(L, "ev.%s",
						 lua_tostring(L, 2)));
}

/* The slot of ev.args[key], or 0 for an index outside 1..6. */
static lua_Integer arg_slot(lua_State *L)
{
	int is_int;
	lua_Integer i = lua_tointegerx(L, 2, &is_int);

	return is_int && i >= 1 && i <= 6 ? i : 0;
}

static int args_index(lua_State *L)
{
	lua_Integer slot = arg_slot(L);

	if (!slot)
		return 0;
	lua_rawgeti(L, lua_upvalueindex(UP_VALUES), slot);
	return 1;
}

static int args_newindex(lua_State *L)
{
	lua_Integer slot = arg_slot(L);

	if (!slot)
		return luaL_error(L, "ev.args: index out of 1..6");
	return set_slot(L, slot, "ev.args");
}

/*
 * Push a metatable whose index and newindex are closures on the four
 * upvalues at stack indices base + 1 .. base + 4.
 */
static void push_proxy_meta(lua_State *L, int base, lua_CFunction index,
			    lua_CFunction newindex)
{
	int k;

	lua_createtable(L, 0, 2);
	for (k = UP_SCRIPT; k <= UP_NAMES; k++)
		lua_pushvalue(L, base + k);
	lua_pushcclosure(L, index, UP_NAMES);
	lua_setfield(L, -2, "__index");
	for (k = UP_SCRIPT; k <= UP_NAMES; k++)
		lua_pushvalue(L, base + k);
	lua_pushcclosure(L, newindex, UP_NAMES);
	lua_setfield(L, -2, "__newindex");
}

/* ev = { nr, name, phase, cpu, args = {...}, ret, <argument names> } */
static void push_event(lua_State *L, struct script *s,
		       const struct hm_event *ev)
{
	const struct syscall_desc *d = syscall_by_nr(ev->nr);
	int base = lua_gettop(L), i;

	lua_pushlightuserdata(L, s);
	lua_pushinteger(L, (lua_Integer)s->serial);
	lua_createtable(L, 7, 0);
	if (ev->kind == HM_EVENT_SYSCALL_EXIT) {
		lua_pushinteger(L, (lua_Integer)ev->ret);
		lua_rawseti(L, -2, 0);
	}
	for (i = 0; i < 6; i++) {
		lua_pushinteger(L, (lua_Integer)ev->args[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_createtable(L, 0, 7);
	set_integer(L, "ret", 0);
	for (i = 0; d && i < 6 && d->args[i]; i++)
		set_integer(L, d->args[i], i + 1);

	lua_createtable(L, 0, 5);
	set_integer(L, "nr", (lua_Integer)ev->nr);
	set_integer(L, "cpu", s->cpu);
	lua_pushstring(L, ev->kind == HM_EVENT_SYSCALL_ENTER ? "enter" :
		       "return");
	lua_setfield(L, -2, "phase");
	if (d) {
		lua_pushstring(L, d->name);
		lua_setfield(L, -2, "name");
	}
	lua_newtable(L);
	push_proxy_meta(L, base, args_index, args_newindex);
	lua_setmetatable(L, -2);
	lua_setfield(L, -2, "args");
	push_proxy_meta(L, base, event_index, event_newindex);
	lua_setmetatable(L, -2);
	lua_replace(L, base + 1);
	lua_settop(L, base + 1);
}

/* ev = { code, nr, phase = "user", cpu, args = {...} } */
static void push_user_event(lua_State *L, int cpu, const struct hm_event *ev)
{
	int i;

	lua_createtable(L, 0, 5);
	set_integer(L, "code", (lua_Integer)ev->nr);
	set_integer(L, "nr", (lua_Integer)ev->nr);
	set_integer(L, "cpu", cpu);
	lua_pushliteral(L, "user");
	lua_setfield(L, -2, "phase");
	lua_createtable(L, 6, 0);
	for (i = 0; i < 6; i++) {
		lua_pushinteger(L, (lua_Integer)ev->args[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "args");
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
	default:
		return 0;
	}
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
		lua_rawgeti(L, -1, 2);
		if (phase == PHASE_USER)
			push_user_event(L, cpu, ev);
		else
			push_event(L, s, ev);
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

int script_event(struct script *s, struct hm_vcpu *vcpu, int cpu,
		 const struct hm_event *ev)
{
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
