// SPDX-License-Identifier: MIT
/*
 * Text and JSON Lines output. JSON strings must be valid UTF-8 (RFC 8259,
 * section 8.1) while guest bytes are anything: a byte that does not start a
 * well-formed UTF-8 sequence is written as the code point of the same
 * value, \u0080..\u00ff, so that every line parses and nothing is dropped.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "syscalls.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *program = "hypermem-run";
static int json;
static enum verbosity verbosity;

void output_set_program(const char *name)
{
	program = name;
}

void output_init(int want_json, enum verbosity level)
{
	json = want_json;
	verbosity = level;
}

int output_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", program);
	return 2;
}

int output_json(void)
{
	return json;
}

enum verbosity output_verbosity(void)
{
	return verbosity;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n > len)
		return 0;
	c = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

static void json_string(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n;

	putchar('"');
	while (i < len) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			printf("\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", stdout);
		} else if (c == '\r') {
			fputs("\\r", stdout);
		} else if (c == '\t') {
			fputs("\\t", stdout);
		} else if (c < 0x20 || c == 0x7f) {
			printf("\\u%04x", c);
		} else if (c < 0x80) {
			putchar(c);
		} else {
			n = utf8_sequence(s + i, len - i);
			if (n) {
				fwrite(s + i, 1, n, stdout);
				i += n;
				continue;
			}
			printf("\\u%04x", c);
		}
		i++;
	}
	putchar('"');
}

static void json_cpu(int cpu)
{
	if (cpu < 0)
		fputs("\"cpu\":null", stdout);
	else
		printf("\"cpu\":%d", cpu);
}

static void json_line(const char *type, int cpu, const char *text,
		      size_t len)
{
	printf("{\"type\":\"%s\",", type);
	json_cpu(cpu);
	fputs(",\"text\":", stdout);
	json_string(text, len);
	fputs("}\n", stdout);
}

/* Each line of text on its own, without its '\n'. */
void output_print(int cpu, const char *text, size_t len)
{
	const char *end = text + len, *nl;

	pthread_mutex_lock(&lock);
	do {
		nl = memchr(text, '\n', (size_t)(end - text));
		len = (size_t)((nl ? nl : end) - text);
		if (json)
			json_line("print", cpu, text, len);
		else
			printf("%.*s\n", (int)len, text);
		text += len + 1;
	} while (nl && text < end);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

void output_console(int cpu, const char *text, size_t len)
{
	if (verbosity == VERBOSITY_QUIET)
		return;
	if (len && text[len - 1] == '\n')
		len--;
	pthread_mutex_lock(&lock);
	if (json)
		json_line("console", cpu, text, len);
	else
		printf("[guest]%s%.*s\n", len ? " " : "", (int)len, text);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

void output_console_raw(const char *text, size_t len)
{
	if (verbosity == VERBOSITY_QUIET)
		return;
	pthread_mutex_lock(&lock);
	fwrite(text, 1, len, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

static const char *phase_name(uint32_t kind)
{
	switch (kind) {
	case HM_EVENT_SYSCALL_ENTER:
		return "enter";
	case HM_EVENT_SYSCALL_EXIT:
		return "return";
	case HM_EVENT_PROCESS:
		return "process";
	default:
		return "user";
	}
}

static void json_event(int cpu, const struct hm_event *ev, const char *name)
{
	int i;

	fputs("{\"type\":\"event\",", stdout);
	json_cpu(cpu);
	printf(",\"phase\":\"%s\",\"nr\":%" PRIu64 ",\"name\":",
	       phase_name(ev->kind), ev->nr);
	if (name)
		json_string(name, strlen(name));
	else
		fputs("null", stdout);
	fputs(",\"args\":[", stdout);
	for (i = 0; i < 6; i++)
		printf("%s%" PRIu64, i ? "," : "", ev->args[i]);
	putchar(']');
	if (ev->kind == HM_EVENT_SYSCALL_EXIT)
		printf(",\"ret\":%" PRId64, (int64_t)ev->ret);
	fputs("}\n", stdout);
}

static void text_event(int cpu, const struct hm_event *ev, const char *name)
{
	const uint64_t *a = ev->args;

	printf("[event] cpu%d %s %s(%" PRIu64 ") args 0x%" PRIx64 " 0x%"
	       PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
	       cpu, phase_name(ev->kind), name ? name : "?", ev->nr,
	       a[0], a[1], a[2], a[3], a[4], a[5]);
	if (ev->kind == HM_EVENT_SYSCALL_EXIT)
		printf(" = %" PRId64, (int64_t)ev->ret);
	putchar('\n');
}

void output_event(int cpu, const struct hm_event *ev)
{
	const struct syscall_desc *desc = NULL;

	if (!json && verbosity < VERBOSITY_VERBOSE)
		return;
	if (ev->kind == HM_EVENT_PROCESS)
		desc = process_event_by_nr(ev->nr);
	else if (ev->kind != HM_EVENT_USER)
		desc = syscall_by_nr(ev->nr);
	pthread_mutex_lock(&lock);
	if (json)
		json_event(cpu, ev, desc ? desc->name : NULL);
	else
		text_event(cpu, ev, desc ? desc->name : NULL);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

/* Format into msg, cut to fit; returns the length, or -1. */
static int format_message(char *msg, size_t cap, const char *fmt,
			  va_list ap)
{
	int n = vsnprintf(msg, cap, fmt, ap);

	if (n >= 0 && (size_t)n >= cap)
		n = (int)cap - 1;
	return n;
}

void output_error(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = format_message(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pthread_mutex_lock(&lock);
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", program, msg);
	if (json) {
		fputs("{\"type\":\"error\",\"message\":", stdout);
		json_string(msg, (size_t)n);
		fputs("}\n", stdout);
		fflush(stdout);
	}
	pthread_mutex_unlock(&lock);
}

/* A line about the run: on stderr, or as JSON; @notice: on stderr always. */
static void info_line(bool notice, const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	if (!json && !notice && verbosity == VERBOSITY_QUIET)
		return;
	n = format_message(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	pthread_mutex_lock(&lock);
	if (!json || notice) {
		fflush(stdout);
		fprintf(stderr, "%s: %s\n", program, msg);
	}
	if (json)
		json_line("info", -1, msg, (size_t)n);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

void output_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	info_line(false, fmt, ap);
	va_end(ap);
}

void output_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	info_line(true, fmt, ap);
	va_end(ap);
}

static struct output_counts counts;
static bool have_counts;

void output_set_counts(const struct output_counts *c)
{
	pthread_mutex_lock(&lock);
	counts = *c;
	have_counts = true;
	pthread_mutex_unlock(&lock);
}

static void json_result(int code, const char *status,
			const struct output_programs *programs)
{
	printf("{\"type\":\"result\",\"status\":\"%s\",\"exit_code\":%d",
	       status, code);
	if (programs)
		printf(",\"programs\":%u,\"failed\":%u", programs->ran,
		       programs->failed);
	if (have_counts)
		printf(",\"events\":%" PRIu64 ",\"exits\":%" PRIu64,
		       counts.events, counts.exits);
	fputs("}\n", stdout);
}

void output_result(int code, const char *status,
		   const struct output_programs *programs)
{
	pthread_mutex_lock(&lock);
	if (json) {
		json_result(code, status, programs);
		fflush(stdout);
	} else if (verbosity > VERBOSITY_QUIET) {
		fflush(stdout);
		if (have_counts)
			fprintf(stderr, "%s: %" PRIu64 " events, %" PRIu64
				" exits\n", program, counts.events,
				counts.exits);
		if (programs)
			fprintf(stderr, "%s: %s; programs: %u ran, "
				"%u failed; exit code %d\n", program, status,
				programs->ran, programs->failed, code);
		else
			fprintf(stderr, "%s: %s; exit code %d\n",
				program, status, code);
	}
	pthread_mutex_unlock(&lock);
}
