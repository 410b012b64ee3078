// SPDX-License-Identifier: MIT
/*
 * The whole system (HM_FEATURE_PROC_*): the task list across pages, the
 * maps and open files of a process with their names, long names cut,
 * paths, errors; then guests whose list replies break the rules: entries
 * past the reply, keys out of order or behind the cursor, a cursor that
 * does not move, names with a NUL, unknown flags.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define SYSTEM_FEATURES (HM_FEATURE_PROC_LIST | HM_FEATURE_PROC_MAPS | \
			 HM_FEATURE_PROC_FDS | HM_FEATURE_PROC_PATHS | \
			 HM_FEATURE_WRITE_FILE | HM_FEATURE_PID_ACCESS)
#define NR_TASKS 200

static struct hm_proc_entry tasks[NR_TASKS];

static uint64_t round_trips(struct unit *u)
{
	struct hm_stats stats;

	hm_vcpu_get_stats(u->vcpu, &stats);
	return stats.round_trips;
}

static void guest_with_system(struct fake_guest *g)
{
	g->agent.features |= SYSTEM_FEATURES;
	guest_one_event(g);
}

static void with_system(unit_body body)
{
	struct unit *u = unit_new(guest_with_system);
	unsigned int i;

	for (i = 0; i < NR_TASKS; i++) {
		/* Every other pid, threads of pid 10 from 11 to 20. */
		tasks[i] = (struct hm_proc_entry){
			.pid = 2 * i + 1, .tgid = i >= 5 && i < 10 ? 9 : 2 * i + 1,
			.ppid = i ? 1 : 0, .start_ns = 1000 * i, .uid = i % 3,
			.state = i % 2 ? 'S' : 'R',
			.flags = i == 2 ? HM_PROC_KTHREAD : 0,
		};
		memcpy(tasks[i].comm, "task-with-a-long-name", HM_COMM_LEN);
	}
	u->g->procs = tasks;
	u->g->nr_procs = NR_TASKS;
	assert_int_equal(unit_run(u, body), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static void check_tasks(struct unit *u, const struct hm_event *ev)
{
	struct hm_process *list;
	uint64_t before = round_trips(u);
	size_t n, i;

	(void)ev;
	assert_int_equal(hm_vcpu_list_processes(u->vcpu, &list, &n), 0);
	assert_int_equal(n, NR_TASKS);
	/* 72 entries of 56 bytes fit a one-page region: three replies. */
	assert_int_equal(round_trips(u) - before, 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(list[i].pid, 2 * i + 1);
		assert_int_equal(list[i].tgid, tasks[i].tgid);
		assert_int_equal(list[i].ppid, tasks[i].ppid);
		assert_int_equal(list[i].start_ns, 1000 * i);
		assert_int_equal(list[i].uid, i % 3);
		assert_int_equal(list[i].state, i % 2 ? 'S' : 'R');
		assert_int_equal(list[i].flags, i == 2 ? HM_PROC_KTHREAD : 0);
		/* comm lacked its NUL: the library ends it. */
		assert_string_equal(list[i].comm, "task-with-a-lon");
	}
	free(list);
}

static void task_list_comes_in_pid_order_across_replies(void **state)
{
	(void)state;
	with_system(check_tasks);
}

static void check_maps(struct unit *u, const struct hm_event *ev)
{
	struct hm_mapping *maps;
	size_t n;

	(void)ev;
	assert_int_equal(hm_vcpu_get_maps(u->vcpu, 0, &maps, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(maps[0].start, VA_BUF);
	assert_int_equal(maps[0].end, VA_BUF + BUF_SIZE);
	assert_int_equal(maps[0].flags, HM_MAP_READ | HM_MAP_WRITE);
	assert_string_equal(maps[0].name, "[heap]");
	assert_int_equal(maps[1].flags, HM_MAP_READ);
	assert_string_equal(maps[1].name, "/usr/lib/libc.so.6");
	assert_string_equal(maps[2].name, "");
	/* 4095 bytes do not fit beside an entry in 4072: the start of it. */
	assert_int_equal(maps[3].flags,
			 HM_MAP_READ | HM_MAP_WRITE | HM_NAME_CUT);
	assert_int_equal(strlen(maps[3].name), HM_DATA_SIZE - 40);
	assert_memory_equal(maps[3].name, u->long_name, HM_DATA_SIZE - 40);
	free(maps);
	/* The event's process by its pid, and one that is not there. */
	assert_int_equal(hm_vcpu_get_maps(u->vcpu, PID, &maps, &n), 0);
	free(maps);
	assert_int_equal(hm_vcpu_get_maps(u->vcpu, PID + 1, &maps, &n),
			 -ESRCH);
}

static void maps_name_each_mapping_and_cut_long_names(void **state)
{
	(void)state;
	with_system(check_maps);
}

static void check_fds_and_paths(struct unit *u, const struct hm_event *ev)
{
	struct hm_open_file *files;
	char path[64];
	size_t n;

	(void)ev;
	assert_int_equal(hm_vcpu_get_fds(u->vcpu, 0, &files, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(files[0].fd, 0);
	assert_string_equal(files[0].name, "/dev/ttyS0");
	assert_int_equal(files[1].fd, 3);
	assert_string_equal(files[1].name, "socket:[1234]");
	assert_int_equal(files[1].open_flags, 2);
	/* The long name comes alone in the second reply, cut to fit it. */
	assert_int_equal(files[3].fd, FD_LONG);
	assert_int_equal(files[3].flags, HM_NAME_CUT);
	assert_int_equal(strlen(files[3].name), HM_DATA_SIZE - 16);
	assert_memory_equal(files[3].name, u->long_name, HM_DATA_SIZE - 16);
	free(files);
	assert_int_equal(hm_vcpu_get_exe(u->vcpu, 0, path, sizeof(path)), 9);
	assert_string_equal(path, "/bin/fake");
	assert_int_equal(hm_vcpu_get_cwd(u->vcpu, PID, path, sizeof(path)),
			 5);
	assert_string_equal(path, "/root");
	assert_int_equal(hm_vcpu_get_exe(u->vcpu, 0, path, 9), -ENAMETOOLONG);
	assert_int_equal(hm_vcpu_get_cwd(u->vcpu, 77, path, sizeof(path)),
			 -ESRCH);
	/* No open files at all: an empty list, not an error. */
	u->proc.nr_fds = 0;
	assert_int_equal(hm_vcpu_get_fds(u->vcpu, 0, &files, &n), 0);
	assert_int_equal(n, 0);
	free(files);
}

static void fds_and_paths_of_a_process(void **state)
{
	(void)state;
	with_system(check_fds_and_paths);
}

static void check_not_offered(struct unit *u, const struct hm_event *ev)
{
	struct hm_process *list;
	char path[16];
	size_t n;

	(void)ev;
	assert_int_equal(hm_vcpu_list_processes(u->vcpu, &list, &n),
			 -EOPNOTSUPP);
	assert_int_equal(hm_vcpu_get_exe(u->vcpu, 0, path, sizeof(path)),
			 -EOPNOTSUPP);
	assert_int_equal(round_trips(u), 0);
}

static void a_guest_without_the_features_is_not_asked(void **state)
{
	(void)state;
	unit_with_event(check_not_offered);
}

static void check_write_file(struct unit *u, const struct hm_event *ev)
{
	static uint8_t data[10000];
	size_t i;

	(void)ev;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	/* 10000 bytes beside a path in 4072: three requests, one truncate. */
	assert_int_equal(hm_vcpu_write_file(u->vcpu, "/etc/x.conf", 0, data,
					    sizeof(data), HM_WRITE_CREATE |
					    HM_WRITE_TRUNCATE, 0644),
			 sizeof(data));
	assert_int_equal(u->g->write_requests, 3);
	assert_int_equal(u->g->write_flags[0],
			 HM_WRITE_CREATE | HM_WRITE_TRUNCATE);
	assert_int_equal(u->g->write_flags[1], HM_WRITE_CREATE);
	assert_int_equal(u->g->written_size, sizeof(data));
	assert_memory_equal(u->g->written, data, sizeof(data));
	/* At an offset, past the guest's limit: what it took. */
	assert_int_equal(hm_vcpu_write_file(u->vcpu, "/etc/x.conf", 14000,
					    data, sizeof(data), 0, 0),
			 16384 - 14000);
	assert_int_equal(hm_vcpu_write_file(u->vcpu, "/ro", 0, data, 1, 0, 0),
			 -EROFS);
	assert_int_equal(hm_vcpu_write_file(u->vcpu, "/x", 0, data, 1, 4, 0),
			 -EINVAL);
}

static void write_file_in_requests_of_the_region(void **state)
{
	(void)state;
	with_system(check_write_file);
}

static void check_use_process(struct unit *u, const struct hm_event *ev)
{
	uint8_t got[8];
	uint64_t trips;

	(void)ev;
	assert_int_equal(hm_vcpu_use_process(u->vcpu, 77), -ESRCH);
	assert_int_equal(hm_vcpu_use_process(u->vcpu, PID), 0);
	/* The same process again: nothing to ask. */
	trips = round_trips(u);
	assert_int_equal(hm_vcpu_use_process(u->vcpu, PID), 0);
	assert_int_equal(round_trips(u), trips);
	/* Direct reads use the event task's page tables: not for it. */
	hm_vm_set_read_mode(u->vm, HM_READ_DIRECT);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, sizeof(got)),
			 sizeof(got));
	assert_int_equal(round_trips(u), trips + 1);
	assert_int_equal(got[0], fake_pattern(VA_BUF));
	assert_int_equal(hm_vcpu_use_process(u->vcpu, 0), 0);
}

static void use_process_reads_through_the_guest(void **state)
{
	(void)state;
	with_system(check_use_process);
}

static void guest_exit_event(struct fake_guest *g)
{
	g->agent.features |= HM_FEATURE_PROC_EVENTS;
	fake_guest_register(g);
	fake_guest_raise(g, HM_EVENT_PROCESS, HM_PROC_EXIT, PID, PID, 3 << 8);
	/* No such process event: nr 4. */
	fake_guest_raise(g, HM_EVENT_PROCESS, 4, PID, PID, 0);
}

static void guest_unoffered_event(struct fake_guest *g)
{
	fake_guest_register(g);
	fake_guest_raise(g, HM_EVENT_PROCESS, HM_PROC_EXIT, PID, PID, 0);
}

static void process_events_only_where_negotiated(void **state)
{
	struct unit *u = unit_new(guest_exit_event);

	(void)state;
	/* The exit arrives; the unknown kind of process event is refused. */
	assert_int_equal(unit_run(u, NULL), -EPROTO);
	assert_int_equal(u->events, 1);
	assert_int_equal(u->event.kind, HM_EVENT_PROCESS);
	assert_int_equal(u->event.nr, HM_PROC_EXIT);
	assert_int_equal(u->event.args[2], 3 << 8);
	unit_free(u);
	u = unit_new(guest_unoffered_event);
	assert_int_equal(unit_run(u, NULL), -EPROTO);
	assert_int_equal(u->events, 0);
	unit_free(u);
}

/* ---- hostile replies ---- */

static void hostile(void (*spoil)(struct fake_guest *g), unit_body body)
{
	struct unit *u = unit_new(guest_with_system);

	u->g->before_reply = spoil;
	assert_int_equal(unit_run(u, body), 0);
	unit_free(u);
}

static unsigned int spoil_what;

static void put_task(uint8_t *at, uint64_t pid, char state)
{
	struct hm_proc_entry e = { .pid = pid, .tgid = pid, .state = state };

	memcpy(at, &e, sizeof(e));
}

/* Every list reply replaced by the case's; case 3 takes two requests. */
static void spoil_list(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;
	uint8_t *d = (uint8_t *)r->data;

	if (r->op != HM_RESP_READ_OK)
		return;
	switch (spoil_what) {
	case 0:		/* half an entry */
		r->size = 56 + 20;
		break;
	case 1:		/* pids out of order */
		put_task(d, 9, 'R');
		put_task(d + 56, 5, 'R');
		r->size = 112;
		r->addr = 0;
		break;
	case 2:		/* a state no kernel has */
		put_task(d, 3, '?');
		r->size = 56;
		r->addr = 0;
		break;
	case 3:		/* a next cursor that does not move */
		put_task(d, 3, 'R');
		r->size = 56;
		r->addr = 3;
		break;
	default:	/* no entries, yet not the end */
		r->size = 0;
		r->addr = 50;
		break;
	}
}

static void spoil_maps(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;
	struct hm_map_entry e = {
		.start = 0x1000, .end = 0x2000, .name_len = 4,
	};

	if (r->op != HM_RESP_READ_OK)
		return;
	switch (spoil_what) {
	case 0:		/* a name with a NUL */
		memcpy(r->data + sizeof(e), "a\0bc\0\0\0\0", 8);
		break;
	case 1:		/* a name past the reply */
		e.name_len = 100;
		break;
	case 2:		/* an empty mapping */
		e.end = e.start;
		break;
	default:	/* an unknown flag */
		e.flags = 1u << 20;
		break;
	}
	if (spoil_what != 0)
		memcpy(r->data + sizeof(e), "abcd\0\0\0\0", 8);
	memcpy(r->data, &e, sizeof(e));
	r->size = sizeof(e) + 8;
	r->addr = 0;
}

static void spoil_write(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;

	switch (spoil_what) {
	case 0:		/* more written than asked */
		r->op = HM_RESP_WRITE_OK;
		r->size = 9;
		break;
	case 1:		/* a failure that wrote it all */
		r->op = HM_RESP_WRITE_FAIL;
		r->size = 8;
		r->addr = HM_ENOSPC;
		break;
	case 2:		/* an errno a guest may not give */
		r->op = HM_RESP_WRITE_FAIL;
		r->size = 0;
		r->addr = 110;	/* ETIMEDOUT */
		break;
	default:	/* a read's answer */
		r->op = HM_RESP_READ_OK;
		r->size = 8;
		break;
	}
}

/* A path with a NUL inside, or longer than asked for. */
static void spoil_path(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;

	if (spoil_what == 0) {
		memcpy(r->data, "/bin\0sh", 7);
		r->size = 7;
	} else {
		r->size = r->size + 100;
	}
}

static void check_path_eproto(struct unit *u, const struct hm_event *ev)
{
	char path[64] = "untouched";

	(void)ev;
	assert_int_equal(hm_vcpu_get_exe(u->vcpu, 0, path, sizeof(path)),
			 -EPROTO);
	assert_string_equal(path, "");
}

static void paths_that_break_the_rules_are_eproto(void **state)
{
	(void)state;
	for (spoil_what = 0; spoil_what < 2; spoil_what++)
		hostile(spoil_path, check_path_eproto);
}

static void check_write_eproto(struct unit *u, const struct hm_event *ev)
{
	(void)ev;
	assert_int_equal(hm_vcpu_write_file(u->vcpu, "/w", 0, "12345678", 8,
					    HM_WRITE_CREATE, 0644), -EPROTO);
}

static void check_list_eproto(struct unit *u, const struct hm_event *ev)
{
	struct hm_process *list;
	struct hm_stats stats;
	size_t n;

	(void)ev;
	assert_int_equal(hm_vcpu_list_processes(u->vcpu, &list, &n),
			 -EPROTO);
	hm_vcpu_get_stats(u->vcpu, &stats);
	assert_true(stats.protocol_errors > 0);
}

static void check_maps_eproto(struct unit *u, const struct hm_event *ev)
{
	struct hm_mapping *maps;
	size_t n;

	(void)ev;
	assert_int_equal(hm_vcpu_get_maps(u->vcpu, 0, &maps, &n), -EPROTO);
}

static void task_lists_that_break_the_rules_are_eproto(void **state)
{
	(void)state;
	for (spoil_what = 0; spoil_what < 5; spoil_what++)
		hostile(spoil_list, check_list_eproto);
}

static void write_replies_that_break_the_rules_are_eproto(void **state)
{
	(void)state;
	for (spoil_what = 0; spoil_what < 4; spoil_what++)
		hostile(spoil_write, check_write_eproto);
}

static void maps_that_break_the_rules_are_eproto(void **state)
{
	(void)state;
	for (spoil_what = 0; spoil_what < 4; spoil_what++)
		hostile(spoil_maps, check_maps_eproto);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_list_comes_in_pid_order_across_replies),
		cmocka_unit_test(maps_name_each_mapping_and_cut_long_names),
		cmocka_unit_test(fds_and_paths_of_a_process),
		cmocka_unit_test(a_guest_without_the_features_is_not_asked),
		cmocka_unit_test(process_events_only_where_negotiated),
		cmocka_unit_test(write_file_in_requests_of_the_region),
		cmocka_unit_test(use_process_reads_through_the_guest),
		cmocka_unit_test(task_lists_that_break_the_rules_are_eproto),
		cmocka_unit_test(maps_that_break_the_rules_are_eproto),
		cmocka_unit_test(write_replies_that_break_the_rules_are_eproto),
		cmocka_unit_test(paths_that_break_the_rules_are_eproto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
