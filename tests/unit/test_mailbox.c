// SPDX-License-Identifier: MIT
/*
 * The mailbox transport: the real agent in a guest thread over shared
 * memory and an eventfd, as the module's ivshmem driver runs it; a guest
 * that stops answering, one that gives up waiting, and turn words and
 * calls made up by a hostile guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "seams.h"
#include "unit.h"

#define MEM_SIZE (1u << 20)
#define REGION_PAGES 4u

struct box {
	struct unit *u;
	struct hm_mailbox *mb;
	uint8_t *mem;
	int efd;
	/*
	 * A polled box's guest rings this one, which no host reads: QEMU's
	 * ivshmem-plain drops the Doorbell writes of a guest that rings.
	 */
	int dropped;
	bool polled;
};

static void box_setup(struct box *b, fake_guest_fn guest_main,
		      unsigned int guest_timeout_ms, bool polled)
{
	struct hm_vcpu *vcpu;

	b->u = unit_new(guest_main);
	/* The fixture's KVM vCPU is not this test's. */
	hm_vcpu_free(b->u->vcpu);
	b->mem = aligned_alloc(HM_PAGE_SIZE, MEM_SIZE);
	assert_non_null(b->mem);
	memset(b->mem, 0, MEM_SIZE);
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(b->efd >= 0);
	b->dropped = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(b->dropped >= 0);
	b->polled = polled;
	assert_int_equal(hm_mailbox_new(b->u->vm, b->mem, MEM_SIZE,
					 REGION_PAGES, b->efd, &b->mb), 0);
	if (polled)
		hm_mailbox_set_polled(b->mb);
	vcpu = hm_mailbox_vcpu(b->mb, 0);
	assert_non_null(vcpu);
	hm_vcpu_set_data(vcpu, b->u);
	b->u->vcpu = vcpu;
	if (guest_main)
		assert_int_equal(fake_guest_use_mailbox(b->u->g, b->mem,
				MEM_SIZE, 0, polled ? b->dropped : b->efd,
				guest_timeout_ms), 0);
}

static void box_init(struct box *b, fake_guest_fn guest_main,
		     unsigned int guest_timeout_ms)
{
	box_setup(b, guest_main, guest_timeout_ms, false);
}

static void box_free(struct box *b)
{
	hm_mailbox_free(b->mb);
	b->u->vcpu = NULL;
	unit_free(b->u);
	close(b->efd);
	close(b->dropped);
	free(b->mem);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The VMM's loop: wait for a doorbell, serve, until every guest's program
 * is over (then once more). Returns the first error serving gave.
 */
static int serve_until_done(struct box *b, struct fake_guest **guests,
			    unsigned int n)
{
	uint64_t give_up = now_ms() + 10000;
	int first_err = 0;

	for (;;) {
		struct pollfd pfd = { .fd = b->efd, .events = POLLIN };
		bool done = true;
		unsigned int i;
		int ret;

		for (i = 0; i < n; i++)
			done = done && fake_guest_done(guests[i]);
		if (b->polled)
			assert_int_equal(hm_mailbox_wait(b->mb, NULL, 0,
							 done ? 0 : 20), 0);
		else
			poll(&pfd, 1, done ? 0 : 20);
		ret = hm_mailbox_serve(b->mb);
		if (ret < 0 && !first_err)
			first_err = ret;
		if (done)
			return first_err;
		assert_true(now_ms() < give_up);
	}
}

static void run_box(struct box *b, unit_body body)
{
	b->u->body = body;
	fake_guest_start(b->u->g);
	assert_int_equal(serve_until_done(b, &b->u->g, 1), 0);
}

static void reads_everything(struct unit *u, const struct hm_event *ev)
{
	static uint8_t big[40000];
	char name[LONG_NAME_LEN + 1];
	char str[64];
	char **argv;
	size_t argc;
	uint64_t pid;
	size_t i;

	assert_int_equal(ev->kind, HM_EVENT_SYSCALL_ENTER);
	assert_int_equal(ev->args[1], 0x89f0);
	/* Several chunks of a four-page region. */
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, big, sizeof(big)),
			 sizeof(big));
	for (i = 0; i < sizeof(big); i++)
		assert_int_equal(big[i], fake_pattern(VA_BUF + i));
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, str, sizeof(str)),
			 -ENAMETOOLONG);
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), 0);
	assert_int_equal(pid, PID);
	assert_int_equal(hm_vcpu_get_proc_args(u->vcpu, &argv, &argc), 0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[0], "/bin/prog");
	assert_string_equal(argv[2], "value with spaces");
	free(argv);
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, FD_LONG, name,
					      sizeof(name)), LONG_NAME_LEN);
	assert_string_equal(name, u->long_name);
	assert_int_equal(hm_vcpu_write_u32(u->vcpu, VA_BUF, 0xfeedf00d), 0);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_RO, big, 8), 8);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF + BUF_SIZE - 4, big, 8),
			 4);
	assert_int_equal(hm_vcpu_skip_syscall(u->vcpu, 77), -EOPNOTSUPP);
}

static void test_every_op(void **state)
{
	struct box b;
	struct hm_guest_info info;
	struct hm_stats st;
	uint32_t word;

	(void)state;
	box_init(&b, guest_one_event, 5000);
	run_box(&b, reads_everything);
	assert_int_equal(b.u->events, 1);
	assert_int_equal(b.u->g->register_result, 0);
	assert_int_equal(b.u->g->mailbox_failures, 0);
	memcpy(&word, b.u->buf, sizeof(word));
	assert_int_equal(word, 0xfeedf00d);
	assert_int_equal(hm_vcpu_get_guest_info(b.u->vcpu, &info), 0);
	assert_int_equal(info.region_pages, REGION_PAGES);
	assert_int_equal(info.region_gpa, HM_PAGE_SIZE);
	hm_vcpu_get_stats(b.u->vcpu, &st);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.ioctls, 0);
	/* Each round trip's reply is one doorbell, as is each call. */
	assert_int_equal(st.exits, st.round_trips + 2);
	assert_int_equal(st.protocol_errors, 0);
	box_free(&b);
}

static void no_direct(struct unit *u, const struct hm_event *ev)
{
	struct hm_translation t;
	uint8_t buf[16];

	(void)ev;
	assert_int_equal(hm_vcpu_read_direct(u->vcpu, VA_BUF, buf, 16),
			 -EOPNOTSUPP);
	assert_int_equal(hm_vcpu_translate(u->vcpu, VA_BUF, &t), -EOPNOTSUPP);
	assert_int_equal(hm_vcpu_walk(u->vcpu, VA_BUF, &t), -EOPNOTSUPP);
	assert_int_equal(hm_vcpu_handle_exit(u->vcpu), -EINVAL);
	/* Hybrid: what direct cannot reach goes to the guest. */
	hm_vm_set_read_mode(u->vm, HM_READ_HYBRID);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16), 16);
	assert_int_equal(buf[3], fake_pattern(VA_BUF + 3));
	hm_vm_set_read_mode(u->vm, HM_READ_DIRECT);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16), -EOPNOTSUPP);
	hm_vm_set_read_mode(u->vm, HM_READ_COOPERATIVE);
}

static void test_no_direct_reads(void **state)
{
	struct box b;

	(void)state;
	box_init(&b, guest_one_event, 5000);
	run_box(&b, no_direct);
	assert_int_equal(b.u->events, 1);
	box_free(&b);
}

static void reads_one(struct unit *u, const struct hm_event *ev)
{
	uint8_t buf[16];

	(void)ev;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16), 16);
	assert_int_equal(buf[3], fake_pattern(VA_BUF + 3));
}

/* A slot goes with its mailbox: hm_vcpu_free() leaves it serving. */
static void test_vcpu_free_keeps_slot(void **state)
{
	struct box b;

	(void)state;
	box_init(&b, guest_one_event, 5000);
	hm_vcpu_free(b.u->vcpu);
	assert_ptr_equal(hm_mailbox_vcpu(b.mb, 0), b.u->vcpu);
	run_box(&b, reads_one);
	assert_int_equal(b.u->events, 1);
	box_free(&b);
}

/* Register, raise, wait for the host's word (unblock), raise again. */
static void guest_two_events(struct fake_guest *g)
{
	fake_guest_register(g);
	fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, 16, 3, 0x89f0, VA_BUF);
	while (sem_wait(&g->unblock))
		;
	fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, 16, 3, 0x89f0, VA_BUF);
}

static void silent_guest(struct unit *u, const struct hm_event *ev)
{
	uint8_t buf[16];

	(void)ev;
	if (u->events == 1) {
		/* The guest is stuck in its copy: the host's deadline ends it. */
		u->g->stall_next_copy = true;
		assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16),
				 -ETIMEDOUT);
		assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16),
				 -ETIMEDOUT);
		/* Let the copy go, then the guest's second event. */
		sem_post(&u->g->unblock);
		sem_post(&u->g->unblock);
		return;
	}
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16), 16);
	assert_int_equal(buf[5], fake_pattern(VA_BUF + 5));
}

/* The doorbell's, and (polled) a host that polls: the same deadline. */
static void guest_stops_answering(bool polled)
{
	struct box b;
	struct hm_stats st;

	box_setup(&b, guest_two_events, 5000, polled);
	assert_int_equal(hm_vm_set_timeout(b.u->vm, 100), 0);
	run_box(&b, silent_guest);
	assert_int_equal(b.u->events, 2);
	assert_int_equal(b.u->g->mailbox_failures, 0);
	hm_vcpu_get_stats(b.u->vcpu, &st);
	assert_int_equal(st.timeouts, 1);
	box_free(&b);
}

static void test_guest_stops_answering(void **state)
{
	(void)state;
	guest_stops_answering(false);
}

static void slow_host(struct unit *u, const struct hm_event *ev)
{
	uint8_t buf[16];

	(void)ev;
	if (u->events == 1) {
		/*
		 * Past the guest's 50 ms: it gave up and let the region go,
		 * which is no deadline of the host's.
		 */
		usleep(300 * 1000);
		assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16),
				 -ECONNABORTED);
		assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16),
				 -ECONNABORTED);
		assert_int_equal(u->g->mailbox_failures, 1);
		assert_int_equal(u->g->mailbox_error, -HM_MAILBOX_ETIMEDOUT);
		sem_post(&u->g->unblock);
		return;
	}
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 16), 16);
}

static void test_guest_gives_up(void **state)
{
	struct hm_stats st;
	struct box b;

	(void)state;
	box_init(&b, guest_two_events, 50);
	run_box(&b, slow_host);
	assert_int_equal(b.u->events, 2);
	assert_int_equal(b.u->g->mailbox_failures, 1);
	hm_vcpu_get_stats(b.u->vcpu, &st);
	assert_int_equal(st.timeouts, 0);
	box_free(&b);
}

/* A guest that answers each request half a second late. */
static void late_reply(struct fake_guest *g)
{
	(void)g;
	usleep(500 * 1000);
}

struct stopper {
	struct hm_mailbox *mb;
	uint64_t at_ms;
};

static void *stop_later(void *arg)
{
	struct stopper *st = arg;

	usleep(700 * 1000);
	st->at_ms = now_ms();
	hm_mailbox_stop(st->mb);
	return NULL;
}

static struct box *stopped_box;

/*
 * A read of many round trips, each answered late but within its
 * deadline: the stop from another thread ends it at once, not at its
 * next answer, and every request after it.
 */
static void read_until_stopped(struct unit *u, const struct hm_event *ev)
{
	struct stopper st = { .mb = stopped_box->mb };
	uint8_t *big = malloc(BUF_SIZE);
	uint64_t done_ms;
	pthread_t t;

	(void)ev;
	assert_non_null(big);
	u->g->before_reply = late_reply;
	assert_int_equal(pthread_create(&t, NULL, stop_later, &st), 0);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, big, BUF_SIZE),
			 -ECANCELED);
	done_ms = now_ms();
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(st.at_ms && done_ms - st.at_ms < 250);
	u->g->before_reply = NULL;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, big, 8), -ECANCELED);
	free(big);
}

/* A stop ends a request's sleep at once, and (polled) its naps. */
static void stop_ends_a_stretched_read(bool polled)
{
	struct hm_stats st;
	struct box b;

	box_setup(&b, guest_one_event, 30000, polled);
	stopped_box = &b;
	run_box(&b, read_until_stopped);
	assert_int_equal(b.u->events, 1);
	assert_int_equal(b.u->g->mailbox_failures, 0);
	hm_vcpu_get_stats(b.u->vcpu, &st);
	assert_int_equal(st.timeouts, 0);
	box_free(&b);
}

static void test_stop_ends_a_stretched_read(void **state)
{
	(void)state;
	stop_ends_a_stretched_read(false);
}

/* Stopped before an event: its requests fail, the guest is answered. */
static void read_once_stopped(struct unit *u, const struct hm_event *ev)
{
	uint8_t buf[8];

	(void)ev;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 8), -ECANCELED);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, buf, 8), -ECANCELED);
}

static void test_stopped_mailbox_still_answers_calls(void **state)
{
	struct box b;

	(void)state;
	box_init(&b, guest_one_event, 5000);
	hm_mailbox_stop(b.mb);
	run_box(&b, read_once_stopped);
	assert_int_equal(b.u->events, 1);
	assert_int_equal(b.u->g->register_result, 0);
	assert_int_equal(b.u->g->mailbox_failures, 0);
	box_free(&b);
}

/* Two guest CPUs raising at once, each in its slot. */
static int slot_events[2];

static int count_slot(struct hm_vcpu *vcpu, const struct hm_event *ev,
		      void *opaque)
{
	struct box *b = opaque;
	uint64_t pid;
	uint8_t byte;

	assert_int_equal(hm_vcpu_get_proc_pid(vcpu, &pid), 0);
	assert_int_equal(pid, PID);
	assert_int_equal(hm_vcpu_read(vcpu, ev->args[2], &byte, 1), 1);
	assert_int_equal(byte, fake_pattern(ev->args[2]));
	slot_events[vcpu == hm_mailbox_vcpu(b->mb, 1)]++;
	return 0;
}

static void guest_many_events(struct fake_guest *g)
{
	int i;

	fake_guest_register(g);
	for (i = 0; i < 50; i++)
		fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, 0, 3, 0,
				 VA_BUF + (uint64_t)i);
}

static void test_two_slots(void **state)
{
	struct fake_guest *guests[2];
	struct box b;

	(void)state;
	box_init(&b, guest_many_events, 5000);
	guests[0] = b.u->g;
	guests[1] = fake_guest_new(guest_many_events, b.u);
	guests[1]->current = &b.u->proc;
	assert_int_equal(fake_guest_use_mailbox(guests[1], b.mem, MEM_SIZE, 1,
						b.efd, 5000), 0);
	hm_vm_set_event_handler(b.u->vm, count_slot, &b);
	memset(slot_events, 0, sizeof(slot_events));
	fake_guest_start(guests[0]);
	fake_guest_start(guests[1]);
	assert_int_equal(serve_until_done(&b, guests, 2), 0);
	assert_int_equal(slot_events[0], 50);
	assert_int_equal(slot_events[1], 50);
	assert_int_equal(guests[0]->mailbox_failures +
			 guests[1]->mailbox_failures, 0);
	fake_guest_free(guests[1]);
	box_free(&b);
}

/* The test plays a hostile guest by hand on slot 0. */
static struct hm_mailbox_ctl *ctl0(struct box *b)
{
	return (struct hm_mailbox_ctl *)(b->mem + 64);
}

static void hand_over(struct box *b, uint32_t seq, uint32_t call,
		      uint64_t arg)
{
	ctl0(b)->call = call;
	ctl0(b)->arg = arg;
	ctl0(b)->turn = HM_TURN(seq, HM_TURN_HOST);
}

static void write_hello(struct box *b)
{
	struct hm_region *r = (struct hm_region *)(b->mem + HM_PAGE_SIZE);
	struct hm_hello hello = {
		.magic = HM_MAGIC, .version = HM_VERSION, .pointer_width = 8,
		.endianness = HM_ENDIAN_LITTLE, .region_pages = REGION_PAGES,
		.features = HM_FEATURE_SUBSCRIBE,
	};

	memcpy(r->data, &hello, sizeof(hello));
	r->size = HM_HELLO_SIZE_V1;
	r->op = HM_OP_REGISTER;
}

static int made_up_turn(struct hm_vcpu *vcpu, const struct hm_event *ev,
			void *opaque)
{
	struct box *b = opaque;
	uint8_t buf[8];

	(void)ev;
	/* The guest rewrites the turn while the host holds it. */
	ctl0(b)->turn = HM_TURN(40, HM_TURN_GUEST);
	assert_int_equal(hm_vcpu_read(vcpu, VA_BUF, buf, 8), -EPROTO);
	/* The event is abandoned: no more requests in it. */
	assert_int_equal(hm_vcpu_read(vcpu, VA_BUF, buf, 8), -EPROTO);
	return 0;
}

static void test_hostile_turns(void **state)
{
	struct hm_mailbox_header *h;
	struct hm_region *r;
	struct hm_stats st;
	struct box b;

	(void)state;
	box_init(&b, NULL, 0);
	h = (struct hm_mailbox_header *)b.mem;
	assert_int_equal(h->magic, HM_MAILBOX_MAGIC);
	assert_int_equal(h->slot_pages, REGION_PAGES + 1);
	assert_int_equal(hm_mailbox_slots(b.mb), h->nr_slots);
	assert_null(hm_mailbox_vcpu(b.mb, h->nr_slots));
	r = (struct hm_region *)(b.mem + HM_PAGE_SIZE);

	/* Nothing handed over, or a state that does not exist. */
	assert_int_equal(hm_mailbox_serve(b.mb), 0);
	ctl0(&b)->turn = HM_TURN(9, 3);
	assert_int_equal(hm_mailbox_serve(b.mb), 0);
	/* An unknown call; an event before registration. */
	hand_over(&b, 1, 99, 0);
	assert_int_equal(hm_mailbox_serve(b.mb), -EPROTO);
	assert_int_equal(ctl0(&b)->turn, HM_TURN(1, HM_TURN_GUEST));
	hand_over(&b, 2, HM_CALL_EVENT, 0);
	assert_int_equal(hm_mailbox_serve(b.mb), -ENOTCONN);
	/* Regions anywhere but the slot's: another slot, the header. */
	write_hello(&b);
	hand_over(&b, 3, HM_CALL_REGISTER,
		  HM_PAGE_SIZE + (REGION_PAGES + 1) * HM_PAGE_SIZE);
	assert_int_equal(hm_mailbox_serve(b.mb), -EFAULT);
	hand_over(&b, 4, HM_CALL_REGISTER, 0);
	assert_int_equal(hm_mailbox_serve(b.mb), -EFAULT);
	hand_over(&b, 5, HM_CALL_REGISTER, HM_PAGE_SIZE + 8);
	assert_int_equal(hm_mailbox_serve(b.mb), -EINVAL);
	/* A region that claims more pages than the slot has gets fewer. */
	write_hello(&b);
	((struct hm_hello *)r->data)->region_pages = 16;
	hand_over(&b, 6, HM_CALL_REGISTER, HM_PAGE_SIZE);
	assert_int_equal(hm_mailbox_serve(b.mb), 1);
	assert_int_equal(r->op, HM_RESP_REGISTER_OK);
	assert_int_equal(((struct hm_hello_ack *)r->data)->region_pages,
			 REGION_PAGES);
	/* A subscription page outside the slot. */
	r->op = HM_OP_SUBSCRIBE;
	r->addr = 2 * HM_PAGE_SIZE * (REGION_PAGES + 1);
	r->size = 0;
	hand_over(&b, 7, HM_CALL_SUBSCRIBE, HM_PAGE_SIZE);
	assert_int_equal(hm_mailbox_serve(b.mb), -EFAULT);
	/* A turn made up in the middle of an event. */
	hm_vm_set_event_handler(b.u->vm, made_up_turn, &b);
	r->op = HM_OP_EVENT;
	r->size = sizeof(struct hm_event_record) + sizeof(struct hm_event_task);
	memset(r->data, 0, r->size);
	((struct hm_event_record *)r->data)->kind = HM_EVENT_USER;
	hand_over(&b, 8, HM_CALL_EVENT, 0);
	assert_int_equal(hm_mailbox_serve(b.mb), 1);
	assert_int_equal(ctl0(&b)->turn, HM_TURN(40, HM_TURN_GUEST));
	/* A late reply of that event is told the event is over. */
	r->op = HM_RESP_READ_OK;
	hand_over(&b, 41, HM_CALL_REPLY, 0);
	assert_int_equal(hm_mailbox_serve(b.mb), 1);
	assert_int_equal(r->op, HM_OP_NONE);
	assert_int_equal(ctl0(&b)->turn, HM_TURN(41, HM_TURN_GUEST));
	/* A gave-up turn left over is let go. */
	ctl0(&b)->turn = HM_TURN(42, HM_TURN_GAVE_UP);
	assert_int_equal(hm_mailbox_serve(b.mb), 0);
	assert_int_equal(ctl0(&b)->turn, HM_TURN(42, HM_TURN_GUEST));
	hm_vcpu_get_stats(b.u->vcpu, &st);
	assert_true(st.protocol_errors >= 4);
	assert_int_equal(st.ioctls, 0);
	box_free(&b);
}

/*
 * A guest that answers every request of the argv in full, 60 ms after it
 * came, on the seams' clock: each request within a 100 ms deadline of its
 * own, the operation far past one.
 */
#define SLOW_AREA (1u << 20)
#define SLOW_TIMEOUT_MS 100
#define SLOW_REPLY_MS 60

static uint64_t seam_ns;

static void seam_now(struct timespec *now, void *opaque)
{
	(void)opaque;
	now->tv_sec = (time_t)(seam_ns / 1000000000u);
	now->tv_nsec = (long)(seam_ns % 1000000000u);
}

static int answer_late(struct hm_vcpu *vcpu, int ms, void *opaque)
{
	struct box *b = opaque;
	struct hm_region *r = (struct hm_region *)(b->mem + HM_PAGE_SIZE);
	uint64_t offset = r->addr, n = r->size;
	uint32_t turn = ctl0(b)->turn;

	(void)vcpu;
	if (ms < SLOW_REPLY_MS) {
		seam_ns += (uint64_t)ms * 1000000u;
		return 0;
	}
	seam_ns += SLOW_REPLY_MS * 1000000u;
	assert_int_equal(r->op, HM_OP_READ_PROCARGS);
	if (n > SLOW_AREA - offset)
		n = SLOW_AREA - offset;
	memset(r->data, 'a', n);
	r->op = HM_RESP_READ_OK;
	r->addr = SLOW_AREA;
	r->size = n;
	ctl0(b)->call = HM_CALL_REPLY;
	ctl0(b)->turn = HM_TURN(HM_TURN_SEQ(turn) + 1, HM_TURN_HOST);
	return 0;
}

static int stretched_args(struct hm_vcpu *vcpu, const struct hm_event *ev,
			  void *opaque)
{
	uint64_t start = seam_ns;
	struct hm_stats st;
	char **argv;
	size_t argc;

	(void)ev;
	(void)opaque;
	assert_int_equal(hm_vcpu_get_proc_args(vcpu, &argv, &argc),
			 -ETIMEDOUT);
	/* The second reply would come at 120 ms: the deadline, 100, ends it. */
	assert_int_equal(seam_ns - start, SLOW_TIMEOUT_MS * 1000000u);
	hm_vcpu_get_stats(vcpu, &st);
	assert_int_equal(st.round_trips, 2);
	assert_int_equal(st.timeouts, 1);
	return 0;
}

static void test_stretched_proc_args_end_at_the_deadline(void **state)
{
	struct box b;
	const struct hm_seams seams = {
		.clock = seam_now, .mailbox_wait = answer_late, .opaque = &b,
	};
	struct hm_region *r;

	(void)state;
	box_init(&b, NULL, 0);
	r = (struct hm_region *)(b.mem + HM_PAGE_SIZE);
	write_hello(&b);
	((struct hm_hello *)r->data)->features = 0;
	hand_over(&b, 1, HM_CALL_REGISTER, HM_PAGE_SIZE);
	assert_int_equal(hm_mailbox_serve(b.mb), 1);
	assert_int_equal(hm_vm_set_timeout(b.u->vm, SLOW_TIMEOUT_MS), 0);
	hm_vm_set_event_handler(b.u->vm, stretched_args, NULL);
	hm_seams_set(&seams);
	r->op = HM_OP_EVENT;
	r->size = sizeof(struct hm_event_record);
	memset(r->data, 0, r->size);
	((struct hm_event_record *)r->data)->kind = HM_EVENT_USER;
	hand_over(&b, 2, HM_CALL_EVENT, 0);
	assert_int_equal(hm_mailbox_serve(b.mb), 1);
	hm_seams_set(NULL);
	box_free(&b);
}

static void test_arguments(void **state)
{
	struct hm_mailbox *mb;
	struct hm_vm *vm;
	uint8_t *mem = aligned_alloc(HM_PAGE_SIZE, MEM_SIZE);

	(void)state;
	assert_non_null(mem);
	assert_int_equal(hm_vm_new(&vm), 0);
	assert_int_equal(hm_mailbox_new(vm, NULL, MEM_SIZE, 1, 0, &mb),
			 -EINVAL);
	assert_int_equal(hm_mailbox_new(vm, mem, 4096, 1, 0, &mb), -EINVAL);
	assert_int_equal(hm_mailbox_new(vm, mem, MEM_SIZE, 0, 0, &mb),
			 -EINVAL);
	assert_int_equal(hm_mailbox_new(vm, mem, MEM_SIZE,
					HM_MAX_REGION_PAGES + 1, 0, &mb),
			 -EINVAL);
	assert_int_equal(hm_mailbox_new(vm, mem, MEM_SIZE, 1, -1, &mb),
			 -EINVAL);
	/* 1 MiB of two-page slots: the control page's 63 at most. */
	assert_int_equal(hm_mailbox_new(vm, mem, MEM_SIZE, 1, 0, &mb), 0);
	assert_int_equal(hm_mailbox_slots(mb), HM_MAILBOX_MAX_SLOTS);
	hm_mailbox_free(mb);
	/* 16-page regions: (1 MiB - 4 KiB) / 68 KiB of them. */
	assert_int_equal(hm_mailbox_new(vm, mem, MEM_SIZE, 16, 0, &mb), 0);
	assert_int_equal(hm_mailbox_slots(mb), 15);
	hm_mailbox_free(mb);
	hm_vm_free(vm);
	free(mem);
}

/*
 * A polled mailbox (ivshmem-plain: no doorbell to the host): the header
 * tells the guest, which does not ring, and every request of an event is
 * still answered, the host looking at the turn word by itself; were it
 * waiting for a doorbell, each would end at its deadline.
 */
static void test_polled_every_op(void **state)
{
	struct hm_mailbox_header *h;
	struct hm_stats st;
	uint64_t rung;
	struct box b;

	(void)state;
	box_setup(&b, guest_one_event, 5000, true);
	h = (struct hm_mailbox_header *)b.mem;
	assert_int_equal(h->flags, HM_MAILBOX_HOST_POLLS);
	assert_int_equal(b.u->g->mailbox.flags, HM_MAILBOX_HOST_POLLS);
	assert_int_equal(hm_vm_set_timeout(b.u->vm, 2000), 0);
	run_box(&b, reads_everything);
	assert_int_equal(b.u->events, 1);
	assert_int_equal(b.u->g->register_result, 0);
	assert_int_equal(b.u->g->mailbox_failures, 0);
	hm_vcpu_get_stats(b.u->vcpu, &st);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.exits, st.round_trips + 2);
	assert_int_equal(read(b.dropped, &rung, sizeof(rung)), -1);
	assert_int_equal(errno, EAGAIN);
	box_free(&b);
}

/* A mailbox with a doorbell sets no flag: the guest rings. */
static void test_doorbell_header_has_no_flags(void **state)
{
	struct box b;

	(void)state;
	box_init(&b, NULL, 0);
	assert_int_equal(((struct hm_mailbox_header *)b.mem)->flags, 0);
	box_free(&b);
}

struct later {
	struct box *b;
	int what;		/* 0: hand a call over; 1: stop */
};

static void *act_later(void *arg)
{
	struct later *l = arg;

	usleep(50 * 1000);
	if (l->what)
		hm_mailbox_stop(l->b->mb);
	else
		hand_over(l->b, 2, 99, 0);
	return NULL;
}

static uint64_t waited_ms(struct box *b, int ms)
{
	uint64_t start = now_ms();

	assert_int_equal(hm_mailbox_wait(b->mb, NULL, 0, ms), 0);
	return now_ms() - start;
}

static uint64_t thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * hm_mailbox_wait() on a polled mailbox: back at once for a call handed
 * over before it, soon for one handed over during it (within 5 s it would
 * be a doorbell wait's), not for a turn in a state that does not exist,
 * and idle without spinning: naps of up to 1 ms.
 */
static void test_polled_wait_sees_calls(void **state)
{
	struct later l;
	uint64_t cpu;
	pthread_t t;
	struct box b;

	(void)state;
	box_setup(&b, NULL, 0, true);
	l.b = &b;
	l.what = 0;
	hand_over(&b, 1, 99, 0);
	assert_true(waited_ms(&b, 5000) < 2500);
	assert_int_equal(hm_mailbox_serve(b.mb), -EPROTO);
	assert_int_equal(ctl0(&b)->turn, HM_TURN(1, HM_TURN_GUEST));
	assert_int_equal(pthread_create(&t, NULL, act_later, &l), 0);
	assert_true(waited_ms(&b, 5000) < 2500);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(hm_mailbox_serve(b.mb), -EPROTO);
	/* A made-up state is no call: the wait runs its course. */
	ctl0(&b)->turn = HM_TURN(9, 3);
	cpu = thread_cpu_ms();
	assert_true(waited_ms(&b, 300) >= 300);
	assert_true(thread_cpu_ms() - cpu < 100);
	assert_int_equal(hm_mailbox_serve(b.mb), 0);
	box_free(&b);
}

/* A stop, and the caller's own fds, end a polled wait too. */
static void test_polled_wait_ends_at_stop_and_fds(void **state)
{
	struct pollfd fds[9];
	struct later l;
	int pipe_fds[2];
	unsigned int i;
	pthread_t t;
	struct box b;

	(void)state;
	box_setup(&b, NULL, 0, true);
	assert_int_equal(pipe(pipe_fds), 0);
	for (i = 0; i < 9; i++)
		fds[i] = (struct pollfd){ .fd = pipe_fds[0],
					  .events = POLLIN };
	assert_int_equal(hm_mailbox_wait(b.mb, fds, 9, 0), -EINVAL);
	assert_int_equal(hm_mailbox_wait(b.mb, fds, 1, -1), -EINVAL);
	assert_int_equal(write(pipe_fds[1], "x", 1), 1);
	assert_int_equal(hm_mailbox_wait(b.mb, fds, 1, 5000), 0);
	assert_true(fds[0].revents & POLLIN);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	l.b = &b;
	l.what = 1;
	assert_int_equal(pthread_create(&t, NULL, act_later, &l), 0);
	assert_true(waited_ms(&b, 5000) < 2500);
	assert_int_equal(pthread_join(t, NULL), 0);
	box_free(&b);
}

/* A polled guest stuck in a copy: the host's deadline, then on. */
static void test_polled_guest_stops_answering(void **state)
{
	(void)state;
	guest_stops_answering(true);
}

static void test_polled_stop_ends_a_stretched_read(void **state)
{
	(void)state;
	stop_ends_a_stretched_read(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op),
		cmocka_unit_test(test_no_direct_reads),
		cmocka_unit_test(test_vcpu_free_keeps_slot),
		cmocka_unit_test(test_guest_stops_answering),
		cmocka_unit_test(test_guest_gives_up),
		cmocka_unit_test(test_stop_ends_a_stretched_read),
		cmocka_unit_test(test_stopped_mailbox_still_answers_calls),
		cmocka_unit_test(test_two_slots),
		cmocka_unit_test(test_hostile_turns),
		cmocka_unit_test(test_stretched_proc_args_end_at_the_deadline),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_polled_every_op),
		cmocka_unit_test(test_doorbell_header_has_no_flags),
		cmocka_unit_test(test_polled_wait_sees_calls),
		cmocka_unit_test(test_polled_wait_ends_at_stop_and_fds),
		cmocka_unit_test(test_polled_guest_stops_answering),
		cmocka_unit_test(test_polled_stop_ends_a_stretched_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
