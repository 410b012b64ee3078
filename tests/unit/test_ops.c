// SPDX-License-Identifier: MIT
/* Every operation against a well-behaved simulated guest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static uint64_t round_trips(struct unit *u)
{
	struct hm_stats stats;

	hm_vcpu_get_stats(u->vcpu, &stats);
	return stats.round_trips;
}

static void assert_pattern(const uint8_t *got, uint64_t va, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (got[i] != fake_pattern(va + i))
			fail_msg("byte %zu of read at %#llx: got %#x, want %#x",
				 i, (unsigned long long)va, got[i],
				 fake_pattern(va + i));
}

static void check_registration(struct unit *u, const struct hm_event *ev)
{
	struct hm_guest_info info;

	(void)ev;
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_int_equal(info.pointer_width, 8);
	assert_int_equal(info.big_endian, 0);
	assert_int_equal(info.region_pages, 1);
	assert_int_equal(info.region_gpa, FAKE_REGION_GPA);
	/* The agent offers long fd names because it has a name buffer. */
	assert_int_equal(info.features, HM_FEATURE_PROCENV |
			 HM_FEATURE_READ_FILE | HM_FEATURE_FD_NAME_OFFSET |
			 HM_FEATURE_GUEST_ARCH);
	/* The guest saw the acknowledgement with the same features. */
	assert_int_equal(u->g->agent.features, info.features);
	/* The GPA came in a register (RBX, X1), read once. */
	assert_int_equal(u->g->regs.reads, 1);
}

static void registration_is_acknowledged_with_guest_info(void **state)
{
	(void)state;
	unit_with_event(check_registration);
}

static void check_event(struct unit *u, const struct hm_event *ev)
{
	(void)u;
	assert_int_equal(ev->kind, HM_EVENT_SYSCALL_ENTER);
	assert_int_equal(ev->nr, 16);
	assert_int_equal(ev->args[0], 3);
	assert_int_equal(ev->args[1], 0x89f0);
	assert_int_equal(ev->args[2], VA_BUF);
	assert_int_equal(ev->args[3], 0);
}

static void event_carries_syscall_arguments(void **state)
{
	(void)state;
	unit_with_event(check_event);
}

static void guest_exit_event(struct fake_guest *g)
{
	struct hm_event_record ev = {
		.kind = HM_EVENT_SYSCALL_EXIT, .nr = 0,
		.args = { 5, VA_BUF, 64, 0, 0, 0x77 }, .ret = (uint64_t)-14,
	};

	fake_guest_register(g);
	hm_agent_raise(&g->agent, &ev);
}

static void check_exit_event(struct unit *u, const struct hm_event *ev)
{
	(void)u;
	assert_int_equal(ev->kind, HM_EVENT_SYSCALL_EXIT);
	assert_int_equal(ev->nr, 0);
	assert_int_equal(ev->args[0], 5);
	assert_int_equal(ev->args[1], VA_BUF);
	assert_int_equal(ev->args[2], 64);
	assert_int_equal(ev->args[5], 0x77);
	assert_int_equal((int64_t)ev->ret, -14);
}

static void exit_event_carries_return_value(void **state)
{
	struct unit *u = unit_new(guest_exit_event);

	(void)state;
	assert_int_equal(unit_run(u, check_exit_event), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static void read_len(struct unit *u, size_t len, uint64_t want_round_trips)
{
	uint8_t *got = malloc(len);
	uint64_t before = round_trips(u);

	assert_non_null(got);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF + 1, got, len), len);
	assert_pattern(got, VA_BUF + 1, len);
	assert_int_equal(round_trips(u) - before, want_round_trips);
	free(got);
}

static void read_sizes(struct unit *u, const struct hm_event *ev)
{
	(void)ev;
	read_len(u, 1, 1);
	read_len(u, HM_DATA_SIZE, 1);
	read_len(u, HM_DATA_SIZE + 1, 2);
	read_len(u, 256 * 1024, 65);
}

static void read_spans_one_two_and_many_chunks(void **state)
{
	(void)state;
	unit_with_event(read_sizes);
}

static void read_partial(struct unit *u, const struct hm_event *ev)
{
	uint64_t start = VA_BUF + BUF_SIZE - 5000;
	uint8_t got[8192];

	(void)ev;
	/* 5000 readable bytes: one full chunk, then 928 and a hole. */
	memset(got, 0xee, sizeof(got));
	assert_int_equal(hm_vcpu_read(u->vcpu, start, got, sizeof(got)), 5000);
	assert_pattern(got, start, 5000);
	assert_int_equal(got[5000], 0xee);
	/* Where it stopped, nothing is readable. */
	assert_int_equal(hm_vcpu_read(u->vcpu, start + 5000, got, 1), -EFAULT);
}

static void read_stops_exactly_at_unreadable_boundary(void **state)
{
	(void)state;
	unit_with_event(read_partial);
}

static void read_chunk_aligned_hole(struct unit *u, const struct hm_event *ev)
{
	uint64_t start = VA_BUF + BUF_SIZE - HM_DATA_SIZE;
	uint8_t got[3 * HM_DATA_SIZE];

	(void)ev;
	/* The second chunk fails whole: the first one's bytes still count. */
	assert_int_equal(hm_vcpu_read(u->vcpu, start, got, sizeof(got)),
			 HM_DATA_SIZE);
	assert_pattern(got, start, HM_DATA_SIZE);
}

static void read_stops_where_a_chunk_starts_unreadable(void **state)
{
	(void)state;
	unit_with_event(read_chunk_aligned_hole);
}

static void read_unmapped(struct unit *u, const struct hm_event *ev)
{
	uint8_t got[16];

	(void)ev;
	assert_int_equal(hm_vcpu_read(u->vcpu, 0x1000, got, sizeof(got)),
			 -EFAULT);
	assert_int_equal(hm_vcpu_read(u->vcpu, UINT64_MAX - 3, got, 8),
			 -EFAULT);
}

static void read_of_unmapped_memory_is_efault(void **state)
{
	(void)state;
	unit_with_event(read_unmapped);
}

static void write_sizes(struct unit *u, const struct hm_event *ev)
{
	static const size_t sizes[] = { 1, HM_DATA_SIZE, HM_DATA_SIZE + 1,
					256 * 1024 };
	uint8_t *data = malloc(256 * 1024);
	size_t i, k;

	(void)ev;
	assert_non_null(data);
	for (k = 0; k < 4; k++) {
		for (i = 0; i < sizes[k]; i++)
			data[i] = (uint8_t)(i * 13 + k);
		assert_int_equal(hm_vcpu_write(u->vcpu, VA_BUF + 3, data,
					       sizes[k]), sizes[k]);
		assert_memory_equal(u->buf + 3, data, sizes[k]);
		/* The byte after the range is untouched. */
		assert_int_equal(u->buf[3 + sizes[k]],
				 fake_pattern(VA_BUF + 3 + sizes[k]));
	}
	free(data);
}

static void write_spans_one_two_and_many_chunks(void **state)
{
	(void)state;
	unit_with_event(write_sizes);
}

static void write_readonly(struct unit *u, const struct hm_event *ev)
{
	uint8_t data[64];

	(void)ev;
	memset(data, 0x11, sizeof(data));
	assert_int_equal(hm_vcpu_write(u->vcpu, VA_RO, data, sizeof(data)),
			 -EFAULT);
	assert_int_equal(u->ro[0], 0x5a);
	assert_int_equal(hm_vcpu_write_u32(u->vcpu, VA_RO + 8, 1), -EFAULT);
	assert_int_equal(u->ro[8], 0x5a);
}

static void write_to_readonly_page_is_efault(void **state)
{
	(void)state;
	unit_with_event(write_readonly);
}

static void write_partial(struct unit *u, const struct hm_event *ev)
{
	uint8_t data[200];

	(void)ev;
	memset(data, 0x22, sizeof(data));
	assert_int_equal(hm_vcpu_write(u->vcpu, VA_BUF + BUF_SIZE - 50, data,
				       sizeof(data)), 50);
	assert_int_equal(u->buf[BUF_SIZE - 1], 0x22);
}

static void write_stops_at_unwritable_boundary(void **state)
{
	(void)state;
	unit_with_event(write_partial);
}

static void read_strings(struct unit *u, const struct hm_event *ev)
{
	char *got = malloc(STR_LEN + 100);
	uint64_t before = round_trips(u);

	(void)ev;
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, got, STR_LEN + 100),
			 STR_LEN);
	assert_string_equal(got, u->str);
	assert_int_equal(round_trips(u) - before, 3);
	/* A string that fills the buffer exactly, NUL included. */
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR + STR_LEN - 5, got,
					  6), 5);
	assert_string_equal(got, u->str + STR_LEN - 5);
	free(got);
}

static void read_str_spanning_three_chunks(void **state)
{
	(void)state;
	unit_with_event(read_strings);
}

static void read_long_string(struct unit *u, const struct hm_event *ev)
{
	char got[5000];

	(void)ev;
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, got, sizeof(got)),
			 -ENAMETOOLONG);
	assert_int_equal(strlen(got), sizeof(got) - 1);
	assert_memory_equal(got, u->str, sizeof(got) - 1);
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, got, 5),
			 -ENAMETOOLONG);
	assert_string_equal(got, "abcd");
}

static void read_str_without_nul_within_cap_is_enametoolong(void **state)
{
	(void)state;
	unit_with_event(read_long_string);
}

static void read_unterminated(struct unit *u, const struct hm_event *ev)
{
	char got[4096];

	(void)ev;
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_NONUL, got, sizeof(got)),
			 -EFAULT);
	assert_int_equal(strlen(got), NONUL_LEN);
	assert_int_equal(hm_vcpu_read_str(u->vcpu, 0x1000, got, sizeof(got)),
			 -EFAULT);
	assert_string_equal(got, "");
}

static void read_str_running_into_hole_is_efault(void **state)
{
	(void)state;
	unit_with_event(read_unterminated);
}

static void read_wrapping(struct unit *u, const struct hm_event *ev)
{
	char got[8];

	(void)ev;
	memset(got, 'x', sizeof(got));
	assert_int_equal(hm_vcpu_read_str(u->vcpu, UINT64_MAX - 3, got,
					  sizeof(got)), -EFAULT);
	assert_string_equal(got, "");
}

static void read_str_wrapping_the_address_space_leaves_buf_empty(void **s)
{
	(void)s;
	unit_with_event(read_wrapping);
}

static void integers(struct unit *u, const struct hm_event *ev)
{
	uint32_t v32;
	uint64_t v64, ptr;

	(void)ev;
	assert_int_equal(hm_vcpu_write_u32(u->vcpu, VA_BUF, 0x12345678), 0);
	assert_memory_equal(u->buf, "\x78\x56\x34\x12", 4);
	assert_int_equal(hm_vcpu_read_u32(u->vcpu, VA_BUF, &v32), 0);
	assert_int_equal(v32, 0x12345678);
	assert_int_equal(hm_vcpu_write_u64(u->vcpu, VA_BUF + 8,
					   0x1122334455667788ull), 0);
	assert_int_equal(hm_vcpu_read_u64(u->vcpu, VA_BUF + 8, &v64), 0);
	assert_int_equal(v64, 0x1122334455667788ull);
	assert_int_equal(u->buf[8], 0x88);
	assert_int_equal(hm_vcpu_write_ptr(u->vcpu, VA_BUF + 16, VA_STR), 0);
	assert_int_equal(hm_vcpu_read_ptr(u->vcpu, VA_BUF + 16, &ptr), 0);
	assert_int_equal(ptr, VA_STR);
	/* A value whose last bytes are past the end is not a value. */
	assert_int_equal(hm_vcpu_read_u64(u->vcpu, VA_BUF + BUF_SIZE - 4,
					  &v64), -EFAULT);
}

static void integers_round_trip_in_guest_byte_order(void **state)
{
	(void)state;
	unit_with_event(integers);
}

/* A 32-bit big-endian guest, as its hello says (arm BE8, say). */
static void guest_32bit_big_endian(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;
	struct hm_hello hello = {
		.magic = HM_MAGIC, .version = HM_VERSION, .pointer_width = 4,
		.endianness = HM_ENDIAN_BIG, .region_pages = 1,
	};

	memcpy(r->data, &hello, sizeof(hello));
	r->op = HM_OP_REGISTER;
	r->size = HM_HELLO_SIZE_V1;
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
	fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, 16, 0, 0, 0);
}

static void big_endian_integers(struct unit *u, const struct hm_event *ev)
{
	struct hm_guest_info info;
	uint32_t v32;
	uint64_t ptr;

	(void)ev;
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_int_equal(info.pointer_width, 4);
	assert_int_equal(info.big_endian, 1);
	assert_int_equal(hm_vcpu_write_u32(u->vcpu, VA_BUF, 0x12345678), 0);
	assert_memory_equal(u->buf, "\x12\x34\x56\x78", 4);
	assert_int_equal(hm_vcpu_read_u32(u->vcpu, VA_BUF, &v32), 0);
	assert_int_equal(v32, 0x12345678);
	/* Pointers are 4 bytes: the byte after them is not read or written. */
	u->buf[8] = 0xaa;
	assert_int_equal(hm_vcpu_write_ptr(u->vcpu, VA_BUF + 4, 0x80001000),
			 0);
	assert_memory_equal(u->buf + 4, "\x80\x00\x10\x00\xaa", 5);
	assert_int_equal(hm_vcpu_read_ptr(u->vcpu, VA_BUF + 4, &ptr), 0);
	assert_int_equal(ptr, 0x80001000);
	assert_int_equal(hm_vcpu_write_ptr(u->vcpu, VA_BUF, 1ull << 32),
			 -EINVAL);
}

static void pointers_follow_registered_width_and_byte_order(void **state)
{
	struct unit *u = unit_new(guest_32bit_big_endian);

	(void)state;
	assert_int_equal(unit_run(u, big_endian_integers), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static void strings_written(struct unit *u, const struct hm_event *ev)
{
	char got[16];

	(void)ev;
	assert_int_equal(hm_vcpu_write_str(u->vcpu, VA_BUF, "test"), 0);
	assert_memory_equal(u->buf, "test", 5);
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_BUF, got, sizeof(got)),
			 4);
	assert_string_equal(got, "test");
	assert_int_equal(hm_vcpu_write_str(u->vcpu, VA_RO, "x"), -EFAULT);
}

static void write_str_writes_the_nul(void **state)
{
	(void)state;
	unit_with_event(strings_written);
}

static void proc_args(struct unit *u, const struct hm_event *ev)
{
	char **argv;
	size_t argc;

	(void)ev;
	assert_int_equal(hm_vcpu_get_proc_args(u->vcpu, &argv, &argc), 0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[0], "/bin/prog");
	assert_string_equal(argv[1], "--flag");
	assert_string_equal(argv[2], "value with spaces");
	assert_null(argv[3]);
	free(argv);
}

static void proc_args_are_an_argv_vector(void **state)
{
	(void)state;
	unit_with_event(proc_args);
}

static char long_args[3 * 3000];

static void guest_long_args(struct fake_guest *g)
{
	struct fake_process *p = g->current;
	int i;

	for (i = 0; i < 3; i++) {
		memset(long_args + i * 3000, 'A' + i, 2999);
		long_args[i * 3000 + 2999] = '\0';
	}
	p->args = long_args;
	p->args_len = sizeof(long_args);
	guest_one_event(g);
}

static void proc_long_args(struct unit *u, const struct hm_event *ev)
{
	uint64_t before = round_trips(u);
	char **argv;
	size_t argc;

	(void)ev;
	assert_int_equal(hm_vcpu_get_proc_args(u->vcpu, &argv, &argc), 0);
	assert_int_equal(round_trips(u) - before, 3);
	assert_int_equal(argc, 3);
	assert_int_equal(strlen(argv[0]), 2999);
	assert_int_equal(argv[2][2998], 'C');
	assert_null(argv[3]);
	free(argv);
}

static void proc_args_beyond_one_chunk(void **state)
{
	struct unit *u = unit_new(guest_long_args);

	(void)state;
	assert_int_equal(unit_run(u, proc_long_args), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static void proc_env(struct unit *u, const struct hm_event *ev)
{
	struct hm_env_var *vars;
	size_t n;

	(void)ev;
	assert_int_equal(hm_vcpu_get_proc_env(u->vcpu, &vars, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(vars[0].name, "HOME");
	assert_string_equal(vars[0].value, "/root");
	assert_string_equal(vars[1].name, "EQ");
	assert_string_equal(vars[1].value, "a=b=c");
	assert_string_equal(vars[2].name, "EMPTY");
	assert_string_equal(vars[2].value, "");
	assert_string_equal(vars[3].name, "BARE");
	assert_string_equal(vars[3].value, "");
	assert_string_equal(vars[4].name, "PATH");
	assert_string_equal(vars[4].value, "/bin");
	free(vars);
}

static void proc_env_splits_at_first_equals(void **state)
{
	(void)state;
	unit_with_event(proc_env);
}

static void pid_and_fds(struct unit *u, const struct hm_event *ev)
{
	char name[64];
	uint64_t pid;

	(void)ev;
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), 0);
	assert_int_equal(pid, PID);
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, 3, name, sizeof(name)),
			 13);
	assert_string_equal(name, "socket:[1234]");
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, 0, name, sizeof(name)),
			 10);
	assert_string_equal(name, "/dev/ttyS0");
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, 9, name, sizeof(name)),
			 -EBADF);
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, 3, name, 5),
			 -ENAMETOOLONG);
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, 3, name, 14), 13);
}

static void pid_and_fd_names(void **state)
{
	(void)state;
	unit_with_event(pid_and_fds);
}

static void long_fd_name(struct unit *u, const struct hm_event *ev)
{
	char name[LONG_NAME_LEN + 1];

	(void)ev;
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, FD_LONG, name,
					      sizeof(name)), LONG_NAME_LEN);
	assert_string_equal(name, u->long_name);
	/* 4072 bytes, then the last 23, through the one-page region. */
	assert_int_equal(round_trips(u), 2);
}

static void fd_name_of_4095_bytes_through_one_page_region(void **state)
{
	(void)state;
	unit_with_event(long_fd_name);
}

static void long_fd_name_short_cap(struct unit *u, const struct hm_event *ev)
{
	char name[LONG_NAME_LEN];

	(void)ev;
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, FD_LONG, name,
					      sizeof(name)), -ENAMETOOLONG);
	assert_string_equal(name, "");
	/* The first slice's total says it: no second round trip. */
	assert_int_equal(round_trips(u), 1);
}

static void fd_name_one_byte_beyond_cap_is_enametoolong(void **state)
{
	(void)state;
	unit_with_event(long_fd_name_short_cap);
}

static void fd_names_in_one_chunk(struct unit *u, const struct hm_event *ev)
{
	char name[LONG_NAME_LEN + 1];

	(void)ev;
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, 3, name, sizeof(name)),
			 13);
	assert_string_equal(name, "socket:[1234]");
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, FD_LONG, name,
					      sizeof(name)), -ENAMETOOLONG);
	assert_int_equal(u->g->agent.features & HM_FEATURE_FD_NAME_OFFSET, 0);
}

static void fd_name_without_name_buffer_fits_one_chunk(void **state)
{
	struct unit *u = unit_new(guest_one_event);

	(void)state;
	u->g->agent.name_buf = NULL;
	/* An OS asking for the feature without the buffer does not get it. */
	u->g->agent.features |= HM_FEATURE_FD_NAME_OFFSET;
	assert_int_equal(unit_run(u, fd_names_in_one_chunk), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static void files(struct unit *u, const struct hm_event *ev)
{
	char got[16];

	(void)ev;
	memset(got, 0, sizeof(got));
	assert_int_equal(hm_vcpu_read_file(u->vcpu, "/etc/hostname", 0, got,
					   sizeof(got)), 5);
	assert_string_equal(got, "tiny\n");
	assert_int_equal(hm_vcpu_read_file(u->vcpu, "/etc/hostname", 2, got,
					   2), 2);
	assert_memory_equal(got, "ny", 2);
	assert_int_equal(hm_vcpu_read_file(u->vcpu, "/etc/hostname", 5, got,
					   2), 0);
	assert_int_equal(hm_vcpu_read_file(u->vcpu, "/nope", 0, got, 2),
			 -ENOENT);
}

static void read_file_by_path_and_offset(void **state)
{
	(void)state;
	unit_with_event(files);
}

static void sockets(struct unit *u, const struct hm_event *ev)
{
	struct hm_socket_info info;

	(void)ev;
	assert_int_equal(hm_vcpu_read_socket_info(u->vcpu, 3, &info), 0);
	assert_int_equal(info.family, 2);
	assert_int_equal(info.type, 1);
	assert_int_equal(info.protocol, 6);
	assert_int_equal(info.state, 10);
	assert_int_equal(info.local_len, 16);
	assert_memory_equal(info.local, "\x02\x00\x1f\x90\x7f\x00\x00\x01", 8);
	assert_int_equal(info.remote_len, 0);
	assert_int_equal(hm_vcpu_read_socket_info(u->vcpu, 4, &info),
			 -ENOTSOCK);
	assert_int_equal(hm_vcpu_read_socket_info(u->vcpu, 9, &info), -EBADF);
}

static void socket_info_of_tcp_socket(void **state)
{
	(void)state;
	unit_with_event(sockets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registration_is_acknowledged_with_guest_info),
		cmocka_unit_test(event_carries_syscall_arguments),
		cmocka_unit_test(exit_event_carries_return_value),
		cmocka_unit_test(read_spans_one_two_and_many_chunks),
		cmocka_unit_test(read_stops_exactly_at_unreadable_boundary),
		cmocka_unit_test(read_stops_where_a_chunk_starts_unreadable),
		cmocka_unit_test(read_of_unmapped_memory_is_efault),
		cmocka_unit_test(write_spans_one_two_and_many_chunks),
		cmocka_unit_test(write_to_readonly_page_is_efault),
		cmocka_unit_test(write_stops_at_unwritable_boundary),
		cmocka_unit_test(read_str_spanning_three_chunks),
		cmocka_unit_test(read_str_without_nul_within_cap_is_enametoolong),
		cmocka_unit_test(read_str_running_into_hole_is_efault),
		cmocka_unit_test(
			read_str_wrapping_the_address_space_leaves_buf_empty),
		cmocka_unit_test(integers_round_trip_in_guest_byte_order),
		cmocka_unit_test(pointers_follow_registered_width_and_byte_order),
		cmocka_unit_test(write_str_writes_the_nul),
		cmocka_unit_test(proc_args_are_an_argv_vector),
		cmocka_unit_test(proc_args_beyond_one_chunk),
		cmocka_unit_test(proc_env_splits_at_first_equals),
		cmocka_unit_test(pid_and_fd_names),
		cmocka_unit_test(fd_name_of_4095_bytes_through_one_page_region),
		cmocka_unit_test(fd_name_one_byte_beyond_cap_is_enametoolong),
		cmocka_unit_test(fd_name_without_name_buffer_fits_one_chunk),
		cmocka_unit_test(read_file_by_path_and_offset),
		cmocka_unit_test(socket_info_of_tcp_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
