// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fake_guest.h"

#define MAX_GUESTS 8
#define FAKE_FD_BASE 1000

static struct fake_guest *guests[MAX_GUESTS];

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

uint8_t fake_pattern(uint64_t va)
{
	return (uint8_t)(va * 7 + (va >> 8) + 3);
}

static const struct fake_mapping *find_mapping(const struct fake_process *p,
					       uint64_t va)
{
	unsigned int i;

	for (i = 0; i < p->nr_maps; i++)
		if (va >= p->maps[i].va && va - p->maps[i].va < p->maps[i].len)
			return &p->maps[i];
	return NULL;
}

/* Copy as far as the mappings allow; returns bytes NOT copied. */
static size_t copy_user(struct fake_guest *g, void *host, uint64_t va,
			size_t len, bool to_guest)
{
	while (len) {
		const struct fake_mapping *m = find_mapping(g->current, va);
		size_t off, n;

		if (!m || (to_guest && !m->writable))
			break;
		off = va - m->va;
		n = len < m->len - off ? len : m->len - off;
		if (to_guest)
			memcpy(m->mem + off, host, n);
		else
			memcpy(host, m->mem + off, n);
		host = (uint8_t *)host + n;
		va += n;
		len -= n;
	}
	return len;
}

static size_t op_copy_from(void *ctx, void *dst, uint64_t src, size_t len)
{
	struct fake_guest *g = ctx;

	if (g->serial_before_copy)
		fake_guest_serial(g, '.');

	if (g->stall_next_copy) {
		g->stall_next_copy = false;
		while (sem_wait(&g->unblock))
			;
	}
	return copy_user(g, dst, src, len, false);
}

static size_t op_copy_to(void *ctx, uint64_t dst, const void *src, size_t len)
{
	return copy_user(ctx, (void *)src, dst, len, true);
}

static long op_string_from(void *ctx, char *dst, uint64_t src, size_t len,
			   size_t *copied)
{
	struct fake_guest *g = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		if (copy_user(g, dst + i, src + i, 1, false)) {
			*copied = i;
			return -HM_EFAULT;
		}
		if (!dst[i]) {
			*copied = i;
			return (long)i;
		}
	}
	*copied = len;
	return (long)len;
}

static const struct fake_fd *find_fd(const struct fake_process *p, int64_t fd)
{
	unsigned int i;

	for (i = 0; i < p->nr_fds; i++)
		if (p->fds[i].fd == fd)
			return &p->fds[i];
	return NULL;
}

static long op_fd_name(void *ctx, int64_t fd, char *buf, size_t cap)
{
	struct fake_guest *g = ctx;
	const struct fake_fd *f = find_fd(g->current, fd);

	if (!f)
		return -HM_EBADF;
	return hm_agent_put_name(f->name, buf, cap);
}

static long op_proc_area(void *ctx, enum hm_proc_area which, uint64_t offset,
			 void *buf, size_t len, uint64_t *total)
{
	struct fake_guest *g = ctx;
	const char *area = which == HM_PROC_ARGS ? g->current->args :
						   g->current->env;
	size_t area_len = which == HM_PROC_ARGS ? g->current->args_len :
						  g->current->env_len;

	*total = area_len;
	if (offset >= area_len)
		return 0;
	if (len > area_len - offset)
		len = area_len - offset;
	memcpy(buf, area + offset, len);
	return (long)len;
}

static long op_pid(void *ctx, uint64_t *pid)
{
	struct fake_guest *g = ctx;

	*pid = g->current->pid;
	return 0;
}

static long op_comm(void *ctx, char comm[HM_COMM_LEN])
{
	struct fake_guest *g = ctx;
	const char *name = g->current->comm ? g->current->comm : "fake";

	memset(comm, 0, HM_COMM_LEN);
	strncpy(comm, name, HM_COMM_LEN - 1);
	return 0;
}

static long op_read_file(void *ctx, const char *path, uint64_t offset,
			 void *buf, size_t len, uint64_t *file_size)
{
	struct fake_guest *g = ctx;
	unsigned int i;

	/* Find the file before writing buf: path and buf may overlap. */
	for (i = 0; i < g->current->nr_files; i++) {
		const struct fake_file *f = &g->current->files[i];

		if (strcmp(f->path, path))
			continue;
		*file_size = f->len;
		if (offset >= f->len)
			return 0;
		if (len > f->len - offset)
			len = f->len - offset;
		memmove(buf, f->content + offset, len);
		return (long)len;
	}
	return -HM_ENOENT;
}

static long op_socket_info(void *ctx, int64_t fd, struct hm_socket_info *info)
{
	struct fake_guest *g = ctx;
	const struct fake_fd *f = find_fd(g->current, fd);

	if (!f)
		return -HM_EBADF;
	if (!f->socket)
		return -HM_ENOTSOCK;
	*info = *f->socket;
	return 0;
}

/* The whole system: the current process, or the test's task list. */
static long op_proc_list(void *ctx, uint64_t cursor, struct hm_agent_list *l)
{
	struct fake_guest *g = ctx;
	struct hm_proc_entry self = {
		.pid = g->current->pid, .tgid = g->current->pid,
		.ppid = 1, .state = 'R',
	};
	const struct hm_proc_entry *list = g->procs ? g->procs : &self;
	unsigned int i, n = g->procs ? g->nr_procs : 1;

	strncpy(self.comm, g->current->comm ? g->current->comm : "fake",
		HM_COMM_LEN - 1);
	for (i = 0; i < n; i++)
		if (list[i].pid >= cursor && hm_agent_list_proc(l, &list[i]))
			break;
	return 0;
}

static const struct fake_process *process(struct fake_guest *g, uint64_t pid)
{
	return !pid || pid == g->current->pid ? g->current : NULL;
}

static long op_proc_maps(void *ctx, uint64_t pid, uint64_t cursor,
			 struct hm_agent_list *l)
{
	const struct fake_process *p = process(ctx, pid);
	unsigned int i;

	if (!p)
		return -HM_ESRCH;
	for (i = 0; i < p->nr_maps; i++) {
		const struct fake_mapping *m = &p->maps[i];
		const char *name = m->name ? m->name : "";
		struct hm_map_entry e = {
			.start = m->va, .end = m->va + m->len,
			.flags = HM_MAP_READ | (m->writable ? HM_MAP_WRITE : 0),
			.name_len = (uint32_t)strlen(name),
		};

		if (e.end > cursor && hm_agent_list_map(l, &e, name))
			break;
	}
	return 0;
}

static long op_proc_fds(void *ctx, uint64_t pid, uint64_t cursor,
			struct hm_agent_list *l)
{
	const struct fake_process *p = process(ctx, pid);
	unsigned int i;

	if (!p)
		return -HM_ESRCH;
	for (i = 0; i < p->nr_fds; i++) {
		struct hm_fd_entry e = {
			.fd = (uint32_t)p->fds[i].fd, .open_flags = 2,
			.name_len = (uint32_t)strlen(p->fds[i].name),
		};

		if ((uint64_t)p->fds[i].fd >= cursor &&
		    hm_agent_list_fd(l, &e, p->fds[i].name))
			break;
	}
	return 0;
}

static long op_proc_path(void *ctx, uint64_t pid, enum hm_proc_path which,
			 char *buf, size_t cap)
{
	if (!process(ctx, pid))
		return -HM_ESRCH;
	return hm_agent_put_name(which == HM_PATH_EXE ? "/bin/fake" : "/root",
				 buf, cap);
}

/* The event's task by 0 or its pid, the other process by its pid. */
static long op_use_process(void *ctx, uint64_t pid, uint64_t *tgid)
{
	struct fake_guest *g = ctx;
	struct fake_process *own = g->event_task ? g->event_task : g->current;

	if (g->other && pid == g->other->pid) {
		g->event_task = own;
		g->current = g->other;
	} else if (!pid || pid == own->pid) {
		g->event_task = NULL;
		g->current = own;
	} else {
		return -HM_ESRCH;
	}
	*tgid = g->current->pid;
	return 0;
}

/* One file, read-only at "/ro", full at 16 KiB. */
static long op_write_file(void *ctx, const char *path, uint64_t offset,
			  uint32_t flags, uint32_t mode, const void *buf,
			  size_t len, long *err)
{
	struct fake_guest *g = ctx;
	size_t n;

	(void)mode;
	if (g->write_requests < 8)
		g->write_flags[g->write_requests] = flags;
	g->write_requests++;
	if (!strcmp(path, "/ro"))
		return -HM_EROFS;
	if (flags & HM_WRITE_TRUNCATE)
		g->written_size = 0;
	if (offset > sizeof(g->written))
		return -HM_EFBIG;
	n = len < sizeof(g->written) - offset ? len :
	    sizeof(g->written) - (size_t)offset;
	memcpy(g->written + offset, buf, n);
	if (offset + n > g->written_size)
		g->written_size = (size_t)offset + n;
	if (n < len)
		*err = -HM_ENOSPC;
	return (long)n;
}

/* Guest side of an exit: publish it and wait for the next KVM_RUN. */
static void guest_exit(struct fake_guest *g)
{
	sem_post(&g->exited);
	while (sem_wait(&g->resume))
		;
}

void fake_guest_ring(struct fake_guest *g, unsigned int call, uint64_t gpa)
{
	fake_cpu_ring(g->run, &g->regs, call, gpa,
		      g->transport == FAKE_VMCALL ? FAKE_RING_VMCALL : 0);
	guest_exit(g);
}

void fake_guest_serial(struct fake_guest *g, char c)
{
	fake_cpu_serial(g->run, c);
	guest_exit(g);
}

static int op_doorbell(void *ctx, unsigned int call, uint64_t region_gpa)
{
	struct fake_guest *g = ctx;
	int err;

	if (call == HM_CALL_REPLY && g->before_reply)
		g->before_reply(g);
	if (g->transport != FAKE_MAILBOX) {
		fake_guest_ring(g, call, region_gpa);
		return 0;
	}
	err = hm_mailbox_call(&g->mailbox, g->slot, call, region_gpa);
	if (err) {
		g->mailbox_error = err;
		g->mailbox_failures++;
	}
	return err;
}

static void mailbox_ring(void *ctx)
{
	struct fake_guest *g = ctx;
	uint64_t one = 1;

	if (write(g->doorbell_fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static uint64_t mailbox_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void mailbox_relax(void *ctx)
{
	(void)ctx;
	sched_yield();
}

int fake_guest_use_mailbox(struct fake_guest *g, void *mem, size_t size,
			   uint32_t slot, int doorbell_fd,
			   unsigned int timeout_ms)
{
	struct hm_mailbox_guest *mb = &g->mailbox;
	int err = hm_mailbox_guest_init(mb, mem, size);

	if (err)
		return err;
	mb->ring = mailbox_ring;
	mb->now_ns = mailbox_now;
	mb->relax = mailbox_relax;
	mb->ctx = g;
	mb->timeout_ns = (uint64_t)timeout_ms * 1000000u;
	g->transport = FAKE_MAILBOX;
	g->slot = slot;
	g->doorbell_fd = doorbell_fd;
	g->agent.region = hm_mailbox_region(mb, slot, &g->agent.region_gpa,
					   &g->agent.region_pages);
	if (!g->agent.region)
		return -HM_ENODEV;
	if (g->agent.sub)
		g->agent.sub = hm_mailbox_sub_page(mb, slot,
						   &g->agent.sub_gpa);
	return 0;
}

bool fake_guest_done(struct fake_guest *g)
{
	return __atomic_load_n(&g->done, __ATOMIC_ACQUIRE);
}

void fake_guest_register(struct fake_guest *g)
{
	g->register_result = hm_agent_register(&g->agent, 0);
}

void fake_guest_raise(struct fake_guest *g, uint32_t kind, uint64_t nr,
		      uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct hm_event_record ev = {
		.kind = kind, .nr = nr, .args = { a0, a1, a2 },
	};

	hm_agent_raise(&g->agent, &ev);
}

static void *guest_thread(void *arg)
{
	struct fake_guest *g = arg;

	if (g->transport == FAKE_MAILBOX) {
		/* No vCPU to stop: the program runs, then the thread ends. */
		g->main(g);
		__atomic_store_n(&g->done, true, __ATOMIC_RELEASE);
		return NULL;
	}
	while (sem_wait(&g->resume))
		;
	g->main(g);
	/* A guest whose program is over halts, like a HLT with IF=0. */
	for (;;) {
		g->halted = true;
		g->run->exit_reason = KVM_EXIT_HLT;
		guest_exit(g);
	}
	return NULL;
}

struct fake_guest *fake_guest_new(fake_guest_fn main, void *opaque)
{
	struct fake_guest *g = calloc(1, sizeof(*g));
	int slot;

	for (slot = 0; slot < MAX_GUESTS && guests[slot]; slot++)
		;
	if (!g || slot == MAX_GUESTS)
		abort();
	g->fd = FAKE_FD_BASE + slot;
	g->run = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g->ram = calloc(1, FAKE_RAM_SIZE);
	if (g->run == MAP_FAILED || !g->ram)
		abort();
	g->main = main;
	g->opaque = opaque;
	g->ops = (struct hm_agent_ops){
		.doorbell = op_doorbell,
		.copy_from = op_copy_from,
		.copy_to = op_copy_to,
		.string_from = op_string_from,
		.fd_name = op_fd_name,
		.proc_area = op_proc_area,
		.pid = op_pid,
		.read_file = op_read_file,
		.socket_info = op_socket_info,
		.comm = op_comm,
		.proc_list = op_proc_list,
		.proc_maps = op_proc_maps,
		.proc_fds = op_proc_fds,
		.proc_path = op_proc_path,
		.write_file = op_write_file,
		.use_process = op_use_process,
	};
	g->agent = (struct hm_agent){
		.ops = &g->ops,
		.ctx = g,
		.region = (struct hm_region *)(g->ram + (FAKE_REGION_GPA -
							 FAKE_RAM_GPA)),
		.region_gpa = FAKE_REGION_GPA,
		.region_pages = 1,
		.features = HM_FEATURE_PROCENV | HM_FEATURE_READ_FILE,
		.name_buf = g->name_buf,
	};
	sem_init(&g->resume, 0, 0);
	sem_init(&g->exited, 0, 0);
	sem_init(&g->unblock, 0, 0);
	guests[slot] = g;
	return g;
}

void fake_guest_offer_sub(struct fake_guest *g)
{
	g->agent.sub = (struct hm_sub_page *)(g->ram + (FAKE_SUB_GPA -
							FAKE_RAM_GPA));
	g->agent.sub_gpa = FAKE_SUB_GPA;
	memset(g->agent.sub, 0, HM_PAGE_SIZE);
}

void fake_guest_start(struct fake_guest *g)
{
	if (pthread_create(&g->thread, NULL, guest_thread, g))
		abort();
	g->started = true;
}

/*
 * Guest threads block in sem_wait forever once halted or stalled; they are
 * detached rather than joined, and their memory is left to process exit.
 */
void fake_guest_free(struct fake_guest *g)
{
	guests[g->fd - FAKE_FD_BASE] = NULL;
	/* A mailbox guest's thread ends with its program; no thread, none. */
	if (g->started && g->transport != FAKE_MAILBOX) {
		pthread_detach(g->thread);
		return;
	}
	if (g->started && pthread_join(g->thread, NULL))
		abort();
	munmap(g->run, 2 * 4096);
	free(g->ram);
	sem_destroy(&g->resume);
	sem_destroy(&g->exited);
	sem_destroy(&g->unblock);
	free(g);
}

static struct fake_guest *guest_of(int fd)
{
	if (fd < FAKE_FD_BASE || fd >= FAKE_FD_BASE + MAX_GUESTS)
		return NULL;
	return guests[fd - FAKE_FD_BASE];
}

/*
 * KVM_RUN as KVM does it: interruptible, honouring immediate_exit. A signal
 * leaves the guest running; its exit is then collected by the next KVM_RUN.
 */
static int fake_kvm_run(struct fake_guest *g)
{
	g->kvm_runs++;
	if (g->run->immediate_exit) {
		errno = EINTR;
		return -1;
	}
	if (!g->running) {
		g->running = true;
		sem_post(&g->resume);
	}
	if (sem_wait(&g->exited)) {
		errno = EINTR;
		return -1;
	}
	g->running = false;
	return 0;
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	struct fake_guest *g = guest_of(fd);
	va_list ap;
	void *arg;
	int err;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!g)
		return __real_ioctl(fd, request, arg);
	switch (request) {
	case KVM_RUN:
		return fake_kvm_run(g);
	case KVM_GET_SREGS:
		g->get_sregs++;
		memcpy(arg, &g->sregs, sizeof(g->sregs));
		return 0;
	default:
		err = fake_cpu_ioctl(&g->regs, request, arg);
		if (err) {
			errno = -err;
			return -1;
		}
		return 0;
	}
}

int fake_exit_handler(struct hm_vcpu *vcpu, struct kvm_run *run, void *opaque)
{
	struct fake_guest *g = opaque;

	(void)vcpu;
	if (fake_cpu_is_serial(run)) {
		g->serial_exits++;
		return 0;
	}
	if (run->exit_reason == KVM_EXIT_INTR) {
		g->intr_exits++;
		return g->intr_result;
	}
	return -EIO;
}

int fake_vmm_run(struct hm_vcpu *vcpu, struct fake_guest *g)
{
	int first_error = 0;

	for (;;) {
		int ret;

		if (__wrap_ioctl(g->fd, KVM_RUN, 0) < 0)
			continue;
		if (g->run->exit_reason == KVM_EXIT_HLT)
			return first_error;
		ret = hm_vcpu_handle_exit(vcpu);
		if (ret < 0) {
			g->handle_errors++;
			if (!first_error)
				first_error = ret;
		} else if (ret == 0) {
			fake_exit_handler(vcpu, g->run, g);
		}
	}
}
