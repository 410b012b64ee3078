// SPDX-License-Identifier: MIT
/*
 * The mailbox transport (protocol.h, "Mailbox transport"): regions in
 * memory shared with a guest that no exit stops, calls handed over by a
 * turn word per slot, doorbells on an eventfd. Everything past the
 * hand-over (registration, events, requests, their checks) is the code
 * the exit transport runs: a slot is an hm_vcpu with this transport.
 *
 * The guest writes the memory whenever it likes: the turn word is read
 * with one atomic load and changed only by compare-and-swap from the value
 * the host saw, and call and arg are copied once, after the turn.
 *
 * A device with no doorbell (QEMU's ivshmem-plain) leaves the host to
 * look at the turn words by itself (hm_mailbox_set_polled()): the waits
 * for the guest become naps between looks; the eventfd stays, for
 * hm_mailbox_stop() to wake them.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The memory's smallest useful size: the header page and one slot. */
#define MIN_SIZE (256u * 1024)
/*
 * Looks at the turn word, a pause between two, before a request sleeps
 * on the doorbell: tens of microseconds, more than a guest answering on
 * another CPU takes for a small op (under TCG too: 3 us for 8 bytes
 * here), far less than a sleep and a wake-up cost it.
 */
#define SPIN_LOOKS 2000u
/* Looks at every slot per hm_mailbox_serve() call, at most. */
#define MAX_PASSES 8u
/*
 * A host that polls (hm_mailbox_set_polled()) naps between looks at the
 * turn words: the first nap after a call is short, since calls come in
 * bursts (an event's requests, a process's syscalls); each quiet look
 * doubles it, up to 1 ms, which bounds what a quiet guest's first call
 * waits and keeps an idle host's wake-ups to a thousand a second.
 */
#define FIRST_NAP_NS 20000
#define LAST_NAP_NS 1000000
/* The caller's own fds hm_mailbox_wait() takes beside the doorbell. */
#define MAX_WAIT_FDS 8u

struct hm_mailbox {
	struct hm_vm *vm;
	uint8_t *mem;
	size_t size;
	unsigned int nr_slots;
	unsigned int slot_pages;	/* region pages + the subscription's */
	uint64_t slots_offset;
	int doorbell_fd;
	bool serving;
	bool stopping;		/* hm_mailbox_stop(): from any thread */
	/* A wait inside a request took doorbells meant for other slots. */
	bool rescan;
	bool polled;		/* no doorbell: the turn words are looked at */
	long nap_ns;		/* the next nap of a polling host */
	struct hm_vcpu **vcpus;
};

static struct hm_mailbox_ctl *ctl_of(const struct hm_vcpu *vcpu)
{
	return (struct hm_mailbox_ctl *)(vcpu->mb->mem +
					 64 * (1 + (size_t)vcpu->slot));
}

static uint32_t load_turn(const struct hm_vcpu *vcpu)
{
	return hm_le32(__atomic_load_n(&ctl_of(vcpu)->turn,
				       __ATOMIC_ACQUIRE));
}

/* Swap the turn word from @from to @to; false when it was not @from. */
static bool swap_turn(const struct hm_vcpu *vcpu, uint32_t from, uint32_t to,
		      uint32_t *seen)
{
	uint32_t expected = hm_le32(from);
	bool ok = __atomic_compare_exchange_n(&ctl_of(vcpu)->turn, &expected,
					      hm_le32(to), false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE);

	*seen = hm_le32(expected);
	return ok;
}

/*
 * Hand the region back: the answer is in it. -ECONNABORTED when the guest
 * gave up waiting meanwhile (acknowledged here, so that it may use the
 * slot again): its own deadline, not the host's -ETIMEDOUT; -EPROTO when
 * it made up a turn of its own. Either way it no longer waits for this
 * answer.
 */
static int give_turn(struct hm_vcpu *vcpu)
{
	uint32_t seq = HM_TURN_SEQ(vcpu->turn);
	uint32_t seen;

	vcpu->holds_turn = false;
	if (swap_turn(vcpu, vcpu->turn, HM_TURN(seq, HM_TURN_GUEST), &seen))
		return 0;
	if (seen != HM_TURN(seq, HM_TURN_GAVE_UP))
		return protocol_error(vcpu);
	swap_turn(vcpu, seen, HM_TURN(seq, HM_TURN_GUEST), &seen);
	return -ECONNABORTED;
}

/* Take the call the guest handed over with @turn: call and arg, once. */
static void take_call(struct hm_vcpu *vcpu, uint32_t turn,
		      struct doorbell *call)
{
	const struct hm_mailbox_ctl *c = ctl_of(vcpu);

	memset(call, 0, sizeof(*call));
	call->nr = hm_le32(__atomic_load_n(&c->call, __ATOMIC_RELAXED));
	call->gpa = hm_le64(__atomic_load_n(&c->arg, __ATOMIC_RELAXED));
	vcpu->turn = turn;
	vcpu->holds_turn = true;
}

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* Milliseconds left before the operation's deadline, at least 1; 0: none. */
static int ms_left(const struct hm_vcpu *vcpu)
{
	struct timespec now;
	int64_t ms;

	seam_clock(&now);
	ms = (int64_t)(vcpu->deadline.tv_sec - now.tv_sec) * 1000 +
	     (vcpu->deadline.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return watchdog_expired(vcpu) ? 0 : 1;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Sleep until a doorbell rings or @ms pass; take what rang. */
static int wait_doorbell(struct hm_mailbox *mb, int ms)
{
	struct pollfd pfd = { .fd = mb->doorbell_fd, .events = POLLIN };
	uint64_t count;
	int n = poll(&pfd, 1, ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLNVAL))
		return -EIO;
	/* Other slots' doorbells too: hm_mailbox_serve() looks again. */
	if (read(mb->doorbell_fd, &count, sizeof(count)) < 0 &&
	    errno != EAGAIN && errno != EINTR)
		return -errno;
	mb->rescan = true;
	return 0;
}

/*
 * A polling host's nap: until a doorbell (a stop's), one of @fds, or the
 * nap's end, at most @max_ns; the next nap doubles. The fds' revents are
 * set; 1 when the doorbell or one of them is ready, else 0, or -errno.
 */
static int nap(struct hm_mailbox *mb, struct pollfd *fds, unsigned int nfds,
	       int64_t max_ns)
{
	struct pollfd p[1 + MAX_WAIT_FDS] = {
		{ .fd = mb->doorbell_fd, .events = POLLIN },
	};
	int64_t ns = mb->nap_ns < max_ns ? mb->nap_ns : max_ns;
	struct timespec ts = { .tv_sec = ns / 1000000000,
			       .tv_nsec = ns % 1000000000 };
	unsigned int i;
	int n;

	if (nfds)
		memcpy(p + 1, fds, nfds * sizeof(*fds));
	n = ppoll(p, 1 + nfds, &ts, NULL);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < nfds; i++)
		fds[i].revents = p[1 + i].revents;
	mb->nap_ns = mb->nap_ns * 2 > LAST_NAP_NS ? LAST_NAP_NS
						   : mb->nap_ns * 2;
	if (p[0].revents & POLLIN)
		wait_doorbell(mb, 0);
	return n > 0;
}

/* A polling host's requests nap rather than sleep for the whole @ms. */
int real_mailbox_wait(struct hm_vcpu *vcpu, int ms)
{
	struct hm_mailbox *mb = vcpu->mb;
	int n;

	if (!mb->polled)
		return wait_doorbell(mb, ms);
	n = nap(mb, NULL, 0, (int64_t)ms * 1000000);
	return n < 0 ? n : 0;
}

static bool stopping(const struct hm_mailbox *mb)
{
	return __atomic_load_n(&mb->stopping, __ATOMIC_ACQUIRE);
}

/*
 * One request: the header is in the region; hand it to the guest and
 * wait, under the operation's deadline, for its reply call on the next
 * seq. A stop ends the wait at once: no slot's request outlives its run.
 */
static int drive(struct hm_vcpu *vcpu)
{
	uint32_t seq = HM_TURN_SEQ(vcpu->turn);
	uint32_t waiting = HM_TURN(seq, HM_TURN_GUEST);
	uint32_t reply = HM_TURN(seq + 1, HM_TURN_HOST);
	unsigned int spins = 0;
	int err;

	if (stopping(vcpu->mb))
		return -ECANCELED;
	err = give_turn(vcpu);
	if (err)
		return err;
	for (;;) {
		uint32_t turn = load_turn(vcpu);
		struct doorbell call;
		int ms;

		if (turn == reply) {
			take_call(vcpu, turn, &call);
			vcpu->stats.exits++;
			vcpu->mb->nap_ns = FIRST_NAP_NS;
			return call.nr == HM_CALL_REPLY ? 0
							: protocol_error(vcpu);
		}
		/* Anything but "working on it" is a turn the guest made up. */
		if (turn != waiting)
			return protocol_error(vcpu);
		if (stopping(vcpu->mb))
			return -ECANCELED;
		/* A guest that answers at once is not worth a sleep. */
		if (spins++ < SPIN_LOOKS) {
			cpu_pause();
			continue;
		}
		ms = ms_left(vcpu);
		if (!ms)
			return -ETIMEDOUT;
		err = seam_mailbox_wait(vcpu, ms);
		if (err)
			return err;
	}
}

/*
 * Within the slot's pages only: its region (at the slot's start, at most
 * slot_pages - 1 pages) or its subscription page (the last).
 */
static void *translate(const struct hm_vcpu *vcpu, uint64_t gpa,
		       uint64_t len)
{
	const struct hm_mailbox *mb = vcpu->mb;
	uint64_t start = mb->slots_offset +
			 (uint64_t)vcpu->slot * mb->slot_pages * HM_PAGE_SIZE;
	uint64_t sub = start + (uint64_t)(mb->slot_pages - 1) * HM_PAGE_SIZE;

	if (gpa == start && len && len <= sub - start)
		return mb->mem + gpa;
	if (gpa == sub && len && len <= HM_PAGE_SIZE)
		return mb->mem + gpa;
	return NULL;
}

/* The call's arg word brought the region's GPA. */
static int call_gpa(struct hm_vcpu *vcpu, struct doorbell *call)
{
	(void)vcpu;
	(void)call;
	return 0;
}

/* A region that is the guest's turn is not the host's to write. */
static bool holds_region(const struct hm_vcpu *vcpu)
{
	return vcpu->holds_turn;
}

/* A request waits in poll(), which its deadline bounds: no kick. */
static int arm_watchdog(struct hm_vcpu *vcpu)
{
	(void)vcpu;
	return 0;
}

static void disarm_watchdog(struct hm_vcpu *vcpu)
{
	(void)vcpu;
}

/* No exit of a VMM's vCPU is a slot's. */
static int handle_exit(struct hm_vcpu *vcpu)
{
	(void)vcpu;
	return -EINVAL;
}

/* A slot goes with its mailbox (hm_mailbox_free()). */
static void keep_slot(struct hm_vcpu *vcpu)
{
	(void)vcpu;
}

/* No page tables at hand: direct reads fail, hybrid ones go cooperative. */
static const struct transport_ops mailbox_transport = {
	.drive = drive,
	.translate = translate,
	.call_gpa = call_gpa,
	.read_paging = NULL,
	.holds_region = holds_region,
	.arm_watchdog = arm_watchdog,
	.disarm_watchdog = disarm_watchdog,
	.handle_exit = handle_exit,
	.free = keep_slot,
};

/* 1: a call was served; 0: none was waiting; < 0: it failed. */
static int serve_slot(struct hm_vcpu *vcpu)
{
	uint32_t turn = load_turn(vcpu);
	uint32_t seen;
	struct doorbell call;
	int err;

	switch (HM_TURN_STATE(turn)) {
	case HM_TURN_HOST:
		take_call(vcpu, turn, &call);
		vcpu->stats.exits++;
		err = vcpu_dispatch(vcpu, &call);
		/* A guest that gave up on it has been let go: no error. */
		if (vcpu->holds_turn && give_turn(vcpu) == -EPROTO && !err)
			err = -EPROTO;
		return err ? err : 1;
	case HM_TURN_GAVE_UP:
		/* Left over from a wait of ours that ended: let it go. */
		swap_turn(vcpu, turn, HM_TURN(HM_TURN_SEQ(turn), HM_TURN_GUEST),
			  &seen);
		return 0;
	default:
		return 0;
	}
}

int hm_mailbox_serve(struct hm_mailbox *mb)
{
	int served = 0, first_err = 0;
	unsigned int i, passes = 0;

	if (mb->serving)
		return -EBUSY;
	mb->serving = true;
	/* Take the doorbells that brought us here; the turns say the rest. */
	wait_doorbell(mb, 0);
	do {
		mb->rescan = false;
		for (i = 0; i < mb->nr_slots; i++) {
			int ret = serve_slot(mb->vcpus[i]);

			if (ret > 0)
				served++;
			else if (ret < 0 && !first_err)
				first_err = ret;
		}
	} while (mb->rescan && ++passes < MAX_PASSES);
	/*
	 * A guest that keeps ringing must not keep the VMM here: ring for
	 * the rest ourselves, so that its next poll comes straight back.
	 */
	if (mb->rescan) {
		uint64_t one = 1;

		if (write(mb->doorbell_fd, &one, sizeof(one)) < 0 &&
		    !first_err)
			first_err = -errno;
	}
	mb->serving = false;
	return first_err ? first_err : served;
}

/* Whether a slot has a call, or a give-up, for hm_mailbox_serve(). */
static bool guest_called(const struct hm_mailbox *mb)
{
	unsigned int i;

	for (i = 0; i < mb->nr_slots; i++) {
		uint32_t state = HM_TURN_STATE(load_turn(mb->vcpus[i]));

		if (state == HM_TURN_HOST || state == HM_TURN_GAVE_UP)
			return true;
	}
	return false;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Look at the turn words, napping between looks, until a call or @ms. */
static int poll_turns(struct hm_mailbox *mb, struct pollfd *fds,
		      unsigned int nfds, int ms)
{
	int64_t end = now_ns() + (int64_t)ms * 1000000;
	int ret = 0;

	for (;;) {
		int64_t left = end - now_ns();

		if (guest_called(mb)) {
			mb->nap_ns = FIRST_NAP_NS;
			return 0;
		}
		if (ret || left <= 0)
			return ret < 0 ? ret : 0;
		ret = nap(mb, fds, nfds, left);
	}
}

int hm_mailbox_wait(struct hm_mailbox *mb, struct pollfd *fds,
		    unsigned int nfds, int ms)
{
	struct pollfd p[1 + MAX_WAIT_FDS] = {
		{ .fd = mb->doorbell_fd, .events = POLLIN },
	};
	unsigned int i;

	if (nfds > MAX_WAIT_FDS || (nfds && !fds) || ms < 0)
		return -EINVAL;
	for (i = 0; i < nfds; i++)
		fds[i].revents = 0;
	if (mb->polled)
		return poll_turns(mb, fds, nfds, ms);
	if (nfds)
		memcpy(p + 1, fds, nfds * sizeof(*fds));
	if (poll(p, 1 + nfds, ms) < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < nfds; i++)
		fds[i].revents = p[1 + i].revents;
	return 0;
}

void hm_mailbox_set_polled(struct hm_mailbox *mb)
{
	struct hm_mailbox_header *h = (struct hm_mailbox_header *)mb->mem;

	mb->polled = true;
	mb->nap_ns = FIRST_NAP_NS;
	__atomic_store_n(&h->flags, hm_le16(HM_MAILBOX_HOST_POLLS),
			 __ATOMIC_RELEASE);
}

/* Only async-signal-safe calls: a signal handler may stop the run. */
void hm_mailbox_stop(struct hm_mailbox *mb)
{
	uint64_t one = 1;
	int saved = errno;

	__atomic_store_n(&mb->stopping, true, __ATOMIC_RELEASE);
	/* Wake a request's wait; a full counter has a wakeup pending. */
	if (write(mb->doorbell_fd, &one, sizeof(one)) < 0)
		errno = saved;
}

int hm_mailbox_new(struct hm_vm *vm, void *mem, size_t size,
		   unsigned int region_pages, int doorbell_fd,
		   struct hm_mailbox **ret)
{
	struct hm_mailbox_header h;
	struct hm_mailbox *mb;
	struct hm_vcpu **vcpus;
	uint64_t slot_bytes, ctl_bytes;
	unsigned int nr, i;

	if (!mem || size < MIN_SIZE || doorbell_fd < 0 || !region_pages ||
	    region_pages > HM_MAX_REGION_PAGES)
		return -EINVAL;
	slot_bytes = (uint64_t)(region_pages + 1) * HM_PAGE_SIZE;
	/* The control words of HM_MAILBOX_MAX_SLOTS fill the first page. */
	ctl_bytes = HM_PAGE_SIZE;
	nr = (unsigned int)min_size((size - ctl_bytes) / slot_bytes,
				    HM_MAILBOX_MAX_SLOTS);
	if (!nr)
		return -ENOSPC;
	mb = calloc(1, sizeof(*mb));
	vcpus = calloc(nr, sizeof(*vcpus));
	if (!mb || !vcpus) {
		free(mb);
		free(vcpus);
		return -ENOMEM;
	}
	*mb = (struct hm_mailbox){
		.vm = vm, .mem = mem, .size = size, .nr_slots = nr,
		.slot_pages = region_pages + 1, .slots_offset = ctl_bytes,
		.doorbell_fd = doorbell_fd, .vcpus = vcpus,
	};
	for (i = 0; i < nr; i++) {
		mb->vcpus[i] = vcpu_alloc(vm, &mailbox_transport);
		if (!mb->vcpus[i]) {
			mb->nr_slots = i;
			hm_mailbox_free(mb);
			return -ENOMEM;
		}
		mb->vcpus[i]->mb = mb;
		mb->vcpus[i]->slot = i;
	}
	memset(mem, 0, ctl_bytes);
	memset(&h, 0, sizeof(h));
	h.version = hm_le16(HM_MAILBOX_VERSION);
	h.nr_slots = hm_le32(nr);
	h.slot_pages = hm_le32(mb->slot_pages);
	h.slots_offset = hm_le64(mb->slots_offset);
	h.size = hm_le64(size);
	memcpy(mem, &h, sizeof(h));
	/* The magic last: a guest that sees it sees the rest. */
	__atomic_store_n(&((struct hm_mailbox_header *)mem)->magic,
			 hm_le32(HM_MAILBOX_MAGIC), __ATOMIC_RELEASE);
	*ret = mb;
	return 0;
}

void hm_mailbox_free(struct hm_mailbox *mb)
{
	unsigned int i;

	if (!mb)
		return;
	for (i = 0; i < mb->nr_slots; i++)
		vcpu_release(mb->vcpus[i]);
	free(mb->vcpus);
	free(mb);
}

unsigned int hm_mailbox_slots(const struct hm_mailbox *mb)
{
	return mb->nr_slots;
}

struct hm_vcpu *hm_mailbox_vcpu(struct hm_mailbox *mb, unsigned int i)
{
	return i < mb->nr_slots ? mb->vcpus[i] : NULL;
}
