// SPDX-License-Identifier: MIT
/*
 * The guest-side op dispatcher, shared by every guest OS. Requests come from
 * the host; sizes and offsets in them are checked against the region before
 * any accessor runs.
 */
#include "agent.h"

#if defined(__KERNEL__)
#include <linux/string.h>
#define hm_memcpy memcpy
#define hm_memset memset
#else
#define hm_memcpy __builtin_memcpy
#define hm_memset __builtin_memset
#endif

static void respond(struct hm_region *r, uint64_t code, uint64_t addr,
		    uint64_t size)
{
	r->addr = hm_le64(addr);
	r->size = hm_le64(size);
	r->op = hm_le64(code);
}

/*
 * An error the host takes (protocol.h): one of the HM_E* values; any
 * other number an OS accessor gave becomes HM_EIO.
 */
static uint64_t wire_errno(long err)
{
	static const uint8_t known[] = { HM_GUEST_ERRNOS, HM_ENAMETOOLONG };
	size_t i;

	for (i = 0; i < sizeof(known); i++)
		if (-err == known[i])
			return known[i];
	return HM_EIO;
}

static void fail(struct hm_region *r, long err)
{
	respond(r, HM_RESP_READ_FAIL, 0, wire_errno(err));
}

static size_t data_size(const struct hm_agent *agent)
{
	return hm_agent_data_size(agent->region_pages);
}

/*
 * data[] of a region of region_pages pages: indexing the struct's one-page
 * array past its end is undefined behaviour even where the pages follow.
 */
static char *data_of(const struct hm_agent *agent)
{
	return (char *)agent->region + HM_HEADER_SIZE;
}

static void serve_read(struct hm_agent *agent, uint64_t addr, size_t size)
{
	struct hm_region *r = agent->region;
	size_t left = agent->ops->copy_from(agent->ctx, data_of(agent), addr,
					    size);

	if (!left)
		respond(r, HM_RESP_READ_OK, addr, size);
	else if (left < size)
		respond(r, HM_RESP_READ_PARTIAL, addr, size - left);
	else
		fail(r, -HM_EFAULT);
}

static void serve_write(struct hm_agent *agent, uint64_t addr, size_t size)
{
	struct hm_region *r = agent->region;
	size_t left = agent->ops->copy_to(agent->ctx, addr, data_of(agent),
					  size);

	if (!left)
		respond(r, HM_RESP_WRITE_OK, addr, size);
	else
		respond(r, HM_RESP_WRITE_FAIL, HM_EFAULT, size - left);
}

static void serve_read_str(struct hm_agent *agent, uint64_t addr, size_t size)
{
	struct hm_region *r = agent->region;
	size_t copied = 0;
	long n = agent->ops->string_from(agent->ctx, data_of(agent), addr,
					 size, &copied);

	if (n >= 0 && (size_t)n <= size)
		respond(r, HM_RESP_READ_OK, addr, (uint64_t)n);
	else if (copied > 0 && copied < size)
		respond(r, HM_RESP_READ_PARTIAL, addr, copied);
	else
		fail(r, n < 0 ? n : -HM_EFAULT);
}

/* The whole name into name_buf, the slice the host asked for into data[]. */
static void serve_fd_name_at(struct hm_agent *agent, uint64_t fd, size_t size)
{
	struct hm_region *r = agent->region;
	uint64_t offset;
	size_t len;
	long n;

	hm_memcpy(&offset, data_of(agent), sizeof(offset));
	offset = hm_le64(offset);
	n = agent->ops->fd_name(agent->ctx, (int64_t)fd, agent->name_buf,
				HM_NAME_MAX);
	if (n < 0 || (size_t)n >= HM_NAME_MAX)
		return fail(r, n < 0 ? n : -HM_ENAMETOOLONG);
	if (offset > (uint64_t)n)
		return fail(r, -HM_EINVAL);
	len = (size_t)((uint64_t)n - offset);
	if (len > size)
		len = size;
	hm_memcpy(data_of(agent), agent->name_buf + offset, len);
	respond(r, HM_RESP_READ_OK, (uint64_t)n, len);
}

static void serve_fd_name(struct hm_agent *agent, uint64_t fd, size_t size)
{
	struct hm_region *r = agent->region;
	long n;

	if (!agent->ops->fd_name)
		return fail(r, -HM_ENOSYS);
	if ((agent->features & HM_FEATURE_FD_NAME_OFFSET) && agent->name_buf)
		return serve_fd_name_at(agent, fd, size);
	n = agent->ops->fd_name(agent->ctx, (int64_t)fd, data_of(agent), size);
	if (n >= 0 && (size_t)n <= size)
		respond(r, HM_RESP_READ_OK, fd, (uint64_t)n);
	else
		fail(r, n < 0 ? n : -HM_ENAMETOOLONG);
}

static void serve_proc_area(struct hm_agent *agent, enum hm_proc_area which,
			    uint64_t offset, size_t size)
{
	struct hm_region *r = agent->region;
	uint64_t total = 0;
	long n;

	if (!agent->ops->proc_area)
		return fail(r, -HM_ENOSYS);
	n = agent->ops->proc_area(agent->ctx, which, offset, data_of(agent),
				  size, &total);
	if (n >= 0 && (size_t)n <= size)
		respond(r, HM_RESP_READ_OK, total, (uint64_t)n);
	else
		fail(r, n < 0 ? n : -HM_EFAULT);
}

static void serve_pid(struct hm_agent *agent)
{
	struct hm_region *r = agent->region;
	uint64_t pid = 0;
	long err;

	if (!agent->ops->pid)
		return fail(r, -HM_ENOSYS);
	err = agent->ops->pid(agent->ctx, &pid);
	if (err)
		return fail(r, err);
	respond(r, HM_RESP_READ_NUM, 0, pid);
}

/* The request's data[] holds the path; the reply overwrites it. */
static void serve_read_file(struct hm_agent *agent, uint64_t offset,
			    size_t size)
{
	struct hm_region *r = agent->region;
	char *data = data_of(agent);
	size_t cap = data_size(agent);
	uint64_t file_size = 0;
	size_t len;
	long n;

	if (!agent->ops->read_file)
		return fail(r, -HM_ENOSYS);
	for (len = 0; len < cap && data[len]; len++)
		;
	if (len == cap || len == 0)
		return fail(r, -HM_EINVAL);
	n = agent->ops->read_file(agent->ctx, data, offset, data, size,
				  &file_size);
	if (n >= 0 && (size_t)n <= size)
		respond(r, HM_RESP_READ_OK, file_size, (uint64_t)n);
	else
		fail(r, n < 0 ? n : -HM_EFAULT);
}

static void serve_socket_info(struct hm_agent *agent, uint64_t fd)
{
	struct hm_region *r = agent->region;
	struct hm_socket_info info;
	long err;

	if (!agent->ops->socket_info)
		return fail(r, -HM_ENOSYS);
	hm_memset(&info, 0, sizeof(info));
	err = agent->ops->socket_info(agent->ctx, (int64_t)fd, &info);
	if (err)
		return fail(r, err);
	if (info.local_len > HM_SOCKADDR_MAX ||
	    info.remote_len > HM_SOCKADDR_MAX)
		return fail(r, -HM_EINVAL);
	info.family = hm_le32(info.family);
	info.type = hm_le32(info.type);
	info.protocol = hm_le32(info.protocol);
	info.state = hm_le32(info.state);
	info.local_len = hm_le32(info.local_len);
	info.remote_len = hm_le32(info.remote_len);
	hm_memcpy(data_of(agent), &info, sizeof(info));
	respond(r, HM_RESP_READ_OK, fd, sizeof(info));
}

int hm_agent_list_proc(struct hm_agent_list *l,
		       const struct hm_proc_entry *e)
{
	struct hm_proc_entry w = *e;

	if (l->full || l->cap - l->used < sizeof(w)) {
		if (!l->full)
			l->next = e->pid;
		l->full = 1;
		return 1;
	}
	w.pid = hm_le64(e->pid);
	w.tgid = hm_le64(e->tgid);
	w.ppid = hm_le64(e->ppid);
	w.start_ns = hm_le64(e->start_ns);
	w.uid = hm_le32(e->uid);
	w.reserved = 0;
	hm_memcpy(l->buf + l->used, &w, sizeof(w));
	l->used += sizeof(w);
	return 0;
}

/*
 * An entry of @head bytes and its name, padded to 8: cut short when it
 * would not fit even alone. Returns the name's bytes to send, or -1 when
 * the reply is full.
 */
static long list_room(struct hm_agent_list *l, size_t head, uint32_t len,
		      uint32_t *flags)
{
	size_t room = l->cap - l->used;

	if (!l->full && room >= head && room - head >= ((len + 7ul) & ~7ul))
		return len;
	if (l->full || l->used || room < head + 8) {
		l->full = 1;
		return -1;
	}
	*flags |= HM_NAME_CUT;
	return (long)((room - head) & ~7ul);
}

static void list_put(struct hm_agent_list *l, const void *head,
		     size_t head_len, const char *name, size_t len)
{
	char *out = l->buf + l->used;

	hm_memcpy(out, head, head_len);
	hm_memcpy(out + head_len, name, len);
	hm_memset(out + head_len + len, 0, ((len + 7) & ~7ul) - len);
	l->used += head_len + ((len + 7) & ~7ul);
}

int hm_agent_list_map(struct hm_agent_list *l, const struct hm_map_entry *e,
		      const char *name)
{
	struct hm_map_entry w;
	uint32_t flags = e->flags;
	long len = list_room(l, sizeof(w), e->name_len, &flags);

	if (len < 0) {
		if (!l->next)
			l->next = e->start;
		return 1;
	}
	w.start = hm_le64(e->start);
	w.end = hm_le64(e->end);
	w.offset = hm_le64(e->offset);
	w.inode = hm_le64(e->inode);
	w.flags = hm_le32(flags);
	w.name_len = hm_le32((uint32_t)len);
	list_put(l, &w, sizeof(w), name, (size_t)len);
	return 0;
}

int hm_agent_list_fd(struct hm_agent_list *l, const struct hm_fd_entry *e,
		     const char *name)
{
	struct hm_fd_entry w;
	uint32_t flags = e->flags;
	long len = list_room(l, sizeof(w), e->name_len, &flags);

	if (len < 0) {
		if (!l->next)
			l->next = e->fd;
		return 1;
	}
	w.fd = hm_le32(e->fd);
	w.open_flags = hm_le32(e->open_flags);
	w.flags = hm_le32(flags);
	w.name_len = hm_le32((uint32_t)len);
	list_put(l, &w, sizeof(w), name, (size_t)len);
	return 0;
}

/*
 * A list op: the cursor (data[0..7] but for PROC_LIST, whose addr it is)
 * is read before entries overwrite it; the reply's addr is where the
 * next request starts, 0 after the last entry.
 */
static void serve_list(struct hm_agent *agent, uint64_t op, uint64_t addr,
		       size_t size)
{
	const struct hm_agent_ops *ops = agent->ops;
	struct hm_agent_list l = {
		.buf = data_of(agent), .cap = size, .scratch = agent->name_buf,
	};
	uint64_t cursor = addr;
	long err;

	if (op != HM_OP_PROC_LIST) {
		hm_memcpy(&cursor, data_of(agent), sizeof(cursor));
		cursor = hm_le64(cursor);
	}
	if (op == HM_OP_PROC_LIST && ops->proc_list &&
	    (agent->features & HM_FEATURE_PROC_LIST))
		err = ops->proc_list(agent->ctx, cursor, &l);
	else if (op == HM_OP_PROC_MAPS && ops->proc_maps &&
		 (agent->features & HM_FEATURE_PROC_MAPS))
		err = ops->proc_maps(agent->ctx, addr, cursor, &l);
	else if (op == HM_OP_PROC_FDS && ops->proc_fds &&
		 (agent->features & HM_FEATURE_PROC_FDS))
		err = ops->proc_fds(agent->ctx, addr, cursor, &l);
	else
		err = -HM_ENOSYS;
	if (err)
		return fail(agent->region, err);
	/* Not even one entry fits what the host allowed. */
	if (l.full && !l.used)
		return fail(agent->region, -HM_EINVAL);
	respond(agent->region, HM_RESP_READ_OK, l.full ? l.next : 0, l.used);
}

static void serve_proc_path(struct hm_agent *agent, uint64_t pid,
			    enum hm_proc_path which, size_t size)
{
	struct hm_region *r = agent->region;
	long n;

	if (!agent->ops->proc_path ||
	    !(agent->features & HM_FEATURE_PROC_PATHS))
		return fail(r, -HM_ENOSYS);
	n = agent->ops->proc_path(agent->ctx, pid, which, data_of(agent),
				  size);
	if (n >= 0 && (size_t)n <= size)
		respond(r, HM_RESP_READ_OK, pid, (uint64_t)n);
	else
		fail(r, n < 0 ? n : -HM_ENAMETOOLONG);
}

/* The head, the path with its NUL last, the bytes: all inside size. */
static void serve_write_file(struct hm_agent *agent, size_t size)
{
	struct hm_region *r = agent->region;
	char *data = data_of(agent);
	struct hm_write_file w;
	long n, err = 0;

	if (!agent->ops->write_file ||
	    !(agent->features & HM_FEATURE_WRITE_FILE))
		return respond(r, HM_RESP_WRITE_FAIL, HM_ENOSYS, 0);
	hm_memcpy(&w, data, sizeof(w));
	w.offset = hm_le64(w.offset);
	w.flags = hm_le32(w.flags);
	w.mode = hm_le32(w.mode);
	w.path_len = hm_le32(w.path_len);
	w.data_len = hm_le32(w.data_len);
	if (size < sizeof(w) || w.path_len < 2 ||
	    w.path_len > size - sizeof(w) ||
	    w.data_len != size - sizeof(w) - w.path_len ||
	    data[sizeof(w) + w.path_len - 1] ||
	    (w.flags & ~(HM_WRITE_CREATE | HM_WRITE_TRUNCATE)) ||
	    w.mode > 07777)
		return respond(r, HM_RESP_WRITE_FAIL, HM_EINVAL, 0);
	n = agent->ops->write_file(agent->ctx, data + sizeof(w), w.offset,
				   w.flags, w.mode,
				   data + sizeof(w) + w.path_len, w.data_len,
				   &err);
	if (n >= 0 && (uint64_t)n == w.data_len)
		respond(r, HM_RESP_WRITE_OK, 0, (uint64_t)n);
	else if (n >= 0 && (uint64_t)n < w.data_len)
		respond(r, HM_RESP_WRITE_FAIL, wire_errno(err), (uint64_t)n);
	else
		respond(r, HM_RESP_WRITE_FAIL, wire_errno(n), 0);
}

static void serve_use_process(struct hm_agent *agent, uint64_t pid)
{
	uint64_t tgid = 0;
	long err;

	if (!agent->ops->use_process ||
	    !(agent->features & HM_FEATURE_PID_ACCESS))
		return fail(agent->region, -HM_ENOSYS);
	err = agent->ops->use_process(agent->ctx, pid, &tgid);
	if (err)
		return fail(agent->region, err);
	agent->target = pid;
	respond(agent->region, HM_RESP_READ_NUM, pid, tgid);
}

/* The pieces and the bytes they ask for must all fit in data[]. */
static int readv_fits(const struct hm_agent *agent, uint64_t n,
		      uint64_t size)
{
	const struct hm_readv_piece *p =
		(const struct hm_readv_piece *)data_of(agent);
	uint64_t room = data_size(agent);
	uint64_t i;

	if (n == 0 || n > HM_READV_MAX_PIECES || size != n * sizeof(*p) ||
	    size > room)
		return 0;
	room -= size;
	for (i = 0; i < n; i++) {
		uint64_t len = hm_le64(p[i].len);

		if (len > room)
			return 0;
		room -= len;
	}
	return 1;
}

/*
 * Each piece's bytes land behind the table, so reading piece i never
 * overwrites a piece still to be read; its len becomes the bytes read.
 */
static void serve_readv(struct hm_agent *agent, uint64_t n, uint64_t size)
{
	struct hm_region *r = agent->region;
	char *data = data_of(agent);
	struct hm_readv_piece *p = (struct hm_readv_piece *)data;
	char *out = data + size;
	uint64_t i;

	if (!(agent->features & HM_FEATURE_READV))
		return fail(r, -HM_ENOSYS);
	if (!readv_fits(agent, n, size))
		return fail(r, -HM_EINVAL);
	for (i = 0; i < n; i++) {
		size_t len = (size_t)hm_le64(p[i].len);
		size_t left = len ? agent->ops->copy_from(agent->ctx, out,
				hm_le64(p[i].addr), len) : 0;

		p[i].len = hm_le64(len - left);
		out += len - left;
	}
	respond(r, HM_RESP_READ_OK, n, (uint64_t)(out - data));
}

/* The controls each kind of event may carry. */
static int control_allowed(const struct hm_agent *agent, uint32_t kind,
			   const struct hm_event_control *c)
{
	uint32_t entry = agent->features & HM_FEATURE_SYSCALL_SKIP ?
			 HM_CONTROL_SKIP : 0;

	switch (kind) {
	case HM_EVENT_SYSCALL_ENTER:
		return !(c->flags & ~entry) &&
		       !(c->arg_mask & ~HM_CONTROL_ARGS_ALL);
	case HM_EVENT_SYSCALL_EXIT:
		return !(c->flags & ~HM_CONTROL_RETURN) && !c->arg_mask;
	default:
		return 0;
	}
}

/* The host ended the event with a record: keep it if it is well formed. */
static void take_control(struct hm_agent *agent, uint32_t kind)
{
	struct hm_agent_control *out = &agent->control;
	struct hm_event_control c;
	int i;

	if (!(agent->features & HM_FEATURE_EVENT_CONTROL) ||
	    hm_le64(agent->region->size) != sizeof(c))
		return;
	hm_memcpy(&c, data_of(agent), sizeof(c));
	c.flags = hm_le32(c.flags);
	c.arg_mask = hm_le32(c.arg_mask);
	if (!control_allowed(agent, kind, &c))
		return;
	out->flags = c.flags;
	out->arg_mask = c.arg_mask;
	for (i = 0; i < 6; i++)
		out->args[i] = hm_le64(c.args[i]);
	out->ret = hm_le64(c.ret);
}

/* Ops whose size is a byte count that must fit in data[]. */
static int takes_buffer(uint64_t op)
{
	return op == HM_OP_READ || op == HM_OP_WRITE || op == HM_OP_READ_STR ||
	       op == HM_OP_READ_FD_NAME || op == HM_OP_READ_PROCARGS ||
	       op == HM_OP_READ_PROCENV || op == HM_OP_READ_FILE ||
	       (op >= HM_OP_PROC_LIST && op <= HM_OP_WRITE_FILE);
}

int hm_agent_serve(struct hm_agent *agent)
{
	struct hm_region *r = agent->region;
	uint64_t op = hm_le64(r->op);
	uint64_t addr = hm_le64(r->addr);
	uint64_t size = hm_le64(r->size);

	if (takes_buffer(op) && (size == 0 || size > data_size(agent))) {
		fail(r, -HM_EINVAL);
		return 0;
	}
	switch (op) {
	case HM_OP_READ:
		serve_read(agent, addr, size);
		break;
	case HM_OP_WRITE:
		serve_write(agent, addr, size);
		break;
	case HM_OP_READ_STR:
		serve_read_str(agent, addr, size);
		break;
	case HM_OP_READ_FD_NAME:
		serve_fd_name(agent, addr, size);
		break;
	case HM_OP_READ_PROCARGS:
		serve_proc_area(agent, HM_PROC_ARGS, addr, size);
		break;
	case HM_OP_READ_PROCENV:
		serve_proc_area(agent, HM_PROC_ENV, addr, size);
		break;
	case HM_OP_READ_PROCPID:
		serve_pid(agent);
		break;
	case HM_OP_READ_FILE:
		serve_read_file(agent, addr, size);
		break;
	case HM_OP_READ_SOCKET_INFO:
		serve_socket_info(agent, addr);
		break;
	case HM_OP_READV:
		serve_readv(agent, addr, size);
		break;
	case HM_OP_PROC_LIST:
	case HM_OP_PROC_MAPS:
	case HM_OP_PROC_FDS:
		serve_list(agent, op, addr, size);
		break;
	case HM_OP_PROC_EXE:
		serve_proc_path(agent, addr, HM_PATH_EXE, size);
		break;
	case HM_OP_PROC_CWD:
		serve_proc_path(agent, addr, HM_PATH_CWD, size);
		break;
	case HM_OP_WRITE_FILE:
		serve_write_file(agent, size);
		break;
	case HM_OP_USE_PROCESS:
		serve_use_process(agent, addr);
		break;
	case HM_OP_NONE:
	case HM_RESP_READ_OK:
	case HM_RESP_READ_FAIL:
	case HM_RESP_READ_PARTIAL:
	case HM_RESP_WRITE_OK:
	case HM_RESP_WRITE_FAIL:
	case HM_RESP_READ_NUM:
	case HM_OP_REGISTER:
	case HM_RESP_REGISTER_OK:
	case HM_OP_EVENT:
	case HM_OP_EVENT_END:
		/* Nothing the host asked for: the event is over. */
		return 1;
	default:
		fail(r, -HM_ENOSYS);
		break;
	}
	return 0;
}

long hm_agent_put_name(const char *name, char *buf, size_t cap)
{
	size_t len = 0;

	while (name[len])
		len++;
	if (len > cap)
		return -HM_ENAMETOOLONG;
	hm_memcpy(buf, name, len);
	return (long)len;
}

/*
 * After a registration that negotiated HM_FEATURE_SUBSCRIBE: offer the
 * table's page. A host that does not take it leaves the guest to choose.
 */
static void offer_sub_page(struct hm_agent *agent)
{
	struct hm_region *r = agent->region;

	agent->sub_taken = 0;
	if (!(agent->features & HM_FEATURE_SUBSCRIBE) || !agent->sub)
		return;
	respond(r, HM_OP_SUBSCRIBE, agent->sub_gpa, 0);
	if (agent->ops->doorbell(agent->ctx, HM_CALL_SUBSCRIBE,
				 agent->region_gpa))
		return;
	agent->sub_taken = hm_le64(r->op) == HM_RESP_SUBSCRIBE_OK;
}

/* The task's pid and comm, asked for once per event. */
struct task_facts {
	int asked;
	int have_pid;
	int have_comm;
	uint64_t pid;
	char comm[HM_COMM_LEN];
};

static void ask_task(struct hm_agent *agent, struct task_facts *t)
{
	if (t->asked)
		return;
	t->asked = 1;
	hm_memset(t->comm, 0, sizeof(t->comm));
	t->have_pid = agent->ops->pid &&
		      agent->ops->pid(agent->ctx, &t->pid) >= 0;
	t->have_comm = agent->ops->comm &&
		       agent->ops->comm(agent->ctx, t->comm) >= 0;
}

static int in_range(uint64_t v, const struct hm_sub_cond *c)
{
	if (c->flags & HM_COND_SIGNED)
		return (int64_t)hm_le64(c->lo) <= (int64_t)v &&
		       (int64_t)v <= (int64_t)hm_le64(c->hi);
	return hm_le64(c->lo) <= v && v <= hm_le64(c->hi);
}

/* 1: holds, 0: does not, -1: a condition this agent cannot read. */
static int cond_holds(struct hm_agent *agent, const struct hm_sub_cond *c,
		      const struct hm_event_record *ev, struct task_facts *t)
{
	char want[HM_COMM_LEN];
	uint64_t lo = c->lo, hi = c->hi;
	unsigned int i;

	if (c->flags & ~HM_COND_SIGNED)
		return -1;
	if (c->field <= HM_FIELD_ARG0 + 5)
		return in_range(ev->args[c->field - HM_FIELD_ARG0], c);
	switch (c->field) {
	case HM_FIELD_RET:
		return ev->kind == HM_EVENT_SYSCALL_EXIT ?
		       in_range(ev->ret, c) : -1;
	case HM_FIELD_PID:
		ask_task(agent, t);
		return t->have_pid ? in_range(t->pid, c) : -1;
	case HM_FIELD_COMM:
		ask_task(agent, t);
		if (!t->have_comm)
			return -1;
		hm_memcpy(want, &lo, 8);
		hm_memcpy(want + 8, &hi, 8);
		for (i = 0; i < HM_COMM_LEN; i++) {
			if (want[i] != t->comm[i])
				return 0;
			if (!want[i])
				break;
		}
		return 1;
	default:
		return -1;
	}
}

/* 1: the rule wants the event, 0: it does not, -1: unreadable rule. */
static int rule_wants(struct hm_agent *agent, const struct hm_sub_rule *rule,
		      const struct hm_event_record *ev, struct task_facts *t)
{
	unsigned int i, n = rule->nr_conds;
	int unknown = 0;

	if (n > HM_SUB_MAX_CONDS || (rule->flags & ~HM_RULE_ANY_NR))
		return -1;
	if (hm_le32(rule->kind) != ev->kind)
		return 0;
	if (!(rule->flags & HM_RULE_ANY_NR) && hm_le64(rule->nr) != ev->nr)
		return 0;
	for (i = 0; i < n; i++) {
		int holds = cond_holds(agent, &rule->conds[i], ev, t);

		if (holds == 0)
			return 0;
		unknown |= holds < 0;
	}
	return unknown ? -1 : 1;
}

static uint32_t sub_seq(const struct hm_sub_page *page)
{
	return hm_le32(__atomic_load_n(&page->header.seq, __ATOMIC_ACQUIRE));
}

/* The rule's fetches this agent can make, in the guest's byte order. */
static void take_fetches(const struct hm_agent *agent,
			 const struct hm_sub_rule *rule,
			 struct hm_fetch_list *out)
{
	unsigned int i, n = rule->nr_fetches;

	out->n = 0;
	if (!(agent->features & HM_FEATURE_PREFETCH) ||
	    n > HM_SUB_MAX_FETCHES)
		return;
	for (i = 0; i < n; i++) {
		struct hm_sub_fetch f = rule->fetches[i];

		f.cap = hm_le32(f.cap);
		if (!hm_sub_fetch_valid(&f, f.cap))
			continue;
		out->f[out->n++] = f;
	}
}

/* One pass over the table; HM_WANT_YES for anything it cannot read. */
static enum hm_want scan_table(struct hm_agent *agent,
			       const struct hm_sub_page *page,
			       const struct hm_event_record *ev,
			       struct task_facts *t, struct hm_fetch_list *fetch)
{
	struct hm_sub_rule rule;
	uint32_t flags = hm_le32(page->header.flags);
	uint32_t n = hm_le32(page->header.nr_rules), i;

	if (hm_le32(page->header.magic) != HM_SUB_MAGIC ||
	    !(flags & HM_SUB_ACTIVE))
		return HM_WANT_GUEST;
	if ((flags & HM_SUB_ALL) || n > HM_SUB_MAX_RULES ||
	    (flags & ~(HM_SUB_ACTIVE | HM_SUB_ALL)))
		return HM_WANT_YES;
	for (i = 0; i < n; i++) {
		int wants;

		hm_memcpy(&rule, &page->rules[i], sizeof(rule));
		wants = rule_wants(agent, &rule, ev, t);
		if (wants > 0 && fetch)
			take_fetches(agent, &rule, fetch);
		if (wants)
			return HM_WANT_YES;	/* matched, or unreadable */
	}
	return HM_WANT_NO;
}

enum hm_want hm_agent_wants_fetching(struct hm_agent *agent,
				     const struct hm_event_record *event,
				     struct hm_fetch_list *fetch)
{
	const struct hm_sub_page *page = agent->sub;
	struct task_facts t = { 0 };
	enum hm_want want;
	uint32_t seq;
	int tries;

	if (fetch)
		fetch->n = 0;
	if (!agent->sub_taken || !page)
		return HM_WANT_GUEST;
	/* The host rewrites the page while the guest runs: see protocol.h. */
	for (tries = 0; tries < 4; tries++) {
		seq = sub_seq(page);
		if (seq & 1)
			continue;
		want = scan_table(agent, page, event, &t, fetch);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (sub_seq(page) == seq)
			return want;
		if (fetch)
			fetch->n = 0;
	}
	return HM_WANT_YES;	/* never a torn table: raise, the host drops */
}

enum hm_want hm_agent_wants(struct hm_agent *agent,
			    const struct hm_event_record *event)
{
	return hm_agent_wants_fetching(agent, event, NULL);
}

int hm_agent_register(struct hm_agent *agent, uint32_t vcpu_index)
{
	struct hm_region *r = agent->region;
	struct hm_hello hello;
	struct hm_hello_ack ack;
	uint32_t pages;

	if (agent->name_buf)
		agent->features |= HM_FEATURE_FD_NAME_OFFSET;
	else
		agent->features &= ~(uint64_t)HM_FEATURE_FD_NAME_OFFSET;
	if (agent->sub)
		agent->features |= HM_FEATURE_SUBSCRIBE;
	else
		agent->features &= ~(uint64_t)HM_FEATURE_SUBSCRIBE;
	hm_memset(&hello, 0, sizeof(hello));
	hello.magic = hm_le32(HM_MAGIC);
	hello.version = hm_le16(HM_VERSION);
	hello.pointer_width = sizeof(void *);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	hello.endianness = HM_ENDIAN_BIG;
#else
	hello.endianness = HM_ENDIAN_LITTLE;
#endif
	hello.vcpu_index = hm_le32(vcpu_index);
	hello.region_pages = hm_le32(agent->region_pages);
	hello.features = hm_le64(agent->features);
	hm_memcpy(data_of(agent), &hello, sizeof(hello));
	respond(r, HM_OP_REGISTER, agent->region_gpa, sizeof(hello));

	if (agent->ops->doorbell(agent->ctx, HM_CALL_REGISTER,
				 agent->region_gpa) ||
	    hm_le64(r->op) != HM_RESP_REGISTER_OK)
		return -HM_ENODEV;
	hm_memcpy(&ack, data_of(agent), sizeof(ack));
	pages = hm_le32(ack.region_pages);
	if (hm_le32(ack.magic) != HM_MAGIC ||
	    hm_le16(ack.version) != HM_VERSION ||
	    pages == 0 || pages > agent->region_pages)
		return -HM_ENODEV;
	agent->region_pages = pages;
	agent->features &= hm_le64(ack.features);
	offer_sub_page(agent);
	return 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * One item at out (room bytes there, at least an item and 8): what the op
 * of the same name would answer now. Returns the bytes used, padding
 * included.
 */
static size_t fetch_one(struct hm_agent *agent,
			const struct hm_event_record *ev,
			const struct hm_sub_fetch *f, char *out, size_t room)
{
	struct hm_prefetch_item it;
	char *data = out + sizeof(it);
	size_t avail = (room - sizeof(it)) & ~(size_t)7, len = 0, copied;
	uint64_t addr = ev->args[f->arg];
	long r = 0;

	hm_memset(&it, 0, sizeof(it));
	it.what = f->what;
	it.arg = f->arg;
	switch (f->what) {
	case HM_FETCH_STR:
		len = (size_t)min_u64(f->cap, avail);
		r = agent->ops->string_from(agent->ctx, data, addr, len,
					    &copied);
		if (r < 0) {
			r = -HM_EFAULT;
			len = 0;
		} else {
			if ((size_t)r < len)
				it.flags = hm_le16(HM_PREFETCH_NUL);
			len = (size_t)r;
		}
		break;
	case HM_FETCH_BUF:
		len = (size_t)min_u64(min_u64(ev->args[f->len_arg], f->cap),
				      avail);
		if (len) {
			size_t left = agent->ops->copy_from(agent->ctx, data,
							    addr, len);

			r = left ? -HM_EFAULT : 0;
			len -= left;
		}
		break;
	case HM_FETCH_ARGV: {
		uint64_t total = 0;

		addr = 0;
		len = (size_t)min_u64(f->cap, avail);
		r = agent->ops->proc_area ?
		    agent->ops->proc_area(agent->ctx, HM_PROC_ARGS, 0, data,
					  len, &total) : -HM_ENOSYS;
		len = r < 0 ? 0 : (size_t)r;
		if (r >= 0)
			r = total > 0x7fffffff || len > total ? -HM_EIO :
			    (long)total;
		if (r < 0)
			len = 0;
		break;
	}
	default:	/* HM_FETCH_FD_NAME */
		r = agent->ops->fd_name ?
		    agent->ops->fd_name(agent->ctx, (int64_t)addr, data,
					avail) : -HM_ENOSYS;
		len = r < 0 ? 0 : (size_t)r;
		break;
	}
	it.result = (int32_t)hm_le32((uint32_t)r);
	it.addr = hm_le64(addr);
	it.len = hm_le64(len);
	hm_memcpy(out, &it, sizeof(it));
	/* The padding is zeros, not what the region held before. */
	hm_memset(data + len, 0, ((len + 7) & ~(size_t)7) - len);
	return sizeof(it) + ((len + 7) & ~(size_t)7);
}

/* The prefetch area at out: what fits of the rule's fetches. */
static size_t fetch_all(struct hm_agent *agent,
			const struct hm_event_record *ev,
			const struct hm_fetch_list *fetch, char *out,
			size_t room)
{
	struct hm_prefetch_header h;
	size_t used = sizeof(h);
	unsigned int i, n = 0;

	for (i = 0; i < fetch->n; i++) {
		if (room - used < sizeof(struct hm_prefetch_item) + 8)
			break;
		used += fetch_one(agent, ev, &fetch->f[i], out + used,
				  room - used);
		n++;
	}
	h.nr_items = hm_le32(n);
	h.bytes = hm_le32((uint32_t)(used - sizeof(h)));
	hm_memcpy(out, &h, sizeof(h));
	return used;
}

void hm_agent_raise(struct hm_agent *agent,
		    const struct hm_event_record *event)
{
	hm_agent_raise_fetching(agent, event, NULL);
}

void hm_agent_raise_fetching(struct hm_agent *agent,
			     const struct hm_event_record *event,
			     const struct hm_fetch_list *fetch)
{
	struct hm_region *r = agent->region;
	struct hm_event_record rec;
	uint64_t size;
	int answered;
	int i;

	rec.kind = hm_le32(event->kind);
	rec.reserved = 0;
	rec.nr = hm_le64(event->nr);
	for (i = 0; i < 6; i++)
		rec.args[i] = hm_le64(event->args[i]);
	rec.ret = hm_le64(event->ret);
	hm_memcpy(data_of(agent), &rec, sizeof(rec));
	size = sizeof(rec);
	if (agent->features & HM_FEATURE_SUBSCRIBE) {
		struct task_facts t = { 0 };
		struct hm_event_task task;

		ask_task(agent, &t);
		hm_memset(&task, 0, sizeof(task));
		task.pid = hm_le64(t.have_pid ? t.pid : 0);
		hm_memcpy(task.comm, t.comm, sizeof(task.comm));
		hm_memcpy(data_of(agent) + sizeof(rec), &task, sizeof(task));
		size += sizeof(task);
		if (fetch && fetch->n &&
		    (agent->features & HM_FEATURE_PREFETCH) &&
		    data_size(agent) - size >= sizeof(struct hm_prefetch_header))
			size += fetch_all(agent, event, fetch,
					  data_of(agent) + size,
					  data_size(agent) - size);
	}
	respond(r, HM_OP_EVENT, 0, size);
	hm_memset(&agent->control, 0, sizeof(agent->control));

	/* A host that stopped answering ends the event, controlling nothing. */
	answered = !agent->ops->doorbell(agent->ctx, HM_CALL_EVENT,
					 agent->region_gpa);
	while (answered && !hm_agent_serve(agent))
		answered = !agent->ops->doorbell(agent->ctx, HM_CALL_REPLY,
						 agent->region_gpa);
	if (answered && hm_le64(r->op) == HM_OP_EVENT_END)
		take_control(agent, event->kind);
	/* The next event starts with its own task (protocol.h). */
	if (agent->target) {
		uint64_t tgid;

		agent->ops->use_process(agent->ctx, 0, &tgid);
		agent->target = 0;
	}
}
