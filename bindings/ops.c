// SPDX-License-Identifier: MIT
/*
 * The operations, once for every language (ops.h). Each has a run
 * function (the library calls, into an op_result) and an emit function
 * (the result as values, through the binding's op_emitter).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

#define READ_MAX (16 << 20)	/* one read_bytes, read_str or read_file */
#define FILE_DEFAULT (1 << 20)
#define STR_DEFAULT 4096

/* ---- run ---- */

static int take_buffer(struct op_result *r, size_t len)
{
	/* One byte more, so that a zero-length read has a buffer too. */
	r->data = malloc(len + 1);
	return r->data ? 0 : -ENOMEM;
}

static int run_read_bytes(struct hm_vcpu *vcpu, const struct op_value *a,
			  struct op_result *r)
{
	ssize_t n = 0;

	if (take_buffer(r, a[1].u))
		return -ENOMEM;
	if (a[1].u)
		n = hm_vcpu_read(vcpu, a[0].u, r->data, a[1].u);
	if (n < 0)
		return (int)n;
	/* Fewer bytes where memory ends: the bytes there are, never zeros. */
	r->len = (size_t)n;
	return 0;
}

static int run_read_str(struct hm_vcpu *vcpu, const struct op_value *a,
			struct op_result *r)
{
	ssize_t n;

	if (take_buffer(r, a[1].u))
		return -ENOMEM;
	n = hm_vcpu_read_str(vcpu, a[0].u, r->data, a[1].u);
	if (n < 0)
		return (int)n;
	r->len = (size_t)n;
	return 0;
}

static int run_read_int(struct hm_vcpu *vcpu, const struct op_value *a,
			struct op_result *r)
{
	uint32_t v = 0;
	int err = hm_vcpu_read_u32(vcpu, a[0].u, &v);

	/* Unsigned, like the original plugins' read_int. */
	r->value = v;
	return err;
}

static int run_read_long(struct hm_vcpu *vcpu, const struct op_value *a,
			 struct op_result *r)
{
	return hm_vcpu_read_u64(vcpu, a[0].u, &r->value);
}

static int run_read_ptr(struct hm_vcpu *vcpu, const struct op_value *a,
			struct op_result *r)
{
	return hm_vcpu_read_ptr(vcpu, a[0].u, &r->value);
}

static int run_write_bytes(struct hm_vcpu *vcpu, const struct op_value *a,
			   struct op_result *r)
{
	ssize_t n = 0;

	if (a[1].len)
		n = hm_vcpu_write(vcpu, a[0].u, a[1].p, a[1].len);
	if (n < 0)
		return (int)n;
	/* A write that stopped part way fails where it stopped. */
	if ((size_t)n < a[1].len) {
		r->at = a[0].u + (uint64_t)n;
		return -EFAULT;
	}
	return 0;
}

static int run_write_str(struct hm_vcpu *vcpu, const struct op_value *a,
			 struct op_result *r)
{
	(void)r;
	return hm_vcpu_write_str(vcpu, a[0].u, a[1].p);
}

static int run_write_int(struct hm_vcpu *vcpu, const struct op_value *a,
			 struct op_result *r)
{
	(void)r;
	return hm_vcpu_write_u32(vcpu, a[0].u, (uint32_t)a[1].u);
}

static int run_write_long(struct hm_vcpu *vcpu, const struct op_value *a,
			  struct op_result *r)
{
	(void)r;
	return hm_vcpu_write_u64(vcpu, a[0].u, a[1].u);
}

static int run_write_ptr(struct hm_vcpu *vcpu, const struct op_value *a,
			 struct op_result *r)
{
	(void)r;
	return hm_vcpu_write_ptr(vcpu, a[0].u, a[1].u);
}

/* A list the library gave, as many values as entries: OP_MAX_ENTRIES. */
static int take_list(struct op_result *r, void *list, int err)
{
	if (err)
		return err;
	r->data = list;
	return r->count > OP_MAX_ENTRIES ? -E2BIG : 0;
}

static int run_get_proc_args(struct hm_vcpu *vcpu, const struct op_value *a,
			     struct op_result *r)
{
	char **argv;
	int err = hm_vcpu_get_proc_args(vcpu, &argv, &r->count);

	(void)a;
	return take_list(r, err ? NULL : argv, err);
}

static int run_get_proc_env(struct hm_vcpu *vcpu, const struct op_value *a,
			    struct op_result *r)
{
	struct hm_env_var *vars;
	int err = hm_vcpu_get_proc_env(vcpu, &vars, &r->count);

	(void)a;
	return take_list(r, err ? NULL : vars, err);
}

static int run_get_proc_pid(struct hm_vcpu *vcpu, const struct op_value *a,
			    struct op_result *r)
{
	(void)a;
	return hm_vcpu_get_proc_pid(vcpu, &r->value);
}

static int run_read_fd_name(struct hm_vcpu *vcpu, const struct op_value *a,
			    struct op_result *r)
{
	ssize_t n;

	if (take_buffer(r, HM_NAME_MAX))
		return -ENOMEM;
	n = hm_vcpu_read_fd_name(vcpu, (int64_t)a[0].u, r->data,
				 HM_NAME_MAX);
	if (n < 0)
		return (int)n;
	r->len = (size_t)n;
	return 0;
}

/* Up to max bytes from offset: one operation, to the end of the file. */
static int run_read_file(struct hm_vcpu *vcpu, const struct op_value *a,
			 struct op_result *r)
{
	size_t max = a[1].u;
	ssize_t n = 0;

	if (take_buffer(r, max))
		return -ENOMEM;
	r->at = a[2].u;
	if (max)
		n = hm_vcpu_read_file(vcpu, a[0].p, a[2].u, r->data, max);
	if (n < 0)
		return (int)n;
	r->len = (size_t)n;
	r->at += r->len;
	return 0;
}

static int run_read_socket_info(struct hm_vcpu *vcpu,
				const struct op_value *a, struct op_result *r)
{
	struct hm_socket_info *si = calloc(1, sizeof(*si));

	if (!si)
		return -ENOMEM;
	r->data = si;
	return hm_vcpu_read_socket_info(vcpu, (int64_t)a[0].u, si);
}

static int run_set_arg(struct hm_vcpu *vcpu, const struct op_value *a,
		       struct op_result *r)
{
	(void)r;
	return hm_vcpu_set_arg(vcpu, (unsigned int)a[0].u, a[1].u);
}

static int run_skip(struct hm_vcpu *vcpu, const struct op_value *a,
		    struct op_result *r)
{
	(void)r;
	return hm_vcpu_skip_syscall(vcpu, a[0].u);
}

static int run_set_return(struct hm_vcpu *vcpu, const struct op_value *a,
			  struct op_result *r)
{
	(void)r;
	return hm_vcpu_set_return(vcpu, a[0].u);
}

static int run_processes(struct hm_vcpu *vcpu, const struct op_value *a,
			 struct op_result *r)
{
	struct hm_process *list;
	int err = hm_vcpu_list_processes(vcpu, &list, &r->count);

	(void)a;
	return take_list(r, err ? NULL : list, err);
}

static int run_maps(struct hm_vcpu *vcpu, const struct op_value *a,
		    struct op_result *r)
{
	struct hm_mapping *maps;
	int err = hm_vcpu_get_maps(vcpu, a[0].u, &maps, &r->count);

	return take_list(r, err ? NULL : maps, err);
}

static int run_fds(struct hm_vcpu *vcpu, const struct op_value *a,
		   struct op_result *r)
{
	struct hm_open_file *files;
	int err = hm_vcpu_get_fds(vcpu, a[0].u, &files, &r->count);

	return take_list(r, err ? NULL : files, err);
}

static int run_path(struct hm_vcpu *vcpu, const struct op_value *a,
		    struct op_result *r, int exe)
{
	ssize_t n;

	if (take_buffer(r, HM_NAME_MAX))
		return -ENOMEM;
	n = exe ? hm_vcpu_get_exe(vcpu, a[0].u, r->data, HM_NAME_MAX) :
		  hm_vcpu_get_cwd(vcpu, a[0].u, r->data, HM_NAME_MAX);
	if (n < 0)
		return (int)n;
	r->len = (size_t)n;
	return 0;
}

static int run_exe(struct hm_vcpu *vcpu, const struct op_value *a,
		   struct op_result *r)
{
	return run_path(vcpu, a, r, 1);
}

static int run_cwd(struct hm_vcpu *vcpu, const struct op_value *a,
		   struct op_result *r)
{
	return run_path(vcpu, a, r, 0);
}

/*
 * Without an offset, the file's new content (created, emptied first);
 * with one, bytes written there (created if missing); flags say else.
 */
static int run_write_file(struct hm_vcpu *vcpu, const struct op_value *a,
			  struct op_result *r)
{
	int64_t offset = (int64_t)a[2].u, flags = (int64_t)a[3].u;
	ssize_t n;

	if (flags < 0)
		flags = HM_WRITE_CREATE | (offset < 0 ? HM_WRITE_TRUNCATE : 0);
	if (offset < 0)
		offset = 0;
	r->at = (uint64_t)offset;
	n = hm_vcpu_write_file(vcpu, a[0].p, (uint64_t)offset, a[1].p,
			       a[1].len, (uint32_t)flags, 0644);
	if (n < 0)
		return (int)n;
	r->value = (uint64_t)n;
	return 0;
}

static int run_use_process(struct hm_vcpu *vcpu, const struct op_value *a,
			   struct op_result *r)
{
	(void)r;
	return hm_vcpu_use_process(vcpu, a[0].u);
}

/* ---- emit ---- */

static void emit_done(const struct op_result *r, const struct op_emitter *e)
{
	(void)r;
	e->done(e->ctx);
}

static void emit_bytes(const struct op_result *r, const struct op_emitter *e)
{
	e->bytes(e->ctx, r->data, r->len);
}

static void emit_text(const struct op_result *r, const struct op_emitter *e)
{
	e->text(e->ctx, r->data, r->len);
}

static void emit_uinteger(const struct op_result *r,
			  const struct op_emitter *e)
{
	e->uinteger(e->ctx, r->value);
}

static void emit_proc_args(const struct op_result *r,
			   const struct op_emitter *e)
{
	char **argv = r->data;
	size_t i;

	e->begin_list(e->ctx, r->count);
	for (i = 0; i < r->count; i++)
		e->text(e->ctx, argv[i], strlen(argv[i]));
	e->end(e->ctx);
}

/* NAME = value; values may contain '='. */
static void emit_proc_env(const struct op_result *r,
			  const struct op_emitter *e)
{
	const struct hm_env_var *vars = r->data;
	size_t i;

	e->begin_record(e->ctx, r->count);
	for (i = 0; i < r->count; i++) {
		e->key(e->ctx, vars[i].name);
		e->text(e->ctx, vars[i].value, strlen(vars[i].value));
	}
	e->end(e->ctx);
}

static void emit_field(const struct op_emitter *e, const char *key,
		       int64_t v)
{
	e->key(e->ctx, key);
	e->integer(e->ctx, v);
}

/* name_addr and name_port of an AF_INET or AF_INET6 sockaddr. */
static void emit_sockaddr(const struct op_emitter *e, const char *name,
			  const uint8_t *sa, uint32_t len)
{
	uint16_t family = (uint16_t)(sa[0] | sa[1] << 8);
	char key[32], text[64];
	int i, n = 0;

	if (family == 2 && len >= 8) {
		n = snprintf(text, sizeof(text), "%u.%u.%u.%u", sa[4], sa[5],
			     sa[6], sa[7]);
	} else if (family == 10 && len >= 24) {
		for (i = 0; i < 16; i += 2)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      "%s%x", i ? ":" : "",
				      sa[8 + i] << 8 | sa[9 + i]);
	} else {
		return;
	}
	snprintf(key, sizeof(key), "%s_addr", name);
	e->key(e->ctx, key);
	e->text(e->ctx, text, (size_t)n);
	snprintf(key, sizeof(key), "%s_port", name);
	emit_field(e, key, sa[2] << 8 | sa[3]);
}

/*
 * { family, type, protocol, state, local, remote (the raw sockaddrs),
 *   local_addr, local_port, remote_addr, remote_port (IPv4 and IPv6) }
 * The guest's lengths are held to the buffers here, where they are used.
 */
static void emit_socket_info(const struct op_result *r,
			     const struct op_emitter *e)
{
	const struct hm_socket_info *si = r->data;
	uint32_t local_len = si->local_len, remote_len = si->remote_len;

	e->begin_record(e->ctx, 10);
	emit_field(e, "family", si->family);
	emit_field(e, "type", si->type);
	emit_field(e, "protocol", si->protocol);
	emit_field(e, "state", si->state);
	if (local_len > HM_SOCKADDR_MAX)
		local_len = HM_SOCKADDR_MAX;
	if (remote_len > HM_SOCKADDR_MAX)
		remote_len = HM_SOCKADDR_MAX;
	e->key(e->ctx, "local");
	e->bytes(e->ctx, si->local, local_len);
	e->key(e->ctx, "remote");
	e->bytes(e->ctx, si->remote, remote_len);
	emit_sockaddr(e, "local", si->local, local_len);
	emit_sockaddr(e, "remote", si->remote, remote_len);
	e->end(e->ctx);
}

static void emit_text_field(const struct op_emitter *e, const char *key,
			    const char *s, size_t len)
{
	e->key(e->ctx, key);
	e->text(e->ctx, s, len);
}

static void emit_bool_field(const struct op_emitter *e, const char *key,
			    int v)
{
	e->key(e->ctx, key);
	e->boolean(e->ctx, v);
}

static void emit_u64_field(const struct op_emitter *e, const char *key,
			   uint64_t v)
{
	e->key(e->ctx, key);
	e->uinteger(e->ctx, v);
}

/* { pid, tgid, ppid, uid, state, comm, start_ns, kthread } each */
static void emit_processes(const struct op_result *r,
			   const struct op_emitter *e)
{
	const struct hm_process *p = r->data;
	size_t i;

	e->begin_list(e->ctx, r->count);
	for (i = 0; i < r->count; i++) {
		e->begin_record(e->ctx, 8);
		emit_u64_field(e, "pid", p[i].pid);
		emit_u64_field(e, "tgid", p[i].tgid);
		emit_u64_field(e, "ppid", p[i].ppid);
		emit_u64_field(e, "uid", p[i].uid);
		emit_text_field(e, "state", &p[i].state, 1);
		emit_text_field(e, "comm", p[i].comm, strlen(p[i].comm));
		emit_u64_field(e, "start_ns", p[i].start_ns);
		emit_bool_field(e, "kthread", p[i].flags & HM_PROC_KTHREAD);
		e->end(e->ctx);
	}
	e->end(e->ctx);
}

/* { start, end, offset, inode, perms ("r-xp"), name, cut } each */
static void emit_maps(const struct op_result *r, const struct op_emitter *e)
{
	const struct hm_mapping *m = r->data;
	char perms[5];
	size_t i;

	e->begin_list(e->ctx, r->count);
	for (i = 0; i < r->count; i++) {
		perms[0] = m[i].flags & HM_MAP_READ ? 'r' : '-';
		perms[1] = m[i].flags & HM_MAP_WRITE ? 'w' : '-';
		perms[2] = m[i].flags & HM_MAP_EXEC ? 'x' : '-';
		perms[3] = m[i].flags & HM_MAP_SHARED ? 's' : 'p';
		perms[4] = 0;
		e->begin_record(e->ctx, 7);
		emit_u64_field(e, "start", m[i].start);
		emit_u64_field(e, "end", m[i].end);
		emit_u64_field(e, "offset", m[i].offset);
		emit_u64_field(e, "inode", m[i].inode);
		emit_text_field(e, "perms", perms, 4);
		emit_text_field(e, "name", m[i].name, strlen(m[i].name));
		emit_bool_field(e, "cut", m[i].flags & HM_NAME_CUT);
		e->end(e->ctx);
	}
	e->end(e->ctx);
}

/* { fd, flags (O_*), name, cut } each */
static void emit_fds(const struct op_result *r, const struct op_emitter *e)
{
	const struct hm_open_file *f = r->data;
	size_t i;

	e->begin_list(e->ctx, r->count);
	for (i = 0; i < r->count; i++) {
		e->begin_record(e->ctx, 4);
		emit_field(e, "fd", f[i].fd);
		emit_u64_field(e, "flags", f[i].open_flags);
		emit_text_field(e, "name", f[i].name, strlen(f[i].name));
		emit_bool_field(e, "cut", f[i].flags & HM_NAME_CUT);
		e->end(e->ctx);
	}
	e->end(e->ctx);
}

/* ---- the table ---- */

#define ADDR { "addr", OP_ADDR, 0, 0, 0, 0 }
#define FD { "fd", OP_INT, 0, INT32_MIN, INT32_MAX, 0 }
#define RET(opt) { "ret", OP_INT, opt, INT64_MIN, INT64_MAX, 0 }
#define PID { "pid", OP_INT, 1, 0, INT32_MAX, 0 }
#define OP(id, d, w, run_fn, emit_fn) \
	.name = #id, .doc = d, .where = w, .run = run_fn, .emit = emit_fn
#define ARGS(...) \
	.nargs = sizeof((struct op_arg[]){ __VA_ARGS__ }) / \
		 sizeof(struct op_arg), \
	.args = { __VA_ARGS__ }

const struct op_def op_defs[OP_COUNT] = {
	[OP_read_bytes] = { OP(read_bytes, "read_bytes(addr, len): the "
		"bytes there, fewer where readable memory ends", OP_AT_ADDR,
		run_read_bytes, emit_bytes),
		ARGS(ADDR, { "len", OP_INT, 0, 0, READ_MAX, 0 }) },
	[OP_read_str] = { OP(read_str, "read_str(addr[, max]): the "
		"NUL-terminated string there, of fewer than max bytes (4096)",
		OP_AT_ADDR, run_read_str, emit_text),
		ARGS(ADDR, { "max", OP_INT, 1, 1, READ_MAX, STR_DEFAULT }) },
	[OP_read_int] = { OP(read_int, "read_int(addr): the 32-bit "
		"integer there, unsigned", OP_AT_ADDR, run_read_int,
		emit_uinteger),
		ARGS(ADDR) },
	[OP_read_long] = { OP(read_long, "read_long(addr): the 64-bit "
		"integer there", OP_AT_ADDR, run_read_long, emit_uinteger),
		ARGS(ADDR) },
	[OP_read_ptr] = { OP(read_ptr, "read_ptr(addr): the guest pointer "
		"there", OP_AT_ADDR, run_read_ptr, emit_uinteger),
		ARGS(ADDR) },
	[OP_write_bytes] = { OP(write_bytes, "write_bytes(addr, data): "
		"write all of data", OP_AT_ADDR, run_write_bytes, emit_done),
		ARGS(ADDR, { "data", OP_BYTES, 0, 0, 0, 0 }) },
	[OP_write_str] = { OP(write_str, "write_str(addr, text): write text "
		"and its NUL", OP_AT_ADDR, run_write_str, emit_done),
		ARGS(ADDR, { "text", OP_TEXT, 0, 0, 0, 0 }) },
	[OP_write_int] = { OP(write_int, "write_int(addr, value): write a "
		"32-bit integer", OP_AT_ADDR, run_write_int, emit_done),
		ARGS(ADDR, { "value", OP_INT, 0, INT32_MIN, UINT32_MAX, 0 }) },
	[OP_write_long] = { OP(write_long, "write_long(addr, value): write "
		"a 64-bit integer", OP_AT_ADDR, run_write_long, emit_done),
		ARGS(ADDR, { "value", OP_WORD, 0, 0, 0, 0 }) },
	[OP_write_ptr] = { OP(write_ptr, "write_ptr(addr, value): write a "
		"guest pointer", OP_AT_ADDR, run_write_ptr, emit_done),
		ARGS(ADDR, { "value", OP_WORD, 0, 0, 0, 0 }) },
	[OP_get_proc_args] = { OP(get_proc_args, "get_proc_args(): the "
		"process's argument vector, a list", OP_AT_PROCESS,
		run_get_proc_args, emit_proc_args) },
	[OP_get_proc_env] = { OP(get_proc_env, "get_proc_env(): the "
		"process's environment, name to value", OP_AT_PROCESS,
		run_get_proc_env, emit_proc_env) },
	[OP_get_proc_pid] = { OP(get_proc_pid, "get_proc_pid(): the "
		"process's id", OP_AT_PROCESS, run_get_proc_pid,
		emit_uinteger) },
	[OP_read_fd_name] = { OP(read_fd_name, "read_fd_name(fd): the name "
		"behind a file descriptor: a path, socket:[inode], ...",
		OP_AT_FD, run_read_fd_name, emit_text), ARGS(FD) },
	[OP_read_file] = { OP(read_file, "read_file(path[, max[, offset]]): "
		"up to max bytes (1 MiB) of a guest file from offset (0)",
		OP_AT_PATH, run_read_file, emit_bytes),
		ARGS({ "path", OP_TEXT, 0, 0, 0, 0 },
		     { "max", OP_INT, 1, 0, READ_MAX, FILE_DEFAULT },
		     { "offset", OP_INT, 1, 0, INT64_MAX, 0 }) },
	[OP_read_socket_info] = { OP(read_socket_info, "read_socket_info(fd)"
		": family, type, protocol, state and the local and remote "
		"addresses of a socket", OP_AT_FD, run_read_socket_info,
		emit_socket_info), ARGS(FD) },
	[OP_set_arg] = { OP(set_arg, "set_arg(index, value): at a syscall's "
		"entry, give one of its arguments another value",
		OP_AT_SYSCALL, run_set_arg, emit_done),
		ARGS({ "index", OP_INDEX, 0, 0, 5, 0 },
		     { "value", OP_WORD, 0, 0, 0, 0 }),
		.einval = "arguments change only at a syscall's entry" },
	[OP_skip] = { OP(skip, "skip([ret]): at a syscall's entry, skip it; "
		"it returns ret (0)", OP_AT_SYSCALL, run_skip, emit_done),
		ARGS(RET(1)),
		.einval = "a syscall is skipped only at its entry" },
	[OP_set_return] = { OP(set_return, "set_return(ret): at a syscall's "
		"return, make it return ret", OP_AT_SYSCALL, run_set_return,
		emit_done), ARGS(RET(0)),
		.einval = "the return value changes only at a return" },
	[OP_processes] = { OP(processes, "processes(): every task of the "
		"guest, threads and kernel threads too: pid, tgid, ppid, uid, "
		"state, comm, start_ns, kthread", OP_AT_PROCESS, run_processes,
		emit_processes) },
	[OP_maps] = { OP(maps, "maps([pid]): the memory map of a process "
		"(the event's): start, end, offset, inode, perms, name, cut",
		OP_AT_PID, run_maps, emit_maps), ARGS(PID) },
	[OP_fds] = { OP(fds, "fds([pid]): the open files of a process (the "
		"event's): fd, flags, name, cut", OP_AT_PID, run_fds,
		emit_fds), ARGS(PID) },
	[OP_exe] = { OP(exe, "exe([pid]): the path of a process's "
		"executable (the event's)", OP_AT_PID, run_exe, emit_text),
		ARGS(PID) },
	[OP_cwd] = { OP(cwd, "cwd([pid]): the working directory of a "
		"process (the event's)", OP_AT_PID, run_cwd, emit_text),
		ARGS(PID) },
	[OP_write_file] = { OP(write_file, "write_file(path, data[, offset"
		"[, flags]]): without an offset, the file's new content "
		"(created, emptied first); with one, data written there "
		"(created if missing); flags 1 create, 2 truncate. The bytes "
		"written", OP_AT_PATH, run_write_file, emit_uinteger),
		ARGS({ "path", OP_TEXT, 0, 0, 0, 0 },
		     { "data", OP_BYTES, 0, 0, 0, 0 },
		     { "offset", OP_INT, 1, -1, INT64_MAX, -1 },
		     { "flags", OP_INT, 1, -1, 3, -1 }) },
	[OP_use_process] = { OP(use_process, "use_process(pid): the memory, "
		"argv, environment, pid and fd operations that follow act on "
		"that process (0: the event's) until the event ends",
		OP_AT_PID, run_use_process, emit_done),
		ARGS({ "pid", OP_INT, 0, 0, INT32_MAX, 0 }) },
};

const struct op_def *op_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < OP_COUNT; i++)
		if (!strcmp(op_defs[i].name, name))
			return &op_defs[i];
	return NULL;
}

const char *op_check_int(const struct op_arg *a, int64_t v, char *buf,
			 size_t cap)
{
	if (a->type != OP_INT && a->type != OP_INDEX)
		return NULL;
	if (v >= a->min && v <= a->max)
		return NULL;
	snprintf(buf, cap, "%" PRId64 " to %" PRId64, a->min, a->max);
	return buf;
}

void op_result_init(const struct op_def *op, const struct op_value *args,
		    struct op_result *r)
{
	memset(r, 0, sizeof(*r));
	if (op->where == OP_AT_ADDR || op->where == OP_AT_FD)
		r->at = args[0].u;
}

int op_run(const struct op_def *op, struct hm_vcpu *vcpu,
	   const struct op_value *args, struct op_result *r)
{
	op_result_init(op, args, r);
	return op->run(vcpu, args, r);
}

void op_emit(const struct op_def *op, const struct op_result *r,
	     const struct op_emitter *e)
{
	op->emit(r, e);
}

void op_result_free(struct op_result *r)
{
	free(r->data);
	r->data = NULL;
}

void op_where_text(const struct op_def *op, const struct op_value *args,
		   const struct op_result *r, char *buf, size_t cap)
{
	switch (op->where) {
	case OP_AT_ADDR:
		snprintf(buf, cap, "0x%" PRIx64, r->at);
		break;
	case OP_AT_FD:
		snprintf(buf, cap, "fd %" PRId64, (int64_t)r->at);
		break;
	case OP_AT_PATH:
		snprintf(buf, cap, "%s", (const char *)args[0].p);
		break;
	case OP_AT_PID:
		if (args[0].u) {
			snprintf(buf, cap, "pid %" PRIu64, args[0].u);
			break;
		}
		/* fall through */
	case OP_AT_PROCESS:
		snprintf(buf, cap, "process");
		break;
	case OP_AT_SYSCALL:
		snprintf(buf, cap, "syscall");
		break;
	}
}

const char *op_strerror(const struct op_def *op, int err)
{
	if (err == -EINVAL && op->einval)
		return op->einval;
	if (err == -EOPNOTSUPP && op->where == OP_AT_SYSCALL)
		return "the guest does not offer event control";
	if (err == -E2BIG)
		return "more than one operation may take (entries or memory)";
	return strerror(-err);
}

void op_error_text(const struct op_def *op, const struct op_value *args,
		   const struct op_result *r, int err, char *buf, size_t cap)
{
	char where[256];

	op_where_text(op, args, r, where, sizeof(where));
	snprintf(buf, cap, "%s: %s: %s", op->name, where,
		 op_strerror(op, err));
}
