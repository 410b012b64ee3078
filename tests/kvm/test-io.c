// SPDX-License-Identifier: MIT
/*
 * The kvm suite's reads and writes: the ioctl interaction sequence, and
 * exact bytes of the pattern program's buffers across chunk boundaries,
 * unmapped and read-only pages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"

/* ---- the ioctl interaction test ---- */

static void ioctl_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct hm_event *ev)
{
	uint64_t arg = ev->args[2];
	struct hm_socket_info si;
	struct hm_env_var *env;
	char **argv;
	size_t argc, n, i;
	uint32_t v = 0;

	if (ev->kind != HM_EVENT_SYSCALL_ENTER || ev->nr != TINY_SYS_IOCTL ||
	    ev->args[1] != TINY_SIOCDEVPRIVATE)
		return;
	r->rets[0] = hm_vcpu_read_str(vcpu, arg, r->strs[0], TINY_IFNAMSIZ);
	r->rets[1] = hm_vcpu_read_u32(vcpu, arg + TINY_IFNAMSIZ, &v);
	r->values[1] = v;
	r->rets[2] = hm_vcpu_write_str(vcpu, arg, "test");
	r->rets[3] = hm_vcpu_read_str(vcpu, arg, r->strs[1], TINY_IFNAMSIZ);
	r->rets[4] = hm_vcpu_write_u32(vcpu, arg + TINY_IFNAMSIZ, 0x12345678);
	r->rets[5] = hm_vcpu_read_u32(vcpu, arg + TINY_IFNAMSIZ, &v);
	r->values[5] = v;
	r->rets[6] = hm_vcpu_read_fd_name(vcpu, (int64_t)ev->args[0],
					  r->strs[2], sizeof(r->strs[2]));
	r->rets[7] = hm_vcpu_read_socket_info(vcpu, (int64_t)ev->args[0], &si);
	r->values[7] = ((uint64_t)si.family << 32) | si.type;
	r->rets[8] = hm_vcpu_get_proc_args(vcpu, &argv, &argc);
	if (!r->rets[8]) {
		r->values[8] = argc;
		n = 0;
		for (i = 0; i < argc; i++)
			n += (size_t)snprintf(r->strs[3] + n,
					      sizeof(r->strs[3]) - n, "%s|",
					      argv[i]);
		free(argv);
	}
	r->rets[9] = hm_vcpu_get_proc_env(vcpu, &env, &n);
	if (!r->rets[9]) {
		r->values[9] = n;
		r->ok[9] = n == 2 && !strcmp(env[0].name, "PATH") &&
			   !strcmp(env[0].value, "/bin") &&
			   !strcmp(env[1].name, "TEST") &&
			   !strcmp(env[1].value, "ioctl");
		free(env);
	}
	r->rets[10] = hm_vcpu_get_proc_pid(vcpu, &r->values[10]);
	r->done++;
}

static void ioctl_interaction_sequence(void **state)
{
	struct record r = { .body = ioctl_body };
	struct guest vm;

	(void)state;
	assert_int_equal(boot(&vm, &r, "scenario=ioctl quiet", 1, 0), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.rets[0], 4);
	assert_string_equal(r.strs[0], "eth0");
	assert_int_equal(r.rets[1], 0);
	assert_int_equal(r.values[1], 42);
	assert_int_equal(r.rets[2], 0);
	assert_int_equal(r.rets[3], 4);
	assert_string_equal(r.strs[1], "test");
	assert_int_equal(r.rets[4], 0);
	assert_int_equal(r.rets[5], 0);
	assert_int_equal(r.values[5], 0x12345678);
	assert_int_equal(r.rets[6], strlen(r.strs[2]));
	assert_memory_equal(r.strs[2], "socket:[", 8);
	assert_int_equal(r.rets[7], 0);
	assert_int_equal(r.values[7], (2ull << 32) | 1);
	assert_int_equal(r.rets[8], 0);
	assert_int_equal(r.values[8], 2);
	assert_string_equal(r.strs[3], "ioctl_test|eth0|");
	assert_int_equal(r.rets[9], 0);
	assert_true(r.ok[9]);
	assert_int_equal(r.rets[10], 0);
	/* The guest saw "test" and 0x12345678: exit status 0. */
	assert_true(vm.all_done);
	assert_int_equal(vm.failed, 0);
	assert_int_equal(proc_status(&vm, r.values[10]), 0);
	finish(&vm);
}

static void reads_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct tiny_pattern *d, uint64_t daddr)
{
	unsigned int i;

	(void)daddr;
	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		size_t len = tiny_pattern_sizes[i];
		uint8_t *buf = malloc(len + 1);

		buf[len] = 0xee;
		r->rets[i] = hm_vcpu_read(vcpu, d->buf[i], buf, len);
		r->ok[i] = matches(buf, len, tiny_read_seed(i)) &&
			   buf[len] == 0xee;
		free(buf);
	}
}

static void read_exact_1_4072_4073_262144_bytes(void **state)
{
	struct record r = { 0 };
	unsigned int i;

	(void)state;
	assert_int_equal(run_pattern(&r, reads_body), 0);
	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		assert_int_equal(r.rets[i], tiny_pattern_sizes[i]);
		assert_true(r.ok[i]);
	}
}

static void writes_body(struct record *r, struct hm_vcpu *vcpu,
			const struct tiny_pattern *d, uint64_t daddr)
{
	unsigned int i;
	size_t j;

	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		size_t len = tiny_pattern_sizes[i];
		uint8_t *buf = malloc(len);

		for (j = 0; j < len; j++)
			buf[j] = tiny_pattern_byte(tiny_write_seed(i), j);
		r->rets[i] = hm_vcpu_write(vcpu, d->buf[i], buf, len);
		memset(buf, 0, len);
		r->rets[4 + i] = hm_vcpu_read(vcpu, d->buf[i], buf, len);
		r->ok[i] = matches(buf, len, tiny_write_seed(i));
		free(buf);
	}
	r->rets[8] = hm_vcpu_write_u32(vcpu, daddr +
				       offsetof(struct tiny_pattern, written),
				       (1u << TINY_PATTERN_BUFS) - 1);
}

static void write_exact_1_4072_4073_262144_bytes(void **state)
{
	struct record r = { 0 };
	unsigned int i;

	(void)state;
	/* Status 0: the guest found every byte the host wrote. */
	assert_int_equal(run_pattern(&r, writes_body), 0);
	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		assert_int_equal(r.rets[i], tiny_pattern_sizes[i]);
		assert_int_equal(r.rets[4 + i], tiny_pattern_sizes[i]);
		assert_true(r.ok[i]);
	}
	assert_int_equal(r.rets[8], 0);
}

static void long_string_body(struct record *r, struct hm_vcpu *vcpu,
			     const struct tiny_pattern *d, uint64_t daddr)
{
	char *buf = malloc(TINY_PATTERN_STR_LEN + 1);
	size_t i;

	(void)daddr;
	r->rets[0] = hm_vcpu_read_str(vcpu, d->str, buf,
				      TINY_PATTERN_STR_LEN + 1);
	r->ok[0] = buf[TINY_PATTERN_STR_LEN] == 0;
	for (i = 0; i < TINY_PATTERN_STR_LEN; i++)
		r->ok[0] &= buf[i] == tiny_string_byte(i);
	/* One byte short of room for the NUL. */
	r->rets[1] = hm_vcpu_read_str(vcpu, d->str, buf,
				      TINY_PATTERN_STR_LEN);
	r->ok[1] = strlen(buf) == TINY_PATTERN_STR_LEN - 1;
	free(buf);
}

static void read_str_of_10000_bytes(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, long_string_body), 0);
	assert_int_equal(r.rets[0], TINY_PATTERN_STR_LEN);
	assert_true(r.ok[0]);
	assert_int_equal(r.rets[1], -ENAMETOOLONG);
	assert_true(r.ok[1]);
}

static int all_a(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != TINY_PATTERN_TAIL_BYTE)
			return 0;
	}
	return 1;
}

static void no_nul_body(struct record *r, struct hm_vcpu *vcpu,
			const struct tiny_pattern *d, uint64_t daddr)
{
	char buf[16384];

	(void)daddr;
	r->rets[0] = hm_vcpu_read_str(vcpu, d->tail, buf, 100);
	r->ok[0] = strlen(buf) == 99 && all_a(buf, 99);
	/* Room for more than the tail: memory ends before any NUL. */
	r->rets[1] = hm_vcpu_read_str(vcpu, d->tail, buf, sizeof(buf));
	r->values[1] = d->tail_len;
}

static void read_str_without_nul_stops_at_cap_or_fault(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, no_nul_body), 0);
	assert_int_equal(r.rets[0], -ENAMETOOLONG);
	assert_true(r.ok[0]);
	assert_int_equal(r.rets[1], -EFAULT);
}

static void unmapped_body(struct record *r, struct hm_vcpu *vcpu,
			  const struct tiny_pattern *d, uint64_t daddr)
{
	char buf[8192];

	(void)daddr;
	memset(buf, 0, sizeof(buf));
	r->rets[0] = hm_vcpu_read(vcpu, d->tail, buf, sizeof(buf));
	r->ok[0] = all_a(buf, d->tail_len) && buf[d->tail_len] == 0;
	r->values[0] = d->tail_len;
	r->rets[1] = hm_vcpu_read(vcpu, d->tail + d->tail_len, buf, 1);
	r->rets[2] = hm_vcpu_read(vcpu, d->hole, buf, 16);
}

static void read_into_unmapped_page_returns_prefix_then_efault(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, unmapped_body), 0);
	assert_int_equal(r.rets[0], r.values[0]);
	assert_true(r.ok[0]);
	assert_int_equal(r.rets[1], -EFAULT);
	assert_int_equal(r.rets[2], -EFAULT);
}

static void read_only_body(struct record *r, struct hm_vcpu *vcpu,
			   const struct tiny_pattern *d, uint64_t daddr)
{
	static const char junk[16] = "overwrite me!!!";
	uint8_t page[4096];

	(void)daddr;
	r->rets[0] = hm_vcpu_write(vcpu, d->ro, junk, sizeof(junk));
	r->rets[1] = hm_vcpu_write(vcpu, d->hole, junk, sizeof(junk));
	r->rets[2] = hm_vcpu_read(vcpu, d->ro, page, sizeof(page));
	r->ok[2] = matches(page, sizeof(page), TINY_RO_SEED);
}

static void write_to_read_only_page_fails_efault(void **state)
{
	struct record r = { 0 };

	(void)state;
	/* Status 0 includes the guest's check that the page is intact. */
	assert_int_equal(run_pattern(&r, read_only_body), 0);
	assert_int_equal(r.rets[0], -EFAULT);
	assert_int_equal(r.rets[1], -EFAULT);
	assert_int_equal(r.rets[2], 4096);
	assert_true(r.ok[2]);
}

int run_io_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ioctl_interaction_sequence),
		cmocka_unit_test(read_exact_1_4072_4073_262144_bytes),
		cmocka_unit_test(write_exact_1_4072_4073_262144_bytes),
		cmocka_unit_test(read_str_of_10000_bytes),
		cmocka_unit_test(read_str_without_nul_stops_at_cap_or_fault),
		cmocka_unit_test(
			read_into_unmapped_page_returns_prefix_then_efault),
		cmocka_unit_test(write_to_read_only_page_fails_efault),
	};

	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
