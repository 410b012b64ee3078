// SPDX-License-Identifier: MIT
/*
 * The `hm` module: the operations of bindings/ops.h, each one a Lua
 * function on the process that raised the event being handled. Misuse (a
 * wrong argument type or range) raises a Lua error; an operation the
 * guest could not do returns nil and a message naming the op, where and
 * why.
 */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#include "ops.h"
#include "script.h"

#define DEPTH_MAX 4

/* An op_emitter that leaves one value on the Lua stack. */
struct lua_emit {
	lua_State *L;
	unsigned int depth;
	struct {
		int record;
		lua_Integer next;	/* a list's next index */
	} frames[DEPTH_MAX];
};

/* A value was pushed: put it in the container it belongs to. */
static void placed(struct lua_emit *le)
{
	lua_State *L = le->L;

	if (!le->depth)
		return;
	if (le->frames[le->depth - 1].record)
		lua_settable(L, -3);
	else
		lua_rawseti(L, -2, ++le->frames[le->depth - 1].next);
}

static void emit_done(void *ctx)
{
	struct lua_emit *le = ctx;

	lua_pushboolean(le->L, 1);
	placed(le);
}

static void emit_boolean(void *ctx, int v)
{
	struct lua_emit *le = ctx;

	lua_pushboolean(le->L, v);
	placed(le);
}

static void emit_integer(void *ctx, int64_t v)
{
	struct lua_emit *le = ctx;

	lua_pushinteger(le->L, (lua_Integer)v);
	placed(le);
}

static void emit_uinteger(void *ctx, uint64_t v)
{
	emit_integer(ctx, (int64_t)v);
}

static void emit_bytes(void *ctx, const void *p, size_t len)
{
	struct lua_emit *le = ctx;

	lua_pushlstring(le->L, p, len);
	placed(le);
}

static void emit_text(void *ctx, const char *s, size_t len)
{
	emit_bytes(ctx, s, len);
}

static void begin(struct lua_emit *le, int record, size_t count)
{
	int n = count > 1024 ? 1024 : (int)count;

	luaL_checkstack(le->L, 3, "result too deep");
	if (le->depth == DEPTH_MAX)
		luaL_error(le->L, "result nested too deep");
	lua_createtable(le->L, record ? 0 : n, record ? n : 0);
	le->frames[le->depth].record = record;
	le->frames[le->depth].next = 0;
	le->depth++;
}

static void emit_begin_list(void *ctx, size_t count)
{
	begin(ctx, 0, count);
}

static void emit_begin_record(void *ctx, size_t count)
{
	begin(ctx, 1, count);
}

static void emit_key(void *ctx, const char *key)
{
	struct lua_emit *le = ctx;

	lua_pushstring(le->L, key);
}

static void emit_end(void *ctx)
{
	struct lua_emit *le = ctx;

	le->depth--;
	placed(le);
}

/* The argument at stack index i + 1, converted by op's argument i. */
static void check_arg(lua_State *L, const struct op_def *op, int i,
		      struct op_value *v)
{
	const struct op_arg *a = &op->args[i];
	char range[64];
	lua_Integer n;

	switch (a->type) {
	case OP_ADDR:
	case OP_WORD:
		v->u = (uint64_t)luaL_checkinteger(L, i + 1);
		return;
	case OP_INT:
		n = a->optional ? luaL_optinteger(L, i + 1, a->def) :
				  luaL_checkinteger(L, i + 1);
		if (op_check_int(a, n, range, sizeof(range)))
			luaL_argerror(L, i + 1, lua_pushfstring(L,
				      "%s out of range (%s)", a->name, range));
		v->u = (uint64_t)n;
		return;
	case OP_INDEX:
		/* Lua counts arguments from 1, as ev.args does. */
		n = luaL_checkinteger(L, i + 1);
		luaL_argcheck(L, n >= 1 && n <= 6, i + 1,
			      "an argument index, 1 to 6");
		v->u = (uint64_t)n - 1;
		return;
	case OP_BYTES:
	case OP_TEXT:
		v->p = luaL_checklstring(L, i + 1, &v->len);
		if (a->type == OP_TEXT && strlen(v->p) != v->len)
			luaL_argerror(L, i + 1, "text with a NUL byte");
		return;
	}
}

struct emit_call {
	const struct op_def *op;
	const struct op_result *r;
	const struct op_emitter *e;
};

/* Under lua_pcall, so that a Lua error there does not leak the result. */
static int emit_protected(lua_State *L)
{
	const struct emit_call *c = lua_touserdata(L, 1);

	op_emit(c->op, c->r, c->e);
	return 1;
}

static int fail(lua_State *L, const char *msg)
{
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

static int call_op(lua_State *L)
{
	struct script *s = lua_touserdata(L, lua_upvalueindex(1));
	const struct op_def *op = lua_touserdata(L, lua_upvalueindex(2));
	struct lua_emit le = { .L = L };
	const struct op_emitter e = {
		emit_done, emit_boolean, emit_integer, emit_uinteger,
		emit_bytes, emit_text,
		emit_begin_list, emit_begin_record, emit_key, emit_end, &le,
	};
	struct op_value args[OP_MAX_ARGS] = { 0 };
	struct op_result r;
	char msg[512];
	unsigned int i;
	int err;

	for (i = 0; i < op->nargs; i++)
		check_arg(L, op, (int)i, &args[i]);
	if (!s->vcpu) {
		op_result_init(op, args, &r);
		op_where_text(op, args, &r, msg, sizeof(msg));
		return fail(L, lua_pushfstring(L, "%s: %s: only works inside "
					       "an event handler", op->name,
					       msg));
	}
	err = op_run(op, s->vcpu, args, &r);
	if (err) {
		op_error_text(op, args, &r, err, msg, sizeof(msg));
		op_result_free(&r);
		return fail(L, msg);
	}
	lua_pushcfunction(L, emit_protected);
	lua_pushlightuserdata(L, &(struct emit_call){ op, &r, &e });
	err = lua_pcall(L, 1, 1, 0);
	op_result_free(&r);
	if (err)
		return lua_error(L);
	return 1;
}

/* Leaves nothing on the stack; the module is the global `hm`. */
void api_open(struct script *s)
{
	lua_State *L = s->L;
	size_t i;

	lua_createtable(L, 0, OP_COUNT);
	for (i = 0; i < OP_COUNT; i++) {
		lua_pushlightuserdata(L, s);
		lua_pushlightuserdata(L, (void *)&op_defs[i]);
		lua_pushcclosure(L, call_op, 2);
		lua_setfield(L, -2, op_defs[i].name);
	}
	lua_setglobal(L, "hm");
}
