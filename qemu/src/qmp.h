/* SPDX-License-Identifier: MIT */
/*
 * A QMP client (QEMU's docs/interop/qmp-spec): one command at a time on a
 * running QEMU's monitor socket, each answered by a return or an error,
 * the asynchronous events between them skipped except DEVICE_DELETED,
 * which a hot-unplug waits for. Every reply is another process's input:
 * qmp_parse() takes any bytes (tests/fuzz/fuzz_qmp.c).
 */
#ifndef QEMU_QMP_H
#define QEMU_QMP_H

#include <stddef.h>
#include <time.h>

struct json_object;

enum qmp_kind {
	QMP_GREETING,	/* {"QMP": {...}} */
	QMP_RETURN,	/* {"return": ...} */
	QMP_ERROR,	/* {"error": {"class": ..., "desc": ...}} */
	QMP_EVENT,	/* {"event": NAME, "data": {...}} */
};

struct qmp_message {
	enum qmp_kind kind;
	struct json_object *value;	/* QMP_RETURN's, owned */
	char text[256];			/* QMP_ERROR's desc, QMP_EVENT's name */
	char device[128];		/* DEVICE_DELETED's data.device, or "" */
};

/* One line of QEMU's: 0, or -EPROTO for anything QMP does not send. */
int qmp_parse(const char *line, size_t len, struct qmp_message *m);
void qmp_message_clear(struct qmp_message *m);

struct qmp;

/*
 * Connect to the monitor at @path, read its greeting and leave
 * negotiation mode: 0; -ENAMETOOLONG; connect()'s error; -ETIMEDOUT;
 * -EPIPE (QEMU hung up); -EPROTO; -EREMOTEIO (qmp_error() says why).
 */
int qmp_connect(const char *path, const struct timespec *deadline,
		struct qmp **ret);

/*
 * Run @command with @args (a JSON object, or NULL; taken in any case)
 * and wait for its answer: 0 with *@ret its return value (NULL: not
 * wanted; json_object_put() it), -EREMOTEIO when QEMU answered with an
 * error (qmp_error()), or qmp_connect()'s errors.
 */
int qmp_execute(struct qmp *m, const char *command, struct json_object *args,
		const struct timespec *deadline, struct json_object **ret);

/* QEMU's last error's description. */
const char *qmp_error(const struct qmp *m);

/* Until DEVICE_DELETED for @id, seen now or before: 0 or -errno. */
int qmp_wait_deleted(struct qmp *m, const char *id,
		     const struct timespec *deadline);

void qmp_close(struct qmp *m);

#endif
