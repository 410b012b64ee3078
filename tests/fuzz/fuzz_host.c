// SPDX-License-Identifier: MIT
/*
 * The host library against a hostile guest. Two vCPUs, each a guest played
 * in this thread (tests/unit/sync_guest.c): each episode registers one of
 * them, honestly or with a forged hello, and raises an event in which the
 * handler calls the operations with fuzzed arguments. The guest answers
 * each request honestly with the real agent, then may spoil the answer,
 * ring the wrong doorbell or stay silent; its page tables for direct and
 * hybrid reads may be spoiled too.
 *
 * Episodes may also offer a subscription page (honestly or at an address
 * and size the input picks), have the VM subscribe to rules of the input's
 * bytes, and ring an event whose record and task are the input's; the
 * handler checks string conditions on the guest's memory.
 *
 * The whole system's lists (HM_FEATURE_PROC_*) come from a model of
 * MODEL_TASKS tasks, MODEL_MAPS mappings and MODEL_FDS files whose names
 * grow long enough to be cut; spoiled replies exercise their parser.
 *
 * Checked: every return within its bounds, every string buffer terminated,
 * the exact bytes and codes of a model of the honest guest wherever every
 * answer of an operation was honest, no guest entry after a timeout, a
 * subscription page taken only when well offered and then always a
 * consistent table, and an event's task within what READ_PROCPID allows.
 * Every operation ends within its deadline on the seams' clock however
 * late each reply comes, and allocates within the memory budget the input
 * picks, all its allocations added up (fuzz_alloc.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sync_guest.h"

#define NR_GUESTS 2
#define MAX_OPS 12
#define NAME_UNIT "/abcdefghijklmno"	/* fd n's name: n of these */
#define NAME_UNIT_LEN 16u
#define MAX_FD 300
#define ARGS_OFFSET 0x1000u		/* argv block, in the task's memory */
#define FILE_OFFSET 0x8000u		/* "/f", in the task's memory */
#define SUB_OFFSET (SYNC_TABLES + 0xf000u) /* a page no table uses */

static struct hm_vm *vm;
static struct sync_guest *guests[NR_GUESTS];
static struct fuzz_input in;
static uint8_t pristine[SYNC_MEM_SIZE];
static size_t args_len, file_len, budget;

/* Whether every answer since the last reset was the honest agent's. */
static bool honest;

static long fd_name(void *ctx, int64_t fd, char *buf, size_t cap)
{
	size_t len, i;

	(void)ctx;
	if (fd < 0 || fd > MAX_FD)
		return -HM_EBADF;
	len = (size_t)fd * NAME_UNIT_LEN;
	if (len > cap)
		return -HM_ENAMETOOLONG;
	for (i = 0; i < (size_t)fd; i++)
		memcpy(buf + i * NAME_UNIT_LEN, NAME_UNIT, NAME_UNIT_LEN);
	return (long)len;
}

static long from_block(size_t offset_in_mem, size_t block_len,
		       struct sync_guest *g, uint64_t offset, void *buf,
		       size_t len, uint64_t *total)
{
	*total = block_len;
	if (offset >= block_len)
		return 0;
	if (len > block_len - offset)
		len = block_len - (size_t)offset;
	memcpy(buf, g->mem + offset_in_mem + offset, len);
	return (long)len;
}

static long proc_area(void *ctx, enum hm_proc_area which, uint64_t offset,
		      void *buf, size_t len, uint64_t *total)
{
	(void)which;
	return from_block(ARGS_OFFSET, args_len, ctx, offset, buf, len,
			  total);
}

/* The whole system's model: tasks 1, 4, 7..., mappings, files. */
#define MODEL_TASKS 150
#define MODEL_MAPS 40
#define MODEL_FDS 40

static const char *model_name(unsigned int i, char *buf, size_t cap)
{
	size_t len = (size_t)i * i * 3 % cap, j;

	for (j = 0; j < len; j++)
		buf[j] = (char)('a' + (i + j) % 26);
	buf[len] = '\0';
	return buf;
}

static long proc_list(void *ctx, uint64_t cursor, struct hm_agent_list *l)
{
	unsigned int i;

	(void)ctx;
	for (i = 0; i < MODEL_TASKS; i++) {
		struct hm_proc_entry e = {
			.pid = 3 * i + 1, .tgid = 3 * i + 1, .ppid = i ? 1 : 0,
			.state = "RSDTZI"[i % 6], .comm = "model",
		};

		if (e.pid >= cursor && hm_agent_list_proc(l, &e))
			break;
	}
	return 0;
}

static long proc_maps(void *ctx, uint64_t pid, uint64_t cursor,
		      struct hm_agent_list *l)
{
	char name[HM_NAME_MAX];
	unsigned int i;

	(void)ctx;
	if (pid > 1)
		return -HM_ESRCH;
	for (i = 0; i < MODEL_MAPS; i++) {
		struct hm_map_entry e = {
			.start = 0x10000ull * (i + 1),
			.end = 0x10000ull * (i + 1) + 0x1000,
			.flags = i % 16,
		};

		e.name_len = (uint32_t)strlen(model_name(i, name,
							  sizeof(name)));
		if (e.end > cursor && hm_agent_list_map(l, &e, name))
			break;
	}
	return 0;
}

static long proc_fds(void *ctx, uint64_t pid, uint64_t cursor,
		     struct hm_agent_list *l)
{
	char name[HM_NAME_MAX];
	unsigned int i;

	(void)ctx;
	if (pid > 1)
		return -HM_ESRCH;
	for (i = 0; i < MODEL_FDS; i++) {
		struct hm_fd_entry e = { .fd = 2 * i, .open_flags = i };

		e.name_len = (uint32_t)strlen(model_name(i + 7, name,
							  sizeof(name)));
		if (e.fd >= cursor && hm_agent_list_fd(l, &e, name))
			break;
	}
	return 0;
}

static long proc_path(void *ctx, uint64_t pid, enum hm_proc_path which,
		      char *buf, size_t cap)
{
	(void)ctx;
	if (pid > 1)
		return -HM_ESRCH;
	return hm_agent_put_name(which == HM_PATH_EXE ? "/bin/model" : "/",
				 buf, cap);
}

/* Processes 0 (the event's) and 1, the same memory. */
static long use_process(void *ctx, uint64_t pid, uint64_t *tgid)
{
	(void)ctx;
	if (pid > 1)
		return -HM_ESRCH;
	*tgid = 4242;
	return 0;
}

/* Takes anything but "/ro", 1000 bytes at most a request. */
static long write_file(void *ctx, const char *path, uint64_t offset,
		       uint32_t flags, uint32_t mode, const void *buf,
		       size_t len, long *err)
{
	(void)ctx;
	(void)offset;
	(void)flags;
	(void)mode;
	(void)buf;
	if (!strcmp(path, "/ro"))
		return -HM_EROFS;
	if (len > 1000)
		*err = -HM_ENOSPC;
	return len > 1000 ? 1000 : (long)len;
}

static long pid(void *ctx, uint64_t *ret)
{
	(void)ctx;
	*ret = 4242;
	return 0;
}

static long read_file(void *ctx, const char *path, uint64_t offset,
		      void *buf, size_t len, uint64_t *file_size)
{
	if (strcmp(path, "/f"))
		return -HM_ENOENT;
	return from_block(FILE_OFFSET, file_len, ctx, offset, buf, len,
			  file_size);
}

static const struct hm_socket_info tcp = {
	.family = 2, .type = 1, .protocol = 6, .state = 1, .local_len = 16,
};

static long socket_info(void *ctx, int64_t fd, struct hm_socket_info *info)
{
	(void)ctx;
	if (fd != 3)
		return -HM_ENOTSOCK;
	*info = tcp;
	return 0;
}

/* After the agent answered: keep it, or spoil it as the input says. */
static void spoil(struct sync_guest *g)
{
	uint8_t how = fuzz_u8(&in);
	struct hm_region *r = g->agent.region;

	g->reply_call = 0;
	switch (how % 10) {
	case 0:
		r->op = hm_le64(fuzz_u8(&in) % 24);
		break;
	case 1:
		r->size = hm_le64(fuzz_u64(&in) >> (fuzz_u8(&in) % 64));
		break;
	case 2:
		r->addr = hm_le64(fuzz_u64(&in) >> (fuzz_u8(&in) % 64));
		break;
	case 3:
		fuzz_bytes(&in, (char *)r + HM_HEADER_SIZE +
			   fuzz_u16(&in) % 4096, 16);
		break;
	case 4:
		g->reply_call = fuzz_u8(&in) % 5;
		break;
	case 5:
		/* Serial bytes before the next reply: the VMM's exits. */
		g->foreign = fuzz_u8(&in) % 3;
		return;
	case 6:
		/* The next reply a second or two late: it may time out. */
		g->silent = 1 + fuzz_u8(&in) % 2;
		break;
	default:
		return;		/* honest */
	}
	honest = false;
}

/* ---- the honest guest's model ---- */

static size_t readable(uint64_t va, size_t len)
{
	if (va < SYNC_VA || va - SYNC_VA >= SYNC_MEM_SIZE)
		return 0;
	return len < SYNC_MEM_SIZE - (va - SYNC_VA) ?
		len : SYNC_MEM_SIZE - (size_t)(va - SYNC_VA);
}

static const uint8_t *at(struct sync_guest *g, uint64_t va)
{
	return g->mem + (va - SYNC_VA);
}

/* What read_str returns for a string at va read into cap bytes. */
static ssize_t model_str(struct sync_guest *g, uint64_t va, size_t cap)
{
	size_t i, n = readable(va, cap);

	for (i = 0; i < cap; i++) {
		if (i >= n)
			return -EFAULT;
		if (!at(g, va)[i])
			return (ssize_t)i;
	}
	return -ENAMETOOLONG;
}

/* ---- operations ---- */

static uint64_t pick_addr(void)
{
	uint8_t how = fuzz_u8(&in);

	switch (how % 4) {
	case 0:
		return fuzz_u64(&in);
	case 1:
		return SYNC_VA + SYNC_MEM_SIZE - fuzz_u16(&in) % 8192;
	default:
		return SYNC_VA + fuzz_u16(&in) % SYNC_MEM_SIZE +
		       (how & 4 ? 0x10000 : 0);
	}
}

static size_t pick_len(void)
{
	uint8_t how = fuzz_u8(&in);

	if (how % 8 == 0)
		return (size_t)fuzz_u64(&in);
	if (how % 8 == 1)
		return (size_t)fuzz_u16(&in) * 2;
	return fuzz_u16(&in) % 5000;
}

static void op_read(struct hm_vcpu *vcpu, struct sync_guest *g, bool check)
{
	static uint8_t buf[140000];
	uint64_t addr = pick_addr();
	size_t len = pick_len();
	ssize_t got;

	if (len > sizeof(buf))
		len = sizeof(buf);
	got = hm_vcpu_read(vcpu, addr, buf, len);
	FUZZ_CHECK(got <= (ssize_t)len);
	if (!check || !honest)
		return;
	if (!readable(addr, len) && len)
		FUZZ_CHECK(got == -EFAULT);
	else
		FUZZ_CHECK(got == (ssize_t)readable(addr, len));
	if (got > 0)
		FUZZ_CHECK(!memcmp(buf, at(g, addr), (size_t)got));
}

/*
 * What read_str and read_fd_name promise whatever the guest did: -EINVAL
 * for cap 0; else buf terminated within cap, a length that is its strlen.
 * Returns whether buf holds a string.
 */
static bool string_within_cap(const char *buf, size_t cap, ssize_t got)
{
	if (!cap) {
		FUZZ_CHECK(got == -EINVAL);
		return false;
	}
	FUZZ_CHECK(memchr(buf, '\0', cap));
	FUZZ_CHECK(got < (ssize_t)cap);
	if (got >= 0)
		FUZZ_CHECK(strlen(buf) == (size_t)got);
	return true;
}

static void op_read_str(struct hm_vcpu *vcpu, struct sync_guest *g,
			bool check)
{
	static char buf[70000];
	uint64_t addr = pick_addr();
	size_t cap = pick_len() % sizeof(buf);
	ssize_t got, want;

	memset(buf, 'x', cap + 1);
	got = hm_vcpu_read_str(vcpu, addr, buf, cap);
	if (!string_within_cap(buf, cap, got) || !check || !honest)
		return;
	want = model_str(g, addr, cap);
	FUZZ_CHECK(got == want);
	if (got >= 0 || got == -ENAMETOOLONG)
		FUZZ_CHECK(!memcmp(buf, at(g, addr), strlen(buf)));
	if (got == -ENAMETOOLONG)
		FUZZ_CHECK(strlen(buf) == cap - 1);
}

/*
 * A string condition on an argument pointing anywhere: what the model's
 * string says of it (protocol.h), read as hm_vcpu_read_str() reads it.
 */
static void op_str_cond(struct hm_vcpu *vcpu, struct sync_guest *g,
			bool check)
{
	struct hm_event ev = { .kind = HM_EVENT_USER, .nr = 1 };
	struct hm_sub_rule rule = { .kind = HM_EVENT_USER, .nr = 1,
				    .nr_conds = 1 };
	struct hm_sub_cond *c = &rule.conds[0];
	unsigned int n = fuzz_u8(&in) % (HM_COMM_LEN + 1), i;
	char *needle = (char *)&c->lo;
	ssize_t len;
	int got, want;

	ev.args[0] = pick_addr();
	c->op = HM_COND_STR_EQ + fuzz_u8(&in) % 4;
	/* A needle of the model's letters, cut or not. */
	fuzz_bytes(&in, needle, HM_COMM_LEN);
	memset(needle + n, 0, HM_COMM_LEN - n);
	for (i = 0; i < n; i++)
		needle[i] = (char)('a' + (uint8_t)needle[i] % 4);
	if (n == HM_COMM_LEN && fuzz_u8(&in) & 1)
		c->flags = HM_COND_NEEDLE_CUT;
	got = hm_vcpu_event_matches(vcpu, &ev, &rule);
	FUZZ_CHECK(got <= 1);
	if (!check || !honest || got == -EBUSY)
		return;
	len = model_str(g, ev.args[0], HM_NAME_MAX);
	if (len == -EFAULT)
		want = 0;
	else if (len >= 0)
		want = hm_sub_cond_str_holds(c, (const char *)at(g, ev.args[0]),
					     (uint64_t)len, 1);
	else
		want = hm_sub_cond_str_holds(c, (const char *)at(g, ev.args[0]),
					     HM_NAME_MAX - 1, 0);
	FUZZ_CHECK(got == (want < 0 ? -ENAMETOOLONG : want));
}

static void op_write(struct hm_vcpu *vcpu, struct sync_guest *g, bool check)
{
	static uint8_t buf[70000];
	uint64_t addr = pick_addr();
	size_t len = pick_len() % sizeof(buf);
	ssize_t got;

	memset(buf, fuzz_u8(&in), len);
	got = hm_vcpu_write(vcpu, addr, buf, len);
	FUZZ_CHECK(got <= (ssize_t)len);
	if (!check || !honest)
		return;
	FUZZ_CHECK(got == (readable(addr, len) || !len ?
			   (ssize_t)readable(addr, len) : -EFAULT));
	if (got > 0)
		FUZZ_CHECK(!memcmp(buf, at(g, addr), (size_t)got));
}

static void op_readv(struct hm_vcpu *vcpu, struct sync_guest *g, bool check)
{
	static uint8_t bufs[300][600];
	static struct hm_iovec v[300];
	size_t n = fuzz_u16(&in) % 300, i, full = 0;
	ssize_t got;

	for (i = 0; i < n; i++)
		v[i] = (struct hm_iovec){ .addr = pick_addr(), .buf = bufs[i],
					  .len = fuzz_u16(&in) % 600 };
	got = hm_vcpu_readv(vcpu, v, n);
	if (!n) {
		FUZZ_CHECK(got == -EINVAL);
		return;
	}
	FUZZ_CHECK(got <= (ssize_t)n);
	if (got < 0)
		return;
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(v[i].result <= (ssize_t)v[i].len);
		full += v[i].result == (ssize_t)v[i].len;
	}
	FUZZ_CHECK(full == (size_t)got);
	for (i = 0; check && honest && i < n; i++) {
		size_t want = readable(v[i].addr, v[i].len);

		FUZZ_CHECK(v[i].result == (want || !v[i].len ? (ssize_t)want :
					   -EFAULT));
		if (want)
			FUZZ_CHECK(!memcmp(bufs[i], at(g, v[i].addr), want));
	}
}

static void op_fd_name(struct hm_vcpu *vcpu, bool check)
{
	static char buf[HM_NAME_MAX * 2];
	int64_t fd = (int64_t)(fuzz_u16(&in) % (MAX_FD + 20)) - 10;
	size_t cap = fuzz_u16(&in) % sizeof(buf), len;
	struct hm_guest_info info;
	ssize_t got;

	memset(buf, 'x', sizeof(buf));
	got = hm_vcpu_read_fd_name(vcpu, fd, buf, cap);
	if (!string_within_cap(buf, cap, got) || !check || !honest ||
	    hm_vcpu_get_guest_info(vcpu, &info))
		return;
	if (fd < 0 || fd > MAX_FD) {
		FUZZ_CHECK(got == -EBADF);
		return;
	}
	len = (size_t)fd * NAME_UNIT_LEN;
	if (len >= cap || (info.features & HM_FEATURE_FD_NAME_OFFSET ?
			   len >= HM_NAME_MAX :
			   len > info.region_pages * HM_PAGE_SIZE -
				 HM_HEADER_SIZE))
		FUZZ_CHECK(got == -ENAMETOOLONG);
	else
		FUZZ_CHECK(got == (ssize_t)len);
}

static void op_proc(struct hm_vcpu *vcpu, bool check)
{
	struct hm_env_var *vars;
	char **argv;
	size_t n, i;
	int err;

	if (fuzz_u8(&in) & 1) {
		err = hm_vcpu_get_proc_args(vcpu, &argv, &n);
		if (err)
			return;
		FUZZ_CHECK(!argv[n]);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(argv[i]);
		free(argv);
		return;
	}
	err = hm_vcpu_get_proc_env(vcpu, &vars, &n);
	if (!err) {
		for (i = 0; i < n; i++)
			FUZZ_CHECK(vars[i].name && vars[i].value);
		free(vars);
	}
	(void)check;
}

static void op_misc(struct hm_vcpu *vcpu, bool check)
{
	struct hm_socket_info info;
	struct hm_translation t;
	uint8_t buf[64];
	uint64_t v;
	uint32_t v32;
	ssize_t got;
	int err;

	switch (fuzz_u8(&in) % 9) {
	case 0:
		err = hm_vcpu_get_proc_pid(vcpu, &v);
		if (check && honest)
			FUZZ_CHECK(!err && v == 4242);
		break;
	case 1:
		err = hm_vcpu_read_socket_info(vcpu, fuzz_u8(&in) % 5, &info);
		if (!err)
			FUZZ_CHECK(info.local_len <= HM_SOCKADDR_MAX &&
				   info.remote_len <= HM_SOCKADDR_MAX);
		break;
	case 2:
		got = hm_vcpu_read_file(vcpu, fuzz_u8(&in) & 1 ? "/f" : "/g",
					fuzz_u16(&in), buf, sizeof(buf));
		FUZZ_CHECK(got <= (ssize_t)sizeof(buf));
		break;
	case 3:
		hm_vcpu_translate(vcpu, pick_addr(), &t);
		break;
	case 4:
		hm_vcpu_read_u32(vcpu, pick_addr(), &v32);
		break;
	case 5:
		hm_vcpu_read_ptr(vcpu, pick_addr(), &v);
		break;
	case 6:
		hm_vcpu_write_u64(vcpu, pick_addr(), fuzz_u64(&in));
		break;
	case 7:
		hm_vcpu_write_ptr(vcpu, pick_addr(), fuzz_u64(&in));
		break;
	default:
		hm_vcpu_write_str(vcpu, pick_addr(), "hello");
		break;
	}
}

/* The lists hold only what they may, in order; all of the model if honest. */
static void op_system(struct hm_vcpu *vcpu, bool check)
{
	uint64_t pid = fuzz_u8(&in) % 3;
	struct hm_guest_info info;
	struct hm_open_file *files;
	struct hm_mapping *maps;
	struct hm_process *tasks;
	char path[64];
	ssize_t got;
	size_t n, i;
	int err;

	switch (fuzz_u8(&in) % 6) {
	case 5:
		err = hm_vcpu_use_process(vcpu, pid);
		if (check && honest && !hm_vcpu_get_guest_info(vcpu, &info) &&
		    (info.features & HM_FEATURE_PID_ACCESS))
			FUZZ_CHECK(pid > 1 ? err == -ESRCH : !err);
		break;
	case 4:
		n = fuzz_u16(&in) % 3000;
		got = hm_vcpu_write_file(vcpu, n & 1 ? "/ro" : "/w", 0,
					 pristine, n, HM_WRITE_CREATE, 0644);
		FUZZ_CHECK(got <= (ssize_t)n);
		if (check && honest && !hm_vcpu_get_guest_info(vcpu, &info) &&
		    (info.features & HM_FEATURE_WRITE_FILE))
			FUZZ_CHECK(n & 1 ? got == -EROFS :
				   got == (ssize_t)(n > 1000 ? 1000 : n));
		break;
	case 0:
		err = hm_vcpu_list_processes(vcpu, &tasks, &n);
		if (err)
			break;
		for (i = 0; i < n; i++)
			FUZZ_CHECK(memchr(tasks[i].comm, 0, HM_COMM_LEN) &&
				   (!i || tasks[i].pid > tasks[i - 1].pid));
		if (check && honest)
			FUZZ_CHECK(n == MODEL_TASKS &&
				   tasks[n - 1].pid == 3 * n - 2);
		free(tasks);
		break;
	case 1:
		err = hm_vcpu_get_maps(vcpu, pid, &maps, &n);
		if (err)
			break;
		for (i = 0; i < n; i++)
			FUZZ_CHECK(maps[i].end > maps[i].start &&
				   strlen(maps[i].name) < HM_NAME_MAX &&
				   (!i || maps[i].start >= maps[i - 1].end));
		if (check && honest)
			FUZZ_CHECK(pid <= 1 && n == MODEL_MAPS);
		free(maps);
		break;
	case 2:
		err = hm_vcpu_get_fds(vcpu, pid, &files, &n);
		if (err)
			break;
		for (i = 0; i < n; i++)
			FUZZ_CHECK(files[i].fd >= 0 &&
				   strlen(files[i].name) < HM_NAME_MAX &&
				   (!i || files[i].fd > files[i - 1].fd));
		if (check && honest)
			FUZZ_CHECK(pid <= 1 && n == MODEL_FDS);
		free(files);
		break;
	default:
		got = hm_vcpu_get_exe(vcpu, pid, path, sizeof(path));
		FUZZ_CHECK(got < (ssize_t)sizeof(path) &&
			   (got < 0 || strlen(path) == (size_t)got));
		break;
	}
}

/* 0, or the error that abandoned the event (nothing enters the guest). */
static int abandoned(struct hm_vcpu *vcpu)
{
	uint8_t none;
	ssize_t n = hm_vcpu_read(vcpu, SYNC_VA, &none, 0);

	return n < 0 ? (int)n : 0;
}

/* The VMM's exit handler: serial bytes are fine unless the input says. */
static int exit_fn(struct hm_vcpu *vcpu, struct kvm_run *run, void *opaque)
{
	(void)vcpu;
	(void)run;
	(void)opaque;
	if (fuzz_u8(&in) % 8)
		return 0;
	honest = false;
	return -(int)(fuzz_u8(&in) % 8);
}

static bool episode_honest;	/* the registration was the agent's */
static bool model_holds;	/* reads see what the honest agent sees */

/* The event: operations until the input or MAX_OPS runs out. */
static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct sync_guest *g = hm_vcpu_get_data(vcpu);
	unsigned int i;

	(void)opaque;
	/* The event's task is as READ_PROCPID would have it, and a string. */
	FUZZ_CHECK(!(ev->flags & ~HM_EVENT_HAS_TASK));
	FUZZ_CHECK(ev->pid <= INT32_MAX);
	FUZZ_CHECK(memchr(ev->comm, 0, sizeof(ev->comm)) != NULL);
	FUZZ_CHECK((ev->flags & HM_EVENT_HAS_TASK) ||
		   (!ev->pid && !ev->comm[0]));
	for (i = 0; i < MAX_OPS && in.size; i++) {
		uint8_t what = fuzz_u8(&in);
		unsigned int runs = g->kvm_runs;
		int gone = abandoned(vcpu);
		uint64_t start;

		honest = episode_honest && !gone;
		g->silent = what & 0x80 ? fuzz_u8(&in) % 4 : 0;
		if (g->silent)
			honest = false;
		/* One operation each, its time and its allocations counted. */
		start = sync_guest_clock_ns();
		fuzz_alloc_begin();
		switch (what % 10) {
		case 0: op_read(vcpu, g, model_holds); break;
		case 9: op_str_cond(vcpu, g, model_holds); break;
		case 1: op_read_str(vcpu, g, model_holds); break;
		case 2: op_write(vcpu, g, model_holds); break;
		case 3: op_readv(vcpu, g, model_holds); break;
		case 4: op_fd_name(vcpu, model_holds); break;
		case 5: op_proc(vcpu, model_holds); break;
		case 6: op_system(vcpu, model_holds); break;
		default: op_misc(vcpu, model_holds); break;
		}
		FUZZ_CHECK(fuzz_alloc_end() <= budget);
		FUZZ_CHECK(sync_guest_clock_ns() - start <=
			   HM_DEFAULT_TIMEOUT_MS * 1000000ull);
		g->silent = 0;
		/* An abandoned event never enters the guest again. */
		if (gone)
			FUZZ_CHECK(g->kvm_runs == runs &&
				   abandoned(vcpu) == gone);
	}
	return 0;
}

static void setup(void)
{
	size_t i;

	if (hm_vm_new(&vm))
		abort();
	hm_vm_set_event_handler(vm, on_event, NULL);
	hm_vm_set_exit_handler(vm, exit_fn, NULL);
	for (i = 0; i < NR_GUESTS; i++) {
		struct sync_guest *g = sync_guest_new(vm, (unsigned int)i);

		g->ops.fd_name = fd_name;
		g->ops.proc_area = proc_area;
		g->ops.pid = pid;
		g->ops.read_file = read_file;
		g->ops.socket_info = socket_info;
		g->ops.proc_list = proc_list;
		g->ops.proc_maps = proc_maps;
		g->ops.proc_fds = proc_fds;
		g->ops.proc_path = proc_path;
		g->ops.write_file = write_file;
		g->ops.use_process = use_process;
		g->spoil = spoil;
		guests[i] = g;
	}
	/* Strings of 40 letters and a NUL. */
	for (i = 0; i < SYNC_MEM_SIZE; i++)
		pristine[i] = (uint8_t)(i % 41 ? 'a' + i % 26 : 0);
}

static void reset(struct sync_guest *g)
{
	memset(g->ram, 0, SYNC_MEM);
	memcpy(g->mem, pristine, SYNC_MEM_SIZE);
	sync_guest_map(g);
	g->silent = 0;
	g->reply_call = 0;
}

/*
 * A registered guest is of one architecture the protocol names, its
 * pointers as wide as that architecture's; the host's own when unsaid.
 */
static void check_guest_arch(struct hm_vcpu *vcpu)
{
	struct hm_guest_info info;
	int arch = hm_vcpu_get_guest_arch(vcpu);

	if (hm_vcpu_get_guest_info(vcpu, &info)) {
		FUZZ_CHECK(arch == -ENOTCONN);
		return;
	}
	if (!(info.features & HM_FEATURE_GUEST_ARCH)) {
		FUZZ_CHECK(arch == HM_ARCH_NATIVE);
		return;
	}
	FUZZ_CHECK(arch > 0 && arch <= HM_ARCH_MAX);
	FUZZ_CHECK(hm_arch_pointer_width((uint32_t)arch) ==
		   info.pointer_width && !info.big_endian);
}

/* A hello as the input has it, rung at a region the input picks. */
static void forge_registration(struct sync_guest *g)
{
	struct hm_region *r = g->agent.region;
	struct hm_hello_ack ack;
	uint64_t gpa = g->ram_gpa;
	uint8_t how = fuzz_u8(&in);

	fuzz_bytes(&in, r->data, sizeof(struct hm_hello));
	r->op = hm_le64(how & 1 ? fuzz_u8(&in) % 20 : HM_OP_REGISTER);
	/* The size the features say, or the input's. */
	r->size = hm_le64(how & 2 ? fuzz_u8(&in) :
			  ((struct hm_hello *)r->data)->features &
			  hm_le64(HM_FEATURE_GUEST_ARCH) ?
			  sizeof(struct hm_hello) : HM_HELLO_SIZE_V1);
	if (how & 4)
		gpa += (uint64_t)(int16_t)fuzz_u16(&in) * (how & 8 ? 1 : 4096);
	g->ops.doorbell(g, HM_CALL_REGISTER, gpa);
	memcpy(&ack, r->data, sizeof(ack));
	g->agent.region_pages = 1;
	if (hm_le64(r->op) == HM_RESP_REGISTER_OK && ack.region_pages &&
	    ack.region_pages <= HM_MAX_REGION_PAGES)
		g->agent.region_pages = ack.region_pages;
	g->agent.features = ack.features;
	check_guest_arch(g->vcpu);
}

static void register_guest(struct sync_guest *g)
{
	uint8_t how = fuzz_u8(&in), offered;

	g->vmcall = how & 0x40;
	g->foreign = 0;
	g->agent.region_pages = how % HM_MAX_REGION_PAGES + 1;
	offered = fuzz_u8(&in);
	g->agent.features = offered & 0x1f;
	if (offered & 0x20)
		g->agent.features |= HM_FEATURE_COND_OPS;
	if (how & 0x08)
		g->agent.features |= HM_FEATURE_PROC_LIST |
				     HM_FEATURE_PROC_MAPS |
				     HM_FEATURE_PROC_FDS |
				     HM_FEATURE_PROC_PATHS |
				     HM_FEATURE_WRITE_FILE |
				     HM_FEATURE_PID_ACCESS;
	/* The agent offers HM_FEATURE_SUBSCRIBE where it has a page. */
	g->agent.sub = how & 0x80 ? (struct hm_sub_page *)(g->ram +
							    SUB_OFFSET) : NULL;
	if (how & 0x80)
		g->agent.features |= HM_FEATURE_PREFETCH;
	g->agent.sub_gpa = g->ram_gpa + SUB_OFFSET;
	g->agent.name_buf = how & 0x10 ? g->name_buf : NULL;
	episode_honest = !(how & 0x20);
	if (episode_honest)
		sync_guest_register(g);
	else
		forge_registration(g);
}

/*
 * The guest offers a page for the subscription table, honestly or not;
 * the host takes only a well-offered one, and whatever the VM then
 * subscribes to, the page holds a consistent table.
 */
static void offer_sub_page(struct sync_guest *g)
{
	struct hm_region *r = g->agent.region;
	struct hm_guest_info info;
	struct hm_sub_rule rules[3];	/* how >> 6: up to 3 of them */
	const struct hm_sub_page *page;
	uint8_t how = fuzz_u8(&in);
	uint64_t gpa = g->ram_gpa + SUB_OFFSET, size = 0, region_end;
	bool well, negotiated;
	unsigned int i, j;
	int err;

	if (hm_vcpu_get_guest_info(g->vcpu, &info))
		return;
	/*
	 * Elsewhere only where nothing the model reads lies: the region's
	 * 64 KiB (pages past the region are free), or past every guest's RAM.
	 */
	if (how & 1)
		gpa = g->ram_gpa + fuzz_u16(&in) % (how & 2 ? 0x10000u : 16u) *
				   (how & 2 ? 1u : 4096u);
	else if (how & 2)
		gpa = SYNC_RAM_GPA + (uint64_t)NR_GUESTS * SYNC_RAM_SIZE +
		      fuzz_u64(&in) % (1ull << 40);
	if (how & 4)
		size = fuzz_u8(&in);
	region_end = info.region_gpa +
		     (uint64_t)info.region_pages * HM_PAGE_SIZE;
	negotiated = info.features & HM_FEATURE_SUBSCRIBE;
	well = negotiated && !size && !(gpa % HM_PAGE_SIZE) &&
	       (gpa < info.region_gpa || gpa >= region_end) &&
	       hm_vm_gpa_to_hva(vm, gpa, HM_PAGE_SIZE);
	r->addr = hm_le64(gpa);
	r->size = hm_le64(size);
	r->op = hm_le64(HM_OP_SUBSCRIBE);
	g->ops.doorbell(g, HM_CALL_SUBSCRIBE, info.region_gpa);
	FUZZ_CHECK((hm_le64(r->op) == HM_RESP_SUBSCRIBE_OK) == well);
	fuzz_bytes(&in, rules, sizeof(rules));
	err = hm_vm_subscribe(vm, rules, how >> 6, (how >> 3) & 7);
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	if (!well)
		return;
	page = hm_vm_gpa_to_hva(vm, gpa, HM_PAGE_SIZE);
	FUZZ_CHECK(hm_le32(page->header.magic) == HM_SUB_MAGIC);
	FUZZ_CHECK(!(hm_le32(page->header.seq) & 1));
	FUZZ_CHECK(hm_le32(page->header.nr_rules) <= 3);
	FUZZ_CHECK(!(hm_le32(page->header.flags) &
		     ~(HM_SUB_ACTIVE | HM_SUB_ALL)));
	/* A guest without the feature gets none of the newer ops. */
	for (i = 0; !(info.features & HM_FEATURE_COND_OPS) &&
		    i < hm_le32(page->header.nr_rules); i++) {
		for (j = 0; j < HM_SUB_MAX_CONDS; j++)
			FUZZ_CHECK(page->rules[i].conds[j].op ==
				   HM_COND_RANGE);
	}
}

/* An event record, a task and a prefetch area, as the input has them. */
static void forge_event(struct sync_guest *g)
{
	struct hm_region *r = g->agent.region;
	uint64_t size = fuzz_u16(&in) % 1024;
	struct hm_guest_info info;

	if (hm_vcpu_get_guest_info(g->vcpu, &info))
		return;
	/* Its prefetch area may answer reads with anything. */
	episode_honest = false;
	fuzz_bytes(&in, r->data, size);
	r->size = hm_le64(size);
	r->op = hm_le64(HM_OP_EVENT);
	g->ops.doorbell(g, HM_CALL_EVENT, info.region_gpa);
}

/* The VM's settings and RAM map against what the input asks. */
static void check_settings(void)
{
	static uint8_t slot[4096];
	struct hm_vm *other;
	uint64_t gpa = fuzz_u64(&in), len = fuzz_u16(&in);
	unsigned int ms = fuzz_u16(&in);
	int err;

	FUZZ_CHECK(hm_vm_set_timeout(vm, ms) == (ms ? 0 : -EINVAL));
	hm_vm_set_timeout(vm, HM_DEFAULT_TIMEOUT_MS);
	FUZZ_CHECK(hm_vm_set_kick_signal(vm, SIGRTMIN + 3) == -EBUSY);
	FUZZ_CHECK(hm_vm_set_read_mode(vm, (enum hm_read_mode)7) == -EINVAL);
	if (hm_vm_new(&other))
		return;
	FUZZ_CHECK(hm_vm_add_ram(other, 0x10000, sizeof(slot), slot) == 0);
	err = hm_vm_add_ram(other, gpa, len, slot);
	if (!len || gpa + len <= gpa)
		FUZZ_CHECK(err == -EINVAL);
	else if (gpa < 0x11000 && gpa + len > 0x10000)
		FUZZ_CHECK(err == -EEXIST);
	else
		FUZZ_CHECK(!err && hm_vm_gpa_to_hva(other, gpa, len) == slot);
	hm_vm_free(other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum hm_read_mode mode;
	unsigned int i, spoiled;

	if (!vm)
		setup();
	in = (struct fuzz_input){ data, size };
	mode = (enum hm_read_mode)(fuzz_u8(&in) % 3);
	hm_vm_set_read_mode(vm, mode);
	for (i = 0; i < NR_GUESTS; i++)
		reset(guests[i]);
	args_len = fuzz_u16(&in) % 0x6000;
	file_len = fuzz_u16(&in) % 0x8000;
	/* 1 KiB to 64 MiB: small ones reached by the model's argv and lists. */
	budget = (size_t)1024 << fuzz_u8(&in) % 17;
	FUZZ_CHECK(hm_vm_set_memory_budget(vm, budget) == 0);
	spoiled = fuzz_u8(&in) % 4;
	for (i = 0; i < spoiled; i++) {
		struct sync_guest *g = guests[fuzz_u8(&in) % NR_GUESTS];

		fuzz_bytes(&in, g->ram + SYNC_TABLES + fuzz_u16(&in) % 16384,
			   8);
	}
	model_holds = !spoiled || mode == HM_READ_COOPERATIVE;
	for (i = 0; i < 3 && in.size; i++) {
		struct sync_guest *g = guests[fuzz_u8(&in) % NR_GUESTS];

		register_guest(g);
		switch (fuzz_u8(&in) % 4) {
		case 0:
			offer_sub_page(g);
			break;
		case 1:
			forge_event(g);
			break;
		default:
			break;
		}
		sync_guest_raise(g, HM_EVENT_USER, 1);
	}
	hm_vm_unsubscribe(vm);
	/* Outside an event nothing reaches a guest. */
	for (i = 0; i < NR_GUESTS; i++) {
		unsigned int runs = guests[i]->kvm_runs;
		struct hm_guest_info info;
		uint8_t byte;
		ssize_t n = hm_vcpu_read(guests[i]->vcpu, SYNC_VA, &byte, 1);

		FUZZ_CHECK(n == -EBUSY || n == -ENOTCONN);
		FUZZ_CHECK(guests[i]->kvm_runs == runs);
		if (!hm_vcpu_get_guest_info(guests[i]->vcpu, &info))
			FUZZ_CHECK(info.region_pages >= 1 &&
				   info.region_pages <= HM_MAX_REGION_PAGES);
	}
	check_settings();
	return 0;
}
