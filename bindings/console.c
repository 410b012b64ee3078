// SPDX-License-Identifier: MIT
/*
 * The guest's console and the terminal (console.h): lines from different
 * vCPUs assembled apart, and the terminal's settings kept for the end.
 */
#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "output.h"

static struct termios saved_termios;
static int saved_stdin_flags = -1;
static volatile sig_atomic_t terminal_saved;

/* A serial driver ends each line with "\r\n". */
static void flush_line(int cpu, struct console_line *l)
{
	size_t len = l->len;

	if (len && l->text[len - 1] == '\r')
		len--;
	output_console(cpu, l->text, len);
	l->len = 0;
}

/* A backend calls this one piece at a time, from any vCPU thread. */
void console_write(int cpu, const char *buf, size_t len, void *opaque)
{
	struct console *c = opaque;
	struct console_line *l = &c->lines[cpu + 1];
	size_t i;

	if (c->raw) {
		output_console_raw(buf, len);
		return;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			flush_line(cpu, l);
			continue;
		}
		if (l->len == sizeof(l->text))
			flush_line(cpu, l);
		l->text[l->len++] = buf[i];
	}
}

void console_flush(struct console *c)
{
	int i;

	for (i = 0; i <= VMM_MAX_CPUS; i++)
		if (c->lines[i].len)
			flush_line(i - 1, &c->lines[i]);
}

/* QEMU's stdio chardev also makes the terminal non-blocking. */
void terminal_restore(void)
{
	if (terminal_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
		fcntl(STDIN_FILENO, F_SETFL, saved_stdin_flags);
	}
	terminal_saved = 0;
}

/* SA_RESETHAND: once the terminal is back, the signal does what it did. */
static void on_fatal_signal(int signo)
{
	terminal_restore();
	raise(signo);
}

int terminal_save(void)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = {
		.sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND,
	};
	size_t i;

	saved_stdin_flags = fcntl(STDIN_FILENO, F_GETFL);
	if (saved_stdin_flags < 0 || tcgetattr(STDIN_FILENO, &saved_termios))
		return -1;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, NULL);
	terminal_saved = 1;
	return 0;
}

/*
 * A shell in the guest wants every key as typed, Enter as '\r', and
 * echoes them itself. ISIG stays on so that Ctrl-C still ends
 * hypermem-run, except Ctrl-Z, which the guest gets rather than a
 * stopped monitor holding the terminal in raw mode; OPOST stays on so
 * that the script's lines begin at the left margin.
 */
void terminal_raw(void)
{
	struct termios raw;

	if (terminal_save())
		return;
	raw = saved_termios;
	raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INLCR | IGNCR | ISTRIP |
				   IXON);
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	raw.c_cc[VSUSP] = _POSIX_VDISABLE;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		terminal_saved = 0;
}
