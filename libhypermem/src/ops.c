// SPDX-License-Identifier: MIT
/*
 * Operations on the guest task that raised the event. Each is one or more
 * requests through the region; every reply is checked against the request
 * before a byte of it is used.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Validate one READ reply for n requested bytes: returns bytes or -errno. */
static ssize_t read_reply_bytes(struct hm_vcpu *vcpu,
				const struct reply *reply, size_t n)
{
	switch (reply->code) {
	case HM_RESP_READ_OK:
		if (reply->size != n)
			return protocol_error(vcpu);
		return (ssize_t)n;
	case HM_RESP_READ_PARTIAL:
		if (reply->size == 0 || reply->size >= n)
			return protocol_error(vcpu);
		return (ssize_t)reply->size;
	case HM_RESP_READ_FAIL:
		return guest_errno(vcpu, reply->size);
	default:
		return protocol_error(vcpu);
	}
}

static int check_range(const struct hm_vcpu *vcpu, uint64_t addr, size_t len)
{
	if (len > SSIZE_MAX)
		return -EINVAL;
	if (len && addr + (len - 1) < addr)
		return -EFAULT;
	return vcpu_can_request(vcpu);
}

ssize_t read_cooperative(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
			 size_t len)
{
	size_t done = 0;
	int err;

	while (done < len) {
		size_t n = min_size(len - done, vcpu->chunk);
		struct reply reply;
		ssize_t got;

		err = vcpu_request(vcpu, HM_OP_READ, addr + done, n, &reply);
		if (err)
			return err;
		got = read_reply_bytes(vcpu, &reply, n);
		if (got < 0)
			return done && got == -EFAULT ? (ssize_t)done : got;
		memcpy((char *)buf + done, region_data(vcpu), (size_t)got);
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	return (ssize_t)done;
}

/* What hybrid reads take directly: nothing where no walker exists. */
static ssize_t hybrid_prefix(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
			     size_t len, bool stop_at_nul)
{
	ssize_t n = direct_copy(vcpu, addr, buf, len, stop_at_nul);

	return n == -EOPNOTSUPP ? 0 : n;
}

/* A read done directly as far as it went, cooperatively from there. */
static ssize_t read_hybrid(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
			   size_t len)
{
	ssize_t direct = hybrid_prefix(vcpu, addr, buf, len, false);
	ssize_t rest;

	if (direct < 0 || (size_t)direct == len)
		return direct;
	rest = read_cooperative(vcpu, addr + (size_t)direct,
				(char *)buf + direct, len - (size_t)direct);
	if (rest < 0)
		return direct && rest == -EFAULT ? direct : rest;
	return direct + rest;
}

ssize_t hm_vcpu_read_direct(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
			    size_t len)
{
	ssize_t n = check_range(vcpu, addr, len);

	if (!n)
		n = direct_copy(vcpu, addr, buf, len, false);
	return n || !len ? n : -EFAULT;
}

ssize_t hm_vcpu_read(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
		     size_t len)
{
	OPERATION(vcpu);
	int err = check_range(vcpu, addr, len);

	if (err)
		return err;
	if (prefetch_read(vcpu, addr, buf, len))
		return (ssize_t)len;
	/* The page tables at hand are the event's task's, not the target's. */
	switch (vcpu_read_mode(vcpu)) {
	case HM_READ_DIRECT:
		return hm_vcpu_read_direct(vcpu, addr, buf, len);
	case HM_READ_HYBRID:
		return read_hybrid(vcpu, addr, buf, len);
	default:
		return read_cooperative(vcpu, addr, buf, len);
	}
}

ssize_t hm_vcpu_write(struct hm_vcpu *vcpu, uint64_t addr, const void *buf,
		      size_t len)
{
	OPERATION(vcpu);
	size_t done = 0;
	int err = check_range(vcpu, addr, len);

	if (err)
		return err;
	/* What was fetched may be what this changes. */
	prefetch_drop(vcpu);
	while (done < len) {
		size_t n = min_size(len - done, vcpu->chunk);
		struct reply reply;

		memcpy(region_data(vcpu), (const char *)buf + done, n);
		err = vcpu_request(vcpu, HM_OP_WRITE, addr + done, n, &reply);
		if (err)
			return err;
		if (reply.code == HM_RESP_WRITE_OK && reply.size == n) {
			done += n;
			continue;
		}
		if (reply.code != HM_RESP_WRITE_FAIL || reply.size >= n)
			return protocol_error(vcpu);
		done += reply.size;
		return done ? (ssize_t)done : -EFAULT;
	}
	return (ssize_t)done;
}

/*
 * Each request asks for the room left in buf, NUL slot included, so that a
 * string that exactly fills buf is told apart from one that is too long.
 * Each reply is copied out of the region once, then checked in buf: the
 * guest may write the region meanwhile.
 */
ssize_t read_str_cooperative(struct hm_vcpu *vcpu, uint64_t addr, char *buf,
			     size_t cap)
{
	size_t done = 0;
	int err;

	buf[0] = '\0';
	for (;;) {
		size_t n = min_size(cap - done, vcpu->chunk);
		struct reply reply;

		err = vcpu_request(vcpu, HM_OP_READ_STR, addr + done, n,
				   &reply);
		if (err)
			return err;
		if (reply.code == HM_RESP_READ_FAIL)
			return guest_errno(vcpu, reply.size);
		if ((reply.code != HM_RESP_READ_OK &&
		     reply.code != HM_RESP_READ_PARTIAL) || reply.size > n)
			return protocol_error(vcpu);
		memcpy(buf + done, region_data(vcpu), reply.size);
		if (memchr(buf + done, '\0', reply.size)) {
			buf[done] = '\0';
			return protocol_error(vcpu);
		}
		if (done + reply.size == cap) {
			buf[cap - 1] = '\0';
			return -ENAMETOOLONG;
		}
		done += reply.size;
		buf[done] = '\0';
		if (reply.code == HM_RESP_READ_PARTIAL)
			return -EFAULT;
		if (reply.size < n)
			return (ssize_t)done;
	}
}

/*
 * Direct as far as the pages allow; in hybrid mode the guest reads the
 * rest, from the first page the walk could not reach.
 */
static ssize_t read_str_direct(struct hm_vcpu *vcpu, uint64_t addr, char *buf,
			       size_t cap, bool hybrid)
{
	ssize_t n = hybrid ? hybrid_prefix(vcpu, addr, buf, cap, true) :
			     direct_copy(vcpu, addr, buf, cap, true);
	ssize_t rest;

	if (n < 0)
		return n;
	if (n && buf[n - 1] == '\0')
		return n - 1;
	if ((size_t)n == cap) {
		buf[cap - 1] = '\0';
		return -ENAMETOOLONG;
	}
	buf[n] = '\0';
	if (!hybrid)
		return -EFAULT;
	rest = read_str_cooperative(vcpu, addr + (size_t)n, buf + n,
				    cap - (size_t)n);
	return rest < 0 ? rest : n + rest;
}

ssize_t hm_vcpu_read_str(struct hm_vcpu *vcpu, uint64_t addr, char *buf,
			 size_t cap)
{
	OPERATION(vcpu);
	ssize_t ret;
	int err;

	if (!cap)
		return -EINVAL;
	/* The header promises a terminated buf, early returns included. */
	buf[0] = '\0';

	err = check_range(vcpu, addr, cap);
	if (err)
		return err;
	if (prefetch_read_str(vcpu, addr, buf, cap, &ret))
		return ret;
	if (vcpu_read_mode(vcpu) == HM_READ_COOPERATIVE)
		return read_str_cooperative(vcpu, addr, buf, cap);
	return read_str_direct(vcpu, addr, buf, cap,
			       vcpu->vm->read_mode == HM_READ_HYBRID);
}

int hm_vcpu_write_str(struct hm_vcpu *vcpu, uint64_t addr, const char *str)
{
	size_t len = strlen(str) + 1;
	ssize_t n = hm_vcpu_write(vcpu, addr, str, len);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EFAULT;
}

static int read_exact(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
		      size_t len)
{
	ssize_t n = hm_vcpu_read(vcpu, addr, buf, len);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EFAULT;
}

static int write_exact(struct hm_vcpu *vcpu, uint64_t addr, const void *buf,
		       size_t len)
{
	ssize_t n = hm_vcpu_write(vcpu, addr, buf, len);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* Integers in guest memory, in the guest's byte order, 4 or 8 bytes. */
static int read_uint(struct hm_vcpu *vcpu, uint64_t addr, size_t width,
		     uint64_t *ret)
{
	uint8_t bytes[8];
	uint64_t value = 0;
	size_t i;
	int err = read_exact(vcpu, addr, bytes, width);

	if (err)
		return err;
	for (i = 0; i < width; i++) {
		size_t k = vcpu->guest.big_endian ? i : width - 1 - i;

		value = value << 8 | bytes[k];
	}
	*ret = value;
	return 0;
}

static int write_uint(struct hm_vcpu *vcpu, uint64_t addr, size_t width,
		      uint64_t value)
{
	uint8_t bytes[8];
	size_t i;

	for (i = 0; i < width; i++) {
		size_t k = vcpu->guest.big_endian ? width - 1 - i : i;

		bytes[k] = (uint8_t)(value >> (8 * i));
	}
	return write_exact(vcpu, addr, bytes, width);
}

int hm_vcpu_read_u32(struct hm_vcpu *vcpu, uint64_t addr, uint32_t *ret)
{
	uint64_t value;
	int err = read_uint(vcpu, addr, 4, &value);

	if (!err)
		*ret = (uint32_t)value;
	return err;
}

int hm_vcpu_read_u64(struct hm_vcpu *vcpu, uint64_t addr, uint64_t *ret)
{
	return read_uint(vcpu, addr, 8, ret);
}

int hm_vcpu_read_ptr(struct hm_vcpu *vcpu, uint64_t addr, uint64_t *ret)
{
	int err = vcpu_can_request(vcpu);

	if (err)
		return err;
	return read_uint(vcpu, addr, vcpu->guest.pointer_width, ret);
}

int hm_vcpu_write_u32(struct hm_vcpu *vcpu, uint64_t addr, uint32_t value)
{
	return write_uint(vcpu, addr, 4, value);
}

int hm_vcpu_write_u64(struct hm_vcpu *vcpu, uint64_t addr, uint64_t value)
{
	return write_uint(vcpu, addr, 8, value);
}

int hm_vcpu_write_ptr(struct hm_vcpu *vcpu, uint64_t addr, uint64_t value)
{
	int err = vcpu_can_request(vcpu);

	if (err)
		return err;
	if (vcpu->guest.pointer_width == 4 && value > UINT32_MAX)
		return -EINVAL;
	return write_uint(vcpu, addr, vcpu->guest.pointer_width, value);
}
