// SPDX-License-Identifier: MIT
/*
 * A vCPU, whatever its transport: its registered region and the dispatcher
 * for hypermem calls (registration, events, stray replies). How a call
 * arrives and how a request reaches the guest is the transport's
 * (transport-kvm.c, mailbox.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct hm_vcpu *vcpu_alloc(struct hm_vm *vm, const struct transport_ops *ops)
{
	struct hm_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->ops = ops;
	vm->nr_vcpus++;
	return vcpu;
}

void vcpu_release(struct hm_vcpu *vcpu)
{
	watchdog_destroy(vcpu);
	sub_drop_vcpu(vcpu);
	free(vcpu->prefetch.buf);
	vcpu->vm->nr_vcpus--;
	free(vcpu);
}

void hm_vcpu_free(struct hm_vcpu *vcpu)
{
	if (vcpu)
		vcpu->ops->free(vcpu);
}

void hm_vcpu_set_data(struct hm_vcpu *vcpu, void *data)
{
	vcpu->data = data;
}

void *hm_vcpu_get_data(struct hm_vcpu *vcpu)
{
	return vcpu->data;
}

struct hm_vm *hm_vcpu_get_vm(struct hm_vcpu *vcpu)
{
	return vcpu->vm;
}

int hm_vcpu_get_guest_info(struct hm_vcpu *vcpu, struct hm_guest_info *info)
{
	if (!vcpu->region)
		return -ENOTCONN;
	*info = vcpu->guest;
	return 0;
}

void hm_vcpu_get_stats(struct hm_vcpu *vcpu, struct hm_stats *stats)
{
	*stats = vcpu->stats;
}

int hm_vcpu_get_guest_arch(struct hm_vcpu *vcpu)
{
	if (!vcpu->region)
		return -ENOTCONN;
	return (int)vcpu->guest_arch;
}

/*
 * The architecture a hello of @size bytes says, which its pointer width
 * and byte order must match; that of the host for one that does not say.
 */
static int hello_arch(const struct hm_hello *hello, uint64_t size)
{
	bool said = hm_le64(hello->features) & HM_FEATURE_GUEST_ARCH;
	uint32_t arch = hm_le32(hello->arch);

	if (size != (said ? sizeof(*hello) : HM_HELLO_SIZE_V1))
		return -EPROTO;
	if (!said)
		return HM_ARCH_NATIVE;
	if (hello->reserved || !hm_arch_pointer_width(arch) ||
	    hello->pointer_width != hm_arch_pointer_width(arch) ||
	    hello->endianness != HM_ENDIAN_LITTLE)
		return -EPROTO;
	return (int)arch;
}

static int check_hello(const struct hm_hello *hello)
{
	uint32_t pages = hm_le32(hello->region_pages);

	if (hm_le32(hello->magic) != HM_MAGIC ||
	    hm_le16(hello->version) != HM_VERSION)
		return -EPROTO;
	if (hello->pointer_width != 4 && hello->pointer_width != 8)
		return -EPROTO;
	if (hello->endianness != HM_ENDIAN_LITTLE &&
	    hello->endianness != HM_ENDIAN_BIG)
		return -EPROTO;
	if (pages == 0)
		return -EPROTO;
	return 0;
}

/* Features this host implements. */
#define HOST_FEATURES (HM_FEATURE_PROCENV | HM_FEATURE_READ_FILE | \
		       HM_FEATURE_SOCKET_INFO | HM_FEATURE_KERNEL_ADDR | \
		       HM_FEATURE_READV | HM_FEATURE_FD_NAME_OFFSET | \
		       HM_FEATURE_EVENT_CONTROL | HM_FEATURE_SYSCALL_SKIP | \
		       HM_FEATURE_SUBSCRIBE | HM_FEATURE_PREFETCH | \
		       HM_FEATURE_PROC_LIST | HM_FEATURE_PROC_MAPS | \
		       HM_FEATURE_PROC_FDS | HM_FEATURE_PROC_PATHS | \
		       HM_FEATURE_PROC_EVENTS | HM_FEATURE_WRITE_FILE | \
		       HM_FEATURE_PID_ACCESS | HM_FEATURE_GUEST_ARCH | \
		       HM_FEATURE_COND_OPS)

static int on_register(struct hm_vcpu *vcpu, uint64_t gpa)
{
	struct hm_region *r;
	struct hm_hello hello;
	struct hm_hello_ack ack;
	uint32_t pages;
	int err, arch;

	if (gpa % HM_PAGE_SIZE)
		return -EINVAL;
	r = vcpu_translate(vcpu, gpa, HM_PAGE_SIZE);
	if (!r)
		return -EFAULT;
	if (hm_le64(r->op) != HM_OP_REGISTER)
		return -EPROTO;
	memcpy(&hello, r->data, sizeof(hello));
	err = check_hello(&hello);
	if (err)
		return err;
	arch = hello_arch(&hello, hm_le64(r->size));
	if (arch < 0)
		return arch;

	pages = hm_le32(hello.region_pages);
	if (pages > HM_MAX_REGION_PAGES)
		pages = HM_MAX_REGION_PAGES;
	while (pages > 1 && !vcpu_translate(vcpu, gpa,
					    (uint64_t)pages * HM_PAGE_SIZE))
		pages--;

	vcpu->guest = (struct hm_guest_info){
		.vcpu_index = hm_le32(hello.vcpu_index),
		.pointer_width = hello.pointer_width,
		.big_endian = hello.endianness == HM_ENDIAN_BIG,
		.region_pages = pages,
		.region_gpa = gpa,
		.features = hm_le64(hello.features) & HOST_FEATURES,
	};
	vcpu->guest_arch = (uint32_t)arch;
	vcpu->chunk = (size_t)pages * HM_PAGE_SIZE - HM_HEADER_SIZE;
	vcpu->region = r;

	memset(&ack, 0, sizeof(ack));
	ack.magic = hm_le32(HM_MAGIC);
	ack.version = hm_le16(HM_VERSION);
	ack.region_pages = hm_le32(pages);
	ack.features = hm_le64(vcpu->guest.features);
	memcpy(r->data, &ack, sizeof(ack));
	set_region_header(r, HM_RESP_REGISTER_OK, gpa, sizeof(ack));
	return 0;
}

/*
 * The event record, with HM_FEATURE_SUBSCRIBE the task after it, and with
 * HM_FEATURE_PREFETCH what the guest fetched after that: the size must be
 * exactly what was negotiated.
 */
static int read_event(struct hm_vcpu *vcpu, struct hm_event *event)
{
	const struct hm_region *r = vcpu->region;
	uint64_t features = vcpu->guest.features;
	bool with_task = features & HM_FEATURE_SUBSCRIBE;
	bool with_fetch = with_task && (features & HM_FEATURE_PREFETCH);
	size_t head = sizeof(struct hm_event_record) +
		      (with_task ? sizeof(struct hm_event_task) : 0);
	uint64_t size = hm_le64(r->size);
	struct hm_event_record rec;
	struct hm_event_task task;
	int i;

	prefetch_drop(vcpu);
	if (hm_le64(r->op) != HM_OP_EVENT || size > vcpu->chunk ||
	    (with_fetch ? size < head : size != head))
		return -EPROTO;
	memcpy(&rec, r->data, sizeof(rec));
	memset(event, 0, sizeof(*event));
	event->kind = hm_le32(rec.kind);
	event->nr = hm_le64(rec.nr);
	/* A process event only where negotiated, and one of the three. */
	if (event->kind < HM_EVENT_SYSCALL_ENTER ||
	    event->kind > HM_EVENT_PROCESS ||
	    (event->kind == HM_EVENT_PROCESS &&
	     (!(features & HM_FEATURE_PROC_EVENTS) || !event->nr ||
	      event->nr > HM_PROC_EVENT_MAX)))
		return -EPROTO;
	for (i = 0; i < 6; i++)
		event->args[i] = hm_le64(rec.args[i]);
	event->ret = hm_le64(rec.ret);
	if (with_task) {
		memcpy(&task, r->data + sizeof(rec), sizeof(task));
		event->flags = HM_EVENT_HAS_TASK;
		/* 0: the guest could not tell; a pid is as READ_PROCPID's. */
		event->pid = hm_le64(task.pid);
		if (event->pid > INT32_MAX)
			return -EPROTO;
		memcpy(event->comm, task.comm, HM_COMM_LEN);
		event->comm[HM_COMM_LEN] = '\0';
	}
	if (size > head)
		return prefetch_take(vcpu, event,
				     (const uint8_t *)region_data(vcpu) + head,
				     (size_t)(size - head));
	return 0;
}

static int run_event_handler(struct hm_vcpu *vcpu,
			     const struct hm_event *event)
{
	struct hm_vm *vm = vcpu->vm;
	int err;

	vcpu->stats.events++;
	if (!vm->event_fn)
		return 0;
	err = vcpu->ops->arm_watchdog(vcpu);
	if (err)
		return err;
	vcpu->in_event = true;
	vcpu->event_error = 0;
	vcpu->event_kind = event->kind;
	vcpu->event_pid = event->pid;
	vcpu->target = 0;
	vcpu->own_pid = 0;
	err = vm->event_fn(vcpu, event, vm->event_opaque);
	vcpu->in_event = false;
	vcpu->ops->disarm_watchdog(vcpu);
	return err < 0 ? err : 0;
}

static int on_event(struct hm_vcpu *vcpu)
{
	struct hm_event event;
	int err;

	if (!vcpu->region)
		return -ENOTCONN;
	memset(&vcpu->control, 0, sizeof(vcpu->control));
	err = read_event(vcpu, &event);
	if (err)
		vcpu->stats.protocol_errors++;
	else
		err = run_event_handler(vcpu, &event);
	prefetch_drop(vcpu);
	/* End the event whatever happened, so that the guest goes on. */
	control_end_event(vcpu, !err && !vcpu->event_error);
	return err;
}

/*
 * A reply outside any request: the guest answers a request that timed out.
 * Telling it the event is over lets it return to what it was doing.
 */
static int on_stray_reply(struct hm_vcpu *vcpu)
{
	if (!vcpu->region)
		return -ENOTCONN;
	set_region_header(vcpu->region, HM_OP_NONE, 0, 0);
	return 0;
}

/*
 * One dispatcher for every transport: arch code decodes an exit, the
 * mailbox a turn word.
 */
int vcpu_dispatch(struct hm_vcpu *vcpu, struct doorbell *call)
{
	int err;

	if (call->malformed)
		return protocol_error(vcpu);
	switch (call->nr) {
	case HM_CALL_REGISTER:
		/* A failed re-registration leaves none: the old is stale. */
		vcpu->region = NULL;
		sub_drop_vcpu(vcpu);
		err = vcpu->ops->call_gpa(vcpu, call);
		if (err)
			return err;
		err = on_register(vcpu, call->gpa);
		if (err)
			vcpu->stats.protocol_errors++;
		return err;
	case HM_CALL_EVENT:
		return on_event(vcpu);
	case HM_CALL_REPLY:
		return on_stray_reply(vcpu);
	case HM_CALL_SUBSCRIBE:
		err = sub_take_page(vcpu);
		if (err)
			vcpu->stats.protocol_errors++;
		return err;
	default:
		return protocol_error(vcpu);
	}
}

int hm_vcpu_handle_exit(struct hm_vcpu *vcpu)
{
	return vcpu->ops->handle_exit(vcpu);
}
