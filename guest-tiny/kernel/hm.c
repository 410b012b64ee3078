// SPDX-License-Identifier: MIT
/*
 * guest-tiny's hypermem agent: the shared dispatcher (guest-common/agent.c)
 * with accessors that work on the process that raised the event, through
 * its page tables. Each CPU registers its own region of HM_MAX_REGION_PAGES
 * physically contiguous pages, and lets the host read kernel memory too.
 */
#include "kernel.h"

/* A GPA no VMM gives a guest of at most TINY_RAM_MAX bytes. */
#define BAD_GPA 0x7fff00000000ul

/*
 * The hypercalls are KVM_HC_MAP_GPA_RANGE in disguise: RAX the number, RBX
 * the region, RCX the call, RDX 0; KVM puts the host's answer in RAX.
 */
static void ring(unsigned int call, uint64_t gpa)
{
	uint64_t rax = HM_KVM_HC_MAP_GPA_RANGE;

	switch (config.transport) {
	case TRANSPORT_VMCALL:
		__asm__ volatile("vmcall" : "+a"(rax) : "b"(gpa),
				 "c"((uint64_t)HM_VMCALL_NPAGES(call)), "d"(0)
				 : "memory");
		break;
	case TRANSPORT_VMMCALL:
		__asm__ volatile("vmmcall" : "+a"(rax) : "b"(gpa),
				 "c"((uint64_t)HM_VMCALL_NPAGES(call)), "d"(0)
				 : "memory");
		break;
	case TRANSPORT_PIO:
		__asm__ volatile("outl %%eax, %%dx" : : "a"(call),
				 "d"(HM_X86_PORT), "b"(gpa) : "memory");
		break;
	}
}

/*
 * Hostile modes spoil the reply the dispatcher just wrote, or never send
 * it, so that the host's defences can be tested against a real guest.
 */
static int doorbell(void *ctx, unsigned int call, uint64_t gpa)
{
	struct cpu *cpu = ctx;
	struct hm_region *r = cpu->agent.region;

	if (call == HM_CALL_REPLY) {
		switch (config.hostile) {
		case HOSTILE_OVERSIZE:
			r->size = hm_le64(hm_agent_data_size(
				cpu->agent.region_pages) + HM_PAGE_SIZE);
			break;
		case HOSTILE_BADCODE:
			r->op = hm_le64(0x7777);
			break;
		case HOSTILE_REREGISTER:
			if (!cpu->hostile_done++)
				ring(HM_CALL_REGISTER, BAD_GPA);
			break;
		case HOSTILE_SILENT:
			for (;;)
				outb(TINY_NOISE_PORT, 0);
		case HOSTILE_NONE:
			break;
		}
	}
	ring(call, gpa);
	return 0;
}

/* The process the host acts on: the event's, or the one it chose. */
static struct proc *acted_on(void *ctx)
{
	struct cpu *cpu = ctx;

	return cpu->target ? cpu->target : cpu->current;
}

static const uint64_t *current_pml4(void *ctx)
{
	return acted_on(ctx)->pml4;
}

/*
 * Kernel addresses are the identity map of RAM (mm.c); the first MiB, boot
 * tables and the null page, is refused so that NULL stays unreadable.
 */
static size_t kernel_copy_from(void *dst, uint64_t src, size_t len)
{
	size_t n = 0;

	if (src >= TINY_KERNEL_BASE && src < config.ram_size)
		n = config.ram_size - src < len ? config.ram_size - src : len;
	memcpy(dst, (const void *)src, n);
	return len - n;
}

static size_t copy_from(void *ctx, void *dst, uint64_t src, size_t len)
{
	if (src < config.ram_size)
		return kernel_copy_from(dst, src, len);
	return user_copy_from(current_pml4(ctx), dst, src, len);
}

static size_t copy_to(void *ctx, uint64_t dst, const void *src, size_t len)
{
	return user_copy_to(current_pml4(ctx), dst, src, len);
}

static long string_from(void *ctx, char *dst, uint64_t src, size_t len,
			size_t *copied)
{
	return user_string_from(current_pml4(ctx), dst, src, len, copied);
}

static long fd_name(void *ctx, int64_t fd, char *buf, size_t cap)
{
	struct fd *f = proc_fd(acted_on(ctx), fd);

	if (!f)
		return -HM_EBADF;
	return hm_agent_put_name(f->name, buf, cap);
}

static long proc_area(void *ctx, enum hm_proc_area which, uint64_t offset,
		      void *buf, size_t len, uint64_t *total)
{
	struct proc *p = acted_on(ctx);
	uint64_t start = which == HM_PROC_ARGS ? p->arg_start : p->env_start;
	uint64_t end = which == HM_PROC_ARGS ? p->arg_end : p->env_end;
	size_t n, left;

	*total = end - start;
	if (offset >= *total)
		return 0;
	n = *total - offset < len ? *total - offset : len;
	left = user_copy_from(p->pml4, buf, start + offset, n);
	if (left == n)
		return -HM_EFAULT;
	return (long)(n - left);
}

static long pid(void *ctx, uint64_t *ret)
{
	*ret = acted_on(ctx)->pid;
	return 0;
}

static void name_copy(char out[HM_COMM_LEN], const char *name)
{
	size_t i;

	memset(out, 0, HM_COMM_LEN);
	for (i = 0; i < HM_COMM_LEN - 1 && name[i]; i++)
		out[i] = name[i];
}

/* The program's name stands for Linux's comm. */
static long comm(void *ctx, char out[HM_COMM_LEN])
{
	struct cpu *cpu = ctx;
	name_copy(out, cpu->current->prog->name);
	return 0;
}

static long read_file(void *ctx, const char *path, uint64_t offset,
		      void *buf, size_t len, uint64_t *file_size)
{
	const struct file *f = file_lookup(path);
	size_t n;

	(void)ctx;
	if (!f)
		return -HM_ENOENT;
	*file_size = f->size;
	if (offset >= f->size)
		return 0;
	n = f->size - offset < len ? f->size - offset : len;
	memcpy(buf, f->data + offset, n);
	return (long)n;
}

static long socket_info(void *ctx, int64_t fd, struct hm_socket_info *info)
{
	struct fd *f = proc_fd(acted_on(ctx), fd);

	if (!f)
		return -HM_EBADF;
	if (f->kind != FD_SOCKET)
		return -HM_ENOTSOCK;
	memcpy(info, &f->sock, sizeof(*info));
	return 0;
}

/* pid 0: the process that raised the event. */
static struct proc *target(void *ctx, uint64_t pid)
{
	struct cpu *cpu = ctx;

	return pid ? proc_by_pid(pid) : cpu->current;
}

/*
 * Every process, by pid: each runs from boot, at uid 0, started by the
 * kernel (no parent); one that exited stays a zombie, as none reaps it.
 */
static long proc_list(void *ctx, uint64_t cursor, struct hm_agent_list *l)
{
	uint64_t pid, last = proc_last_pid();
	struct hm_proc_entry e;
	struct proc *p;

	(void)ctx;
	for (pid = cursor ? cursor : 1; pid <= last; pid++) {
		p = proc_by_pid(pid);
		if (!p)
			continue;
		memset(&e, 0, sizeof(e));
		e.pid = p->pid;
		e.tgid = p->pid;
		e.state = __atomic_load_n(&p->exited, __ATOMIC_RELAXED) ?
			  'Z' : 'R';
		name_copy(e.comm, p->prog->name);
		if (hm_agent_list_proc(l, &e))
			break;
	}
	return 0;
}

static long proc_maps(void *ctx, uint64_t pid, uint64_t cursor,
		      struct hm_agent_list *l)
{
	struct proc *p = target(ctx, pid);
	struct mapping m[MAX_MAPPINGS];
	struct hm_map_entry e;
	unsigned int i, n;

	if (!p)
		return -HM_ESRCH;
	n = proc_mappings(p, m);
	for (i = 0; i < n; i++) {
		if (m[i].end <= cursor)
			continue;
		memset(&e, 0, sizeof(e));
		e.start = m[i].start;
		e.end = m[i].end;
		e.flags = m[i].flags;
		e.name_len = (uint32_t)strlen(m[i].name);
		if (hm_agent_list_map(l, &e, m[i].name))
			break;
	}
	return 0;
}

/* Linux's numbers: the terminal and sockets read-write, files read-only. */
#define O_RDWR 2

static long proc_fds(void *ctx, uint64_t pid, uint64_t cursor,
		     struct hm_agent_list *l)
{
	struct proc *p = target(ctx, pid);
	struct hm_fd_entry e;
	uint64_t fd;

	if (!p)
		return -HM_ESRCH;
	for (fd = cursor; fd < MAX_FDS; fd++) {
		const struct fd *f = &p->fds[fd];

		if (f->kind == FD_NONE)
			continue;
		memset(&e, 0, sizeof(e));
		e.fd = (uint32_t)fd;
		e.open_flags = f->kind == FD_FILE ? 0 : O_RDWR;
		e.name_len = (uint32_t)strlen(f->name);
		if (hm_agent_list_fd(l, &e, f->name))
			break;
	}
	return 0;
}

static long proc_path(void *ctx, uint64_t pid, enum hm_proc_path which,
		      char *buf, size_t cap)
{
	struct proc *p = target(ctx, pid);

	if (!p)
		return -HM_ESRCH;
	return hm_agent_put_name(which == HM_PATH_EXE ? p->exe : "/", buf,
				 cap);
}

static long write_file(void *ctx, const char *path, uint64_t offset,
		       uint32_t flags, uint32_t mode, const void *buf,
		       size_t len, long *err)
{
	long n = file_write(path, offset, flags, buf, len);

	(void)ctx;
	(void)mode;
	if (n >= 0 && (size_t)n < len)
		*err = -HM_EFBIG;
	return n;
}

static long use_process(void *ctx, uint64_t pid, uint64_t *tgid)
{
	struct cpu *cpu = ctx;
	struct proc *p = pid ? proc_by_pid(pid) : NULL;

	if (pid && !p)
		return -HM_ESRCH;
	cpu->target = p;
	*tgid = acted_on(ctx)->pid;
	return 0;
}

static const struct hm_agent_ops ops = {
	.doorbell = doorbell,
	.copy_from = copy_from,
	.copy_to = copy_to,
	.string_from = string_from,
	.fd_name = fd_name,
	.proc_area = proc_area,
	.pid = pid,
	.read_file = read_file,
	.socket_info = socket_info,
	.comm = comm,
	.proc_list = proc_list,
	.proc_maps = proc_maps,
	.proc_fds = proc_fds,
	.proc_path = proc_path,
	.write_file = write_file,
	.use_process = use_process,
};

void hm_init(struct cpu *cpu)
{
	struct hm_agent *a = &cpu->agent;

	a->ops = &ops;
	a->ctx = cpu;
	/* alloc_pages() hands out consecutive physical pages. */
	a->region = alloc_pages(HM_MAX_REGION_PAGES);
	a->region_gpa = (uint64_t)a->region;
	a->region_pages = config.region_pages;
	a->name_buf = alloc_pages(HM_NAME_MAX / PAGE_SIZE);
	a->features = HM_FEATURE_PROCENV | HM_FEATURE_READ_FILE |
		      HM_FEATURE_SOCKET_INFO | HM_FEATURE_KERNEL_ADDR |
		      HM_FEATURE_READV | HM_FEATURE_EVENT_CONTROL |
		      HM_FEATURE_SYSCALL_SKIP | HM_FEATURE_PROC_LIST |
		      HM_FEATURE_PROC_MAPS | HM_FEATURE_PROC_FDS |
		      HM_FEATURE_PROC_PATHS | HM_FEATURE_PROC_EVENTS |
		      HM_FEATURE_WRITE_FILE | HM_FEATURE_PID_ACCESS;
	if (config.subscribe) {
		a->features |= HM_FEATURE_PREFETCH | HM_FEATURE_COND_OPS;
		a->sub = alloc_pages(1);
		memset(a->sub, 0, PAGE_SIZE);
		a->sub_gpa = (uint64_t)a->sub;
	}
	if (hm_agent_register(a, cpu->index)) {
		kprintf("hypermem: no host\n");
		report(TINY_EXIT_NO_HOST, cpu->index);
		return;
	}
	cpu->hm_ready = 1;
	kprintf("hypermem: cpu%u registered region %lx, %u pages\n",
		cpu->index, a->region_gpa, a->region_pages);
}

/*
 * The host's control of the event, or NULL when none was raised: the
 * host's subscription decides, or without one @by_default.
 */
static const struct hm_agent_control *raise(struct cpu *cpu, uint32_t kind,
					    uint64_t nr,
					    const uint64_t args[6],
					    uint64_t ret, int by_default)
{
	struct hm_event_record ev;
	struct hm_fetch_list fetch;
	int i;

	if (!cpu->hm_ready || !config.events)
		return NULL;
	ev.kind = kind;
	ev.reserved = 0;
	ev.nr = nr;
	for (i = 0; i < 6; i++)
		ev.args[i] = args[i];
	ev.ret = ret;
	switch (hm_agent_wants_fetching(&cpu->agent, &ev, &fetch)) {
	case HM_WANT_NO:
		return NULL;
	case HM_WANT_GUEST:
		if (!by_default)
			return NULL;
		break;
	case HM_WANT_YES:
		break;
	}
	hm_agent_raise_fetching(&cpu->agent, &ev, &fetch);
	return &cpu->agent.control;
}

int hm_syscall_enter(struct cpu *cpu, struct frame *f, int by_default,
		     int64_t *ret)
{
	uint64_t *regs[6] = { &f->rdi, &f->rsi, &f->rdx, &f->r10, &f->r8,
			      &f->r9 };
	uint64_t args[6];
	const struct hm_agent_control *c;
	int i;

	for (i = 0; i < 6; i++)
		args[i] = *regs[i];
	c = raise(cpu, HM_EVENT_SYSCALL_ENTER, f->rax, args, 0, by_default);
	if (!c)
		return 0;
	for (i = 0; i < 6; i++) {
		if (c->arg_mask & (1u << i))
			*regs[i] = c->args[i];
	}
	*ret = (int64_t)c->ret;
	return !!(c->flags & HM_CONTROL_SKIP);
}

int64_t hm_syscall_exit(struct cpu *cpu, const struct frame *f,
			int by_default, int64_t ret)
{
	uint64_t args[6] = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 };
	const struct hm_agent_control *c;

	c = raise(cpu, HM_EVENT_SYSCALL_EXIT, f->rax, args, (uint64_t)ret,
		  by_default);
	if (c && (c->flags & HM_CONTROL_RETURN))
		return (int64_t)c->ret;
	return ret;
}

/* Only where a rule of the host's subscription asks (protocol.h). */
void hm_process_event(struct cpu *cpu, uint64_t nr, uint64_t a0, uint64_t a1,
		      uint64_t a2, uint64_t a3)
{
	uint64_t args[6] = { a0, a1, a2, a3, 0, 0 };

	if (cpu->agent.features & HM_FEATURE_PROC_EVENTS)
		raise(cpu, HM_EVENT_PROCESS, nr, args, 0, 0);
}

void hm_user_event(struct cpu *cpu, const struct frame *f)
{
	uint64_t args[6] = { f->rsi, f->rdx, f->r10, f->r8, f->r9, 0 };

	raise(cpu, HM_EVENT_USER, f->rdi, args, 0, 1);
}
