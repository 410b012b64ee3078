// SPDX-License-Identifier: MIT
/*
 * The ev table a handler gets: a syscall's (nr, name, phase, cpu, args
 * and ret written through to the guest's event, its arguments by name) or
 * a user or process event's.
 */
#include <lauxlib.h>
#include <lua.h>

#include "ops.h"
#include "script.h"
#include "syscalls.h"

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

/* Assign the value at index 3 to slot @slot of the event. */
static int set_slot(lua_State *L, lua_Integer slot, const char *what)
{
	struct script *s = lua_touserdata(L, lua_upvalueindex(UP_SCRIPT));
	lua_Integer v = luaL_checkinteger(L, 3);
	lua_Integer serial = lua_tointeger(L, lua_upvalueindex(UP_SERIAL));
	const struct op_def *op = &op_defs[slot ? OP_set_arg : OP_set_return];
	struct op_value args[2] = {
		{ .u = slot ? (uint64_t)slot - 1 : (uint64_t)v },
		{ .u = (uint64_t)v },
	};
	struct op_result r;
	int err;

	if (!s->vcpu || (lua_Integer)s->serial != serial)
		return luaL_error(L, "%s: only inside its event's handler",
				  what);
	err = op_run(op, s->vcpu, args, &r);
	if (err)
		return luaL_error(L, "%s: %s", what, op_strerror(op, err));
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
void event_push_syscall(lua_State *L, struct script *s,
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
void event_push_user(lua_State *L, int cpu, const struct hm_event *ev)
{
	const struct syscall_desc *d = NULL;
	int i;

	lua_createtable(L, 0, 5);
	set_integer(L, "code", (lua_Integer)ev->nr);
	set_integer(L, "nr", (lua_Integer)ev->nr);
	set_integer(L, "cpu", cpu);
	lua_pushstring(L, ev->kind == HM_EVENT_PROCESS ? "process" : "user");
	lua_setfield(L, -2, "phase");
	/* A process event: its kind, its args by name, who raised it. */
	if (ev->kind == HM_EVENT_PROCESS)
		d = process_event_by_nr(ev->nr);
	if (d) {
		lua_pushstring(L, d->name);
		lua_setfield(L, -2, "kind");
	}
	for (i = 0; d && i < 6 && d->args[i]; i++)
		set_integer(L, d->args[i], (lua_Integer)ev->args[i]);
	if (ev->flags & HM_EVENT_HAS_TASK) {
		set_integer(L, "pid", (lua_Integer)ev->pid);
		lua_pushstring(L, ev->comm);
		lua_setfield(L, -2, "comm");
	}
	lua_createtable(L, 6, 0);
	for (i = 0; i < 6; i++) {
		lua_pushinteger(L, (lua_Integer)ev->args[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "args");
}
