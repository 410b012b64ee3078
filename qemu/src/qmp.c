// SPDX-License-Identifier: MIT
/*
 * The QMP client (qmp.h). QEMU's replies are one JSON object a line
 * (qmp-spec, "Server responses"); json-c parses them, and nothing of a
 * reply is trusted beyond the members read here.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "deadline.h"
#include "qmp.h"

/* query-pci on a full machine is tens of KiB; nothing QEMU says is more. */
#define MAX_LINE (1u << 20)

struct qmp {
	int fd;
	char *buf;
	size_t len;		/* bytes in buf */
	char error[256];
	char deleted[128];	/* the last DEVICE_DELETED's device */
};

static void copy_string(char *dst, size_t cap, struct json_object *s)
{
	snprintf(dst, cap, "%s",
		 json_object_is_type(s, json_type_string) ?
		 json_object_get_string(s) : "");
}

static int parse_event(struct json_object *root, struct json_object *name,
		       struct qmp_message *m)
{
	struct json_object *data, *device = NULL;

	if (!json_object_is_type(name, json_type_string))
		return -EPROTO;
	m->kind = QMP_EVENT;
	copy_string(m->text, sizeof(m->text), name);
	if (json_object_object_get_ex(root, "data", &data) &&
	    json_object_is_type(data, json_type_object))
		json_object_object_get_ex(data, "device", &device);
	copy_string(m->device, sizeof(m->device), device);
	return 0;
}

static int parse_error(struct json_object *error, struct qmp_message *m)
{
	struct json_object *desc = NULL;

	if (!json_object_is_type(error, json_type_object))
		return -EPROTO;
	m->kind = QMP_ERROR;
	json_object_object_get_ex(error, "desc", &desc);
	copy_string(m->text, sizeof(m->text), desc);
	if (!m->text[0])
		snprintf(m->text, sizeof(m->text), "an error without a word");
	return 0;
}

static int classify(struct json_object *root, struct qmp_message *m)
{
	struct json_object *member;

	if (!json_object_is_type(root, json_type_object))
		return -EPROTO;
	if (json_object_object_get_ex(root, "return", &member)) {
		m->kind = QMP_RETURN;
		m->value = json_object_get(member);
		return 0;
	}
	if (json_object_object_get_ex(root, "error", &member))
		return parse_error(member, m);
	if (json_object_object_get_ex(root, "event", &member))
		return parse_event(root, member, m);
	if (json_object_object_get_ex(root, "QMP", &member)) {
		m->kind = QMP_GREETING;
		return 0;
	}
	return -EPROTO;
}

/* Whether @s holds blanks only; it need not end in a NUL. */
static int blank(const char *s, size_t len)
{
	while (len && strchr(" \t\r\n", *s) && *s) {
		s++;
		len--;
	}
	return !len;
}

int qmp_parse(const char *line, size_t len, struct qmp_message *m)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root;
	size_t end;
	int err = -EPROTO;

	memset(m, 0, sizeof(*m));
	if (!tok)
		return -ENOMEM;
	if (len > MAX_LINE)
		goto out;
	root = json_tokener_parse_ex(tok, line, (int)len);
	end = json_tokener_get_parse_end(tok);
	/* One whole object, and only blanks after it. */
	if (root && json_tokener_get_error(tok) == json_tokener_success &&
	    end <= len && blank(line + end, len - end))
		err = classify(root, m);
	json_object_put(root);
out:
	json_tokener_free(tok);
	if (err)
		qmp_message_clear(m);
	return err;
}

void qmp_message_clear(struct qmp_message *m)
{
	json_object_put(m->value);
	memset(m, 0, sizeof(*m));
}

/* The next line into @m: 0 or -errno. */
static int read_message(struct qmp *m, const struct timespec *deadline,
			struct qmp_message *msg)
{
	struct pollfd p = { .fd = m->fd, .events = POLLIN };
	char *end;
	size_t n;
	ssize_t got;
	int err, ready;

	memset(msg, 0, sizeof(*msg));
	while (!(end = memchr(m->buf, '\n', m->len))) {
		if (m->len == MAX_LINE)
			return -EPROTO;
		ready = poll(&p, 1, ms_until(deadline));
		if (ready < 0 && errno != EINTR)
			return -errno;
		if (!ready)
			return -ETIMEDOUT;
		if (ready < 0)
			continue;
		got = read(m->fd, m->buf + m->len, MAX_LINE - m->len);
		if (got < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (!got)
			return -EPIPE;
		if (got > 0)
			m->len += (size_t)got;
	}
	n = (size_t)(end - m->buf) + 1;
	err = qmp_parse(m->buf, n, msg);
	m->len -= n;
	memmove(m->buf, m->buf + n, m->len);
	if (!err && msg->kind == QMP_EVENT &&
	    !strcmp(msg->text, "DEVICE_DELETED") && msg->device[0])
		snprintf(m->deleted, sizeof(m->deleted), "%s", msg->device);
	return err;
}

static int write_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EPIPE ? -EPIPE : -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_command(struct qmp *m, const char *command,
			struct json_object *args)
{
	struct json_object *cmd = json_object_new_object();
	const char *text;
	int err = -ENOMEM;

	if (!cmd) {
		json_object_put(args);
		return -ENOMEM;
	}
	if (json_object_object_add(cmd, "execute",
				   json_object_new_string(command)))
		goto out;
	if (args && json_object_object_add(cmd, "arguments", args)) {
		json_object_put(args);
		goto out;
	}
	text = json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN);
	err = text ? write_all(m->fd, text, strlen(text)) : -ENOMEM;
	if (!err)
		err = write_all(m->fd, "\n", 1);
out:
	json_object_put(cmd);
	return err;
}

int qmp_execute(struct qmp *m, const char *command, struct json_object *args,
		const struct timespec *deadline, struct json_object **ret)
{
	struct qmp_message msg;
	int err = send_command(m, command, args);

	if (ret)
		*ret = NULL;
	/* Events come between; the answer is the next return or error. */
	while (!err) {
		err = read_message(m, deadline, &msg);
		if (err)
			break;
		if (msg.kind == QMP_ERROR) {
			snprintf(m->error, sizeof(m->error), "%s", msg.text);
			err = -EREMOTEIO;
		} else if (msg.kind == QMP_RETURN) {
			if (ret) {
				*ret = msg.value;
				msg.value = NULL;
			}
			qmp_message_clear(&msg);
			return 0;
		}
		qmp_message_clear(&msg);
	}
	return err;
}

const char *qmp_error(const struct qmp *m)
{
	return m->error;
}

int qmp_wait_deleted(struct qmp *m, const char *id,
		     const struct timespec *deadline)
{
	struct qmp_message msg;
	int err;

	while (strcmp(m->deleted, id)) {
		err = read_message(m, deadline, &msg);
		qmp_message_clear(&msg);
		if (err)
			return err;
	}
	m->deleted[0] = 0;
	return 0;
}

static int open_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int qmp_connect(const char *path, const struct timespec *deadline,
		struct qmp **ret)
{
	struct qmp *m = calloc(1, sizeof(*m));
	struct qmp_message msg;
	int err = -ENOMEM;

	if (!m)
		return -ENOMEM;
	m->fd = -1;
	m->buf = malloc(MAX_LINE);
	if (!m->buf)
		goto err;
	m->fd = open_socket(path);
	err = m->fd < 0 ? m->fd : read_message(m, deadline, &msg);
	if (err)
		goto err;
	err = msg.kind == QMP_GREETING ? 0 : -EPROTO;
	qmp_message_clear(&msg);
	if (!err)
		err = qmp_execute(m, "qmp_capabilities", NULL, deadline, NULL);
	if (err)
		goto err;
	*ret = m;
	return 0;

err:
	qmp_close(m);
	return err;
}

void qmp_close(struct qmp *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	free(m->buf);
	free(m);
}
