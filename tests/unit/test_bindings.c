// SPDX-License-Identifier: MIT
/*
 * The operations every language binding shares (bindings/ops.c), against
 * the fake guest: what each one gives back, as a recording emitter writes
 * it down, where a failure is placed and how it reads, and the table
 * itself, which both languages build their functions from.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "ops.h"
#include "syscalls.h"
#include "unit.h"

/* Values as text: b"..." bytes, "..." text, 42, [a, b], {k: v}, done. */
struct record {
	char text[8192];
	size_t len;
	int first;		/* no ", " before the next value */
	char closers[4];	/* of the containers open */
	unsigned int depth;
};

static void add(struct record *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct record *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(r->text) - r->len);
	r->len += (size_t)n;
}

static void sep(struct record *r)
{
	if (!r->first)
		add(r, ", ");
	r->first = 0;
}

static void rec_done(void *ctx)
{
	sep(ctx);
	add(ctx, "done");
}

static void rec_boolean(void *ctx, int v)
{
	sep(ctx);
	add(ctx, v ? "true" : "false");
}

static void rec_integer(void *ctx, int64_t v)
{
	sep(ctx);
	add(ctx, "%" PRId64, v);
}

static void rec_uinteger(void *ctx, uint64_t v)
{
	sep(ctx);
	add(ctx, "%" PRIu64 "u", v);
}

static void rec_bytes(void *ctx, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	sep(ctx);
	add(ctx, "b\"");
	for (i = 0; i < len; i++)
		add(ctx, b[i] >= 0x20 && b[i] < 0x7f ? "%c" : "\\x%02x", b[i]);
	add(ctx, "\"");
}

static void rec_text(void *ctx, const char *s, size_t len)
{
	sep(ctx);
	add(ctx, "\"%.*s\"", (int)len, s);
}

static void begin(struct record *r, char open, char close)
{
	assert_true(r->depth < sizeof(r->closers));
	sep(r);
	add(r, "%c", open);
	r->closers[r->depth++] = close;
	r->first = 1;
}

static void rec_begin_list(void *ctx, size_t count)
{
	(void)count;
	begin(ctx, '[', ']');
}

static void rec_begin_record(void *ctx, size_t count)
{
	(void)count;
	begin(ctx, '{', '}');
}

static void rec_key(void *ctx, const char *key)
{
	struct record *r = ctx;

	sep(r);
	add(r, "%s: ", key);
	r->first = 1;
}

static void rec_end(void *ctx)
{
	struct record *r = ctx;

	assert_true(r->depth > 0);
	add(r, "%c", r->closers[--r->depth]);
	r->first = 0;
}

/* Run op by name with args; its result as text, or its error message. */
static const char *run(struct unit *u, const char *name,
		       const struct op_value *args, int *err)
{
	static struct record r;
	const struct op_emitter e = {
		rec_done, rec_boolean, rec_integer, rec_uinteger, rec_bytes,
		rec_text,
		rec_begin_list, rec_begin_record, rec_key, rec_end, &r,
	};
	const struct op_def *op = op_by_name(name);
	struct op_result res;

	assert_non_null(op);
	memset(&r, 0, sizeof(r));
	r.first = 1;
	*err = op_run(op, u->vcpu, args, &res);
	if (*err)
		op_error_text(op, args, &res, *err, r.text, sizeof(r.text));
	else
		op_emit(op, &res, &e);
	op_result_free(&res);
	return r.text;
}

static void every_op_has_a_name_doc_and_sane_arguments(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < OP_COUNT; i++) {
		const struct op_def *op = &op_defs[i];
		size_t n = strlen(op->name);

		assert_ptr_equal(op_by_name(op->name), op);
		assert_int_equal(strncmp(op->doc, op->name, n), 0);
		assert_int_equal(op->doc[n], '(');
		assert_non_null(op->run);
		assert_non_null(op->emit);
		assert_true(op->nargs <= OP_MAX_ARGS);
		/* Optional arguments come last, with defaults in range. */
		for (j = 1; j < op->nargs; j++)
			assert_true(op->args[j].optional ||
				    !op->args[j - 1].optional);
		for (j = 0; j < op->nargs; j++) {
			char buf[64];

			assert_non_null(op->args[j].name);
			if (op->args[j].optional)
				assert_null(op_check_int(&op->args[j],
						op->args[j].def, buf,
						sizeof(buf)));
		}
	}
	assert_null(op_by_name("read_everything"));
}

static void integer_arguments_are_held_to_their_range(void **state)
{
	const struct op_def *len = op_by_name("read_bytes");
	const struct op_def *w = op_by_name("write_int");
	char buf[64];

	(void)state;
	assert_string_equal(op_check_int(&len->args[1], -1, buf, sizeof(buf)),
			    "0 to 16777216");
	assert_null(op_check_int(&len->args[1], 16 << 20, buf, sizeof(buf)));
	assert_non_null(op_check_int(&len->args[1], (16 << 20) + 1, buf,
				     sizeof(buf)));
	/* write_int takes a signed or an unsigned 32-bit value. */
	assert_null(op_check_int(&w->args[1], INT32_MIN, buf, sizeof(buf)));
	assert_null(op_check_int(&w->args[1], UINT32_MAX, buf, sizeof(buf)));
	assert_string_equal(op_check_int(&w->args[1], (int64_t)UINT32_MAX + 1,
					 buf, sizeof(buf)),
			    "-2147483648 to 4294967295");
	/* Addresses are not ranges: any 64-bit pattern. */
	assert_null(op_check_int(&w->args[0], -1, buf, sizeof(buf)));
}

static void check_reads(struct unit *u, const struct hm_event *ev)
{
	struct op_value a[3] = { { .u = VA_STR }, { .u = 5 } };
	char want[64];
	int err;

	(void)ev;
	assert_string_equal(run(u, "read_str", a, &err),
			    "read_str: 0x900000: File name too long");
	a[0].u = VA_STR + STR_LEN - 4;
	assert_string_equal(run(u, "read_str", a, &err), "\"mnop\"");
	/* At the hole: the bytes there are, then the end. */
	a[0].u = VA_NONUL + NONUL_LEN - 3;
	a[1].u = 16;
	assert_string_equal(run(u, "read_bytes", a, &err), "b\"xxx\"");
	assert_int_equal(err, 0);
	/* read_int is unsigned, as the original plugins' is. */
	u->buf[0] = 0xfe;
	u->buf[1] = u->buf[2] = u->buf[3] = 0xff;
	a[0].u = VA_BUF;
	assert_string_equal(run(u, "read_int", a, &err), "4294967294u");
	a[0].u = 0x10;
	assert_string_equal(run(u, "read_long", a, &err),
			    "read_long: 0x10: Bad address");
	assert_int_equal(err, -EFAULT);
	assert_string_equal(run(u, "get_proc_args", a, &err),
			    "[\"/bin/prog\", \"--flag\", "
			    "\"value with spaces\"]");
	assert_string_equal(run(u, "get_proc_env", a, &err),
			    "{HOME: \"/root\", EQ: \"a=b=c\", EMPTY: \"\", "
			    "BARE: \"\", PATH: \"/bin\"}");
	snprintf(want, sizeof(want), "%uu", PID);
	assert_string_equal(run(u, "get_proc_pid", a, &err), want);
}

static void results_are_values_of_the_ops_kind(void **state)
{
	(void)state;
	unit_with_event(check_reads);
}

static void check_fds(struct unit *u, const struct hm_event *ev)
{
	struct op_value a[3] = { { .u = 4 } };
	int err;

	(void)ev;
	assert_string_equal(run(u, "read_fd_name", a, &err),
			    "\"/etc/hostname\"");
	a[0].u = (uint64_t)-7;
	assert_string_equal(run(u, "read_fd_name", a, &err),
			    "read_fd_name: fd -7: Bad file descriptor");
	a[0].u = 3;
	assert_string_equal(run(u, "read_socket_info", a, &err),
			    "{family: 2, type: 1, protocol: 6, state: 10, "
			    "local: b\"\\x02\\x00\\x1f\\x90\\x7f\\x00\\x00"
			    "\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\", "
			    "remote: b\"\", "
			    "local_addr: \"127.0.0.1\", local_port: 8080}");
	a[0].p = "/etc/hostname";
	a[1].u = 3;
	a[2].u = 1;
	assert_string_equal(run(u, "read_file", a, &err), "b\"iny\"");
	a[0].p = "/etc/nope";
	a[2].u = 0;
	assert_string_equal(run(u, "read_file", a, &err),
			    "read_file: /etc/nope: No such file or directory");
}

static void file_and_fd_ops_say_which_fd_or_path(void **state)
{
	(void)state;
	unit_with_event(check_fds);
}

static void check_writes(struct unit *u, const struct hm_event *ev)
{
	struct op_value a[3] = { { .u = VA_BUF }, { .p = "hi", .len = 2 } };
	int err;

	(void)ev;
	assert_string_equal(run(u, "write_bytes", a, &err), "done");
	assert_memory_equal(u->buf, "hi", 2);
	/* A write that stops part way fails where it stopped. */
	a[0].u = VA_BUF + BUF_SIZE - 1;
	assert_string_equal(run(u, "write_bytes", a, &err),
			    "write_bytes: 0x442000: Bad address");
	assert_int_equal(u->buf[BUF_SIZE - 1], 'h');
	a[0].u = VA_RO;
	a[1].u = 0x12345678;
	assert_string_equal(run(u, "write_int", a, &err),
			    "write_int: 0x800000: Bad address");
	/* Event control: the wrong phase is the caller's mistake. */
	a[0].u = 5;
	assert_string_equal(run(u, "set_return", a, &err),
			    "set_return: syscall: the return value changes "
			    "only at a return");
	assert_int_equal(err, -EINVAL);
}

static void writes_fail_where_they_stop(void **state)
{
	(void)state;
	unit_with_event(check_writes);
}

/*
 * Scripts name syscalls; the guest raises numbers, its architecture's, as
 * libseccomp 2.5.4 numbers them.
 */
static void syscall_numbers_are_the_guest_architectures(void **state)
{
	static const struct {
		uint32_t arch;
		uint64_t openat, ioctl, read;
	} want[] = {
		{ HM_ARCH_X86_64, 257, 16, 0 },
		{ HM_ARCH_AARCH64, 56, 29, 63 },
		{ HM_ARCH_ARM, 322, 54, 3 },
		{ HM_ARCH_MIPS_O32, 4288, 4054, 4003 },
		{ HM_ARCH_MIPS_N64, 5247, 5015, 5000 },
	};
	const struct syscall_desc *d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t arch = want[i].arch;

		d = syscall_by_name_arch(arch, "openat");
		assert_non_null(d);
		assert_int_equal(d->nr, want[i].openat);
		assert_string_equal(d->args[1], "filename");
		d = syscall_by_nr_arch(arch, want[i].ioctl);
		assert_non_null(d);
		assert_string_equal(d->name, "ioctl");
		assert_string_equal(d->args[1], "cmd");
		d = syscall_by_nr_arch(arch, want[i].read);
		assert_non_null(d);
		assert_string_equal(d->name, "read");
		assert_null(d->args[3]);
		assert_null(syscall_by_nr_arch(arch, 100000));
		assert_null(syscall_by_name_arch(arch, "frobnicate"));
	}
	assert_null(syscall_by_name_arch(HM_ARCH_MAX + 1, "openat"));
	assert_null(syscall_by_nr_arch(HM_ARCH_UNSAID, 257));
}

/* The generic table (aarch64) has only openat; the others have open. */
static void open_only_where_the_architecture_has_it(void **state)
{
	(void)state;
	assert_null(syscall_by_name_arch(HM_ARCH_AARCH64, "open"));
	assert_int_equal(syscall_by_name_arch(HM_ARCH_X86_64, "open")->nr, 2);
	assert_int_equal(syscall_by_name_arch(HM_ARCH_ARM, "open")->nr, 5);
	assert_int_equal(syscall_by_name_arch(HM_ARCH_MIPS_O32, "open")->nr,
			 4005);
	assert_int_equal(syscall_by_name_arch(HM_ARCH_MIPS_N64, "open")->nr,
			 5002);
	/* 32-bit ARM's mmap is mmap2 alone. */
	assert_null(syscall_by_name_arch(HM_ARCH_ARM, "mmap"));
	assert_int_equal(syscall_by_name_arch(HM_ARCH_ARM, "mmap2")->nr, 192);
}

/*
 * What libseccomp's name lookup does not give: o32's own socket calls
 * (it answers socketcall's multiplexed pseudo-number), ARM's private ones.
 */
static void every_number_the_kernel_has_is_named(void **state)
{
	(void)state;
	assert_int_equal(syscall_by_name_arch(HM_ARCH_MIPS_O32, "socket")->nr,
			 4183);
	assert_int_equal(syscall_by_name_arch(HM_ARCH_MIPS_O32,
					      "socketcall")->nr, 4102);
	assert_string_equal(syscall_by_nr_arch(HM_ARCH_ARM, 0x0f0005)->name,
			    "set_tls");
}

/* Argument names by name, where the ABI does not move them. */
static void argument_names_follow_the_abi(void **state)
{
	const struct syscall_desc *d;

	(void)state;
	d = syscall_by_name_arch(HM_ARCH_X86_64, "clone");
	assert_string_equal(d->args[3], "child_tid");
	assert_string_equal(d->args[4], "tls");
	d = syscall_by_name_arch(HM_ARCH_AARCH64, "clone");
	assert_string_equal(d->args[3], "tls");
	assert_string_equal(d->args[4], "child_tid");
	/* A 64-bit offset in a 32-bit ABI is a register pair. */
	d = syscall_by_name_arch(HM_ARCH_MIPS_N64, "pread64");
	assert_string_equal(d->args[3], "pos");
	d = syscall_by_name_arch(HM_ARCH_ARM, "pread64");
	assert_string_equal(d->args[2], "count");
	assert_null(d->args[3]);
	d = syscall_by_name_arch(HM_ARCH_MIPS_O32, "execve");
	assert_string_equal(d->args[0], "filename");
	assert_string_equal(d->args[2], "envp");
}

/* syscall_by_name()/_nr(): the host's architecture until one is set. */
static void names_are_for_the_architecture_set(void **state)
{
	(void)state;
	assert_int_equal(syscalls_arch(), HM_ARCH_NATIVE);
	assert_ptr_equal(syscall_by_name("openat"),
			 syscall_by_name_arch(HM_ARCH_NATIVE, "openat"));
	syscalls_set_arch(HM_ARCH_MIPS_O32);
	assert_int_equal(syscall_by_name("openat")->nr, 4288);
	assert_string_equal(syscall_by_nr(4288)->name, "openat");
	assert_null(syscall_by_nr(257));
	syscalls_set_arch(HM_ARCH_AARCH64);
	assert_null(syscall_by_name("open"));
	syscalls_set_arch(HM_ARCH_MAX + 1);
	assert_int_equal(syscalls_arch(), HM_ARCH_NATIVE);
	syscalls_set_arch(HM_ARCH_ARM);
	syscalls_set_arch(HM_ARCH_UNSAID);
	assert_int_equal(syscalls_arch(), HM_ARCH_NATIVE);
	assert_int_equal(syscalls_arch_by_name("mips64el"), HM_ARCH_MIPS_N64);
	assert_int_equal(syscalls_arch_by_name("mips"), HM_ARCH_UNSAID);
	assert_string_equal(syscalls_arch_name(HM_ARCH_ARM), "arm");
	assert_string_equal(syscalls_arch_name(HM_ARCH_MIPS_O32), "mipsel");
	assert_string_equal(syscalls_arch_name(0), "unknown");
}

/* A run whose backend counts its stops and whose client its events. */
static int stops, client_events;

static void count_stop(void *guest)
{
	(void)guest;
	stops++;
}

static int count_event(void *opaque, struct hm_vcpu *vcpu, int cpu,
		       const struct hm_event *ev)
{
	(void)opaque;
	(void)vcpu;
	(void)cpu;
	(void)ev;
	client_events++;
	return 0;
}

static void events_of_another_architecture(struct unit *u,
					   const struct hm_event *ev)
{
	static const struct run_backend backend = { .stop = count_stop };
	static const struct run_client client = { .event = count_event };
	struct run r = { .backend = &backend, .client = &client };

	stops = client_events = 0;
	syscalls_set_arch(HM_ARCH_MIPS_O32);
	assert_int_equal(run_event(&r, u->vcpu, 0, ev), -ECANCELED);
	assert_int_equal(run_event(&r, u->vcpu, 0, ev), -ECANCELED);
	assert_int_equal(stops, 1);
	assert_int_equal(client_events, 0);
	assert_true(r.wrong_arch);
	syscalls_set_arch(HM_ARCH_NATIVE);
	r.wrong_arch = 0;
	assert_int_equal(run_event(&r, u->vcpu, 0, ev), 0);
	assert_int_equal(client_events, 1);
	assert_int_equal(stops, 1);
}

/*
 * A run whose names are another architecture's than the guest's stops at
 * its first event, which the client never sees: it would name its
 * numbers wrongly.
 */
static void guest_of_another_architecture_stops_the_run(void **state)
{
	(void)state;
	unit_with_event(events_of_another_architecture);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syscall_numbers_are_the_guest_architectures),
		cmocka_unit_test(open_only_where_the_architecture_has_it),
		cmocka_unit_test(every_number_the_kernel_has_is_named),
		cmocka_unit_test(argument_names_follow_the_abi),
		cmocka_unit_test(names_are_for_the_architecture_set),
		cmocka_unit_test(guest_of_another_architecture_stops_the_run),
		cmocka_unit_test(every_op_has_a_name_doc_and_sane_arguments),
		cmocka_unit_test(integer_arguments_are_held_to_their_range),
		cmocka_unit_test(results_are_values_of_the_ops_kind),
		cmocka_unit_test(file_and_fd_ops_say_which_fd_or_path),
		cmocka_unit_test(writes_fail_where_they_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
