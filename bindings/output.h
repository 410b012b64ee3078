/* SPDX-License-Identifier: MIT */
/*
 * Everything hypermem-run and `python3 -m hypermem` print on stdout goes
 * through here: the script's or plugin's lines, the guest's console and,
 * on request, each event. Text for people,
 * or JSON Lines (one object per line) with --json. Lines from different
 * vCPU threads never cut into each other.
 */
#ifndef HM_BINDINGS_OUTPUT_H
#define HM_BINDINGS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include <hypermem/hypermem.h>

enum verbosity {
	VERBOSITY_QUIET = -1,	/* the script's output only */
	VERBOSITY_NORMAL = 0,	/* and the guest's console */
	VERBOSITY_VERBOSE = 1,	/* and every event, and the kernel's trace */
};

/* The name messages on stderr begin with (default "hypermem-run"). */
void output_set_program(const char *name);
void output_init(int json, enum verbosity verbosity);
/* "PROGRAM: message" and where to find help, on stderr; returns 2. */
int output_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
int output_json(void);
enum verbosity output_verbosity(void);

/* A line the script printed; cpu is -1 outside an event. */
void output_print(int cpu, const char *text, size_t len);
/* A line of guest console output, its '\n' included or not. */
void output_console(int cpu, const char *text, size_t len);
/* Console output as the guest wrote it, for a terminal session. */
void output_console_raw(const char *text, size_t len);
/* An event as the guest raised it. */
void output_event(int cpu, const struct hm_event *ev);
/* An error for people (stderr), also as a JSON object with --json. */
void output_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What the monitor tells people about the guest it boots (stderr). */
void output_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What a person must read to go on, even with -q (stderr, and JSON). */
void output_notice(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* guest-tiny's programs; a Linux guest's are not counted. */
struct output_programs {
	unsigned int ran;
	unsigned int failed;
};

/*
 * What the guest cost the run: the events it raised to the client, and
 * its exits to hypermem (the core: the KVM exits of its calls and of the
 * operations' round trips; QEMU: hand-overs of the mailbox's turn), for
 * the closing summary of a run that booted a guest.
 */
struct output_counts {
	uint64_t events;
	uint64_t exits;
};

void output_set_counts(const struct output_counts *counts);

/*
 * The closing summary: what happened, the exit code, programs or NULL,
 * and the counts where output_set_counts() gave them.
 */
void output_result(int code, const char *status,
		   const struct output_programs *programs);

#endif
