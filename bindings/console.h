/* SPDX-License-Identifier: MIT */
/*
 * The guest's console on our output, line by line or, in a terminal
 * session, raw; and the terminal itself, whose keys a Linux guest's
 * serial port gets, put back as it was however the run ends.
 */
#ifndef HM_BINDINGS_CONSOLE_H
#define HM_BINDINGS_CONSOLE_H

#include <stddef.h>

#include <vmm/vmm.h>

#define CONSOLE_LINE_MAX 1024

/* A line being assembled, per vCPU and one for the shared 8250. */
struct console_line {
	char text[CONSOLE_LINE_MAX];
	size_t len;
};

struct console {
	int raw;		/* a terminal session: bytes as they come */
	struct console_line lines[VMM_MAX_CPUS + 1];
};

/*
 * A piece of @cpu's output (-1: the shared serial port), from any vCPU
 * thread: a backend's console callback, @opaque the struct console.
 */
void console_write(int cpu, const char *buf, size_t len, void *opaque);
/* Put out the lines not ended yet. */
void console_flush(struct console *c);

/* Keep the terminal's settings for the end, a fatal signal's included. */
int terminal_save(void);
/* Keys as typed for the guest's shell (terminal_save() first). */
void terminal_raw(void);
/* Put back what terminal_save() kept. */
void terminal_restore(void);

#endif
