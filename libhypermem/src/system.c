// SPDX-License-Identifier: MIT
/*
 * The whole system: every task, and the memory map, open files, executable
 * and working directory of any process (protocol.h, "The whole system").
 * A list comes a reply at a time; each reply is copied out of the region
 * once and checked in the copy: entries inside it, keys in ascending order
 * from the request's cursor, names without NUL, a next cursor past them,
 * and as many entries as fit. Everything a list takes on the host counts
 * against the operation's budget (operation.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A list being collected: entries of one public type, names in a pool. */
struct collect {
	struct hm_vcpu *vcpu;
	char *entries;
	size_t entry_size;
	size_t count;
	size_t cap;
	char *names;
	size_t names_len;
	size_t names_cap;
};

/* Room for @need bytes in @buf, twice what it had, or 4 KiB, or @need. */
static int grow(struct hm_vcpu *vcpu, char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap * 2 : 4096;
	char *more;
	int err;

	if (need <= *cap)
		return 0;
	if (n < need)
		n = need;
	more = op_realloc(vcpu, *buf, n, &err);
	if (!more)
		return err;
	*buf = more;
	*cap = n;
	return 0;
}

/* Room for one more entry; its address. */
static void *add_entry(struct collect *c, int *err)
{
	*err = grow(c->vcpu, &c->entries, &c->cap,
		    (c->count + 1) * c->entry_size);
	if (*err)
		return NULL;
	return c->entries + c->count++ * c->entry_size;
}

/* A name into the pool; its offset there, kept until the pool is final. */
static int add_name(struct collect *c, const char *name, size_t len,
		    uintptr_t *offset)
{
	int err = grow(c->vcpu, &c->names, &c->names_cap,
		       c->names_len + len + 1);

	if (err)
		return err;
	memcpy(c->names + c->names_len, name, len);
	c->names[c->names_len + len] = '\0';
	*offset = c->names_len;
	c->names_len += len + 1;
	return 0;
}

/*
 * The entries, then the names, in one allocation for the caller (the
 * entries' own, grown); @fix turns each entry's name offset into a
 * pointer into it.
 */
static int finish(struct collect *c, void **ret, size_t *count,
		  void (*fix)(void *entry, const char *names))
{
	size_t entries = c->count * c->entry_size, i;
	int err;
	char *out = op_realloc(c->vcpu, c->entries,
			       entries + c->names_len + 1, &err);

	if (!out)
		return err;
	c->entries = NULL;
	if (c->names_len)
		memcpy(out + entries, c->names, c->names_len);
	for (i = 0; fix && i < c->count; i++)
		fix(out + i * c->entry_size, out + entries);
	*ret = out;
	*count = c->count;
	return 0;
}

static void collect_free(struct collect *c)
{
	free(c->entries);
	free(c->names);
}

/* One request of a list; the reply's bytes copied into @copy. */
static int list_request(struct hm_vcpu *vcpu, uint64_t op, uint64_t pid,
			uint64_t cursor, uint8_t *copy, size_t *len,
			uint64_t *next)
{
	uint64_t wire = hm_le64(cursor);
	struct reply reply;
	int err;

	if (op != HM_OP_PROC_LIST)
		memcpy(region_data(vcpu), &wire, sizeof(wire));
	err = vcpu_request(vcpu, op, op == HM_OP_PROC_LIST ? cursor : pid,
			   vcpu->chunk, &reply);
	if (err)
		return err;
	if (reply.code == HM_RESP_READ_FAIL)
		return guest_errno(vcpu, reply.size);
	if (reply.code != HM_RESP_READ_OK)
		return protocol_error(vcpu);
	memcpy(copy, region_data(vcpu), reply.size);
	*len = reply.size;
	*next = reply.addr;
	return 0;
}

/*
 * What one op's replies hold, checked entry by entry: parse() takes the
 * entry at @at, checks it against the walk so far, adds it to @c and
 * returns its size, or a negative error.
 */
struct walk {
	uint64_t cursor;	/* of the current request */
	uint64_t last;		/* the last entry's key: end for maps */
	bool any;		/* an entry came already */
};

typedef long parse_fn(struct hm_vcpu *vcpu, const uint8_t *at, size_t left,
		      struct walk *w, struct collect *c);

static long name_entry(struct hm_vcpu *vcpu, size_t head, uint32_t name_len,
		       const uint8_t *at, size_t left, struct collect *c,
		       uintptr_t *offset)
{
	size_t padded = ((size_t)name_len + 7) & ~(size_t)7;
	int err;

	if (name_len >= HM_NAME_MAX || padded > left - head ||
	    memchr(at + head, '\0', name_len))
		return protocol_error(vcpu);
	err = add_name(c, (const char *)at + head, name_len, offset);
	return err ? err : (long)(head + padded);
}

static const char states[] = "RSDTtXZPI";

static long parse_proc(struct hm_vcpu *vcpu, const uint8_t *at, size_t left,
		       struct walk *w, struct collect *c)
{
	struct hm_proc_entry e;
	struct hm_process *p;
	int err;

	if (left < sizeof(e))
		return protocol_error(vcpu);
	memcpy(&e, at, sizeof(e));
	e.pid = hm_le64(e.pid);
	if (e.pid < w->cursor || (w->any && e.pid <= w->last) ||
	    e.pid > UINT32_MAX || !hm_le64(e.tgid) || e.reserved ||
	    (e.flags & ~HM_PROC_KTHREAD) || !e.state ||
	    !memchr(states, e.state, sizeof(states) - 1))
		return protocol_error(vcpu);
	p = add_entry(c, &err);
	if (!p)
		return err;
	p->pid = e.pid;
	p->tgid = hm_le64(e.tgid);
	p->ppid = hm_le64(e.ppid);
	p->start_ns = hm_le64(e.start_ns);
	p->uid = hm_le32(e.uid);
	p->state = (char)e.state;
	p->flags = e.flags;
	memcpy(p->comm, e.comm, HM_COMM_LEN - 1);
	p->comm[HM_COMM_LEN - 1] = '\0';
	w->last = e.pid;
	return sizeof(e);
}

#define MAP_FLAGS (HM_MAP_READ | HM_MAP_WRITE | HM_MAP_EXEC | HM_MAP_SHARED | \
		   HM_NAME_CUT)

static long parse_map(struct hm_vcpu *vcpu, const uint8_t *at, size_t left,
		      struct walk *w, struct collect *c)
{
	struct hm_map_entry e;
	struct hm_mapping *m;
	uintptr_t name;
	long n;
	int err;

	if (left < sizeof(e))
		return protocol_error(vcpu);
	memcpy(&e, at, sizeof(e));
	e.start = hm_le64(e.start);
	e.end = hm_le64(e.end);
	e.flags = hm_le32(e.flags);
	/* Mappings do not overlap: each starts where the last ended or on. */
	if (e.end <= e.start || e.end <= w->cursor ||
	    (w->any && e.start < w->last) || (e.flags & ~MAP_FLAGS))
		return protocol_error(vcpu);
	n = name_entry(vcpu, sizeof(e), hm_le32(e.name_len), at, left, c,
		       &name);
	if (n < 0)
		return n;
	m = add_entry(c, &err);
	if (!m)
		return err;
	m->start = e.start;
	m->end = e.end;
	m->offset = hm_le64(e.offset);
	m->inode = hm_le64(e.inode);
	m->flags = e.flags;
	m->name = (const char *)name;
	w->last = e.end;
	return n;
}

static long parse_fd(struct hm_vcpu *vcpu, const uint8_t *at, size_t left,
		     struct walk *w, struct collect *c)
{
	struct hm_fd_entry e;
	struct hm_open_file *f;
	uintptr_t name;
	long n;
	int err;

	if (left < sizeof(e))
		return protocol_error(vcpu);
	memcpy(&e, at, sizeof(e));
	e.fd = hm_le32(e.fd);
	e.flags = hm_le32(e.flags);
	if (e.fd > INT32_MAX || e.fd < w->cursor ||
	    (w->any && e.fd <= w->last) || (e.flags & ~HM_NAME_CUT))
		return protocol_error(vcpu);
	n = name_entry(vcpu, sizeof(e), hm_le32(e.name_len), at, left, c,
		       &name);
	if (n < 0)
		return n;
	f = add_entry(c, &err);
	if (!f)
		return err;
	f->fd = (int32_t)e.fd;
	f->open_flags = hm_le32(e.open_flags);
	f->flags = e.flags;
	f->name = (const char *)name;
	w->last = e.fd;
	return n;
}

/* One kind of list: its op and feature, how its entries are read. */
struct list_kind {
	uint64_t feature;
	uint64_t op;
	size_t entry_size;	/* of the public type */
	/*
	 * The most an entry takes in a reply (a name, padded, is at most
	 * HM_NAME_MAX bytes): the guest stops a reply only where its next
	 * entry does not fit, so one that is not the last leaves less room.
	 */
	size_t wire_max;
	parse_fn *parse;
	void (*fix)(void *entry, const char *names);
};

/*
 * Walk a list to its end. Each reply but the last must hold as many
 * entries as fit, and its next cursor must lie past its entries: a walk
 * always moves forward, as few replies as the region allows.
 */
static int walk_list(struct hm_vcpu *vcpu, const struct list_kind *kind,
		     uint64_t pid, struct collect *c)
{
	struct walk w = { 0 };
	uint64_t next = 0;
	size_t len = 0, at;
	long n;
	int err = 0;
	uint8_t *copy = op_realloc(vcpu, NULL, vcpu->chunk, &err);

	if (!copy)
		return err;
	while (!err) {
		err = list_request(vcpu, kind->op, pid, w.cursor, copy, &len,
				   &next);
		for (at = 0; !err && at < len; at += (size_t)n) {
			n = kind->parse(vcpu, copy + at, len - at, &w, c);
			if (n < 0)
				err = (int)n;
			w.any = true;
		}
		if (err || !next)
			break;
		/* Maps resume at the next start, at or past the last end. */
		if (!len || vcpu->chunk - len >= kind->wire_max ||
		    next <= w.cursor ||
		    (kind->op == HM_OP_PROC_MAPS ? next < w.last :
						   next <= w.last))
			err = protocol_error(vcpu);
		w.cursor = next;
	}
	free(copy);
	return err;
}

static int list_start(struct hm_vcpu *vcpu, uint64_t feature)
{
	int err = vcpu_can_request(vcpu);

	if (err)
		return err;
	return vcpu->guest.features & feature ? 0 : -EOPNOTSUPP;
}

static void fix_map(void *entry, const char *names)
{
	struct hm_mapping *m = entry;

	m->name = names + (uintptr_t)m->name;
}

static void fix_fd(void *entry, const char *names)
{
	struct hm_open_file *f = entry;

	f->name = names + (uintptr_t)f->name;
}

static const struct list_kind processes = {
	HM_FEATURE_PROC_LIST, HM_OP_PROC_LIST, sizeof(struct hm_process),
	sizeof(struct hm_proc_entry), parse_proc, NULL,
};
static const struct list_kind maps = {
	HM_FEATURE_PROC_MAPS, HM_OP_PROC_MAPS, sizeof(struct hm_mapping),
	sizeof(struct hm_map_entry) + HM_NAME_MAX, parse_map, fix_map,
};
static const struct list_kind fds = {
	HM_FEATURE_PROC_FDS, HM_OP_PROC_FDS, sizeof(struct hm_open_file),
	sizeof(struct hm_fd_entry) + HM_NAME_MAX, parse_fd, fix_fd,
};

static int list(struct hm_vcpu *vcpu, const struct list_kind *kind,
		uint64_t pid, void **ret, size_t *count)
{
	OPERATION(vcpu);
	struct collect c = { .vcpu = vcpu, .entry_size = kind->entry_size };
	int err = list_start(vcpu, kind->feature);

	if (!err)
		err = walk_list(vcpu, kind, pid, &c);
	if (!err)
		err = finish(&c, ret, count, kind->fix);
	collect_free(&c);
	return err;
}

int hm_vcpu_list_processes(struct hm_vcpu *vcpu, struct hm_process **ret,
			   size_t *count)
{
	return list(vcpu, &processes, 0, (void **)ret, count);
}

int hm_vcpu_get_maps(struct hm_vcpu *vcpu, uint64_t pid,
		     struct hm_mapping **ret, size_t *count)
{
	return list(vcpu, &maps, pid, (void **)ret, count);
}

int hm_vcpu_get_fds(struct hm_vcpu *vcpu, uint64_t pid,
		    struct hm_open_file **ret, size_t *count)
{
	return list(vcpu, &fds, pid, (void **)ret, count);
}

static ssize_t proc_path(struct hm_vcpu *vcpu, uint64_t op, uint64_t pid,
			 char *buf, size_t cap)
{
	OPERATION(vcpu);
	int err;

	if (!cap || cap > SSIZE_MAX)
		return -EINVAL;
	buf[0] = '\0';
	err = list_start(vcpu, HM_FEATURE_PROC_PATHS);
	return err ? err : request_name(vcpu, op, pid, buf, cap);
}

ssize_t hm_vcpu_get_exe(struct hm_vcpu *vcpu, uint64_t pid, char *buf,
			size_t cap)
{
	return proc_path(vcpu, HM_OP_PROC_EXE, pid, buf, cap);
}

ssize_t hm_vcpu_get_cwd(struct hm_vcpu *vcpu, uint64_t pid, char *buf,
			size_t cap)
{
	return proc_path(vcpu, HM_OP_PROC_CWD, pid, buf, cap);
}
