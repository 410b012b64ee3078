/* SPDX-License-Identifier: MIT */
/*
 * The Lua side of hypermem-run: one Lua state for the whole run, the `hm`
 * module (api.c), and the handlers the script registered, called from the
 * vCPU threads one event at a time with their ev table (event.c).
 */
#ifndef HMRUN_SCRIPT_H
#define HMRUN_SCRIPT_H

#include <pthread.h>

#include <hypermem/hypermem.h>

#include "run.h"

struct lua_State;
struct vmm;

struct script {
	struct lua_State *L;
	pthread_mutex_t lock;		/* one handler at a time */
	int running;			/* between started and ended */
	struct hm_vcpu *vcpu;		/* the event's, while handlers run */
	int cpu;			/* its index, or -1 */
	unsigned long serial;		/* of the event, for its ev table */
	int failed;			/* a handler raised an error */
	int stopped;			/* the script called hm.stop() */
	int interrupted;		/* a handler was cut short by a stop */
};

/*
 * Load and run the script's main chunk, which registers its handlers.
 * Returns 0, or -1 after reporting the error.
 */
int script_load(struct script *s, const char *path);
void script_free(struct script *s);
/*
 * The script as run.h's client (opaque: the struct script). Started: tell
 * the guest what the handlers want; event: dispatch one event to the
 * matching handlers.
 */
void script_started(void *opaque, struct vmm *vm);
int script_event(void *opaque, struct hm_vcpu *vcpu, int cpu,
		 const struct hm_event *ev);
void script_ended(void *opaque);
enum run_outcome script_outcome(void *opaque);

/* api.c */
void api_open(struct script *s);

/*
 * event.c: push the ev table of a syscall event (its args and ret written
 * through while its handler runs, s->serial telling it apart), or of a
 * user or process event.
 */
void event_push_syscall(struct lua_State *L, struct script *s,
			const struct hm_event *ev);
void event_push_user(struct lua_State *L, int cpu, const struct hm_event *ev);

#endif
