// SPDX-License-Identifier: MIT
/*
 * The mailbox transport against a hostile guest that owns every byte it
 * shares: slot 0's turn word, call and arg, its region and subscription
 * page, written from the input between the host's steps; inside an
 * event, each request's answer (the turn word the guest leaves, the
 * reply's header and data) comes from the input too, through the
 * mailbox_wait seam, as do the operations the handler calls. Meanwhile a
 * second thread, the guest's other CPU, writes slot 0's turn word, call,
 * arg and region header and data as the host serves, from a generator
 * seeded by the input's hash: what the host reads twice may differ in
 * between.
 *
 * The input picks a mailbox with a doorbell or a polled one
 * (hm_mailbox_set_polled()), whose hm_mailbox_wait() looks at the turn
 * words before each serve.
 *
 * Checked: hm_mailbox_serve() returns a count or an error the protocol
 * names; every operation's result within its bounds and every string
 * terminated where its length says, with no NUL before; every operation
 * over by its deadline on the seams' clock, which moves only while the
 * host waits for an answer (as far as the input says, never past the wait
 * it was asked for), and within the memory budget the input picks, all
 * its allocations added up (fuzz_alloc.c); and the host never writes
 * outside slot 0 (its control word, region and subscription page): the
 * header, the other control words and the other slots keep their bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fuzz.h"
#include "seams.h"

#include <hypermem/hypermem.h>

#define MEM_SIZE (256u * 1024)
#define REGION_PAGES 2u
#define SLOT_BYTES ((REGION_PAGES + 1) * HM_PAGE_SIZE)
#define MAX_STEPS 64

static uint8_t mem[MEM_SIZE] __attribute__((aligned(4096)));
static uint8_t before[MEM_SIZE];
static struct fuzz_input in;
static struct hm_vm *vm;
static struct hm_mailbox *mb;
static int efd = -1;
static uint64_t now_ms;		/* the seams' clock */
static unsigned int timeout_ms;
static size_t budget;

static void seam_clock(struct timespec *now, void *opaque)
{
	(void)opaque;
	now->tv_sec = (time_t)(now_ms / 1000);
	now->tv_nsec = (long)(now_ms % 1000) * 1000000;
}

static struct hm_mailbox_ctl *ctl0(void)
{
	return (struct hm_mailbox_ctl *)(mem + 64);
}

static uint8_t *slot0(void)
{
	return mem + HM_PAGE_SIZE;
}

/* Bytes of the input into slot 0's pages or control word. */
static void poke(void)
{
	uint16_t off = fuzz_u16(&in) % (SLOT_BYTES + 64);
	size_t len = fuzz_u8(&in);
	uint8_t *at = off < SLOT_BYTES ? slot0() + off : (uint8_t *)ctl0();
	size_t room = off < SLOT_BYTES ? SLOT_BYTES - off : 64;

	fuzz_bytes(&in, at, len < room ? len : room);
}

static uint64_t pick_offset(void)
{
	switch (fuzz_u8(&in) % 4) {
	case 0:
		return HM_PAGE_SIZE;	/* the region */
	case 1:
		return HM_PAGE_SIZE + REGION_PAGES * HM_PAGE_SIZE;
	default:
		return fuzz_u64(&in);
	}
}

/* An honest-looking hello in the region, or the input's bytes. */
static void hello(void)
{
	struct hm_region *r = (struct hm_region *)slot0();
	struct hm_hello h = {
		.magic = HM_MAGIC, .version = HM_VERSION, .pointer_width = 8,
		.endianness = HM_ENDIAN_LITTLE,
		.region_pages = fuzz_u8(&in) % 20,
		.features = fuzz_u64(&in),
	};
	uint8_t arch = fuzz_u8(&in);

	/* Any architecture, said or not, of either width. */
	h.arch = arch % (HM_ARCH_MAX + 2);
	h.pointer_width = arch & 0x80 ? 4 : 8;
	memcpy(r->data, &h, sizeof(h));
	r->op = HM_OP_REGISTER;
	r->size = h.features & HM_FEATURE_GUEST_ARCH ? sizeof(h) :
		  HM_HELLO_SIZE_V1;
}

/* An event record of the input's kind and size. */
static void event(void)
{
	struct hm_region *r = (struct hm_region *)slot0();

	memset(r->data, 0, 256);
	((struct hm_event_record *)r->data)->kind = fuzz_u8(&in) % 6;
	r->op = HM_OP_EVENT;
	r->size = fuzz_u8(&in) % 2 ? sizeof(struct hm_event_record) :
		  sizeof(struct hm_event_record) + sizeof(struct hm_event_task);
}

/* The guest's answer to a request, while the host waits for it. */
static int answer(struct hm_vcpu *vcpu, int ms, void *opaque)
{
	struct hm_region *r = (struct hm_region *)slot0();
	uint32_t turn = ctl0()->turn;
	uint16_t size;
	uint8_t how = fuzz_u8(&in) % 8;

	(void)vcpu;
	(void)opaque;
	/* What comes, comes within the wait; silence, at its end. */
	if (how)
		now_ms += fuzz_u8(&in) % ((unsigned int)ms + 1);
	else
		now_ms += (unsigned int)ms;
	switch (how) {
	case 0:
		return 0;	/* no answer before the deadline */
	case 1:
		ctl0()->turn = (uint32_t)fuzz_u64(&in);
		return 0;
	case 2:
		poke();
		return 0;
	case 3:
		/* All that was asked, as a slow but honest guest has it. */
		r->op = HM_RESP_READ_OK;
		break;
	default:
		r->op = fuzz_u8(&in) % 32;
		r->addr = fuzz_u64(&in);
		size = fuzz_u16(&in);
		r->size = fuzz_u8(&in) % 4 ?
			  size % (REGION_PAGES * HM_PAGE_SIZE) : size;
		fuzz_bytes(&in, r->data, fuzz_u16(&in) % 512);
		break;
	}
	ctl0()->call = fuzz_u8(&in) % 8 ? HM_CALL_REPLY : fuzz_u8(&in);
	ctl0()->turn = HM_TURN(HM_TURN_SEQ(turn) + 1, HM_TURN_HOST);
	return 0;
}

/* A string of @got bytes: its NUL there, and none before. */
static bool terminated(const char *buf, size_t cap, ssize_t got)
{
	return memchr(buf, '\0', cap) != NULL &&
	       (got < 0 || strlen(buf) == (size_t)got);
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	unsigned int n = fuzz_u8(&in) % 4, i;

	(void)ev;
	(void)opaque;
	for (i = 0; i < n; i++) {
		static char buf[9000];
		struct hm_process *procs;
		size_t count, argc;
		char **argv;
		ssize_t got;
		size_t len;
		uint64_t start = now_ms;

		fuzz_alloc_begin();
		switch (fuzz_u8(&in) % 5) {
		case 0:
			len = fuzz_u16(&in) % sizeof(buf);
			got = hm_vcpu_read(vcpu, fuzz_u64(&in), buf, len);
			FUZZ_CHECK(got <= (ssize_t)len);
			break;
		case 1:
			len = 1 + fuzz_u16(&in) % (sizeof(buf) - 1);
			got = hm_vcpu_read_str(vcpu, fuzz_u64(&in), buf, len);
			FUZZ_CHECK(got < (ssize_t)len &&
				   terminated(buf, len, got));
			break;
		case 2:
			if (!hm_vcpu_get_proc_args(vcpu, &argv, &argc))
				free(argv);
			break;
		case 3:
			len = 1 + fuzz_u16(&in) % (sizeof(buf) - 1);
			got = hm_vcpu_read_fd_name(vcpu, fuzz_u8(&in), buf,
						   len);
			FUZZ_CHECK(got < (ssize_t)len &&
				   terminated(buf, len, got));
			break;
		default:
			if (!hm_vcpu_list_processes(vcpu, &procs, &count))
				free(procs);
			break;
		}
		FUZZ_CHECK(fuzz_alloc_end() <= budget);
		FUZZ_CHECK(now_ms - start <= timeout_ms);
	}
	return -(int)(fuzz_u8(&in) % 2);
}

static bool serve_result_ok(int ret)
{
	return ret >= 0 || ret == -EPROTO || ret == -EFAULT ||
	       ret == -EINVAL || ret == -ENOTCONN || ret == -ETIMEDOUT ||
	       ret == -EPERM || ret == -ENOMEM;
}

/* Nothing outside slot 0 changed. */
static void check_outside(void)
{
	FUZZ_CHECK(!memcmp(mem, before, 64));
	FUZZ_CHECK(!memcmp(mem + 128, before + 128, HM_PAGE_SIZE - 128));
	FUZZ_CHECK(!memcmp(mem + HM_PAGE_SIZE + SLOT_BYTES,
			   before + HM_PAGE_SIZE + SLOT_BYTES,
			   MEM_SIZE - HM_PAGE_SIZE - SLOT_BYTES));
}

/* The guest's other CPU: @writes stores into slot 0, then it stops. */
struct racer {
	pthread_t thread;
	uint64_t seed;
	unsigned int writes;
	int stop;
};

static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* An aligned word of the region's header or first data bytes. */
static uint64_t *region_word(uint64_t v)
{
	return (uint64_t *)(slot0() + 8 * (v % 64));
}

static void *race(void *arg)
{
	struct racer *r = arg;
	uint64_t x = r->seed | 1;
	unsigned int n;

	for (n = 0; n < r->writes; n++) {
		uint64_t v = next_random(&x);

		if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
			break;
		switch (v % 5) {
		case 0:
			__atomic_store_n(&ctl0()->turn, (uint32_t)(v >> 8),
					 __ATOMIC_RELAXED);
			break;
		case 1:
			__atomic_store_n(&ctl0()->call, (uint32_t)(v >> 8),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&ctl0()->arg, next_random(&x),
					 __ATOMIC_RELAXED);
			break;
		case 2:
		case 3:
			__atomic_store_n(region_word(v >> 8), next_random(&x),
					 __ATOMIC_RELAXED);
			break;
		default:
			sched_yield();
			break;
		}
	}
	return NULL;
}

/*
 * Seeded by a hash of the whole input, which the rest reads as before:
 * the corpus keeps its meaning, and each input races its own way.
 */
static void race_start(struct racer *r, const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	r->seed = h;
	r->writes = (unsigned int)(h >> 56) * 64u;
	r->stop = 0;
	if (pthread_create(&r->thread, NULL, race, r))
		abort();
}

static void race_end(struct racer *r)
{
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	if (pthread_join(r->thread, NULL))
		abort();
}

static void setup(void)
{
	static const struct hm_seams seams = {
		.clock = seam_clock, .mailbox_wait = answer,
	};

	hm_seams_set(&seams);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0 || hm_vm_new(&vm))
		abort();
	hm_vm_set_event_handler(vm, on_event, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct racer racer;
	int step, polled;

	if (efd < 0)
		setup();
	in = (struct fuzz_input){ data, size };
	memset(mem, 0, sizeof(mem));
	if (hm_mailbox_new(vm, mem, MEM_SIZE, REGION_PAGES, efd, &mb))
		abort();
	polled = fuzz_u8(&in) & 1;
	if (polled)
		hm_mailbox_set_polled(mb);
	memcpy(before, mem, sizeof(mem));
	timeout_ms = 1 + fuzz_u8(&in) % 50;
	hm_vm_set_timeout(vm, timeout_ms);
	budget = (size_t)1024 << fuzz_u8(&in) % 17;
	FUZZ_CHECK(hm_vm_set_memory_budget(vm, budget) == 0);
	race_start(&racer, data, size);
	for (step = 0; step < MAX_STEPS && in.size; step++) {
		int ret;

		switch (fuzz_u8(&in) % 5) {
		case 0:
			poke();
			continue;
		case 1:
			hello();
			break;
		case 2:
			event();
			break;
		default:
			break;
		}
		ctl0()->call = fuzz_u8(&in) % 6;
		ctl0()->arg = pick_offset();
		ctl0()->turn = HM_TURN(fuzz_u8(&in), fuzz_u8(&in) % 4);
		if (polled)
			FUZZ_CHECK(hm_mailbox_wait(mb, NULL, 0, 0) == 0);
		ret = hm_mailbox_serve(mb);
		FUZZ_CHECK(serve_result_ok(ret));
		check_outside();
	}
	race_end(&racer);
	hm_mailbox_free(mb);
	return 0;
}
