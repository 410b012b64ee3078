// SPDX-License-Identifier: MIT
/*
 * Prefetch (protocol.h, HM_FEATURE_PREFETCH): what a guest attached to an
 * event because a rule asked for it. Validated once, copied out of the
 * region (whose data[] the next round trip overwrites), then used to answer
 * the handler's reads that it covers exactly as the round trip would have.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* As read_proc_area() takes (process.c). */
#define PREFETCH_MAX_AREA (16 << 20)
/* Linux's MAX_ERRNO: no error result lies below its negation. */
#define MAX_ERRNO 4095

void prefetch_drop(struct hm_vcpu *vcpu)
{
	vcpu->prefetch.nr_items = 0;
}

/*
 * One item, against its event; the caller counts the protocol error. A
 * result is negated only above -MAX_ERRNO: INT32_MIN has no negation.
 */
static int check_item(const struct hm_event *ev,
		      const struct hm_prefetch_item *it, const uint8_t *data)
{
	int32_t result = (int32_t)hm_le32((uint32_t)it->result);
	uint16_t flags = hm_le16(it->flags);
	uint64_t len = hm_le64(it->len);

	if (result < -MAX_ERRNO)
		return -EPROTO;
	if (it->what == HM_FETCH_ARGV) {
		if (it->arg || it->addr || flags)
			return -EPROTO;
		if (result < 0)
			return !len && reported_errno((uint64_t)-result,
						      false) != -EPROTO ?
			       0 : -EPROTO;
		return len <= (uint64_t)result &&
		       result <= PREFETCH_MAX_AREA ? 0 : -EPROTO;
	}
	if (it->arg > 5 || hm_le64(it->addr) != ev->args[it->arg])
		return -EPROTO;
	switch (it->what) {
	case HM_FETCH_STR:
		if (flags & ~HM_PREFETCH_NUL || memchr(data, '\0', len))
			return -EPROTO;
		if (result == -HM_EFAULT)
			return len || flags ? -EPROTO : 0;
		return result >= 0 && (uint64_t)result == len ? 0 : -EPROTO;
	case HM_FETCH_BUF:
		return flags || (result && result != -HM_EFAULT) ? -EPROTO : 0;
	case HM_FETCH_FD_NAME:
		if (flags)
			return -EPROTO;
		if (result < 0)
			return !len && reported_errno((uint64_t)-result,
						      true) != -EPROTO ?
			       0 : -EPROTO;
		return (uint64_t)result == len && !memchr(data, '\0', len) ?
		       0 : -EPROTO;
	default:
		return -EPROTO;
	}
}

int prefetch_take(struct hm_vcpu *vcpu, const struct hm_event *ev,
		  const uint8_t *area, size_t size)
{
	struct prefetch *p = &vcpu->prefetch;
	struct hm_prefetch_header h;
	size_t off = sizeof(h);
	uint32_t i, n;
	int err;

	prefetch_drop(vcpu);
	if (size < sizeof(h))
		return -EPROTO;
	memcpy(&h, area, sizeof(h));
	n = hm_le32(h.nr_items);
	if (n > HM_PREFETCH_MAX_ITEMS || hm_le32(h.bytes) != size - sizeof(h))
		return -EPROTO;
	if (p->cap < size) {
		uint8_t *buf = realloc(p->buf, size);

		if (!buf)
			return -ENOMEM;
		p->buf = buf;
		p->cap = size;
	}
	memcpy(p->buf, area, size);
	for (i = 0; i < n; i++) {
		struct hm_prefetch_item it;
		uint64_t len, padded;

		if (size - off < sizeof(it))
			return -EPROTO;
		memcpy(&it, p->buf + off, sizeof(it));
		off += sizeof(it);
		len = hm_le64(it.len);
		padded = (len + 7) & ~7ull;
		if (len > size - off || padded > size - off)
			return -EPROTO;
		err = check_item(ev, &it, p->buf + off);
		if (err)
			return err;
		p->items[i] = (struct prefetch_item){
			.what = it.what,
			.result = (int32_t)hm_le32((uint32_t)it.result),
			.nul = hm_le16(it.flags) & HM_PREFETCH_NUL,
			.addr = hm_le64(it.addr),
			.len = (size_t)len,
			.data = p->buf + off,
		};
		off += (size_t)padded;
	}
	if (off != size)
		return -EPROTO;
	p->nr_items = n;
	return 0;
}

/* Bytes at [addr, addr + len), all of them fetched. */
bool prefetch_read(struct hm_vcpu *vcpu, uint64_t addr, void *buf, size_t len)
{
	const struct prefetch *p = &vcpu->prefetch;
	unsigned int i;

	for (i = 0; i < p->nr_items; i++) {
		const struct prefetch_item *it = &p->items[i];

		if ((it->what == HM_FETCH_BUF || it->what == HM_FETCH_STR) &&
		    addr >= it->addr && addr - it->addr <= it->len &&
		    len <= it->len - (addr - it->addr)) {
			memcpy(buf, it->data + (addr - it->addr), len);
			return true;
		}
	}
	return false;
}

/* A string fetched up to its NUL, as hm_vcpu_read_str() returns it. */
bool prefetch_read_str(struct hm_vcpu *vcpu, uint64_t addr, char *buf,
		       size_t cap, ssize_t *ret)
{
	const struct prefetch *p = &vcpu->prefetch;
	unsigned int i;

	for (i = 0; i < p->nr_items; i++) {
		const struct prefetch_item *it = &p->items[i];

		if (it->what != HM_FETCH_STR || !it->nul || it->addr != addr)
			continue;
		if (it->len < cap) {
			memcpy(buf, it->data, it->len);
			buf[it->len] = '\0';
			*ret = (ssize_t)it->len;
		} else {
			memcpy(buf, it->data, cap - 1);
			buf[cap - 1] = '\0';
			*ret = -ENAMETOOLONG;
		}
		return true;
	}
	return false;
}

/* The name behind @fd, or its error, as hm_vcpu_read_fd_name() returns. */
bool prefetch_fd_name(struct hm_vcpu *vcpu, int64_t fd, char *buf, size_t cap,
		      ssize_t *ret)
{
	const struct prefetch *p = &vcpu->prefetch;
	unsigned int i;

	for (i = 0; i < p->nr_items; i++) {
		const struct prefetch_item *it = &p->items[i];

		/*
		 * ENAMETOOLONG said the name did not fit where the guest put
		 * it, not in @cap: the op itself may still read it.
		 */
		if (it->what != HM_FETCH_FD_NAME || it->addr != (uint64_t)fd ||
		    it->result == -HM_ENAMETOOLONG)
			continue;
		if (it->result < 0) {
			*ret = guest_name_errno(vcpu, (uint64_t)-it->result);
		} else if (it->len < cap) {
			memcpy(buf, it->data, it->len);
			buf[it->len] = '\0';
			*ret = (ssize_t)it->len;
		} else {
			*ret = -ENAMETOOLONG;
		}
		return true;
	}
	return false;
}

/* The whole argv block, where it came whole: a copy, NUL-terminated. */
bool prefetch_proc_args(struct hm_vcpu *vcpu, char **area, size_t *len,
			int *err)
{
	const struct prefetch *p = &vcpu->prefetch;
	unsigned int i;

	for (i = 0; i < p->nr_items; i++) {
		const struct prefetch_item *it = &p->items[i];

		if (it->what != HM_FETCH_ARGV || it->result < 0 ||
		    it->len != (size_t)it->result)
			continue;
		*area = op_realloc(vcpu, NULL, it->len + 1, err);
		if (!*area)
			return true;
		memcpy(*area, it->data, it->len);
		(*area)[it->len] = '\0';
		*len = it->len;
		*err = 0;
		return true;
	}
	return false;
}
