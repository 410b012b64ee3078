// SPDX-License-Identifier: MIT
/*
 * Linux system call names by number, for the guests of the host's own
 * architecture (the VMM core runs no other): x86-64's (arch/x86/entry/
 * syscalls/syscall_64.tbl, as the kernel's uapi asm/unistd_64.h lists
 * them), with argument names for the calls scripts look at most, as the
 * kernel's SYSCALL_DEFINEn declarations name them; on arm64 the generic
 * numbers, with the same argument names, which do not depend on the
 * architecture.
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <hypermem/protocol.h>

#include "syscalls.h"

static const struct syscall_desc x86_64_table[] = {
	{ 0, "read", { "fd", "buf", "count" } },
	{ 1, "write", { "fd", "buf", "count" } },
	{ 2, "open", { "filename", "flags", "mode" } },
	{ 3, "close", { "fd" } },
	{ 4, "stat", { "filename", "statbuf" } },
	{ 5, "fstat", { "fd", "statbuf" } },
	{ 6, "lstat", { "filename", "statbuf" } },
	{ 7, "poll", { "ufds", "nfds", "timeout_msecs" } },
	{ 8, "lseek", { "fd", "offset", "whence" } },
	{ 9, "mmap", { "addr", "len", "prot", "flags", "fd", "off" } },
	{ 10, "mprotect", { "start", "len", "prot" } },
	{ 11, "munmap", { "addr", "len" } },
	{ 12, "brk", { "brk" } },
	{ 13, "rt_sigaction", { NULL } },
	{ 14, "rt_sigprocmask", { NULL } },
	{ 15, "rt_sigreturn", { NULL } },
	{ 16, "ioctl", { "fd", "cmd", "arg" } },
	{ 17, "pread64", { "fd", "buf", "count", "pos" } },
	{ 18, "pwrite64", { "fd", "buf", "count", "pos" } },
	{ 19, "readv", { "fd", "vec", "vlen" } },
	{ 20, "writev", { "fd", "vec", "vlen" } },
	{ 21, "access", { "filename", "mode" } },
	{ 22, "pipe", { "fildes" } },
	{ 23, "select", { "n", "inp", "outp", "exp", "tvp" } },
	{ 24, "sched_yield", { NULL } },
	{ 25, "mremap", { NULL } },
	{ 26, "msync", { NULL } },
	{ 27, "mincore", { NULL } },
	{ 28, "madvise", { NULL } },
	{ 29, "shmget", { NULL } },
	{ 30, "shmat", { NULL } },
	{ 31, "shmctl", { NULL } },
	{ 32, "dup", { "fildes" } },
	{ 33, "dup2", { "oldfd", "newfd" } },
	{ 34, "pause", { NULL } },
	{ 35, "nanosleep", { "rqp", "rmtp" } },
	{ 36, "getitimer", { NULL } },
	{ 37, "alarm", { NULL } },
	{ 38, "setitimer", { NULL } },
	{ 39, "getpid", { NULL } },
	{ 40, "sendfile", { "out_fd", "in_fd", "offset", "count" } },
	{ 41, "socket", { "family", "type", "protocol" } },
	{ 42, "connect", { "fd", "addr", "addrlen" } },
	{ 43, "accept", { "fd", "addr", "addrlen" } },
	{ 44, "sendto", { "fd", "buf", "len", "flags", "addr", "addrlen" } },
	{ 45, "recvfrom", { "fd", "buf", "len", "flags", "addr", "addrlen" } },
	{ 46, "sendmsg", { "fd", "msg", "flags" } },
	{ 47, "recvmsg", { "fd", "msg", "flags" } },
	{ 48, "shutdown", { "fd", "how" } },
	{ 49, "bind", { "fd", "addr", "addrlen" } },
	{ 50, "listen", { "fd", "backlog" } },
	{ 51, "getsockname", { "fd", "addr", "addrlen" } },
	{ 52, "getpeername", { "fd", "addr", "addrlen" } },
	{ 53, "socketpair", { NULL } },
	{ 54, "setsockopt", { "fd", "level", "optname", "optval", "optlen" } },
	{ 55, "getsockopt", { "fd", "level", "optname", "optval", "optlen" } },
	{ 56, "clone", { "flags", "newsp", "parent_tid", "child_tid", "tls" } },
	{ 57, "fork", { NULL } },
	{ 58, "vfork", { NULL } },
	{ 59, "execve", { "filename", "argv", "envp" } },
	{ 60, "exit", { "error_code" } },
	{ 61, "wait4", { "pid", "status", "options", "rusage" } },
	{ 62, "kill", { "pid", "sig" } },
	{ 63, "uname", { "name" } },
	{ 64, "semget", { NULL } },
	{ 65, "semop", { NULL } },
	{ 66, "semctl", { NULL } },
	{ 67, "shmdt", { NULL } },
	{ 68, "msgget", { NULL } },
	{ 69, "msgsnd", { NULL } },
	{ 70, "msgrcv", { NULL } },
	{ 71, "msgctl", { NULL } },
	{ 72, "fcntl", { "fd", "cmd", "arg" } },
	{ 73, "flock", { NULL } },
	{ 74, "fsync", { "fd" } },
	{ 75, "fdatasync", { NULL } },
	{ 76, "truncate", { "path", "length" } },
	{ 77, "ftruncate", { "fd", "length" } },
	{ 78, "getdents", { NULL } },
	{ 79, "getcwd", { "buf", "size" } },
	{ 80, "chdir", { "filename" } },
	{ 81, "fchdir", { NULL } },
	{ 82, "rename", { "oldname", "newname" } },
	{ 83, "mkdir", { "pathname", "mode" } },
	{ 84, "rmdir", { "pathname" } },
	{ 85, "creat", { NULL } },
	{ 86, "link", { NULL } },
	{ 87, "unlink", { "pathname" } },
	{ 88, "symlink", { NULL } },
	{ 89, "readlink", { "path", "buf", "bufsiz" } },
	{ 90, "chmod", { "filename", "mode" } },
	{ 91, "fchmod", { "fd", "mode" } },
	{ 92, "chown", { "filename", "user", "group" } },
	{ 93, "fchown", { NULL } },
	{ 94, "lchown", { NULL } },
	{ 95, "umask", { NULL } },
	{ 96, "gettimeofday", { NULL } },
	{ 97, "getrlimit", { NULL } },
	{ 98, "getrusage", { NULL } },
	{ 99, "sysinfo", { NULL } },
	{ 100, "times", { NULL } },
	{ 101, "ptrace", { NULL } },
	{ 102, "getuid", { NULL } },
	{ 103, "syslog", { NULL } },
	{ 104, "getgid", { NULL } },
	{ 105, "setuid", { NULL } },
	{ 106, "setgid", { NULL } },
	{ 107, "geteuid", { NULL } },
	{ 108, "getegid", { NULL } },
	{ 109, "setpgid", { NULL } },
	{ 110, "getppid", { NULL } },
	{ 111, "getpgrp", { NULL } },
	{ 112, "setsid", { NULL } },
	{ 113, "setreuid", { NULL } },
	{ 114, "setregid", { NULL } },
	{ 115, "getgroups", { NULL } },
	{ 116, "setgroups", { NULL } },
	{ 117, "setresuid", { NULL } },
	{ 118, "getresuid", { NULL } },
	{ 119, "setresgid", { NULL } },
	{ 120, "getresgid", { NULL } },
	{ 121, "getpgid", { NULL } },
	{ 122, "setfsuid", { NULL } },
	{ 123, "setfsgid", { NULL } },
	{ 124, "getsid", { NULL } },
	{ 125, "capget", { NULL } },
	{ 126, "capset", { NULL } },
	{ 127, "rt_sigpending", { NULL } },
	{ 128, "rt_sigtimedwait", { NULL } },
	{ 129, "rt_sigqueueinfo", { NULL } },
	{ 130, "rt_sigsuspend", { NULL } },
	{ 131, "sigaltstack", { NULL } },
	{ 132, "utime", { NULL } },
	{ 133, "mknod", { NULL } },
	{ 134, "uselib", { NULL } },
	{ 135, "personality", { NULL } },
	{ 136, "ustat", { NULL } },
	{ 137, "statfs", { NULL } },
	{ 138, "fstatfs", { NULL } },
	{ 139, "sysfs", { NULL } },
	{ 140, "getpriority", { NULL } },
	{ 141, "setpriority", { NULL } },
	{ 142, "sched_setparam", { NULL } },
	{ 143, "sched_getparam", { NULL } },
	{ 144, "sched_setscheduler", { NULL } },
	{ 145, "sched_getscheduler", { NULL } },
	{ 146, "sched_get_priority_max", { NULL } },
	{ 147, "sched_get_priority_min", { NULL } },
	{ 148, "sched_rr_get_interval", { NULL } },
	{ 149, "mlock", { NULL } },
	{ 150, "munlock", { NULL } },
	{ 151, "mlockall", { NULL } },
	{ 152, "munlockall", { NULL } },
	{ 153, "vhangup", { NULL } },
	{ 154, "modify_ldt", { NULL } },
	{ 155, "pivot_root", { NULL } },
	{ 156, "_sysctl", { NULL } },
	{ 157, "prctl", { "option", "arg2", "arg3", "arg4", "arg5" } },
	{ 158, "arch_prctl", { NULL } },
	{ 159, "adjtimex", { NULL } },
	{ 160, "setrlimit", { NULL } },
	{ 161, "chroot", { NULL } },
	{ 162, "sync", { NULL } },
	{ 163, "acct", { NULL } },
	{ 164, "settimeofday", { NULL } },
	{ 165, "mount", { NULL } },
	{ 166, "umount2", { NULL } },
	{ 167, "swapon", { NULL } },
	{ 168, "swapoff", { NULL } },
	{ 169, "reboot", { NULL } },
	{ 170, "sethostname", { NULL } },
	{ 171, "setdomainname", { NULL } },
	{ 172, "iopl", { NULL } },
	{ 173, "ioperm", { NULL } },
	{ 174, "create_module", { NULL } },
	{ 175, "init_module", { NULL } },
	{ 176, "delete_module", { NULL } },
	{ 177, "get_kernel_syms", { NULL } },
	{ 178, "query_module", { NULL } },
	{ 179, "quotactl", { NULL } },
	{ 180, "nfsservctl", { NULL } },
	{ 181, "getpmsg", { NULL } },
	{ 182, "putpmsg", { NULL } },
	{ 183, "afs_syscall", { NULL } },
	{ 184, "tuxcall", { NULL } },
	{ 185, "security", { NULL } },
	{ 186, "gettid", { NULL } },
	{ 187, "readahead", { NULL } },
	{ 188, "setxattr", { NULL } },
	{ 189, "lsetxattr", { NULL } },
	{ 190, "fsetxattr", { NULL } },
	{ 191, "getxattr", { NULL } },
	{ 192, "lgetxattr", { NULL } },
	{ 193, "fgetxattr", { NULL } },
	{ 194, "listxattr", { NULL } },
	{ 195, "llistxattr", { NULL } },
	{ 196, "flistxattr", { NULL } },
	{ 197, "removexattr", { NULL } },
	{ 198, "lremovexattr", { NULL } },
	{ 199, "fremovexattr", { NULL } },
	{ 200, "tkill", { NULL } },
	{ 201, "time", { NULL } },
	{ 202, "futex", { "uaddr", "op", "val", "utime", "uaddr2", "val3" } },
	{ 203, "sched_setaffinity", { NULL } },
	{ 204, "sched_getaffinity", { NULL } },
	{ 205, "set_thread_area", { NULL } },
	{ 206, "io_setup", { NULL } },
	{ 207, "io_destroy", { NULL } },
	{ 208, "io_getevents", { NULL } },
	{ 209, "io_submit", { NULL } },
	{ 210, "io_cancel", { NULL } },
	{ 211, "get_thread_area", { NULL } },
	{ 212, "lookup_dcookie", { NULL } },
	{ 213, "epoll_create", { NULL } },
	{ 214, "epoll_ctl_old", { NULL } },
	{ 215, "epoll_wait_old", { NULL } },
	{ 216, "remap_file_pages", { NULL } },
	{ 217, "getdents64", { "fd", "dirent", "count" } },
	{ 218, "set_tid_address", { NULL } },
	{ 219, "restart_syscall", { NULL } },
	{ 220, "semtimedop", { NULL } },
	{ 221, "fadvise64", { NULL } },
	{ 222, "timer_create", { NULL } },
	{ 223, "timer_settime", { NULL } },
	{ 224, "timer_gettime", { NULL } },
	{ 225, "timer_getoverrun", { NULL } },
	{ 226, "timer_delete", { NULL } },
	{ 227, "clock_settime", { NULL } },
	{ 228, "clock_gettime", { NULL } },
	{ 229, "clock_getres", { NULL } },
	{ 230, "clock_nanosleep", { NULL } },
	{ 231, "exit_group", { "error_code" } },
	{ 232, "epoll_wait", { "epfd", "events", "maxevents", "timeout" } },
	{ 233, "epoll_ctl", { NULL } },
	{ 234, "tgkill", { NULL } },
	{ 235, "utimes", { NULL } },
	{ 236, "vserver", { NULL } },
	{ 237, "mbind", { NULL } },
	{ 238, "set_mempolicy", { NULL } },
	{ 239, "get_mempolicy", { NULL } },
	{ 240, "mq_open", { NULL } },
	{ 241, "mq_unlink", { NULL } },
	{ 242, "mq_timedsend", { NULL } },
	{ 243, "mq_timedreceive", { NULL } },
	{ 244, "mq_notify", { NULL } },
	{ 245, "mq_getsetattr", { NULL } },
	{ 246, "kexec_load", { NULL } },
	{ 247, "waitid", { NULL } },
	{ 248, "add_key", { NULL } },
	{ 249, "request_key", { NULL } },
	{ 250, "keyctl", { NULL } },
	{ 251, "ioprio_set", { NULL } },
	{ 252, "ioprio_get", { NULL } },
	{ 253, "inotify_init", { NULL } },
	{ 254, "inotify_add_watch", { NULL } },
	{ 255, "inotify_rm_watch", { NULL } },
	{ 256, "migrate_pages", { NULL } },
	{ 257, "openat", { "dfd", "filename", "flags", "mode" } },
	{ 258, "mkdirat", { "dfd", "pathname", "mode" } },
	{ 259, "mknodat", { NULL } },
	{ 260, "fchownat", { NULL } },
	{ 261, "futimesat", { NULL } },
	{ 262, "newfstatat", { "dfd", "filename", "statbuf", "flag" } },
	{ 263, "unlinkat", { "dfd", "pathname", "flag" } },
	{ 264, "renameat", { NULL } },
	{ 265, "linkat", { NULL } },
	{ 266, "symlinkat", { NULL } },
	{ 267, "readlinkat", { "dfd", "pathname", "buf", "bufsiz" } },
	{ 268, "fchmodat", { NULL } },
	{ 269, "faccessat", { "dfd", "filename", "mode" } },
	{ 270, "pselect6", { NULL } },
	{ 271, "ppoll", { NULL } },
	{ 272, "unshare", { NULL } },
	{ 273, "set_robust_list", { NULL } },
	{ 274, "get_robust_list", { NULL } },
	{ 275, "splice", { NULL } },
	{ 276, "tee", { NULL } },
	{ 277, "sync_file_range", { NULL } },
	{ 278, "vmsplice", { NULL } },
	{ 279, "move_pages", { NULL } },
	{ 280, "utimensat", { NULL } },
	{ 281, "epoll_pwait", { NULL } },
	{ 282, "signalfd", { NULL } },
	{ 283, "timerfd_create", { NULL } },
	{ 284, "eventfd", { NULL } },
	{ 285, "fallocate", { NULL } },
	{ 286, "timerfd_settime", { NULL } },
	{ 287, "timerfd_gettime", { NULL } },
	{ 288, "accept4", { "fd", "addr", "addrlen", "flags" } },
	{ 289, "signalfd4", { NULL } },
	{ 290, "eventfd2", { NULL } },
	{ 291, "epoll_create1", { NULL } },
	{ 292, "dup3", { "oldfd", "newfd", "flags" } },
	{ 293, "pipe2", { "fildes", "flags" } },
	{ 294, "inotify_init1", { NULL } },
	{ 295, "preadv", { NULL } },
	{ 296, "pwritev", { NULL } },
	{ 297, "rt_tgsigqueueinfo", { NULL } },
	{ 298, "perf_event_open", { NULL } },
	{ 299, "recvmmsg", { NULL } },
	{ 300, "fanotify_init", { NULL } },
	{ 301, "fanotify_mark", { NULL } },
	{ 302, "prlimit64", { NULL } },
	{ 303, "name_to_handle_at", { NULL } },
	{ 304, "open_by_handle_at", { NULL } },
	{ 305, "clock_adjtime", { NULL } },
	{ 306, "syncfs", { NULL } },
	{ 307, "sendmmsg", { NULL } },
	{ 308, "setns", { NULL } },
	{ 309, "getcpu", { NULL } },
	{ 310, "process_vm_readv", { NULL } },
	{ 311, "process_vm_writev", { NULL } },
	{ 312, "kcmp", { NULL } },
	{ 313, "finit_module", { NULL } },
	{ 314, "sched_setattr", { NULL } },
	{ 315, "sched_getattr", { NULL } },
	{ 316, "renameat2", { NULL } },
	{ 317, "seccomp", { NULL } },
	{ 318, "getrandom", { "buf", "count", "flags" } },
	{ 319, "memfd_create", { NULL } },
	{ 320, "kexec_file_load", { NULL } },
	{ 321, "bpf", { NULL } },
	{ 322, "execveat", { "fd", "filename", "argv", "envp", "flags" } },
	{ 323, "userfaultfd", { NULL } },
	{ 324, "membarrier", { NULL } },
	{ 325, "mlock2", { NULL } },
	{ 326, "copy_file_range", { NULL } },
	{ 327, "preadv2", { NULL } },
	{ 328, "pwritev2", { NULL } },
	{ 329, "pkey_mprotect", { NULL } },
	{ 330, "pkey_alloc", { NULL } },
	{ 331, "pkey_free", { NULL } },
	{ 332, "statx", { NULL } },
	{ 333, "io_pgetevents", { NULL } },
	{ 334, "rseq", { NULL } },
	{ 424, "pidfd_send_signal", { NULL } },
	{ 425, "io_uring_setup", { NULL } },
	{ 426, "io_uring_enter", { NULL } },
	{ 427, "io_uring_register", { NULL } },
	{ 428, "open_tree", { NULL } },
	{ 429, "move_mount", { NULL } },
	{ 430, "fsopen", { NULL } },
	{ 431, "fsconfig", { NULL } },
	{ 432, "fsmount", { NULL } },
	{ 433, "fspick", { NULL } },
	{ 434, "pidfd_open", { NULL } },
	{ 435, "clone3", { NULL } },
	{ 436, "close_range", { NULL } },
	{ 437, "openat2", { "dfd", "filename", "how", "usize" } },
	{ 438, "pidfd_getfd", { NULL } },
	{ 439, "faccessat2", { NULL } },
	{ 440, "process_madvise", { NULL } },
	{ 441, "epoll_pwait2", { NULL } },
	{ 442, "mount_setattr", { NULL } },
	{ 443, "quotactl_fd", { NULL } },
	{ 444, "landlock_create_ruleset", { NULL } },
	{ 445, "landlock_add_rule", { NULL } },
	{ 446, "landlock_restrict_self", { NULL } },
	{ 447, "memfd_secret", { NULL } },
	{ 448, "process_mrelease", { NULL } },
	{ 449, "futex_waitv", { NULL } },
	{ 450, "set_mempolicy_home_node", { NULL } },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifdef __aarch64__
struct syscall_nr {
	uint64_t nr;
	const char *name;
};

#include "syscalls-arm64.h"

#define TABLE_LEN ARRAY_LEN(arm64_nrs)

static struct syscall_desc table[TABLE_LEN];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* Each generic number with x86-64's argument names for the same call. */
static void fill_table(void)
{
	size_t i, j;

	for (i = 0; i < TABLE_LEN; i++) {
		table[i].nr = arm64_nrs[i].nr;
		table[i].name = arm64_nrs[i].name;
		for (j = 0; j < ARRAY_LEN(x86_64_table); j++) {
			if (!strcmp(x86_64_table[j].name, table[i].name)) {
				memcpy(table[i].args, x86_64_table[j].args,
				       sizeof(table[i].args));
				break;
			}
		}
	}
}

static const struct syscall_desc *get_table(void)
{
	pthread_once(&table_once, fill_table);
	return table;
}
#else
#define TABLE_LEN ARRAY_LEN(x86_64_table)

static const struct syscall_desc *get_table(void)
{
	return x86_64_table;
}
#endif

const struct syscall_desc *syscall_by_nr(uint64_t nr)
{
	const struct syscall_desc *t = get_table();
	size_t lo = 0, hi = TABLE_LEN;

	/* The table is sorted by number. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t[mid].nr == nr)
			return &t[mid];
		if (t[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct syscall_desc *syscall_by_name(const char *name)
{
	const struct syscall_desc *t = get_table();
	size_t i;

	for (i = 0; i < TABLE_LEN; i++) {
		if (!strcmp(t[i].name, name))
			return &t[i];
	}
	return NULL;
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
