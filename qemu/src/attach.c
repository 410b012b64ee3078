// SPDX-License-Identifier: MIT
/*
 * A running QEMU, reached through its QMP monitor (qmp.h): our socket as
 * a chardev, the ivshmem-doorbell device on it hot-plugged, and both
 * taken out again after the run (qemu/qemu.h, qemu_attach()). Polled,
 * the chardev only connects, and ivshmem-plain goes on a
 * memory-backend-file object of the shared memory's /proc/PID/fd/N.
 *
 * device_add realizes ivshmem-doorbell at once, and the realize reads the
 * server's opening messages (QEMU's hw/misc/ivshmem.c,
 * ivshmem_recv_setup()): our server takes the chardev's connection and
 * sends them before device_add is sent, or QEMU and we would wait on each
 * other.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <qemu/ivshmem.h>
#include <qemu/qemu.h>

#include "deadline.h"
#include "internal.h"
#include "qmp.h"

/* A PCI-to-PCI bridge: a pcie-root-port, ioh3420, pci-bridge. */
#define PCI_CLASS_BRIDGE_PCI 0x0604

static struct json_object *member(struct json_object *o, const char *name)
{
	struct json_object *m = NULL;

	json_object_object_get_ex(o, name, &m);
	return m;
}

static int has_devices(struct json_object *bridge)
{
	struct json_object *devices = member(bridge, "devices");

	return json_object_is_type(devices, json_type_array) &&
	       json_object_array_length(devices);
}

/* query-pci's devices: the first bridge with an id and none behind it. */
static int free_bridge(struct json_object *devices, char *id, size_t cap)
{
	struct json_object *dev, *bridge, *qdev_id;
	size_t i, n;

	if (!json_object_is_type(devices, json_type_array))
		return 0;
	n = json_object_array_length(devices);
	for (i = 0; i < n; i++) {
		dev = json_object_array_get_idx(devices, i);
		bridge = member(dev, "pci_bridge");
		if (!bridge)
			continue;
		qdev_id = member(dev, "qdev_id");
		if (json_object_get_int(member(member(dev, "class_info"),
						 "class")) ==
		    PCI_CLASS_BRIDGE_PCI &&
		    json_object_is_type(qdev_id, json_type_string) &&
		    *json_object_get_string(qdev_id) && !has_devices(bridge) &&
		    strlen(json_object_get_string(qdev_id)) < cap) {
			strcpy(id, json_object_get_string(qdev_id));
			return 1;
		}
		if (free_bridge(member(bridge, "devices"), id, cap))
			return 1;
	}
	return 0;
}

static int find_bus(struct qemu *q, struct qemu_attach_info *info)
{
	struct json_object *buses;
	size_t i;
	int err;

	info->step = QEMU_ATTACH_BUS;
	err = qmp_execute(q->qmp, "query-pci", NULL, &q->deadline, &buses);
	if (err)
		return err;
	info->bus[0] = 0;
	if (json_object_is_type(buses, json_type_array))
		for (i = 0; i < json_object_array_length(buses); i++)
			if (free_bridge(member(json_object_array_get_idx(buses,
									 i),
					       "devices"),
					info->bus, sizeof(info->bus)))
				break;
	json_object_put(buses);
	return 0;
}

static struct json_object *chardev_args(const char *path)
{
	struct json_object *args = json_object_new_object();
	struct json_object *backend = json_object_new_object();
	struct json_object *data = json_object_new_object();
	struct json_object *addr = json_object_new_object();
	struct json_object *unix_data = json_object_new_object();

	json_object_object_add(unix_data, "path", json_object_new_string(path));
	json_object_object_add(addr, "type", json_object_new_string("unix"));
	json_object_object_add(addr, "data", unix_data);
	json_object_object_add(data, "addr", addr);
	json_object_object_add(data, "server", json_object_new_boolean(0));
	json_object_object_add(backend, "type",
			       json_object_new_string("socket"));
	json_object_object_add(backend, "data", data);
	json_object_object_add(args, "id",
			       json_object_new_string(QEMU_ATTACH_ID));
	json_object_object_add(args, "backend", backend);
	return args;
}

/* share: QEMU maps it MAP_SHARED, so the host sees the guest's writes. */
static struct json_object *memory_args(const struct qemu *q)
{
	struct json_object *args = json_object_new_object();

	json_object_object_add(args, "qom-type",
			       json_object_new_string("memory-backend-file"));
	json_object_object_add(args, "id",
			       json_object_new_string(QEMU_ATTACH_ID));
	json_object_object_add(args, "mem-path",
			       json_object_new_string(q->memory));
	json_object_object_add(args, "size",
			       json_object_new_int64(QEMU_SHM_SIZE));
	json_object_object_add(args, "share", json_object_new_boolean(1));
	return args;
}

static struct json_object *device_args(const struct qemu *q, const char *bus)
{
	struct json_object *args = json_object_new_object();
	int polled = q->config.polled;

	json_object_object_add(args, "driver", json_object_new_string(
			polled ? "ivshmem-plain" : "ivshmem-doorbell"));
	json_object_object_add(args, "id",
			       json_object_new_string(QEMU_ATTACH_ID));
	json_object_object_add(args, polled ? "memdev" : "chardev",
			       json_object_new_string(QEMU_ATTACH_ID));
	if (!polled)
		json_object_object_add(args, "vectors",
				       json_object_new_int(1));
	if (*bus)
		json_object_object_add(args, "bus",
				       json_object_new_string(bus));
	return args;
}

static struct json_object *id_args(void)
{
	struct json_object *args = json_object_new_object();

	json_object_object_add(args, "id",
			       json_object_new_string(QEMU_ATTACH_ID));
	return args;
}

/* QEMU's words for what it refused, into @info. */
static int step_failed(struct qemu *q, struct qemu_attach_info *info,
		       int err)
{
	if (err == -EREMOTEIO)
		snprintf(info->message, sizeof(info->message), "%s",
			 qmp_error(q->qmp));
	return err;
}

static int add_chardev(struct qemu *q, struct qemu_attach_info *info)
{
	int err, ms;

	info->step = QEMU_ATTACH_CHARDEV;
	err = qmp_execute(q->qmp, "chardev-add", chardev_args(q->socket),
			  &q->deadline, NULL);
	if (err)
		return err;
	q->chardev_added = 1;
	/* A client chardev connects before chardev-add returns. */
	info->step = QEMU_ATTACH_CONNECT;
	ms = ms_until(&q->deadline);
	err = ivshmem_server_accept(q->server, ms ? (unsigned int)ms : 1);
	if (!err)
		q->res.connected = 1;
	return err;
}

static int remove_chardev(struct qemu *q, const struct timespec *deadline,
			  struct qemu_attach_info *info)
{
	int err;

	info->step = QEMU_DETACH_CHARDEV;
	err = qmp_execute(q->qmp, "chardev-remove", id_args(), deadline,
			  NULL);
	if (!err)
		q->chardev_added = 0;
	return err;
}

static int add_memory(struct qemu *q, struct qemu_attach_info *info)
{
	int err;

	if (!q->config.polled)
		return 0;
	info->step = QEMU_ATTACH_MEMORY;
	err = qmp_execute(q->qmp, "object-add", memory_args(q), &q->deadline,
			  NULL);
	if (!err)
		q->memory_added = 1;
	return err;
}

static int remove_memory(struct qemu *q, const struct timespec *deadline,
			 struct qemu_attach_info *info)
{
	int err;

	if (!q->memory_added)
		return 0;
	info->step = QEMU_DETACH_MEMORY;
	err = qmp_execute(q->qmp, "object-del", id_args(), deadline, NULL);
	if (!err)
		q->memory_added = 0;
	return err;
}

int qemu_attach(struct qemu *q, const char *qmp_path,
		struct qemu_attach_info *info)
{
	struct qemu_attach_info ignored;
	struct timespec undo;
	int err;

	memset(info, 0, sizeof(*info));
	info->step = QEMU_ATTACH_MONITOR;
	err = qmp_connect(qmp_path, &q->deadline, &q->qmp);
	if (err)
		return err;
	err = add_chardev(q, info);
	if (!err)
		err = find_bus(q, info);
	if (!err)
		err = add_memory(q, info);
	if (!err) {
		info->step = QEMU_ATTACH_DEVICE;
		err = qmp_execute(q->qmp, "device_add",
				  device_args(q, info->bus), &q->deadline,
				  NULL);
	}
	if (!err) {
		q->device_added = 1;
		return 0;
	}
	step_failed(q, info, err);
	if (err != -EPIPE) {
		/* Past the run's deadline, perhaps: a moment of its own. */
		undo = deadline_in(2000);
		remove_memory(q, &undo, &ignored);
		if (q->chardev_added)
			qmp_execute(q->qmp, "chardev-remove", id_args(),
				    &undo, NULL);
	}
	return err;
}

int qemu_detach(struct qemu *q, unsigned int timeout_ms,
		struct qemu_attach_info *info)
{
	struct timespec deadline = deadline_in(timeout_ms);
	int err = 0;

	memset(info, 0, sizeof(*info));
	if (q->device_added) {
		info->step = QEMU_DETACH_DEVICE;
		err = qmp_execute(q->qmp, "device_del", id_args(), &deadline,
				  NULL);
		if (!err)
			err = qmp_wait_deleted(q->qmp, QEMU_ATTACH_ID,
					       &deadline);
		if (err)
			return step_failed(q, info, err);
		q->device_added = 0;
	}
	err = remove_memory(q, &deadline, info);
	if (!err && q->chardev_added)
		err = remove_chardev(q, &deadline, info);
	return step_failed(q, info, err);
}
