// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hang-report.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static pthread_t thread;
static int started;
static int armed;
static struct timespec deadline;
static unsigned int armed_seconds;
static char armed_what[128];
static void (*armed_more)(void *opaque);
static void *armed_opaque;

/* A /proc file's text, on one line ("-" where it cannot be read). */
static void print_file(const char *dir, const char *name, const char *label)
{
	char path[320], buf[4096];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (!strchr(buf, '\n')) {
		fprintf(stderr, "#   %s: %s\n", label, n ? buf : "-");
		return;
	}
	fprintf(stderr, "#   %s:\n", label);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(stderr, "#     %s\n", line);
}

static void report(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	fprintf(stderr, "# HANG: %s did not return within %u s; the process's "
		"threads:\n", armed_what, armed_seconds);
	while (d && (e = readdir(d))) {
		char dir[300];

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/proc/self/task/%s", e->d_name);
		fprintf(stderr, "# thread %s\n", e->d_name);
		print_file(dir, "comm", "name");
		print_file(dir, "stat", "stat");
		print_file(dir, "wchan", "waits in");
		print_file(dir, "syscall", "syscall");
		print_file(dir, "stack", "kernel stack");
	}
	if (d)
		closedir(d);
	if (armed_more)
		armed_more(armed_opaque);
	fflush(stdout);
	fflush(stderr);
}

static void *watch(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		if (!armed) {
			pthread_cond_wait(&cond, &lock);
			continue;
		}
		if (pthread_cond_timedwait(&cond, &lock, &deadline) !=
		    ETIMEDOUT)
			continue;
		if (!armed)
			continue;
		report();
		_exit(1);
	}
	return NULL;
}

void hang_report_arm(unsigned int seconds, const char *what,
		     void (*more)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&lock);
	if (!started) {
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&cond, &attr);
		pthread_condattr_destroy(&attr);
		started = !pthread_create(&thread, NULL, watch, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	armed_seconds = seconds;
	armed_more = more;
	armed_opaque = opaque;
	snprintf(armed_what, sizeof(armed_what), "%s", what);
	armed = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

void hang_report_disarm(void)
{
	pthread_mutex_lock(&lock);
	armed = 0;
	if (started)
		pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}
