/* SPDX-License-Identifier: MIT */
/*
 * The operations a script or plugin calls on the process that raised an
 * event, defined once for every language: each one's name, arguments, how
 * it runs against the library and what it gives back. A binding (Lua's
 * `hm` in hypermem-run, Python's Event in hypermem._core) converts its
 * language's values into struct op_value by the argument types, calls
 * op_run() (guest I/O only: no language lock needs to be held), and turns
 * the result into its language's values through an op_emitter. A new
 * operation is an entry in HM_OPERATIONS and in ops.c; both languages get
 * it from there.
 */
#ifndef HM_BINDINGS_OPS_H
#define HM_BINDINGS_OPS_H

#include <stddef.h>
#include <stdint.h>

#include <hypermem/hypermem.h>

#define HM_OPERATIONS(X) \
	X(read_bytes) X(read_str) X(read_int) X(read_long) X(read_ptr) \
	X(write_bytes) X(write_str) X(write_int) X(write_long) X(write_ptr) \
	X(get_proc_args) X(get_proc_env) X(get_proc_pid) X(read_fd_name) \
	X(read_file) X(read_socket_info) X(set_arg) X(skip) X(set_return) \
	X(processes) X(maps) X(fds) X(exe) X(cwd) X(write_file) \
	X(use_process)

enum op_id {
#define OP_ENUM(name) OP_##name,
	HM_OPERATIONS(OP_ENUM)
#undef OP_ENUM
	OP_COUNT
};

enum op_arg_type {
	OP_ADDR,	/* a guest address: any 64-bit pattern */
	OP_WORD,	/* a register-sized value: any 64-bit pattern */
	OP_INT,		/* an integer within [min, max] */
	OP_INDEX,	/* a syscall argument, 0..5; Lua counts from 1 */
	OP_BYTES,	/* data, any bytes */
	OP_TEXT,	/* a string without NUL */
};

struct op_arg {
	const char *name;
	enum op_arg_type type;
	int optional;		/* may be left out; then it is def */
	int64_t min, max, def;	/* OP_INT */
};

#define OP_MAX_ARGS 4

/*
 * Most entries one operation turns into values (an argv's strings, an
 * environment's variables, a list's entries): -E2BIG past it. A table or
 * dict per entry costs a few hundred bytes in either language.
 */
#define OP_MAX_ENTRIES 65536u

/* An argument's value, as the binding converted it. */
struct op_value {
	uint64_t u;		/* ADDR, WORD, INT (as int64_t), INDEX */
	const void *p;		/* BYTES, TEXT (NUL-terminated) */
	size_t len;
};

/* Where a failure happened, for its message and exception. */
enum op_where {
	OP_AT_ADDR,		/* the guest address: result.at */
	OP_AT_FD,		/* "fd N": result.at */
	OP_AT_PATH,		/* the path argument; result.at the offset */
	OP_AT_PROCESS,		/* the process that raised the event */
	OP_AT_PID,		/* "pid N", or as OP_AT_PROCESS for 0 */
	OP_AT_SYSCALL,		/* the syscall that raised it */
};

struct op_result;

/* Guest I/O into r; 0 or -errno (r->at says where). */
typedef int op_run_fn(struct hm_vcpu *vcpu, const struct op_value *args,
		      struct op_result *r);

struct op_emitter;
typedef void op_emit_fn(const struct op_result *r,
			const struct op_emitter *e);

struct op_def {
	const char *name;
	const char *doc;	/* "name(args): what it gives" */
	unsigned int nargs;
	struct op_arg args[OP_MAX_ARGS];
	enum op_where where;
	/*
	 * What -EINVAL means for this op, when it is the caller's mistake
	 * (event control in the wrong kind of event) rather than the guest's.
	 */
	const char *einval;
	op_run_fn *run;
	op_emit_fn *emit;
};

/* What an op gives back, held until op_result_free(). */
struct op_result {
	uint64_t value;
	void *data;		/* malloc'd */
	size_t len;
	size_t count;
	uint64_t at;		/* where it failed */
};

/*
 * A binding's builder of values. Scalars, and containers: a list of values
 * or a record of named values, between begin_* and end; inside a record,
 * key() names the value that follows.
 */
struct op_emitter {
	void (*done)(void *ctx);		/* a write that worked */
	void (*boolean)(void *ctx, int v);
	void (*integer)(void *ctx, int64_t v);
	void (*uinteger)(void *ctx, uint64_t v);
	void (*bytes)(void *ctx, const void *p, size_t len);
	void (*text)(void *ctx, const char *s, size_t len);
	void (*begin_list)(void *ctx, size_t count);
	void (*begin_record)(void *ctx, size_t count);
	void (*key)(void *ctx, const char *key);
	void (*end)(void *ctx);
	void *ctx;
};

extern const struct op_def op_defs[OP_COUNT];

const struct op_def *op_by_name(const char *name);

/*
 * Check an integer argument against its op_arg; NULL when it fits, else
 * what is wrong ("0 to 16777216"), in buf.
 */
const char *op_check_int(const struct op_arg *a, int64_t v, char *buf,
			 size_t cap);

/* An empty result whose "where" is the op's address or fd argument. */
void op_result_init(const struct op_def *op, const struct op_value *args,
		    struct op_result *r);
/* Run op with args (every one given or defaulted); 0 or -errno. */
int op_run(const struct op_def *op, struct hm_vcpu *vcpu,
	   const struct op_value *args, struct op_result *r);
void op_emit(const struct op_def *op, const struct op_result *r,
	     const struct op_emitter *e);
void op_result_free(struct op_result *r);

/*
 * "where" of a failure: "0x1000", "fd 3", the path, "process", "syscall";
 * why it failed, the errno's text or what an EINVAL means for op; and the
 * whole message: "read_int: 0x10: Bad address".
 */
void op_where_text(const struct op_def *op, const struct op_value *args,
		   const struct op_result *r, char *buf, size_t cap);
const char *op_strerror(const struct op_def *op, int err);
void op_error_text(const struct op_def *op, const struct op_value *args,
		   const struct op_result *r, int err, char *buf, size_t cap);

#endif
