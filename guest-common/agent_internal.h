/* SPDX-License-Identifier: MIT */
/*
 * What the agent's parts share: serving ops and raising events (agent.c),
 * matching an event against the host's table (match.c), and fetching what
 * a rule asks for into the event (prefetch.c).
 */
#ifndef HYPERMEM_AGENT_INTERNAL_H
#define HYPERMEM_AGENT_INTERNAL_H

#include "agent.h"

#if defined(__KERNEL__)
#include <linux/string.h>
#define hm_memcpy memcpy
#define hm_memset memset
#else
#define hm_memcpy __builtin_memcpy
#define hm_memset __builtin_memset
#endif

/*
 * data[] of a region of region_pages pages: indexing the struct's one-page
 * array past its end is undefined behaviour even where the pages follow.
 */
static inline char *hm_agent_data(const struct hm_agent *agent)
{
	return (char *)agent->region + HM_HEADER_SIZE;
}

/* The task's pid and comm, asked for once per event. */
struct hm_agent_task {
	int asked;
	int have_pid;
	int have_comm;
	uint64_t pid;
	char comm[HM_COMM_LEN];
};

/* match.c */
void hm_agent_ask_task(struct hm_agent *agent, struct hm_agent_task *t);

/* prefetch.c: the rule's fetches this agent can make, into @out. */
void hm_agent_take_fetches(const struct hm_agent *agent,
			   const struct hm_sub_rule *rule,
			   struct hm_fetch_list *out);
/*
 * The prefetch area at @out (@room bytes, a header at least): what fits of
 * @fetch. Returns the bytes used.
 */
size_t hm_agent_fetch_all(struct hm_agent *agent,
			  const struct hm_event_record *ev,
			  const struct hm_fetch_list *fetch, char *out,
			  size_t room);

#endif
