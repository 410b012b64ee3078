// SPDX-License-Identifier: MIT
/*
 * Linux system call names by number for the guest's architecture, from
 * libseccomp (which follows each kernel's syscall tables), with argument
 * names for the calls scripts look at most, as the kernel's
 * SYSCALL_DEFINEn declarations name them: by name, the same on every
 * architecture but where noted.
 */
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include <hypermem/protocol.h>

#include "syscalls.h"

struct arg_names {
	const char *name;
	const char *args[6];
};

/* Sorted by name. */
static const struct arg_names arg_table[] = {
	{ "accept", { "fd", "addr", "addrlen" } },
	{ "accept4", { "fd", "addr", "addrlen", "flags" } },
	{ "access", { "filename", "mode" } },
	{ "bind", { "fd", "addr", "addrlen" } },
	{ "brk", { "brk" } },
	{ "chdir", { "filename" } },
	{ "chmod", { "filename", "mode" } },
	{ "chown", { "filename", "user", "group" } },
	{ "clone", { "flags", "newsp", "parent_tid", "child_tid", "tls" } },
	{ "close", { "fd" } },
	{ "connect", { "fd", "addr", "addrlen" } },
	{ "dup", { "fildes" } },
	{ "dup2", { "oldfd", "newfd" } },
	{ "dup3", { "oldfd", "newfd", "flags" } },
	{ "epoll_wait", { "epfd", "events", "maxevents", "timeout" } },
	{ "execve", { "filename", "argv", "envp" } },
	{ "execveat", { "fd", "filename", "argv", "envp", "flags" } },
	{ "exit", { "error_code" } },
	{ "exit_group", { "error_code" } },
	{ "faccessat", { "dfd", "filename", "mode" } },
	{ "fchmod", { "fd", "mode" } },
	{ "fcntl", { "fd", "cmd", "arg" } },
	{ "finit_module", { "fd", "uargs", "flags" } },
	{ "fstat", { "fd", "statbuf" } },
	{ "fsync", { "fd" } },
	{ "ftruncate", { "fd", "length" } },
	{ "futex", { "uaddr", "op", "val", "utime", "uaddr2", "val3" } },
	{ "getcwd", { "buf", "size" } },
	{ "getdents64", { "fd", "dirent", "count" } },
	{ "getpeername", { "fd", "addr", "addrlen" } },
	{ "getrandom", { "buf", "count", "flags" } },
	{ "getsockname", { "fd", "addr", "addrlen" } },
	{ "getsockopt", { "fd", "level", "optname", "optval", "optlen" } },
	{ "init_module", { "umod", "len", "uargs" } },
	{ "ioctl", { "fd", "cmd", "arg" } },
	{ "kill", { "pid", "sig" } },
	{ "listen", { "fd", "backlog" } },
	{ "lseek", { "fd", "offset", "whence" } },
	{ "lstat", { "filename", "statbuf" } },
	{ "mkdir", { "pathname", "mode" } },
	{ "mkdirat", { "dfd", "pathname", "mode" } },
	{ "mmap", { "addr", "len", "prot", "flags", "fd", "off" } },
	{ "mprotect", { "start", "len", "prot" } },
	{ "munmap", { "addr", "len" } },
	{ "nanosleep", { "rqp", "rmtp" } },
	{ "newfstatat", { "dfd", "filename", "statbuf", "flag" } },
	{ "open", { "filename", "flags", "mode" } },
	{ "openat", { "dfd", "filename", "flags", "mode" } },
	{ "openat2", { "dfd", "filename", "how", "usize" } },
	{ "pipe", { "fildes" } },
	{ "pipe2", { "fildes", "flags" } },
	{ "poll", { "ufds", "nfds", "timeout_msecs" } },
	{ "prctl", { "option", "arg2", "arg3", "arg4", "arg5" } },
	{ "pread64", { "fd", "buf", "count", "pos" } },
	{ "pwrite64", { "fd", "buf", "count", "pos" } },
	{ "read", { "fd", "buf", "count" } },
	{ "readlink", { "path", "buf", "bufsiz" } },
	{ "readlinkat", { "dfd", "pathname", "buf", "bufsiz" } },
	{ "readv", { "fd", "vec", "vlen" } },
	{ "recvfrom", { "fd", "buf", "len", "flags", "addr", "addrlen" } },
	{ "recvmsg", { "fd", "msg", "flags" } },
	{ "rename", { "oldname", "newname" } },
	{ "rmdir", { "pathname" } },
	{ "select", { "n", "inp", "outp", "exp", "tvp" } },
	{ "sendfile", { "out_fd", "in_fd", "offset", "count" } },
	{ "sendmsg", { "fd", "msg", "flags" } },
	{ "sendto", { "fd", "buf", "len", "flags", "addr", "addrlen" } },
	{ "setsockopt", { "fd", "level", "optname", "optval", "optlen" } },
	{ "shutdown", { "fd", "how" } },
	{ "socket", { "family", "type", "protocol" } },
	{ "stat", { "filename", "statbuf" } },
	{ "truncate", { "path", "length" } },
	{ "uname", { "name" } },
	{ "unlink", { "pathname" } },
	{ "unlinkat", { "dfd", "pathname", "flag" } },
	{ "wait4", { "pid", "status", "options", "rusage" } },
	{ "write", { "fd", "buf", "count" } },
	{ "writev", { "fd", "vec", "vlen" } },
};

/*
 * Where the architectures differ: clone's tls before child_tid
 * (CONFIG_CLONE_BACKWARDS: arm, arm64, mips); a 32-bit ABI passes a
 * 64-bit offset in an aligned register pair, after a pad on arm and o32.
 */
static const struct arg_names clone_backwards = {
	"clone", { "flags", "newsp", "parent_tid", "tls", "child_tid" }
};
static const struct arg_names pread64_32 = {
	"pread64", { "fd", "buf", "count" }
};
static const struct arg_names pwrite64_32 = {
	"pwrite64", { "fd", "buf", "count" }
};

struct arch_desc {
	const char *name;	/* as --arch spells it */
	uint32_t token;		/* libseccomp's SCMP_ARCH_* */
	uint64_t base;		/* the first number */
};

/* By HM_ARCH_*. */
static const struct arch_desc arches[HM_ARCH_MAX + 1] = {
	[HM_ARCH_X86_64] = { "x86_64", SCMP_ARCH_X86_64, 0 },
	[HM_ARCH_AARCH64] = { "aarch64", SCMP_ARCH_AARCH64, 0 },
	[HM_ARCH_ARM] = { "arm", SCMP_ARCH_ARM, 0 },
	[HM_ARCH_MIPS_O32] = { "mipsel", SCMP_ARCH_MIPSEL, 4000 },
	[HM_ARCH_MIPS_N64] = { "mips64el", SCMP_ARCH_MIPSEL64, 5000 },
};

/* Numbers looked up from base on; ARM's private calls besides. */
#define ARCH_SPAN 1024u
#define ARM_PRIVATE_BASE 0x0f0000u
#define ARM_PRIVATE_SPAN 16u

struct table {
	struct syscall_desc *descs;	/* sorted by number */
	size_t len;
};

static struct table tables[HM_ARCH_MAX + 1];
static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t current_arch = HM_ARCH_NATIVE;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int arch_known(uint32_t arch)
{
	return arch && arch <= HM_ARCH_MAX;
}

static const struct arg_names *arg_names_of(uint32_t arch, const char *name)
{
	size_t lo = 0, hi = ARRAY_LEN(arg_table);
	int wide = hm_arch_pointer_width(arch) == 8;

	if (arch != HM_ARCH_X86_64 && !strcmp(name, "clone"))
		return &clone_backwards;
	if (!wide && !strcmp(name, "pread64"))
		return &pread64_32;
	if (!wide && !strcmp(name, "pwrite64"))
		return &pwrite64_32;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(name, arg_table[mid].name);

		if (!cmp)
			return &arg_table[mid];
		if (cmp > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Whether number @nr of @arch has a name; it goes to @t's end if so. */
static int add_desc(struct table *t, uint32_t arch, uint64_t nr)
{
	char *name = seccomp_syscall_resolve_num_arch(arches[arch].token,
						      (int)nr);
	struct syscall_desc *d;
	const struct arg_names *a;

	if (!name)
		return 0;
	d = &t->descs[t->len++];
	d->nr = nr;
	d->name = name;
	a = arg_names_of(arch, name);
	if (a)
		memcpy(d->args, a->args, sizeof(d->args));
	return 1;
}

static void fill_table(struct table *t, uint32_t arch)
{
	uint64_t base = arches[arch].base, nr;
	struct syscall_desc *descs = calloc(ARCH_SPAN + ARM_PRIVATE_SPAN,
					    sizeof(*descs));

	if (!descs)
		return;
	t->descs = descs;
	for (nr = base; nr < base + ARCH_SPAN; nr++)
		add_desc(t, arch, nr);
	if (arch == HM_ARCH_ARM) {
		for (nr = ARM_PRIVATE_BASE;
		     nr < ARM_PRIVATE_BASE + ARM_PRIVATE_SPAN; nr++)
			add_desc(t, arch, nr);
	}
}

/* The table of @arch, made at its first use and kept; NULL: no memory. */
static const struct table *table_of(uint32_t arch)
{
	struct table *t = &tables[arch];
	struct syscall_desc *descs = __atomic_load_n(&t->descs,
						     __ATOMIC_ACQUIRE);

	if (descs)
		return t;
	pthread_mutex_lock(&tables_lock);
	if (!t->descs) {
		struct table made = { 0 };

		fill_table(&made, arch);
		t->len = made.len;
		__atomic_store_n(&t->descs, made.descs, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&tables_lock);
	return t->descs ? t : NULL;
}

const struct syscall_desc *syscall_by_nr_arch(uint32_t arch, uint64_t nr)
{
	const struct table *t = arch_known(arch) ? table_of(arch) : NULL;
	size_t lo = 0, hi = t ? t->len : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->descs[mid].nr == nr)
			return &t->descs[mid];
		if (t->descs[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * libseccomp's answer, or where that is no number of the architecture's
 * own (libseccomp 2.5 gives o32's socket calls socketcall's multiplexed
 * pseudo-numbers, though the kernel has had them since 2.6), the table's.
 */
const struct syscall_desc *syscall_by_name_arch(uint32_t arch,
						const char *name)
{
	const struct table *t = arch_known(arch) ? table_of(arch) : NULL;
	const struct syscall_desc *d;
	int nr;
	size_t i;

	if (!t)
		return NULL;
	nr = seccomp_syscall_resolve_name_arch(arches[arch].token, name);
	d = nr >= 0 ? syscall_by_nr_arch(arch, (uint64_t)nr) : NULL;
	if (d && !strcmp(d->name, name))
		return d;
	for (i = 0; i < t->len; i++) {
		if (!strcmp(t->descs[i].name, name))
			return &t->descs[i];
	}
	return NULL;
}

void syscalls_set_arch(uint32_t arch)
{
	__atomic_store_n(&current_arch, arch_known(arch) ? arch :
			 HM_ARCH_NATIVE, __ATOMIC_RELAXED);
}

uint32_t syscalls_arch(void)
{
	return __atomic_load_n(&current_arch, __ATOMIC_RELAXED);
}

const char *syscalls_arch_name(uint32_t arch)
{
	return arch_known(arch) ? arches[arch].name : "unknown";
}

uint32_t syscalls_arch_by_name(const char *name)
{
	uint32_t arch;

	for (arch = 1; arch <= HM_ARCH_MAX; arch++) {
		if (!strcmp(arches[arch].name, name))
			return arch;
	}
	return HM_ARCH_UNSAID;
}

const struct syscall_desc *syscall_by_nr(uint64_t nr)
{
	return syscall_by_nr_arch(syscalls_arch(), nr);
}

const struct syscall_desc *syscall_by_name(const char *name)
{
	return syscall_by_name_arch(syscalls_arch(), name);
}

/* The process events (protocol.h), described as syscalls are. */
static const struct syscall_desc process_events[] = {
	{ HM_PROC_EXEC, "exec", { "tid", "tgid", "old_tid" } },
	{ HM_PROC_EXIT, "exit", { "tid", "tgid", "status", "last" } },
	{ HM_PROC_FORK, "fork", { "tid", "tgid", "child", "child_tgid" } },
};

const struct syscall_desc *process_event_by_nr(uint64_t nr)
{
	return nr && nr <= HM_PROC_EVENT_MAX ? &process_events[nr - 1] : NULL;
}

const struct syscall_desc *process_event_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < HM_PROC_EVENT_MAX; i++) {
		if (!strcmp(process_events[i].name, name))
			return &process_events[i];
	}
	return NULL;
}
