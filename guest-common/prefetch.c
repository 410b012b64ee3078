// SPDX-License-Identifier: MIT
/*
 * Prefetch (protocol.h, HM_FEATURE_PREFETCH): what the rule an event
 * matched asks for, read when the event is raised and attached to it, so
 * that the host's handler finds it there instead of asking.
 */
#include "agent_internal.h"

void hm_agent_take_fetches(const struct hm_agent *agent,
			   const struct hm_sub_rule *rule,
			   struct hm_fetch_list *out)
{
	unsigned int i, n = rule->nr_fetches;

	out->n = 0;
	if (!(agent->features & HM_FEATURE_PREFETCH) ||
	    n > HM_SUB_MAX_FETCHES)
		return;
	for (i = 0; i < n; i++) {
		if (hm_sub_fetch_valid(&rule->fetches[i]))
			out->f[out->n++] = rule->fetches[i];
	}
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

size_t hm_agent_fetch_all(struct hm_agent *agent,
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
