// SPDX-License-Identifier: MIT
/*
 * Processes: an address space, a user stack laid out the way Linux's
 * execve leaves it, a kernel stack holding the first user frame, and a
 * file descriptor table. Also the in-memory files and the scenarios.
 */
#include "kernel.h"

#define AT_NULL 0

extern char __utext_end[], __utext_load[];
extern void user_start(void);

int ioctl_test_main(int argc, char **argv, char **envp);
int pattern_main(int argc, char **argv, char **envp);
int unhooked_main(int argc, char **argv, char **envp);
int hooked_main(int argc, char **argv, char **envp);
int worker_main(int argc, char **argv, char **envp);
int hello_main(int argc, char **argv, char **envp);
int netclient_main(int argc, char **argv, char **envp);
int http_client_main(int argc, char **argv, char **envp);
int sh_main(int argc, char **argv, char **envp);
int control_test_main(int argc, char **argv, char **envp);
int hwaddr_main(int argc, char **argv, char **envp);
int opener_main(int argc, char **argv, char **envp);
int insmod_main(int argc, char **argv, char **envp);

static uint32_t next_pid = 1;
static struct proc *all_procs[MAX_ALL_PROCS];

static const char motd[] =
	"guest-tiny: a miniature x86-64 OS for libhypermem's tests.\n"
	"Processes run at CPL3; every syscall enters through LSTAR and\n"
	"returns with IRETQ.\n";

static const struct file files[] = {
	{ "/etc/hostname", "guest-tiny\n", 11 },
	{ "/etc/motd", motd, sizeof(motd) - 1 },
	{ "/proc/version", "guest-tiny version 0.1.0\n", 25 },
	{ "/lib/modules/hello.ko", "\177ELF hello\n", 11 },
};

#define PROG(n, fn, cpu_, pages, ...) \
	{ .name = n, .main = fn, .cpu = cpu_, .data_pages = pages, __VA_ARGS__ }

static const struct program scenario_demo[] = {
	PROG("ioctl_test", ioctl_test_main, 0, 4,
	     .argv = { "ioctl_test", "eth0" },
	     .envp = { "PATH=/bin", "TEST=ioctl" }),
	PROG("worker", worker_main, 0, 4,
	     .argv = { "worker", "alpha", "3" },
	     .envp = { "ROLE=alpha", "HOME=/root" }),
	PROG("worker", worker_main, 1, 4,
	     .argv = { "worker", "beta", "3" },
	     .envp = { "ROLE=beta", "LANG=C.UTF-8", "HOME=/home/beta" }),
};

static const struct program scenario_ioctl[] = {
	PROG("ioctl_test", ioctl_test_main, 0, 4,
	     .argv = { "ioctl_test", "eth0" },
	     .envp = { "PATH=/bin", "TEST=ioctl" }),
};

static const struct program scenario_pattern[] = {
	PROG("pattern", pattern_main, 0, 96,
	     .argv = { "pattern" }, .envp = { "TEST=pattern" }),
};

static const struct program scenario_two[] = {
	PROG("worker", worker_main, 0, 4,
	     .argv = { "worker", "alpha", "3" },
	     .envp = { "ROLE=alpha", "HOME=/root" }),
	PROG("worker", worker_main, 0, 4,
	     .argv = { "worker", "beta", "3" },
	     .envp = { "ROLE=beta", "LANG=C.UTF-8", "HOME=/home/beta" }),
};

static const struct program scenario_smp[] = {
	PROG("worker", worker_main, 0, 4,
	     .argv = { "worker", "alpha", "2" },
	     .envp = { "ROLE=alpha", "HOME=/root" }),
	PROG("worker", worker_main, 1, 4,
	     .argv = { "worker", "beta", "2" },
	     .envp = { "ROLE=beta", "LANG=C.UTF-8", "HOME=/home/beta" }),
};

static const struct program scenario_hello[] = {
	PROG("hello", hello_main, 0, 1, .argv = { "hello" }),
};

static const struct program scenario_sockets[] = {
	PROG("netclient", netclient_main, 0, 4,
	     .argv = { "netclient", "10.0.2.2", "8080" },
	     .envp = { "PATH=/bin" }),
};

static const struct program scenario_http[] = {
	PROG("http_client", http_client_main, 0, 4,
	     .argv = { "http_client", "/index.html" },
	     .envp = { "PATH=/bin" }),
};

static const struct program scenario_exec[] = {
	PROG("sh", sh_main, 0, 4,
	     .argv = { "sh", "-c", "worker alpha 1" },
	     .envp = { "PATH=/bin", "USER=root", "SHELL=/bin/sh" }),
};

static const struct program scenario_control[] = {
	PROG("control_test", control_test_main, 0, 4,
	     .argv = { "control_test" }),
};

static const struct program scenario_unhooked[] = {
	PROG("unhooked", unhooked_main, 0, 1, .argv = { "unhooked" }),
};

/* The same loop on two CPUs at once (hypermem-bench --events-smp). */
static const struct program scenario_unhooked_smp[] = {
	PROG("unhooked", unhooked_main, 0, 1, .argv = { "unhooked" }),
	PROG("unhooked", unhooked_main, 1, 1, .argv = { "unhooked" }),
};

static const struct program scenario_hooked[] = {
	PROG("hooked", hooked_main, 0, 1, .argv = { "hooked" }),
};

static const struct program scenario_paths[] = {
	PROG("opener", opener_main, 0, 1, .argv = { "opener" }),
};

static const struct program scenario_hwaddr[] = {
	PROG("hwaddr", hwaddr_main, 0, 4, .argv = { "hwaddr" }),
};

static const struct program scenario_kmod[] = {
	PROG("insmod", insmod_main, 0, 4,
	     .argv = { "insmod", "/lib/modules/hello.ko" },
	     .envp = { "PATH=/bin" }),
};

/* What execve can start, by path; argv and envp come from the caller. */
static const struct {
	const char *path;
	struct program prog;
} binaries[] = {
	{ "/bin/worker", PROG("worker", worker_main, 0, 4) },
	{ "/bin/hello", PROG("hello", hello_main, 0, 1) },
};

static const struct {
	const char *name;
	const struct program *progs;
	size_t count;
} scenarios[] = {
	{ "demo", scenario_demo, ARRAY_SIZE(scenario_demo) },
	{ "ioctl", scenario_ioctl, ARRAY_SIZE(scenario_ioctl) },
	{ "pattern", scenario_pattern, ARRAY_SIZE(scenario_pattern) },
	{ "two", scenario_two, ARRAY_SIZE(scenario_two) },
	{ "smp", scenario_smp, ARRAY_SIZE(scenario_smp) },
	{ "hello", scenario_hello, ARRAY_SIZE(scenario_hello) },
	{ "sockets", scenario_sockets, ARRAY_SIZE(scenario_sockets) },
	{ "http", scenario_http, ARRAY_SIZE(scenario_http) },
	{ "exec", scenario_exec, ARRAY_SIZE(scenario_exec) },
	{ "control", scenario_control, ARRAY_SIZE(scenario_control) },
	{ "hwaddr", scenario_hwaddr, ARRAY_SIZE(scenario_hwaddr) },
	{ "unhooked", scenario_unhooked, ARRAY_SIZE(scenario_unhooked) },
	{ "unhooked-smp", scenario_unhooked_smp,
	  ARRAY_SIZE(scenario_unhooked_smp) },
	{ "hooked", scenario_hooked, ARRAY_SIZE(scenario_hooked) },
	{ "paths", scenario_paths, ARRAY_SIZE(scenario_paths) },
	{ "kmod", scenario_kmod, ARRAY_SIZE(scenario_kmod) },
};

const struct program *scenario_programs(const char *name, size_t *count)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
		if (!strcmp(scenarios[i].name, name)) {
			*count = scenarios[i].count;
			return scenarios[i].progs;
		}
	}
	*count = 0;
	return NULL;
}

/*
 * Files the host writes (HM_OP_WRITE_FILE): a few, small, in kernel
 * memory, readable by the programs as the built-in ones are.
 */
#define MAX_WRITTEN 4
#define WRITTEN_MAX 16384

static struct written {
	struct file f;
	char path[48];
	char data[WRITTEN_MAX];
} written[MAX_WRITTEN];
static int written_busy;

static struct written *find_written(const char *path)
{
	size_t i;

	for (i = 0; i < MAX_WRITTEN; i++) {
		if (written[i].f.path && !strcmp(written[i].path, path))
			return &written[i];
	}
	return NULL;
}

const struct file *file_lookup(const char *path)
{
	struct written *w;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		if (!strcmp(files[i].path, path))
			return &files[i];
	}
	w = find_written(path);
	return w ? &w->f : NULL;
}

/* A new written file, or NULL when all are taken. */
static struct written *create_written(const char *path)
{
	size_t i;

	for (i = 0; i < MAX_WRITTEN; i++) {
		struct written *w = &written[i];

		if (w->f.path)
			continue;
		memcpy(w->path, path, strlen(path) + 1);
		w->f.path = w->path;
		w->f.data = w->data;
		w->f.size = 0;
		return w;
	}
	return NULL;
}

static long write_locked(const char *path, uint64_t offset, uint32_t flags,
			 const void *buf, size_t len)
{
	struct written *w;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		if (!strcmp(files[i].path, path))
			return -HM_EACCES;	/* built in: read-only */
	}
	if (strlen(path) >= sizeof(w->path))
		return -HM_ENAMETOOLONG;
	w = find_written(path);
	if (!w && !(flags & HM_WRITE_CREATE))
		return -HM_ENOENT;
	if (!w)
		w = create_written(path);
	if (!w)
		return -HM_ENOSPC;
	if (flags & HM_WRITE_TRUNCATE)
		w->f.size = 0;
	if (offset > WRITTEN_MAX || (len && offset == WRITTEN_MAX))
		return -HM_EFBIG;
	n = len < WRITTEN_MAX - offset ? len : WRITTEN_MAX - offset;
	/* A hole before the offset reads as zeros, as in Linux. */
	if (offset > w->f.size)
		memset(w->data + w->f.size, 0, offset - w->f.size);
	memcpy(w->data + offset, buf, n);
	if (offset + n > w->f.size)
		w->f.size = offset + n;
	return (long)n;
}

long file_write(const char *path, uint64_t offset, uint32_t flags,
		const void *buf, size_t len)
{
	long n;

	while (__atomic_exchange_n(&written_busy, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	n = write_locked(path, offset, flags, buf, len);
	__atomic_store_n(&written_busy, 0, __ATOMIC_RELEASE);
	return n;
}

struct proc *proc_by_pid(uint64_t pid)
{
	if (!pid || pid > MAX_ALL_PROCS)
		return NULL;
	return __atomic_load_n(&all_procs[pid - 1], __ATOMIC_ACQUIRE);
}

uint64_t proc_last_pid(void)
{
	return __atomic_load_n(&next_pid, __ATOMIC_ACQUIRE) - 1;
}

static uint64_t text_pages(void)
{
	return ((uint64_t)__utext_end - USER_TEXT + PAGE_SIZE - 1) /
	       PAGE_SIZE;
}

unsigned int proc_mappings(const struct proc *p,
			   struct mapping out[MAX_MAPPINGS])
{
	uint64_t stack_base = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE;

	out[0] = (struct mapping){ USER_TEXT,
		USER_TEXT + text_pages() * PAGE_SIZE,
		HM_MAP_READ | HM_MAP_EXEC, p->exe };
	out[1] = (struct mapping){ USER_DATA,
		USER_DATA + p->data_pages * PAGE_SIZE,
		HM_MAP_READ | HM_MAP_WRITE, "" };
	out[2] = (struct mapping){ USER_RO, USER_RO + PAGE_SIZE,
		HM_MAP_READ, "" };
	out[3] = (struct mapping){ stack_base, USER_STACK_TOP,
		HM_MAP_READ | HM_MAP_WRITE, "[stack]" };
	return MAX_MAPPINGS;
}

struct fd *proc_fd(struct proc *p, int64_t fd)
{
	if (fd < 0 || fd >= MAX_FDS || p->fds[fd].kind == FD_NONE)
		return NULL;
	return &p->fds[fd];
}

static void map_range(uint64_t *pml4, uint64_t va, uint64_t pa,
		      unsigned int pages, int writable)
{
	unsigned int i;

	for (i = 0; i < pages; i++)
		map_page(pml4, va + i * PAGE_SIZE, pa + i * PAGE_SIZE,
			 writable);
}

static void fill_ro_page(uint8_t *page)
{
	uint64_t i;

	for (i = 0; i < PAGE_SIZE; i++)
		page[i] = tiny_pattern_byte(TINY_RO_SEED, i);
}

/* Place a string list at *top (growing down); returns the first string. */
static uint64_t push_strings(char *stack, uint64_t base, uint64_t *top,
			     const char *const *list, uint64_t *vas,
			     unsigned int n)
{
	uint64_t size = 0, va;
	unsigned int i;

	for (i = 0; i < n; i++)
		size += strlen(list[i]) + 1;
	*top -= size;
	va = *top;
	for (i = 0; i < n; i++) {
		size_t len = strlen(list[i]) + 1;

		memcpy(stack + (va - base), list[i], len);
		vas[i] = va;
		va += len;
	}
	return *top;
}

/* The strings of a list of at most LIST_MAX, NULL-terminated or full. */
#define LIST_MAX 4

static unsigned int count(const char *const *list)
{
	unsigned int n = 0;

	while (n < LIST_MAX && list[n])
		n++;
	return n;
}

/*
 * The stack as Linux's execve leaves it (System V x86-64 psABI, 3.4.1):
 * argc, argv[], NULL, envp[], NULL, auxv ending in AT_NULL, and above them
 * the argument strings followed by the environment strings. Returns the
 * initial RSP, which points at argc.
 */
static uint64_t build_stack(struct proc *p, char *stack, uint64_t base,
			    const char *const *args, const char *const *env)
{
	unsigned int argc = count(args);
	unsigned int envc = count(env);
	uint64_t argv[LIST_MAX], envp[LIST_MAX], top = USER_STACK_TOP, *sp;
	unsigned int i, words = 1 + argc + 1 + envc + 1 + 2;

	/* Strings in order: environment above arguments. */
	top -= 16;
	p->env_end = top;
	p->env_start = push_strings(stack, base, &top, env, envp, envc);
	p->arg_end = top;
	p->arg_start = push_strings(stack, base, &top, args, argv, argc);
	top = (top - words * 8) & ~15ul;
	sp = (uint64_t *)(stack + (top - base));
	*sp++ = argc;
	for (i = 0; i < argc; i++)
		*sp++ = argv[i];
	*sp++ = 0;
	for (i = 0; i < envc; i++)
		*sp++ = envp[i];
	*sp++ = 0;
	*sp++ = AT_NULL;
	*sp++ = 0;
	return top;
}

/* The first user frame of a program: user_start(rsp, main) (crt.c). */
static void start_frame(struct proc *p, struct frame *f, char *stack,
			const char *const *args, const char *const *env)
{
	uint64_t stack_base = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE;

	f->rip = (uint64_t)user_start;
	f->cs = USER_CS;
	f->rflags = 0x2;
	f->rsp = build_stack(p, stack, stack_base, args, env);
	f->ss = USER_DS;
	f->rdi = f->rsp;
	f->rsi = (uint64_t)p->prog->main;
}

static void fds_init(struct proc *p)
{
	unsigned int fd;

	for (fd = 0; fd < 3; fd++) {
		p->fds[fd].kind = FD_TTY;
		memcpy(p->fds[fd].name, "/dev/ttyS0", sizeof("/dev/ttyS0"));
	}
}

struct proc *proc_create(const struct program *prog)
{
	unsigned int proc_pages = (sizeof(struct proc) + PAGE_SIZE - 1) /
				  PAGE_SIZE;
	struct proc *p = alloc_pages(proc_pages);
	uint64_t stack_base = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE;
	char *stack = alloc_pages(USER_STACK_PAGES);
	char *kstack = alloc_pages(KSTACK_SIZE / PAGE_SIZE);
	uint8_t *ro = alloc_pages(1);
	struct frame *f;

	p->pid = __atomic_fetch_add(&next_pid, 1, __ATOMIC_SEQ_CST);
	p->prog = prog;
	p->data_pages = prog->data_pages;
	p->pml4 = address_space_new();
	map_range(p->pml4, USER_TEXT, (uint64_t)__utext_load, text_pages(),
		  0);
	map_range(p->pml4, USER_DATA, (uint64_t)alloc_pages(prog->data_pages),
		  prog->data_pages, 1);
	if (prog->data_pages > 4)
		fill_ro_page(ro);
	map_page(p->pml4, USER_RO, (uint64_t)ro, 0);
	map_range(p->pml4, stack_base, (uint64_t)stack, USER_STACK_PAGES, 1);
	fds_init(p);

	p->kstack_top = (uint64_t)kstack + KSTACK_SIZE;
	f = (struct frame *)(p->kstack_top - sizeof(*f));
	p->frame = f;
	start_frame(p, f, stack, prog->argv, prog->envp);
	ksnprintf(p->exe, sizeof(p->exe), "/bin/%s", prog->name);
	if (p->pid <= MAX_ALL_PROCS)
		__atomic_store_n(&all_procs[p->pid - 1], p, __ATOMIC_RELEASE);
	return p;
}

/* Copy a user string list into strings[*used..]; returns 0 or -errno. */
static int64_t copy_list(struct proc *p, uint64_t list, const char **out,
			 char *strings, size_t *used, size_t cap)
{
	unsigned int n;
	uint64_t ptr;
	size_t copied;
	long len;

	for (n = 0; n <= LIST_MAX; n++) {
		out[n] = NULL;
		if (n == LIST_MAX || !list)
			return list ? -HM_EINVAL : 0;
		if (user_copy_from(p->pml4, &ptr, list + n * 8, 8))
			return -HM_EFAULT;
		if (!ptr)
			return 0;
		len = user_string_from(p->pml4, strings + *used, ptr,
				       cap - *used - 1, &copied);
		if (len < 0)
			return -HM_EFAULT;
		if ((size_t)len == cap - *used - 1)
			return -7;	/* E2BIG */
		strings[*used + (size_t)len] = 0;
		out[n] = strings + *used;
		*used += (size_t)len + 1;
	}
	return 0;
}

/*
 * Replace the process's image: same pid, memory and file descriptors, a
 * new program with the caller's arguments and environment on a fresh stack.
 */
int64_t proc_exec(struct proc *p, struct frame *f, uint64_t path,
		  uint64_t argv, uint64_t envp)
{
	const char *args[LIST_MAX + 1], *env[LIST_MAX + 1];
	char name[48], strings[512];
	size_t used = 0, copied, i;
	uint64_t stack;
	int64_t err;
	long len;

	len = user_string_from(p->pml4, name, path, sizeof(name) - 1, &copied);
	if (len < 0)
		return -HM_EFAULT;
	name[len] = 0;
	for (i = 0; i < ARRAY_SIZE(binaries); i++) {
		if (!strcmp(binaries[i].path, name))
			break;
	}
	if (i == ARRAY_SIZE(binaries))
		return -HM_ENOENT;
	err = copy_list(p, argv, args, strings, &used, sizeof(strings));
	if (!err)
		err = copy_list(p, envp, env, strings, &used, sizeof(strings));
	if (err)
		return err;
	stack = user_translate(p->pml4, USER_STACK_TOP -
			       USER_STACK_PAGES * PAGE_SIZE, 1);
	p->prog = &binaries[i].prog;
	ksnprintf(p->exe, sizeof(p->exe), "%s", binaries[i].path);
	memset(f, 0, sizeof(*f));
	start_frame(p, f, (char *)stack, args, env);
	return 0;
}
