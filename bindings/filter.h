/* SPDX-License-Identifier: MIT */
/*
 * A hook's filter, stated once for every language: the rule for the
 * events of one kind and number, the conditions its filter names by key
 * (pid, comm, ret, arg1..arg6 or the syscall's argument names), and the
 * fetches its handler is likely to read, declared with it so that the
 * guest sends them with the event. A binding turns each key and value of
 * its language's filter into a struct filter_value and calls filter_add(),
 * which checks it and says what is wrong in the same words for every one.
 */
#ifndef HM_BINDINGS_FILTER_H
#define HM_BINDINGS_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include <hypermem/hypermem.h>

/* A rule's number for every syscall, user code or process event. */
#define FILTER_ANY_NR (-1)

/* Room for any of filter_add()'s and filter_match_error()'s messages. */
#define FILTER_MSG_MAX 256

/* The longest needle of a string operator, in bytes. */
#define FILTER_NEEDLE_MAX 255

enum filter_type {
	FILTER_INTEGER,		/* lo */
	FILTER_RANGE,		/* lo and hi */
	FILTER_TEXT,		/* text, len bytes */
	FILTER_BOOL,		/* lo: 0 or 1 */
	FILTER_OTHER,		/* anything else: an error */
};

/*
 * A filter's value as the script gave it: a value, or with @op an
 * operator (a one-key table or dict: its key) and its value.
 */
struct filter_value {
	enum filter_type type;
	int64_t lo;
	int64_t hi;
	const char *text;
	size_t len;
	const char *op;		/* "ne", "prefix", ...; NULL: none */
};

/*
 * A hook's filter: the rule, and the whole needle of each string
 * condition cut to 16 bytes in it (HM_COND_NEEDLE_CUT; "" for the
 * others), which filter_matches() checks on the host.
 */
struct filter {
	struct hm_sub_rule rule;
	char needle[HM_SUB_MAX_CONDS][FILTER_NEEDLE_MAX + 1];
};

/*
 * A filter for the events of @kind (enum hm_event_kind) numbered @nr, or
 * every one with FILTER_ANY_NR, with no condition yet, fetching what its
 * handler is likely to read: the name behind the fd argument, the path of
 * a filename, pathname or path argument, the bytes of buf where they hold
 * data (a write's entry, a read's return), the new argv of an exec.
 */
void filter_init(struct filter *f, uint32_t kind, int64_t nr);

/*
 * Add the condition @key = @v to @f (@key NULL: the language's key was
 * no name); a string operator's also fetches its argument's string.
 * Returns 0, or -EINVAL with the reason in @msg.
 */
int filter_add(struct filter *f, const char *key,
	       const struct filter_value *v, char msg[FILTER_MSG_MAX]);

/*
 * Whether @ev of @vcpu passes @f: hm_vcpu_event_matches(), then each
 * needle longer than the rule holds on the argument's string. 1, 0 or
 * its negative errno value.
 */
int filter_matches(struct hm_vcpu *vcpu, const struct hm_event *ev,
		   const struct filter *f);

/*
 * What an error of filter_matches() means for a hook, in @msg:
 * the guest's failure (its pid lookup) or shortcoming (no task with its
 * events), never the script's. The hook is skipped and the run goes on.
 */
void filter_match_error(int err, char msg[FILTER_MSG_MAX]);

#endif
