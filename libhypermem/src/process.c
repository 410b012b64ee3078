// SPDX-License-Identifier: MIT
/* Operations on the process that raised the event: its argv, environment,
 * pid, file descriptors and files. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Largest argv or environment block accepted (Linux caps both well below). */
#define MAX_PROC_AREA (16u << 20)

/*
 * Fetch a whole argv or environment block. Each reply's addr is the block's
 * total size, which must not change between chunks, and each carries all
 * that was asked up to the end: a shorter one says that the guest could
 * read no further, so that the replies are as few as the region allows.
 */
static int read_proc_area(struct hm_vcpu *vcpu, uint64_t op, char **ret,
			  size_t *ret_len)
{
	uint64_t total = 0, offset = 0;
	char *area = NULL;

	do {
		struct reply reply;
		int err = vcpu_request(vcpu, op, offset, vcpu->chunk, &reply);

		if (!err && reply.code == HM_RESP_READ_FAIL)
			err = guest_errno(vcpu, reply.size);
		else if (!err && (reply.code != HM_RESP_READ_OK ||
				  reply.addr > MAX_PROC_AREA ||
				  (area && reply.addr != total) ||
				  reply.size > reply.addr - offset ||
				  (reply.size == 0 && offset < reply.addr)))
			err = protocol_error(vcpu);
		else if (!err && reply.size < min_size(vcpu->chunk,
						      reply.addr - offset))
			err = -EFAULT;
		if (!err && !area) {
			total = reply.addr;
			area = op_realloc(vcpu, NULL, total + 1, &err);
		}
		if (err) {
			free(area);
			return err;
		}
		memcpy(area + offset, region_data(vcpu), reply.size);
		offset += reply.size;
	} while (offset < total);
	area[total] = '\0';
	*ret = area;
	*ret_len = total;
	return 0;
}

/* Count the NUL-separated strings of a block; the last may lack its NUL. */
static size_t count_strings(const char *area, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (area[i] == '\0' || i == len - 1)
			n++;
	return n;
}

int hm_vcpu_get_proc_args(struct hm_vcpu *vcpu, char ***argv, size_t *argc)
{
	OPERATION(vcpu);
	char *area, *strings, **vec;
	size_t len, n, i;
	int err = vcpu_can_request(vcpu);

	if (err)
		return err;
	if (!prefetch_proc_args(vcpu, &area, &len, &err))
		err = read_proc_area(vcpu, HM_OP_READ_PROCARGS, &area, &len);
	if (err)
		return err;
	n = count_strings(area, len);
	vec = op_realloc(vcpu, NULL, (n + 1) * sizeof(*vec) + len + 1, &err);
	if (!vec) {
		free(area);
		return err;
	}
	strings = (char *)(vec + n + 1);
	memcpy(strings, area, len + 1);
	free(area);
	for (i = 0; i < n; i++) {
		vec[i] = strings;
		strings += strlen(strings) + 1;
	}
	vec[n] = NULL;
	*argv = vec;
	*argc = n;
	return 0;
}

int hm_vcpu_get_proc_env(struct hm_vcpu *vcpu, struct hm_env_var **vars,
			 size_t *count)
{
	OPERATION(vcpu);
	struct hm_env_var *vec;
	char *area, *strings;
	size_t len, n, i;
	int err = read_proc_area(vcpu, HM_OP_READ_PROCENV, &area, &len);

	if (err)
		return err;
	n = count_strings(area, len);
	vec = op_realloc(vcpu, NULL, n * sizeof(*vec) + len + 1, &err);
	if (!vec) {
		free(area);
		return err;
	}
	strings = (char *)(vec + n);
	memcpy(strings, area, len + 1);
	free(area);
	for (i = 0; i < n; i++) {
		char *eq = strchr(strings, '=');

		vec[i].name = strings;
		strings += strlen(strings) + 1;
		/* Values may hold '=' too: split at the first one only. */
		if (eq) {
			*eq = '\0';
			vec[i].value = eq + 1;
		} else {
			vec[i].value = strings - 1;
		}
	}
	*vars = vec;
	*count = n;
	return 0;
}

int hm_vcpu_get_proc_pid(struct hm_vcpu *vcpu, uint64_t *pid)
{
	OPERATION(vcpu);
	struct reply reply;
	int err;

	/* The event said who raised it: the same accessor's answer. */
	if (vcpu->in_event && !vcpu->event_error && vcpu->event_pid &&
	    !vcpu->target) {
		*pid = vcpu->event_pid;
		return 0;
	}
	err = vcpu_request(vcpu, HM_OP_READ_PROCPID, 0, 0, &reply);
	if (err)
		return err;
	if (reply.code == HM_RESP_READ_FAIL)
		return guest_errno(vcpu, reply.size);
	if (reply.code != HM_RESP_READ_NUM || reply.size > INT32_MAX)
		return protocol_error(vcpu);
	*pid = reply.size;
	return 0;
}

int event_task_pid(struct hm_vcpu *vcpu, uint64_t *pid)
{
	int err = vcpu_can_request(vcpu);

	if (err || !vcpu->target)
		return err ? err : hm_vcpu_get_proc_pid(vcpu, pid);
	*pid = vcpu->own_pid ? vcpu->own_pid : vcpu->event_pid;
	return 0;
}

/*
 * A name in slices: each asks for the room left in buf, NUL slot included,
 * and each reply repeats the name's whole length, which must not change.
 * A slice is copied out of the region once, then checked in buf.
 */
static ssize_t read_fd_name_slices(struct hm_vcpu *vcpu, int64_t fd,
				   char *buf, size_t cap)
{
	uint64_t total = 0, offset = 0;

	for (;;) {
		size_t n = min_size(cap - offset, vcpu->chunk);
		uint64_t wire = hm_le64(offset);
		struct reply reply;
		int err;

		memcpy(region_data(vcpu), &wire, sizeof(wire));
		err = vcpu_request(vcpu, HM_OP_READ_FD_NAME, (uint64_t)fd, n,
				   &reply);
		if (err)
			return err;
		if (reply.code == HM_RESP_READ_FAIL)
			return guest_name_errno(vcpu, reply.size);
		if (reply.code != HM_RESP_READ_OK || reply.addr < offset ||
		    (offset && reply.addr != total) ||
		    reply.size != min_size(n, reply.addr - offset))
			return protocol_error(vcpu);
		total = reply.addr;
		if (total >= cap) {
			buf[0] = '\0';
			return -ENAMETOOLONG;
		}
		memcpy(buf + offset, region_data(vcpu), reply.size);
		if (memchr(buf + offset, '\0', reply.size)) {
			buf[offset] = '\0';
			return protocol_error(vcpu);
		}
		offset += reply.size;
		buf[offset] = '\0';
		if (offset == total)
			return (ssize_t)total;
	}
}

ssize_t hm_vcpu_read_fd_name(struct hm_vcpu *vcpu, int64_t fd, char *buf,
			     size_t cap)
{
	OPERATION(vcpu);
	ssize_t ret;
	int err;

	if (!cap || cap > SSIZE_MAX)
		return -EINVAL;
	buf[0] = '\0';
	err = vcpu_can_request(vcpu);
	if (err)
		return err;
	if (prefetch_fd_name(vcpu, fd, buf, cap, &ret))
		return ret;
	if (vcpu->guest.features & HM_FEATURE_FD_NAME_OFFSET)
		return read_fd_name_slices(vcpu, fd, buf, cap);
	return request_name(vcpu, HM_OP_READ_FD_NAME, (uint64_t)fd, buf,
			    cap);
}

/*
 * A name in one reply (an fd's, a process's exe or cwd): copied out of
 * the region once, then checked in the copy; buf stays "" on an error.
 */
ssize_t request_name(struct hm_vcpu *vcpu, uint64_t op, uint64_t addr,
		     char *buf, size_t cap)
{
	size_t n = min_size(cap, vcpu->chunk);
	struct reply reply;
	int err = vcpu_request(vcpu, op, addr, n, &reply);

	if (err)
		return err;
	if (reply.code == HM_RESP_READ_FAIL)
		return guest_name_errno(vcpu, reply.size);
	if (reply.code != HM_RESP_READ_OK || reply.size > n)
		return protocol_error(vcpu);
	if (reply.size == cap)
		return -ENAMETOOLONG;
	memcpy(buf, region_data(vcpu), reply.size);
	if (memchr(buf, '\0', reply.size)) {
		buf[0] = '\0';
		return protocol_error(vcpu);
	}
	buf[reply.size] = '\0';
	return (ssize_t)reply.size;
}

/*
 * As many requests as it takes, each carrying at least a byte: a reply of
 * none is the end of the file, as is a short one that reaches the size
 * the guest gave (0: unknown, as /proc's files have it).
 */
ssize_t hm_vcpu_read_file(struct hm_vcpu *vcpu, const char *path,
			  uint64_t offset, void *buf, size_t len)
{
	OPERATION(vcpu);
	size_t path_size = strlen(path) + 1, done = 0;
	int err;

	if (len > SSIZE_MAX || path_size == 1)
		return -EINVAL;
	err = vcpu_can_request(vcpu);
	if (err)
		return err;
	if (path_size > vcpu->chunk)
		return -ENAMETOOLONG;
	while (done < len) {
		size_t n = min_size(len - done, vcpu->chunk);
		struct reply reply;

		/* The path travels in data[]; the reply overwrites it. */
		memcpy(region_data(vcpu), path, path_size);
		err = vcpu_request(vcpu, HM_OP_READ_FILE, offset + done, n,
				   &reply);
		if (err)
			return err;
		if (reply.code == HM_RESP_READ_FAIL)
			return guest_name_errno(vcpu, reply.size);
		if (reply.code != HM_RESP_READ_OK || reply.size > n)
			return protocol_error(vcpu);
		memcpy((char *)buf + done, region_data(vcpu), reply.size);
		done += reply.size;
		if (!reply.size || (reply.size < n && reply.addr &&
				    offset + done >= reply.addr))
			break;
	}
	return (ssize_t)done;
}

int hm_vcpu_use_process(struct hm_vcpu *vcpu, uint64_t pid)
{
	OPERATION(vcpu);
	struct reply reply;
	int err = vcpu_can_request(vcpu);

	if (err || pid == vcpu->target)
		return err;
	if (!(vcpu->guest.features & HM_FEATURE_PID_ACCESS))
		return -EOPNOTSUPP;
	if (pid > INT32_MAX)
		return -ESRCH;
	/*
	 * Leaving the task of an event that did not carry it: a pid
	 * condition will still need its pid (event_task_pid()).
	 */
	if (!vcpu->target && !vcpu->own_pid &&
	    !(vcpu->guest.features & HM_FEATURE_SUBSCRIBE)) {
		err = hm_vcpu_get_proc_pid(vcpu, &vcpu->own_pid);
		if (err)
			return err;
	}
	err = vcpu_request(vcpu, HM_OP_USE_PROCESS, pid, 0, &reply);
	if (err)
		return err;
	if (reply.code == HM_RESP_READ_FAIL)
		return guest_errno(vcpu, reply.size);
	if (reply.code != HM_RESP_READ_NUM || reply.addr != pid ||
	    !reply.size || reply.size > INT32_MAX)
		return protocol_error(vcpu);
	/* What came with the event is its task's, not this one's. */
	prefetch_drop(vcpu);
	vcpu->target = pid;
	return 0;
}

/* One request: head, path, bytes; the bytes written, or -errno. */
static ssize_t write_file_chunk(struct hm_vcpu *vcpu,
				const struct hm_write_file *head,
				const char *path, const void *buf)
{
	struct hm_write_file wire = *head;
	char *data = region_data(vcpu);
	struct reply reply;
	size_t len = head->data_len;
	int err;

	wire.offset = hm_le64(head->offset);
	wire.flags = hm_le32(head->flags);
	wire.mode = hm_le32(head->mode);
	wire.path_len = hm_le32(head->path_len);
	wire.data_len = hm_le32(head->data_len);
	memcpy(data, &wire, sizeof(wire));
	memcpy(data + sizeof(wire), path, head->path_len);
	memcpy(data + sizeof(wire) + head->path_len, buf, len);
	err = vcpu_request(vcpu, HM_OP_WRITE_FILE, 0,
			   sizeof(wire) + head->path_len + len, &reply);
	if (err)
		return err;
	if (reply.code == HM_RESP_WRITE_OK && reply.size == len)
		return (ssize_t)len;
	if (reply.code != HM_RESP_WRITE_FAIL || reply.size >= len + !len)
		return protocol_error(vcpu);
	if (reply.size)
		return (ssize_t)reply.size;
	return guest_name_errno(vcpu, reply.addr);
}

ssize_t hm_vcpu_write_file(struct hm_vcpu *vcpu, const char *path,
			   uint64_t offset, const void *buf, size_t len,
			   uint32_t flags, uint32_t mode)
{
	OPERATION(vcpu);
	struct hm_write_file head = { .flags = flags, .mode = mode };
	size_t path_size = strlen(path) + 1, room, done = 0;
	ssize_t n;
	int err;

	if (len > SSIZE_MAX || path_size == 1 || mode > 07777 ||
	    (flags & ~(HM_WRITE_CREATE | HM_WRITE_TRUNCATE)))
		return -EINVAL;
	err = vcpu_can_request(vcpu);
	if (err)
		return err;
	if (!(vcpu->guest.features & HM_FEATURE_WRITE_FILE))
		return -EOPNOTSUPP;
	if (sizeof(head) + path_size >= vcpu->chunk)
		return -ENAMETOOLONG;
	room = vcpu->chunk - sizeof(head) - path_size;
	head.path_len = (uint32_t)path_size;
	do {
		head.offset = offset + done;
		head.data_len = (uint32_t)min_size(len - done, room);
		n = write_file_chunk(vcpu, &head, path,
				     (const char *)buf + done);
		/* The guest's refusal after some bytes: what it wrote. */
		if (n < 0)
			return done && n != -EPROTO && !vcpu->event_error ?
			       (ssize_t)done : n;
		done += (size_t)n;
		/* Truncated once; then only the rest of the bytes. */
		head.flags &= ~(uint32_t)HM_WRITE_TRUNCATE;
	} while (done < len && (size_t)n == head.data_len);
	return (ssize_t)done;
}

int hm_vcpu_read_socket_info(struct hm_vcpu *vcpu, int64_t fd,
			     struct hm_socket_info *info)
{
	OPERATION(vcpu);
	struct hm_socket_info wire;
	struct reply reply;
	int err = vcpu_request(vcpu, HM_OP_READ_SOCKET_INFO, (uint64_t)fd,
			       sizeof(wire), &reply);

	if (err)
		return err;
	if (reply.code == HM_RESP_READ_FAIL)
		return guest_errno(vcpu, reply.size);
	if (reply.code != HM_RESP_READ_OK || reply.size != sizeof(wire))
		return protocol_error(vcpu);
	memcpy(&wire, region_data(vcpu), sizeof(wire));
	*info = wire;
	info->family = hm_le32(wire.family);
	info->type = hm_le32(wire.type);
	info->protocol = hm_le32(wire.protocol);
	info->state = hm_le32(wire.state);
	info->local_len = hm_le32(wire.local_len);
	info->remote_len = hm_le32(wire.remote_len);
	if (info->local_len > HM_SOCKADDR_MAX ||
	    info->remote_len > HM_SOCKADDR_MAX)
		return protocol_error(vcpu);
	return 0;
}
