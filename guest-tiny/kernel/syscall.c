// SPDX-License-Identifier: MIT
/*
 * Linux x86-64 syscalls, a handful of them, on in-memory files, a console
 * and loopback-free sockets. The table says which ones raise hypermem
 * events, on entry (arguments are in user memory: write, ioctl) or on exit
 * (the result is: read, open, getpid), or both (connect, execve).
 */
#include "kernel.h"

#define EV_ENTER 1
#define EV_EXIT 2

#define E(err) (-(int64_t)(err))
#define ENOTTY 25

#define AF_INET 2
#define IPPROTO_TCP 6
#define TCP_ESTABLISHED 1

static const char socket_reply[] = "pong\n";
static uint32_t next_inode = 4100;

static int64_t do_read(struct proc *p, int64_t fd, uint64_t buf, uint64_t n)
{
	struct fd *f = proc_fd(p, fd);
	const char *src;
	uint64_t avail;

	if (!f)
		return E(HM_EBADF);
	if (f->kind == FD_TTY)
		return 0;
	if (f->kind == FD_SOCKET) {
		src = socket_reply;
		avail = sizeof(socket_reply) - 1;
	} else {
		src = f->file->data + f->offset;
		avail = f->file->size - f->offset;
	}
	if (n > avail)
		n = avail;
	n -= user_copy_to(p->pml4, buf, src, n);
	if (f->kind == FD_FILE)
		f->offset += n;
	return (int64_t)n;
}

static int64_t do_write(struct proc *p, int64_t fd, uint64_t buf, uint64_t n)
{
	struct fd *f = proc_fd(p, fd);
	char chunk[256];
	uint64_t done = 0;

	if (!f || f->kind == FD_FILE)
		return E(HM_EBADF);
	if (f->kind == FD_SOCKET)
		return (int64_t)n;
	while (done < n) {
		size_t len = n - done, i;

		if (len > sizeof(chunk))
			len = sizeof(chunk);
		if (user_copy_from(p->pml4, chunk, buf + done, len))
			return done ? (int64_t)done : E(HM_EFAULT);
		console_lock();
		for (i = 0; i < len; i++)
			outb(TINY_SERIAL_PORT, chunk[i]);
		console_unlock();
		done += len;
	}
	return (int64_t)n;
}

static int fd_alloc(struct proc *p)
{
	int fd;

	for (fd = 0; fd < MAX_FDS; fd++) {
		if (p->fds[fd].kind == FD_NONE)
			return fd;
	}
	return -1;
}

static int64_t do_open(struct proc *p, uint64_t path)
{
	char name[sizeof(p->fds[0].name)];
	const struct file *file;
	size_t copied;
	long n = user_string_from(p->pml4, name, path, sizeof(name) - 1,
				  &copied);
	int fd;

	if (n < 0)
		return E(HM_EFAULT);
	if ((size_t)n == sizeof(name) - 1)
		return E(HM_ENAMETOOLONG);
	name[n] = 0;
	file = file_lookup(name);
	if (!file)
		return E(HM_ENOENT);
	fd = fd_alloc(p);
	if (fd < 0)
		return -24;	/* EMFILE */
	p->fds[fd].kind = FD_FILE;
	p->fds[fd].file = file;
	p->fds[fd].offset = 0;
	memcpy(p->fds[fd].name, name, (size_t)n + 1);
	return fd;
}

/* struct sockaddr_in: family (host order), port and address (network). */
static uint32_t sockaddr_in(uint8_t *sa, const uint8_t ip[4], uint16_t port)
{
	memset(sa, 0, 16);
	sa[0] = AF_INET;
	sa[2] = (uint8_t)(port >> 8);
	sa[3] = (uint8_t)port;
	memcpy(sa + 4, ip, 4);
	return 16;
}

static int64_t do_socket(struct proc *p, uint64_t family, uint64_t type,
			 uint64_t protocol)
{
	static const uint8_t local[4] = { 10, 0, 2, 15 };
	static const uint8_t remote[4] = { 10, 0, 2, 2 };
	int fd = fd_alloc(p);
	struct fd *f;
	uint32_t inode;

	if (fd < 0)
		return -24;
	if (family != AF_INET)
		return -97;	/* EAFNOSUPPORT */
	f = &p->fds[fd];
	inode = __atomic_fetch_add(&next_inode, 1, __ATOMIC_SEQ_CST);
	f->kind = FD_SOCKET;
	ksnprintf(f->name, sizeof(f->name), "socket:[%u]", inode);
	memset(&f->sock, 0, sizeof(f->sock));
	f->sock.family = AF_INET;
	f->sock.type = (uint32_t)type;
	f->sock.protocol = protocol ? (uint32_t)protocol : IPPROTO_TCP;
	f->sock.state = TCP_ESTABLISHED;
	f->sock.local_len = sockaddr_in(f->sock.local, local,
					(uint16_t)(40000 + p->pid));
	f->sock.remote_len = sockaddr_in(f->sock.remote, remote, 80);
	return fd;
}

static int64_t do_close(struct proc *p, int64_t fd)
{
	struct fd *f = proc_fd(p, fd);

	if (!f)
		return E(HM_EBADF);
	f->kind = FD_NONE;
	return 0;
}

/* Each iovec is { base, len }, as struct iovec on x86-64. */
static int64_t do_writev(struct proc *p, int64_t fd, uint64_t iov,
			 uint64_t count)
{
	uint64_t vec[2], i;
	int64_t total = 0, n;

	if (count > 16)
		return E(HM_EINVAL);
	for (i = 0; i < count; i++) {
		if (user_copy_from(p->pml4, vec, iov + i * sizeof(vec),
				   sizeof(vec)))
			return E(HM_EFAULT);
		n = do_write(p, fd, vec[0], vec[1]);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

static struct hm_socket_info *socket_of(struct proc *p, int64_t fd,
					int64_t *err)
{
	struct fd *f = proc_fd(p, fd);

	*err = !f ? E(HM_EBADF) : f->kind != FD_SOCKET ? E(HM_ENOTSOCK) : 0;
	return *err ? NULL : &f->sock;
}

/* The peer is whatever the caller names: there is no network. */
static int64_t do_connect(struct proc *p, int64_t fd, uint64_t addr,
			  uint64_t len)
{
	struct hm_socket_info *s;
	uint8_t sa[16];
	int64_t err;

	s = socket_of(p, fd, &err);
	if (!s)
		return err;
	if (len != sizeof(sa))
		return E(HM_EINVAL);
	if (user_copy_from(p->pml4, sa, addr, sizeof(sa)))
		return E(HM_EFAULT);
	if (sa[0] != AF_INET || sa[1])
		return -97;	/* EAFNOSUPPORT */
	memcpy(s->remote, sa, sizeof(sa));
	s->remote_len = sizeof(sa);
	return 0;
}

static int64_t do_getpeername(struct proc *p, int64_t fd, uint64_t addr,
			      uint64_t len_ptr)
{
	struct hm_socket_info *s;
	uint32_t len;
	int64_t err;

	s = socket_of(p, fd, &err);
	if (!s)
		return err;
	if (user_copy_from(p->pml4, &len, len_ptr, sizeof(len)))
		return E(HM_EFAULT);
	if (len > s->remote_len)
		len = s->remote_len;
	if (user_copy_to(p->pml4, addr, s->remote, len) ||
	    user_copy_to(p->pml4, len_ptr, &s->remote_len, sizeof(len)))
		return E(HM_EFAULT);
	return 0;
}

static int64_t do_ioctl(struct proc *p, int64_t fd, uint64_t cmd)
{
	struct fd *f = proc_fd(p, fd);

	if (!f)
		return E(HM_EBADF);
	/* The private request's effect is whatever the host did to it. */
	if (f->kind == FD_SOCKET && cmd == TINY_SIOCDEVPRIVATE)
		return 0;
	return E(ENOTTY);
}

static unsigned int event_flags(uint64_t nr)
{
	switch (nr) {
	case TINY_SYS_WRITE:
	case TINY_SYS_WRITEV:
	case TINY_SYS_IOCTL:
	case TINY_SYS_CLOSE:
	case TINY_SYS_EXIT:
	case TINY_SYS_FINIT_MODULE:
		return EV_ENTER;
	case TINY_SYS_CONNECT:
	case TINY_SYS_EXECVE:
		return EV_ENTER | EV_EXIT;
	case TINY_SYS_READ:
	case TINY_SYS_OPEN:
	case TINY_SYS_OPENAT:
	case TINY_SYS_GETPID:
	case TINY_SYS_SOCKET:
		return EV_EXIT;
	default:
		return 0;
	}
}

static int64_t dispatch(struct proc *p, const struct frame *f)
{
	switch (f->rax) {
	case TINY_SYS_READ:
		return do_read(p, (int64_t)f->rdi, f->rsi, f->rdx);
	case TINY_SYS_WRITE:
		return do_write(p, (int64_t)f->rdi, f->rsi, f->rdx);
	case TINY_SYS_OPEN:
		return do_open(p, f->rdi);
	case TINY_SYS_OPENAT:
		return do_open(p, f->rsi);
	case TINY_SYS_CLOSE:
		return do_close(p, (int64_t)f->rdi);
	case TINY_SYS_IOCTL:
		return do_ioctl(p, (int64_t)f->rdi, f->rsi);
	case TINY_SYS_SCHED_YIELD:
		return 0;
	case TINY_SYS_GETPID:
		return p->pid;
	case TINY_SYS_SOCKET:
		return do_socket(p, f->rdi, f->rsi, f->rdx);
	case TINY_SYS_WRITEV:
		return do_writev(p, (int64_t)f->rdi, f->rsi, f->rdx);
	case TINY_SYS_CONNECT:
		return do_connect(p, (int64_t)f->rdi, f->rsi, f->rdx);
	case TINY_SYS_GETPEERNAME:
		return do_getpeername(p, (int64_t)f->rdi, f->rsi, f->rdx);
	default:
		return E(HM_ENOSYS);
	}
}

/*
 * execve replaces the frame with the new image's first one; its exit event
 * still reports the call's own number and arguments.
 */
static struct frame *exec_syscall(struct cpu *cpu, struct frame *f)
{
	struct frame call = *f;
	int64_t ret;

	ret = proc_exec(cpu->current, f, call.rdi, call.rsi, call.rdx);
	/* In the new image, before the call returns, as Linux raises it. */
	if (!ret)
		hm_process_event(cpu, HM_PROC_EXEC, cpu->current->pid,
				 cpu->current->pid, cpu->current->pid, 0);
	if (!config.quiet)
		kprintf("[cpu%u pid %u] syscall %lu = %ld\n", cpu->index,
			cpu->current->pid, call.rax, ret);
	f->rax = (uint64_t)hm_syscall_exit(cpu, &call,
					   !!(event_flags(call.rax) & EV_EXIT),
					   ret);
	return f;
}

struct frame *syscall_handler(struct frame *f)
{
	struct cpu *cpu = this_cpu();
	uint64_t nr = f->rax;
	unsigned int flags = event_flags(nr);
	int64_t ret;

	if (nr == TINY_SYS_HM_EVENT) {
		hm_user_event(cpu, f);
		f->rax = 0;
		return f;
	}
	/* A skipped call has no side effect and raises no exit event. */
	if (hm_syscall_enter(cpu, f, !!(flags & EV_ENTER), &ret)) {
		f->rax = (uint64_t)ret;
		return f;
	}
	if (nr == TINY_SYS_EXIT) {
		/* One task a process: each exit is its process's last. */
		hm_process_event(cpu, HM_PROC_EXIT, cpu->current->pid,
				 cpu->current->pid, (f->rdi & 0xff) << 8, 1);
		return sched_exit(cpu, (int)f->rdi);
	}
	if (nr == TINY_SYS_EXECVE)
		return exec_syscall(cpu, f);
	ret = dispatch(cpu->current, f);
	if (!config.quiet)
		kprintf("[cpu%u pid %u] syscall %lu = %ld\n", cpu->index,
			cpu->current->pid, nr, ret);
	ret = hm_syscall_exit(cpu, f, !!(flags & EV_EXIT), ret);
	f->rax = (uint64_t)ret;
	if (nr == TINY_SYS_SCHED_YIELD)
		return sched_switch(cpu);
	return f;
}
