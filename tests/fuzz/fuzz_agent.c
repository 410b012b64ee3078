// SPDX-License-Identifier: MIT
/*
 * The guest agent (guest-common/agent.c) against a hostile or buggy host:
 * any request, in a region of any size it supports. The region ends where
 * its buffer ends, so ASan sees any byte beyond it. After each
 * request the reply must be one the host library would accept as well
 * formed, with an error only from the list it takes from a guest.
 *
 * Input: the region's pages (1..16), the options (bit 0: a name buffer,
 * bit 1: READV negotiated, bit 2: long fd names negotiated), the op (one byte), addr and size (8 and 2
 * bytes), then data[] as the host left it, then what the socket accessor
 * answers.
 *
 * With option bit 3 the host ends an event instead: the event's kind (one
 * byte: bits 0-1 the kind, bit 2 skips negotiated), the size of the
 * control record (2 bytes), then its bytes.
 * The control the agent keeps must be one the event's kind allows.
 *
 * With option bit 4 the agent reads a subscription page (HM_FEATURE_SUBSCRIBE)
 * instead: an event record, then the page as the host left it, its
 * conditions' ops (HM_FEATURE_COND_OPS) reading the task's strings. Whatever
 * the page holds, the answer is one of enum hm_want, read within the page;
 * where the matching rule asks to fetch (HM_FEATURE_PREFETCH), the event
 * the agent then raises carries an area the host library takes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "fuzz.h"

/* The task's memory, for the copy accessors. */
#define MEM_VA 0x10000ull
#define MEM_SIZE 0x3000u
static uint8_t mem[MEM_SIZE];
static char fuzz_name[HM_NAME_MAX];	/* names of the lists' entries */
static const char long_name[] = "/a/long/name/";
static struct hm_socket_info socket_wire;
static uint8_t region_pages[HM_MAX_REGION_PAGES * HM_PAGE_SIZE]
	__attribute__((aligned(HM_PAGE_SIZE)));

/* Strings of 96 letters and a NUL, the same before each request. */
static const uint8_t *pristine_mem(void)
{
	static uint8_t pristine[MEM_SIZE];
	static bool done;
	size_t i;

	for (i = 0; !done && i < MEM_SIZE; i++)
		pristine[i] = (uint8_t)(i % 97 ? 'a' + i % 26 : 0);
	done = true;
	return pristine;
}

static size_t in_mem(uint64_t va, size_t len)
{
	if (va < MEM_VA || va - MEM_VA >= MEM_SIZE)
		return 0;
	return len < MEM_SIZE - (va - MEM_VA) ? len :
						 MEM_SIZE - (va - MEM_VA);
}

static size_t copy_from(void *ctx, void *dst, uint64_t src, size_t len)
{
	size_t n = in_mem(src, len);

	(void)ctx;
	memcpy(dst, mem + (n ? src - MEM_VA : 0), n);
	return len - n;
}

static size_t copy_to(void *ctx, uint64_t dst, const void *src, size_t len)
{
	size_t n = in_mem(dst, len);

	(void)ctx;
	memcpy(mem + (n ? dst - MEM_VA : 0), src, n);
	return len - n;
}

static long string_from(void *ctx, char *dst, uint64_t src, size_t len,
			size_t *copied)
{
	size_t n = in_mem(src, len);
	const char *s = (const char *)mem + (n ? src - MEM_VA : 0);
	const char *nul = memchr(s, '\0', n);

	(void)ctx;
	*copied = nul ? (size_t)(nul - s) : n;
	memcpy(dst, s, *copied);
	return nul || n == len ? (long)*copied : -HM_EFAULT;
}

/* fd n's name: n repetitions of long_name, so some exceed any buffer. */
static long fd_name(void *ctx, int64_t fd, char *buf, size_t cap)
{
	size_t len = sizeof(long_name) - 1, i;

	(void)ctx;
	if (fd < 0 || fd > 400)
		return -HM_EBADF;
	if ((uint64_t)fd * len > cap)
		return -HM_ENAMETOOLONG;
	for (i = 0; i < (size_t)fd; i++)
		memcpy(buf + i * len, long_name, len);
	return (long)((size_t)fd * len);
}

static long proc_area(void *ctx, enum hm_proc_area which, uint64_t offset,
		      void *buf, size_t len, uint64_t *total)
{
	(void)ctx;
	*total = which == HM_PROC_ARGS ? 1000 : 5000;
	if (offset >= *total)
		return 0;
	if (len > *total - offset)
		len = (size_t)(*total - offset);
	memset(buf, 'e', len);
	return (long)len;
}

static long pid(void *ctx, uint64_t *ret)
{
	(void)ctx;
	*ret = 42;
	return 0;
}

static long read_file(void *ctx, const char *path, uint64_t offset,
		      void *buf, size_t len, uint64_t *file_size)
{
	(void)ctx;
	if (strcmp(path, "/f"))
		return -HM_ENOENT;
	*file_size = 100;
	if (offset >= 100)
		return 0;
	if (len > 100 - offset)
		len = (size_t)(100 - offset);
	memset(buf, 'f', len);
	return (long)len;
}

static long socket_info(void *ctx, int64_t fd, struct hm_socket_info *info)
{
	(void)ctx;
	if (fd != 3)
		return -HM_ENOTSOCK;
	*info = socket_wire;
	return 0;
}

/* The end of event the host answers HM_CALL_EVENT with, option bit 3. */
static struct hm_region *ending;
static uint64_t end_size;
static uint8_t end_record[sizeof(struct hm_event_control) + 8];

/* What the agent raised, as the host found it when the doorbell rang. */
static uint64_t raised_size;
static uint8_t raised[HM_MAX_REGION_PAGES * HM_PAGE_SIZE];

static int doorbell(void *ctx, unsigned int call, uint64_t gpa)
{
	(void)ctx;
	(void)gpa;
	if (!ending || call != HM_CALL_EVENT)
		return 0;
	raised_size = hm_le64(ending->size);
	if (raised_size <= sizeof(raised))
		memcpy(raised, ending->data, raised_size);
	memcpy(ending->data, end_record, sizeof(end_record));
	ending->size = hm_le64(end_size);
	ending->op = hm_le64(HM_OP_EVENT_END);
	return 0;
}

static long comm(void *ctx, char out[HM_COMM_LEN])
{
	(void)ctx;
	memset(out, 0, HM_COMM_LEN);
	memcpy(out, "fuzz", 4);
	return 0;
}

/*
 * The whole system: 300 tasks, and mappings and files whose names grow
 * to Linux's longest path, so that replies fill up and names are cut.
 */
static long proc_list(void *ctx, uint64_t cursor, struct hm_agent_list *l)
{
	uint64_t pid;

	(void)ctx;
	for (pid = cursor ? cursor : 1; pid <= 300; pid++) {
		struct hm_proc_entry e = {
			.pid = pid, .tgid = pid, .state = 'S', .comm = "fuzz",
		};

		if (hm_agent_list_proc(l, &e))
			break;
	}
	return 0;
}

static void fill_name(char *buf, size_t len)
{
	memset(buf, 'n', len);
	buf[len] = '\0';
}

static long proc_maps(void *ctx, uint64_t pid, uint64_t cursor,
		      struct hm_agent_list *l)
{
	unsigned int i;

	(void)ctx;
	if (pid > 1)
		return -HM_ESRCH;
	for (i = 0; i < 64; i++) {
		struct hm_map_entry e = {
			.start = 0x1000ull * (2 * i + 1),
			.end = 0x1000ull * (2 * i + 2),
			.name_len = i * 64 % HM_NAME_MAX,
		};

		if (e.end <= cursor)
			continue;
		fill_name(fuzz_name, e.name_len);
		if (hm_agent_list_map(l, &e, fuzz_name))
			break;
	}
	return 0;
}

static long proc_fds(void *ctx, uint64_t pid, uint64_t cursor,
		     struct hm_agent_list *l)
{
	uint32_t fd;

	(void)ctx;
	if (pid > 1)
		return -HM_ESRCH;
	for (fd = (uint32_t)(cursor > 100 ? 100 : cursor); fd < 100; fd++) {
		struct hm_fd_entry e = { .fd = fd, .name_len = fd * 41 };

		fill_name(fuzz_name, e.name_len);
		if (hm_agent_list_fd(l, &e, fuzz_name))
			break;
	}
	return 0;
}

static long proc_path(void *ctx, uint64_t pid, enum hm_proc_path which,
		      char *buf, size_t cap)
{
	(void)ctx;
	(void)which;
	if (pid > 1)
		return -HM_ESRCH;
	return hm_agent_put_name("/bin/fuzz", buf, cap);
}

static const struct hm_agent_ops ops = {
	.doorbell = doorbell,
	.copy_from = copy_from,
	.copy_to = copy_to,
	.string_from = string_from,
	.fd_name = fd_name,
	.proc_area = proc_area,
	.pid = pid,
	.read_file = read_file,
	.socket_info = socket_info,
	.comm = comm,
	.proc_list = proc_list,
	.proc_maps = proc_maps,
	.proc_fds = proc_fds,
	.proc_path = proc_path,
};

/* A list reply's entries fill exactly what it says it holds. */
static void check_list(uint64_t op, const char *data, uint64_t got)
{
	size_t head = op == HM_OP_PROC_MAPS ? sizeof(struct hm_map_entry) :
		      sizeof(struct hm_fd_entry);
	uint64_t at = 0;

	if (op == HM_OP_PROC_LIST) {
		FUZZ_CHECK(got % sizeof(struct hm_proc_entry) == 0);
		return;
	}
	while (at < got) {
		uint32_t len;

		FUZZ_CHECK(got - at >= head);
		memcpy(&len, data + at + head - 4, sizeof(len));
		len = hm_le32(len);
		FUZZ_CHECK(len < HM_NAME_MAX &&
			   ((len + 7ull) & ~7ull) <= got - at - head);
		at += head + ((len + 7ull) & ~7ull);
	}
	FUZZ_CHECK(at == got);
}

/* What the host library takes as well formed (vcpu.c, ops.c). */
static void check_reply(const struct hm_region *r, uint64_t op,
			uint64_t size, size_t room)
{
	uint64_t code = hm_le64(r->op), got = hm_le64(r->size);

	switch (code) {
	case HM_RESP_READ_OK:
	case HM_RESP_READ_PARTIAL:
	case HM_RESP_WRITE_OK:
	case HM_RESP_WRITE_FAIL:
		FUZZ_CHECK(got <= room);
		if (code == HM_RESP_READ_PARTIAL)
			FUZZ_CHECK(got > 0 && got < size);
		if (op == HM_OP_READ && code == HM_RESP_READ_OK)
			FUZZ_CHECK(got == size);
		if (code == HM_RESP_WRITE_OK)
			FUZZ_CHECK(got == size);
		if (op >= HM_OP_PROC_LIST && op <= HM_OP_PROC_FDS)
			check_list(op, r->data, got);
		break;
	case HM_RESP_READ_FAIL:
		FUZZ_CHECK(fuzz_guest_errno_ok(got));
		break;
	case HM_RESP_READ_NUM:
		FUZZ_CHECK(op == HM_OP_READ_PROCPID);
		break;
	default:
		FUZZ_CHECK(0);
	}
}

static void check_control(const struct hm_agent *agent, uint32_t kind,
			  const struct hm_agent_control *c)
{
	if (!c->flags && !c->arg_mask)
		return;
	FUZZ_CHECK(end_size == sizeof(struct hm_event_control));
	FUZZ_CHECK(!(c->arg_mask & ~HM_CONTROL_ARGS_ALL));
	if (kind == HM_EVENT_SYSCALL_ENTER)
		FUZZ_CHECK(!(c->flags & ~HM_CONTROL_SKIP) &&
			   (!c->flags ||
			    (agent->features & HM_FEATURE_SYSCALL_SKIP)));
	else if (kind == HM_EVENT_SYSCALL_EXIT)
		FUZZ_CHECK(!(c->flags & ~HM_CONTROL_RETURN) && !c->arg_mask);
	else
		FUZZ_CHECK(0);
}

static void end_event(struct hm_agent *agent, struct fuzz_input *in)
{
	uint8_t kind = fuzz_u8(in);
	struct hm_event_record ev = { .kind = kind % 4 };

	agent->features |= HM_FEATURE_EVENT_CONTROL;
	if (kind & 4)
		agent->features |= HM_FEATURE_SYSCALL_SKIP;
	end_size = fuzz_u16(in);
	fuzz_bytes(in, end_record, sizeof(end_record));
	ending = agent->region;
	hm_agent_raise(agent, &ev);
	ending = NULL;
	check_control(agent, ev.kind, &agent->control);
}

/* The record, the task, then a prefetch area as protocol.h has it. */
static void check_area(const uint8_t *d, uint64_t size, size_t room,
		       const struct hm_event_record *ev)
{
	size_t head = sizeof(struct hm_event_record) +
		      sizeof(struct hm_event_task);
	struct hm_prefetch_header h;
	size_t off;
	uint32_t i;

	FUZZ_CHECK(size <= room && size >= head + sizeof(h));
	memcpy(&h, d + head, sizeof(h));
	FUZZ_CHECK(h.nr_items <= HM_SUB_MAX_FETCHES);
	FUZZ_CHECK(h.bytes == size - head - sizeof(h));
	off = head + sizeof(h);
	for (i = 0; i < h.nr_items; i++) {
		struct hm_prefetch_item it;

		FUZZ_CHECK(size - off >= sizeof(it));
		memcpy(&it, d + off, sizeof(it));
		off += sizeof(it);
		FUZZ_CHECK(it.len <= size - off);
		if (it.what == HM_FETCH_ARGV)
			FUZZ_CHECK(!it.arg && !it.addr &&
				   (it.result < 0 ? !it.len :
				    it.len <= (uint64_t)it.result));
		else
			FUZZ_CHECK(it.arg <= 5 && it.addr == ev->args[it.arg]);
		if (it.what == HM_FETCH_ARGV)
			;
		else if (it.what == HM_FETCH_STR && it.result >= 0)
			FUZZ_CHECK((uint64_t)it.result == it.len &&
				   !memchr(d + off, 0, it.len));
		else if (it.what == HM_FETCH_STR)
			FUZZ_CHECK(it.result == -HM_EFAULT && !it.len);
		else if (it.what == HM_FETCH_BUF)
			FUZZ_CHECK(!it.result || it.result == -HM_EFAULT);
		else
			FUZZ_CHECK(it.what == HM_FETCH_FD_NAME &&
				   (it.result < 0 ? !it.len :
				    (uint64_t)it.result == it.len));
		off += (size_t)((it.len + 7) & ~7ull);
	}
	FUZZ_CHECK(off == size);
}

/* The page on its own allocation, so that ASan sees a read past it. */
static void read_table(struct hm_agent *agent, struct fuzz_input *in)
{
	struct hm_sub_page *page = malloc(sizeof(*page));
	struct hm_event_record ev;
	struct hm_fetch_list fetch;
	enum hm_want want, syscalls;
	uint32_t seq;

	if (!page)
		return;
	fuzz_bytes(in, &ev, sizeof(ev));
	fuzz_bytes(in, page, sizeof(*page));
	/* The strings that string conditions read. */
	memcpy(mem, pristine_mem(), MEM_SIZE);
	agent->sub = page;
	agent->sub_taken = 1;
	agent->features |= HM_FEATURE_SUBSCRIBE | HM_FEATURE_PREFETCH |
			   HM_FEATURE_COND_OPS;
	want = hm_agent_wants_fetching(agent, &ev, &fetch);
	FUZZ_CHECK(want == HM_WANT_NO || want == HM_WANT_YES ||
		   want == HM_WANT_GUEST);
	FUZZ_CHECK(fetch.n <= HM_SUB_MAX_FETCHES);
	FUZZ_CHECK(!fetch.n || want == HM_WANT_YES);
	/* The module's syscall probes go only where no syscall is wanted. */
	syscalls = hm_agent_wants_syscalls(agent, &seq);
	if (ev.kind == HM_EVENT_SYSCALL_ENTER ||
	    ev.kind == HM_EVENT_SYSCALL_EXIT)
		FUZZ_CHECK(want == HM_WANT_NO || syscalls == want);
	FUZZ_CHECK((syscalls == HM_WANT_GUEST) == (want == HM_WANT_GUEST));
	free(page);
	agent->sub = NULL;
	if (!fetch.n)
		return;
	/* The area it attaches is one the host library takes. */
	end_size = 0;
	ending = agent->region;
	hm_agent_raise_fetching(agent, &ev, &fetch);
	ending = NULL;
	check_area(raised, raised_size, hm_agent_data_size(agent->region_pages),
		   &ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name_buf[HM_NAME_MAX];
	struct fuzz_input in = { data, size };
	uint32_t pages = fuzz_u8(&in) % HM_MAX_REGION_PAGES + 1;
	uint8_t options = fuzz_u8(&in);
	struct hm_region *r = (struct hm_region *)(region_pages +
			(HM_MAX_REGION_PAGES - pages) * HM_PAGE_SIZE);
	struct hm_agent agent = {
		.ops = &ops,
		.region = r,
		.region_pages = pages,
		.features = options & 2 ? HM_FEATURE_READV : 0,
		.name_buf = options & 1 ? name_buf : NULL,
	};
	uint64_t op, req_size;

	if (options & 4)
		agent.features |= HM_FEATURE_FD_NAME_OFFSET;
	if (options & 32)
		agent.features |= HM_FEATURE_PROC_LIST | HM_FEATURE_PROC_MAPS |
				  HM_FEATURE_PROC_FDS | HM_FEATURE_PROC_PATHS;
	if (options & 8) {
		end_event(&agent, &in);
		return 0;
	}
	if (options & 16) {
		read_table(&agent, &in);
		return 0;
	}
	memcpy(mem, pristine_mem(), MEM_SIZE);
	op = fuzz_u8(&in) % (HM_OP_PROC_CWD + 2);
	r->op = hm_le64(op);
	r->addr = hm_le64(fuzz_u64(&in));
	req_size = fuzz_u16(&in);
	r->size = hm_le64(req_size);
	fuzz_bytes(&in, (char *)r + HM_HEADER_SIZE, hm_agent_data_size(pages));
	fuzz_bytes(&in, &socket_wire, sizeof(socket_wire));
	if (!hm_agent_serve(&agent))
		check_reply(r, op, req_size, hm_agent_data_size(pages));
	return 0;
}
