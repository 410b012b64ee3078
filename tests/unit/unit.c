// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static const char args[] = "/bin/prog\0--flag\0value with spaces";
static const char env[] = "HOME=/root\0EQ=a=b=c\0EMPTY=\0BARE\0PATH=/bin";
static const struct fake_file files[] = {
	{ "/etc/hostname", "tiny\n", 5 },
};
static struct hm_socket_info tcp_socket = {
	.family = 2, .type = 1, .protocol = 6, .state = 10,
	.local_len = 16, .local = { 2, 0, 0x1f, 0x90, 127, 0, 0, 1 },
};

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *event,
		    void *opaque)
{
	struct unit *u = hm_vcpu_get_data(vcpu);

	(void)opaque;
	assert_ptr_equal(vcpu, u->vcpu);
	u->events++;
	u->event = *event;
	if (u->body)
		u->body(u, event);
	return 0;
}

static void add_mapping(struct fake_process *p, uint64_t va, void *mem,
			size_t len, bool writable, const char *name)
{
	p->maps[p->nr_maps++] = (struct fake_mapping){
		.va = va, .len = len, .mem = mem, .writable = writable,
		.name = name,
	};
}

static void make_process(struct unit *u)
{
	struct fake_process *p = &u->proc;
	size_t i;

	u->buf = malloc(BUF_SIZE);
	u->ro = malloc(4096);
	u->str = malloc(STR_LEN + 1);
	u->nonul = malloc(NONUL_LEN);
	u->long_name = malloc(LONG_NAME_LEN + 1);
	assert_non_null(u->buf && u->ro && u->str && u->nonul &&
			u->long_name);
	for (i = 0; i < BUF_SIZE; i++)
		u->buf[i] = fake_pattern(VA_BUF + i);
	memset(u->ro, 0x5a, 4096);
	for (i = 0; i < STR_LEN; i++)
		u->str[i] = (char)('a' + i % 26);
	u->str[STR_LEN] = '\0';
	memset(u->nonul, 'x', NONUL_LEN);
	for (i = 0; i < LONG_NAME_LEN; i++)
		u->long_name[i] = i % 64 ? (char)('a' + i % 26) : '/';
	u->long_name[LONG_NAME_LEN] = '\0';

	p->pid = PID;
	p->args = args;
	p->args_len = sizeof(args);
	p->env = env;
	p->env_len = sizeof(env);
	add_mapping(p, VA_BUF, u->buf, BUF_SIZE, true, "[heap]");
	add_mapping(p, VA_RO, u->ro, 4096, false, "/usr/lib/libc.so.6");
	add_mapping(p, VA_STR, u->str, STR_LEN + 1, true, NULL);
	add_mapping(p, VA_NONUL, u->nonul, NONUL_LEN, true, u->long_name);
	p->fds[p->nr_fds++] = (struct fake_fd){ 0, "/dev/ttyS0", NULL };
	p->fds[p->nr_fds++] = (struct fake_fd){ 3, "socket:[1234]",
						&tcp_socket };
	p->fds[p->nr_fds++] = (struct fake_fd){ 4, "/etc/hostname", NULL };
	p->fds[p->nr_fds++] = (struct fake_fd){ FD_LONG, u->long_name, NULL };
	p->files = files;
	p->nr_files = 1;
}

struct unit *unit_new(fake_guest_fn guest_main)
{
	struct unit *u = calloc(1, sizeof(*u));

	assert_non_null(u);
	make_process(u);
	u->g = fake_guest_new(guest_main, u);
	u->g->current = &u->proc;
	assert_int_equal(hm_vm_new(&u->vm), 0);
	assert_int_equal(hm_vm_add_ram(u->vm, FAKE_RAM_GPA, FAKE_RAM_SIZE,
				       u->g->ram), 0);
	hm_vm_set_event_handler(u->vm, on_event, u);
	hm_vm_set_exit_handler(u->vm, fake_exit_handler, u->g);
	assert_int_equal(hm_vcpu_new(u->vm, u->g->fd, u->g->run, &u->vcpu), 0);
	hm_vcpu_set_data(u->vcpu, u);
	return u;
}

void unit_free(struct unit *u)
{
	hm_vcpu_free(u->vcpu);
	hm_vm_free(u->vm);
	fake_guest_free(u->g);
	free(u->buf);
	free(u->ro);
	free(u->str);
	free(u->nonul);
	free(u->long_name);
	free(u);
}

void guest_one_event(struct fake_guest *g)
{
	fake_guest_register(g);
	fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, 16, 3, 0x89f0, VA_BUF);
}

int unit_run(struct unit *u, unit_body body)
{
	u->body = body;
	fake_guest_start(u->g);
	return fake_vmm_run(u->vcpu, u->g);
}

void unit_with_event(unit_body body)
{
	struct unit *u = unit_new(guest_one_event);

	assert_int_equal(unit_run(u, body), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}
