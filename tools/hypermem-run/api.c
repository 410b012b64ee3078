// SPDX-License-Identifier: MIT
/*
 * The `hm` module's operations, in the original plugins' vocabulary. Each
 * one works on the process that raised the event being handled. Misuse
 * (a wrong argument type) raises a Lua error; an operation the guest could
 * not do returns nil and a message naming the op, where and why.
 */
#include <errno.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

#define READ_MAX (16u << 20)	/* one read_bytes or read_str */
#define FILE_MAX (1u << 20)	/* read_file's default limit */
#define STR_DEFAULT 4096u

/* A pseudo errno for an op outside a handler; never a real one. */
#define ENOEVENT (-1)

static struct script *script_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

int api_fail(lua_State *L, const char *op, const char *where, int err)
{
	lua_pushnil(L);
	if (err == ENOEVENT)
		lua_pushfstring(L, "%s: %s: only works inside an event "
				"handler", op, where);
	else
		lua_pushfstring(L, "%s: %s: %s", op, where, strerror(err));
	return 2;
}

static int fail_at(lua_State *L, const char *op, uint64_t addr, int err)
{
	char where[32];

	snprintf(where, sizeof(where), "0x%" PRIx64, addr);
	return api_fail(L, op, where, err);
}

/* The vCPU to work on, or NULL outside a handler. */
static struct hm_vcpu *vcpu_of(lua_State *L)
{
	return script_of(L)->vcpu;
}

static uint64_t check_addr(lua_State *L, int arg)
{
	return (uint64_t)luaL_checkinteger(L, arg);
}

/* hm.read_bytes(addr, len): the bytes, fewer where memory ends. */
static int read_bytes(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	uint64_t addr = check_addr(L, 1);
	lua_Integer len = luaL_checkinteger(L, 2);
	luaL_Buffer b;
	ssize_t n;
	char *buf;

	luaL_argcheck(L, len >= 0 && len <= READ_MAX, 2, "length out of range");
	if (!vcpu)
		return fail_at(L, "read_bytes", addr, ENOEVENT);
	buf = luaL_buffinitsize(L, &b, (size_t)len);
	n = len ? hm_vcpu_read(vcpu, addr, buf, (size_t)len) : 0;
	if (n < 0)
		return fail_at(L, "read_bytes", addr, (int)-n);
	luaL_pushresultsize(&b, (size_t)n);
	return 1;
}

/* hm.read_str(addr [, max]): a NUL-terminated string of < max bytes. */
static int read_str(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	uint64_t addr = check_addr(L, 1);
	lua_Integer cap = luaL_optinteger(L, 2, STR_DEFAULT);
	ssize_t n;
	char *buf;

	luaL_argcheck(L, cap > 0 && cap <= READ_MAX, 2, "max out of range");
	if (!vcpu)
		return fail_at(L, "read_str", addr, ENOEVENT);
	buf = malloc((size_t)cap);
	if (!buf)
		return luaL_error(L, "out of memory");
	n = hm_vcpu_read_str(vcpu, addr, buf, (size_t)cap);
	if (n >= 0)
		lua_pushlstring(L, buf, (size_t)n);
	free(buf);
	if (n < 0)
		return fail_at(L, "read_str", addr, (int)-n);
	return 1;
}

enum width { W32, W64, WPTR };

static int read_number(lua_State *L, const char *op, enum width w)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	uint64_t addr = check_addr(L, 1), v64 = 0;
	uint32_t v32 = 0;
	int err;

	if (!vcpu)
		return fail_at(L, op, addr, ENOEVENT);
	if (w == W32)
		err = hm_vcpu_read_u32(vcpu, addr, &v32);
	else if (w == W64)
		err = hm_vcpu_read_u64(vcpu, addr, &v64);
	else
		err = hm_vcpu_read_ptr(vcpu, addr, &v64);
	if (err)
		return fail_at(L, op, addr, -err);
	/* read_int is a C int: signed, like the original's. */
	lua_pushinteger(L, w == W32 ? (lua_Integer)(int32_t)v32 :
			(lua_Integer)v64);
	return 1;
}

static int read_int(lua_State *L)
{
	return read_number(L, "read_int", W32);
}

static int read_long(lua_State *L)
{
	return read_number(L, "read_long", W64);
}

static int read_ptr(lua_State *L)
{
	return read_number(L, "read_ptr", WPTR);
}

/* hm.write_bytes(addr, data): true, or nil and how far it got. */
static int write_bytes(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	uint64_t addr = check_addr(L, 1);
	size_t len;
	const char *data = luaL_checklstring(L, 2, &len);
	ssize_t n;

	if (!vcpu)
		return fail_at(L, "write_bytes", addr, ENOEVENT);
	n = len ? hm_vcpu_write(vcpu, addr, data, len) : 0;
	if (n < 0)
		return fail_at(L, "write_bytes", addr, (int)-n);
	if ((size_t)n < len)
		return fail_at(L, "write_bytes", addr + (uint64_t)n, EFAULT);
	lua_pushboolean(L, 1);
	return 1;
}

static int write_str(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	uint64_t addr = check_addr(L, 1);
	const char *str = luaL_checkstring(L, 2);
	int err;

	if (!vcpu)
		return fail_at(L, "write_str", addr, ENOEVENT);
	err = hm_vcpu_write_str(vcpu, addr, str);
	if (err)
		return fail_at(L, "write_str", addr, -err);
	lua_pushboolean(L, 1);
	return 1;
}

static int write_number(lua_State *L, const char *op, enum width w)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	uint64_t addr = check_addr(L, 1);
	lua_Integer v = luaL_checkinteger(L, 2);
	int err;

	if (w == W32)
		luaL_argcheck(L, v >= INT32_MIN && v <= UINT32_MAX, 2,
			      "does not fit in 32 bits");
	if (!vcpu)
		return fail_at(L, op, addr, ENOEVENT);
	if (w == W32)
		err = hm_vcpu_write_u32(vcpu, addr, (uint32_t)v);
	else if (w == W64)
		err = hm_vcpu_write_u64(vcpu, addr, (uint64_t)v);
	else
		err = hm_vcpu_write_ptr(vcpu, addr, (uint64_t)v);
	if (err)
		return fail_at(L, op, addr, -err);
	lua_pushboolean(L, 1);
	return 1;
}

static int write_int(lua_State *L)
{
	return write_number(L, "write_int", W32);
}

static int write_long(lua_State *L)
{
	return write_number(L, "write_long", W64);
}

static int write_ptr(lua_State *L)
{
	return write_number(L, "write_ptr", WPTR);
}

/* hm.get_proc_args(): { "prog", "arg1", ... } */
static int get_proc_args(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	char **argv;
	size_t argc, i;
	int err;

	if (!vcpu)
		return api_fail(L, "get_proc_args", "process", ENOEVENT);
	err = hm_vcpu_get_proc_args(vcpu, &argv, &argc);
	if (err)
		return api_fail(L, "get_proc_args", "process", -err);
	lua_createtable(L, (int)argc, 0);
	for (i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	free(argv);
	return 1;
}

/* hm.get_proc_env(): { NAME = "value", ... } */
static int get_proc_env(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	struct hm_env_var *vars;
	size_t count, i;
	int err;

	if (!vcpu)
		return api_fail(L, "get_proc_env", "process", ENOEVENT);
	err = hm_vcpu_get_proc_env(vcpu, &vars, &count);
	if (err)
		return api_fail(L, "get_proc_env", "process", -err);
	lua_createtable(L, 0, (int)count);
	for (i = 0; i < count; i++) {
		lua_pushstring(L, vars[i].value);
		lua_setfield(L, -2, vars[i].name);
	}
	free(vars);
	return 1;
}

static int get_proc_pid(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	uint64_t pid;
	int err;

	if (!vcpu)
		return api_fail(L, "get_proc_pid", "process", ENOEVENT);
	err = hm_vcpu_get_proc_pid(vcpu, &pid);
	if (err)
		return api_fail(L, "get_proc_pid", "process", -err);
	lua_pushinteger(L, (lua_Integer)pid);
	return 1;
}

/* hm.read_fd_name(fd): "/etc/hostname", "socket:[4100]", ... */
static int read_fd_name(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	lua_Integer fd = luaL_checkinteger(L, 1);
	const char *where = lua_pushfstring(L, "fd %I", fd);
	char name[4096];
	ssize_t n;

	if (!vcpu)
		return api_fail(L, "read_fd_name", where, ENOEVENT);
	n = hm_vcpu_read_fd_name(vcpu, fd, name, sizeof(name));
	if (n < 0)
		return api_fail(L, "read_fd_name", where, (int)-n);
	lua_pushlstring(L, name, (size_t)n);
	return 1;
}

/* hm.read_file(path [, max]): the file's first max bytes (1 MiB). */
static int read_file(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	const char *path = luaL_checkstring(L, 1);
	lua_Integer max = luaL_optinteger(L, 2, FILE_MAX);
	luaL_Buffer b;
	size_t done = 0;
	ssize_t n = 1;
	char *buf;

	luaL_argcheck(L, max >= 0 && max <= READ_MAX, 2, "max out of range");
	if (!vcpu)
		return api_fail(L, "read_file", path, ENOEVENT);
	buf = luaL_buffinitsize(L, &b, (size_t)max);
	while (done < (size_t)max && n > 0) {
		n = hm_vcpu_read_file(vcpu, path, done, buf + done,
				      (size_t)max - done);
		if (n > 0)
			done += (size_t)n;
	}
	if (n < 0)
		return api_fail(L, "read_file", path, (int)-n);
	luaL_pushresultsize(&b, done);
	return 1;
}

static void set_integer(lua_State *L, const char *key, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, key);
}

/* Address and port of an AF_INET or AF_INET6 sockaddr, when it is one. */
static void set_sockaddr(lua_State *L, const char *prefix, const uint8_t *sa,
			 uint32_t len)
{
	char key[32], text[64];
	uint16_t family = (uint16_t)(sa[0] | sa[1] << 8);
	int i, n = 0;

	if (family == 2 && len >= 8) {
		snprintf(text, sizeof(text), "%u.%u.%u.%u", sa[4], sa[5],
			 sa[6], sa[7]);
	} else if (family == 10 && len >= 24) {
		for (i = 0; i < 16; i += 2)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      "%s%x", i ? ":" : "",
				      sa[8 + i] << 8 | sa[9 + i]);
	} else {
		return;
	}
	snprintf(key, sizeof(key), "%s_addr", prefix);
	lua_pushstring(L, text);
	lua_setfield(L, -2, key);
	snprintf(key, sizeof(key), "%s_port", prefix);
	set_integer(L, key, sa[2] << 8 | sa[3]);
}

/*
 * hm.read_socket_info(fd): { family, type, protocol, state, local, remote
 * (raw sockaddr bytes), local_addr, local_port, remote_addr, remote_port }
 */
static int read_socket_info(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	lua_Integer fd = luaL_checkinteger(L, 1);
	const char *where = lua_pushfstring(L, "fd %I", fd);
	struct hm_socket_info si;
	int err;

	if (!vcpu)
		return api_fail(L, "read_socket_info", where, ENOEVENT);
	err = hm_vcpu_read_socket_info(vcpu, fd, &si);
	if (err)
		return api_fail(L, "read_socket_info", where, -err);
	if (si.local_len > HM_SOCKADDR_MAX)
		si.local_len = HM_SOCKADDR_MAX;
	if (si.remote_len > HM_SOCKADDR_MAX)
		si.remote_len = HM_SOCKADDR_MAX;
	lua_createtable(L, 0, 10);
	set_integer(L, "family", si.family);
	set_integer(L, "type", si.type);
	set_integer(L, "protocol", si.protocol);
	set_integer(L, "state", si.state);
	lua_pushlstring(L, (const char *)si.local, si.local_len);
	lua_setfield(L, -2, "local");
	lua_pushlstring(L, (const char *)si.remote, si.remote_len);
	lua_setfield(L, -2, "remote");
	set_sockaddr(L, "local", si.local, si.local_len);
	set_sockaddr(L, "remote", si.remote, si.remote_len);
	return 1;
}

/* hm.skip(ret): at a syscall's entry, skip it; it returns ret. */
static int skip(lua_State *L)
{
	struct hm_vcpu *vcpu = vcpu_of(L);
	lua_Integer ret = luaL_checkinteger(L, 1);
	int err;

	if (!vcpu)
		return api_fail(L, "skip", "syscall", ENOEVENT);
	err = hm_vcpu_skip_syscall(vcpu, (uint64_t)ret);
	if (err)
		return api_fail(L, "skip", "syscall", -err);
	lua_pushboolean(L, 1);
	return 1;
}

static const luaL_Reg api_funcs[] = {
	{ "read_bytes", read_bytes },
	{ "read_str", read_str },
	{ "read_int", read_int },
	{ "read_long", read_long },
	{ "read_ptr", read_ptr },
	{ "write_bytes", write_bytes },
	{ "write_str", write_str },
	{ "write_int", write_int },
	{ "write_long", write_long },
	{ "write_ptr", write_ptr },
	{ "get_proc_args", get_proc_args },
	{ "get_proc_env", get_proc_env },
	{ "get_proc_pid", get_proc_pid },
	{ "read_fd_name", read_fd_name },
	{ "read_file", read_file },
	{ "read_socket_info", read_socket_info },
	{ "skip", skip },
	{ NULL, NULL },
};

/* Leaves nothing on the stack; the module is the global `hm`. */
void api_open(struct script *s)
{
	lua_State *L = s->L;

	lua_newtable(L);
	lua_pushlightuserdata(L, s);
	luaL_setfuncs(L, api_funcs, 1);
	lua_setglobal(L, "hm");
}
