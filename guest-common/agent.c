// SPDX-License-Identifier: MIT
/*
 * The guest-side op dispatcher, shared by every guest OS. Requests come from
 * the host; sizes and offsets in them are checked against the region before
 * any accessor runs.
 */
#include "agent_internal.h"

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

static void serve_read(struct hm_agent *agent, uint64_t addr, size_t size)
{
	struct hm_region *r = agent->region;
	size_t left = agent->ops->copy_from(agent->ctx, hm_agent_data(agent),
					    addr, size);

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
	size_t left = agent->ops->copy_to(agent->ctx, addr,
					  hm_agent_data(agent), size);

	if (!left)
		respond(r, HM_RESP_WRITE_OK, addr, size);
	else
		respond(r, HM_RESP_WRITE_FAIL, HM_EFAULT, size - left);
}

static void serve_read_str(struct hm_agent *agent, uint64_t addr, size_t size)
{
	struct hm_region *r = agent->region;
	size_t copied = 0;
	long n = agent->ops->string_from(agent->ctx, hm_agent_data(agent), addr,
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

	hm_memcpy(&offset, hm_agent_data(agent), sizeof(offset));
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
	hm_memcpy(hm_agent_data(agent), agent->name_buf + offset, len);
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
	n = agent->ops->fd_name(agent->ctx, (int64_t)fd, hm_agent_data(agent),
				size);
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
	n = agent->ops->proc_area(agent->ctx, which, offset,
				  hm_agent_data(agent), size, &total);
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
	char *data = hm_agent_data(agent);
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
	hm_memcpy(hm_agent_data(agent), &info, sizeof(info));
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
		.buf = hm_agent_data(agent), .cap = size,
		.scratch = agent->name_buf,
	};
	uint64_t cursor = addr;
	long err;

	if (op != HM_OP_PROC_LIST) {
		hm_memcpy(&cursor, hm_agent_data(agent), sizeof(cursor));
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
	n = agent->ops->proc_path(agent->ctx, pid, which, hm_agent_data(agent),
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
	char *data = hm_agent_data(agent);
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
		(const struct hm_readv_piece *)hm_agent_data(agent);
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
	char *data = hm_agent_data(agent);
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
	hm_memcpy(&c, hm_agent_data(agent), sizeof(c));
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


/*
 * Offer the hello, the longer one with the architecture @with_arch: 0 when
 * the host took it, 1 when the call returned with it untaken, -HM_ENODEV
 * when the call itself failed.
 */
static int say_hello(struct hm_agent *agent, uint32_t vcpu_index,
		     int with_arch)
{
	struct hm_region *r = agent->region;
	struct hm_hello hello;
	uint64_t features = agent->features;

	if (with_arch)
		features |= HM_FEATURE_GUEST_ARCH;
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
	hello.features = hm_le64(features);
	hello.arch = hm_le32(HM_ARCH_NATIVE);
	hm_memcpy(hm_agent_data(agent), &hello, sizeof(hello));
	respond(r, HM_OP_REGISTER, agent->region_gpa,
		with_arch ? sizeof(hello) : HM_HELLO_SIZE_V1);
	if (agent->ops->doorbell(agent->ctx, HM_CALL_REGISTER,
				 agent->region_gpa))
		return -HM_ENODEV;
	return hm_le64(r->op) != HM_RESP_REGISTER_OK;
}

int hm_agent_register(struct hm_agent *agent, uint32_t vcpu_index)
{
	struct hm_hello_ack ack;
	uint32_t pages;
	int err;

	if (agent->name_buf)
		agent->features |= HM_FEATURE_FD_NAME_OFFSET;
	else
		agent->features &= ~(uint64_t)HM_FEATURE_FD_NAME_OFFSET;
	if (agent->sub)
		agent->features |= HM_FEATURE_SUBSCRIBE;
	else
		agent->features &= ~(uint64_t)HM_FEATURE_SUBSCRIBE;
	agent->features &= ~(uint64_t)HM_FEATURE_GUEST_ARCH;
	/* A host older than the architecture takes only the shorter hello. */
	err = say_hello(agent, vcpu_index, HM_ARCH_NATIVE != HM_ARCH_UNSAID);
	if (err > 0 && HM_ARCH_NATIVE != HM_ARCH_UNSAID)
		err = say_hello(agent, vcpu_index, 0);
	if (err)
		return -HM_ENODEV;
	hm_memcpy(&ack, hm_agent_data(agent), sizeof(ack));
	pages = hm_le32(ack.region_pages);
	if (hm_le32(ack.magic) != HM_MAGIC ||
	    hm_le16(ack.version) != HM_VERSION ||
	    pages == 0 || pages > agent->region_pages)
		return -HM_ENODEV;
	agent->region_pages = pages;
	agent->features |= HM_FEATURE_GUEST_ARCH;
	agent->features &= hm_le64(ack.features);
	offer_sub_page(agent);
	return 0;
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
	hm_memcpy(hm_agent_data(agent), &rec, sizeof(rec));
	size = sizeof(rec);
	if (agent->features & HM_FEATURE_SUBSCRIBE) {
		struct hm_agent_task t = { 0 };
		struct hm_event_task task;

		hm_agent_ask_task(agent, &t);
		hm_memset(&task, 0, sizeof(task));
		task.pid = hm_le64(t.have_pid ? t.pid : 0);
		hm_memcpy(task.comm, t.comm, sizeof(task.comm));
		hm_memcpy(hm_agent_data(agent) + sizeof(rec), &task,
			  sizeof(task));
		size += sizeof(task);
		if (fetch && fetch->n &&
		    (agent->features & HM_FEATURE_PREFETCH) &&
		    data_size(agent) - size >=
		    sizeof(struct hm_prefetch_header))
			size += hm_agent_fetch_all(agent, event, fetch,
						   hm_agent_data(agent) + size,
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
