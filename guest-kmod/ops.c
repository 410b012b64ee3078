// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The kernel accessors behind struct hm_agent_ops.
 *
 * Addresses come from the host and are checked here: below TASK_SIZE_MAX
 * they are the current task's user addresses, above it kernel addresses
 * (reads only, with copy_from_kernel_nofault). Copies go page by page so
 * that a fault yields the exact prefix before the first unreadable page.
 * The doorbell behind .doorbell is in transport.c.
 */
#include <linux/err.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include "hypermem.h"

static bool is_user(uint64_t addr)
{
	return addr < TASK_SIZE_MAX;
}

static size_t page_chunk(uint64_t addr, size_t left)
{
	return min_t(size_t, left, PAGE_SIZE - offset_in_page(addr));
}

/*
 * A range that wraps around the address space, or on a 32-bit kernel
 * reaches past its 4 GiB, is never readable.
 */
static bool wraps(uint64_t addr, size_t len)
{
	return addr + len < addr || !hm_fits_ulong(addr + len - !!len);
}

/* Another process's memory, n bytes within one page: 0 or -EFAULT. */
static int chunk_of_task(const struct hm_ctx *ctx, uint64_t addr, void *buf,
			 size_t n, unsigned int write)
{
	return access_process_vm(ctx->task, addr, buf, n,
				 FOLL_FORCE | write) == n ? 0 : -EFAULT;
}

/* Copy n bytes that lie within one page; 0 or -EFAULT. */
static int chunk_from(const struct hm_ctx *ctx, void *dst, uint64_t src,
		      size_t n)
{
	void __user *usrc = u64_to_user_ptr(src);

	if (!is_user(src))
		return copy_from_kernel_nofault(dst, (void *)(uintptr_t)src, n);
	if (ctx->task)
		return chunk_of_task(ctx, src, dst, n, 0);
	if (ctx->atomic)
		return copy_from_user_nofault(dst, usrc, n);
	return copy_from_user(dst, usrc, n) ? -EFAULT : 0;
}

static int chunk_to(const struct hm_ctx *ctx, uint64_t dst, const void *src,
		    size_t n)
{
	void __user *udst = u64_to_user_ptr(dst);

	/* The kernel exports no copy_to_kernel_nofault to modules. */
	if (!is_user(dst))
		return -EFAULT;
	if (ctx->task)
		return chunk_of_task(ctx, dst, (void *)src, n, FOLL_WRITE);
	if (ctx->atomic)
		return copy_to_user_nofault(udst, src, n);
	return copy_to_user(udst, src, n) ? -EFAULT : 0;
}

static size_t hm_copy_from(void *opaque, void *dst, uint64_t src, size_t len)
{
	const struct hm_ctx *ctx = opaque;
	size_t done = 0, n;

	if (wraps(src, len))
		return len;
	for (; done < len; done += n) {
		n = page_chunk(src + done, len - done);
		if (chunk_from(ctx, dst + done, src + done, n))
			break;
	}
	return len - done;
}

static size_t hm_copy_to(void *opaque, uint64_t dst, const void *src,
			 size_t len)
{
	const struct hm_ctx *ctx = opaque;
	size_t done = 0, n;

	if (wraps(dst, len))
		return len;
	for (; done < len; done += n) {
		n = page_chunk(dst + done, len - done);
		if (chunk_to(ctx, dst + done, src + done, n))
			break;
	}
	return len - done;
}

/*
 * Reading whole pages up to len may read past the NUL, but never past the
 * page that holds it, so it faults exactly where the string does.
 */
static long string_pagewise(const struct hm_ctx *ctx, char *dst,
			    uint64_t src, size_t len, size_t *copied)
{
	size_t done = 0, n;
	char *nul;

	for (; done < len; done += n) {
		n = page_chunk(src + done, len - done);
		if (chunk_from(ctx, dst + done, src + done, n)) {
			*copied = done;
			return -EFAULT;
		}
		nul = memchr(dst + done, 0, n);
		if (nul) {
			*copied = nul - dst;
			return nul - dst;
		}
	}
	*copied = len;
	return len;
}

static long hm_string_from(void *opaque, char *dst, uint64_t src, size_t len,
			   size_t *copied)
{
	const struct hm_ctx *ctx = opaque;
	long n;

	*copied = 0;
	if (wraps(src, len))
		return -EFAULT;
	/* strncpy_from_user gives no prefix on a fault: fall back then. */
	if (!ctx->atomic && !ctx->task && is_user(src)) {
		n = strncpy_from_user(dst, u64_to_user_ptr(src), len);
		if (n >= 0) {
			*copied = n;
			return n;
		}
	}
	return string_pagewise(ctx, dst, src, len, copied);
}

/* The file behind @fd of the process acted on, with a reference. */
static struct file *fget_checked(const struct hm_ctx *ctx, int64_t fd)
{
	unsigned int n = (unsigned int)fd;
	struct file *file;

	if (fd < 0 || fd > INT_MAX)
		return ERR_PTR(-EBADF);
	if (!ctx->task) {
		file = fget(fd);
		return file ? file : ERR_PTR(-EBADF);
	}
	file = hm_next_file_get(ctx->task, &n);
	if (file && n != fd) {
		fput(file);
		file = NULL;
	}
	return file ? file : ERR_PTR(-EBADF);
}

long hm_path_to_front(char *buf, size_t cap, const char *path)
{
	long len;

	if (IS_ERR(path))
		return hm_wire_error(PTR_ERR(path));
	/* d_path writes the name at the end of buf, NUL at buf[cap - 1]. */
	len = buf + cap - 1 - path;
	memmove(buf, path, len);
	return len;
}

/* fget, d_path and fput do not sleep: this works in atomic context too. */
static long hm_fd_name(void *opaque, int64_t fd, char *buf, size_t cap)
{
	struct file *file = fget_checked(opaque, fd);
	char *path;

	if (IS_ERR(file))
		return PTR_ERR(file);
	path = d_path(&file->f_path, buf, cap);
	fput(file);
	return hm_path_to_front(buf, cap, path);
}

static long hm_proc_area(void *opaque, enum hm_proc_area which,
			 uint64_t offset, void *buf, size_t len,
			 uint64_t *total)
{
	const struct hm_ctx *ctx = opaque;
	struct task_struct *task = ctx->task ? ctx->task : current;
	/* The current task's own mm needs no reference of ours. */
	struct mm_struct *mm = ctx->task ? get_task_mm(task) : current->mm;
	unsigned long start, end;
	long n;

	if (!mm)
		return -ESRCH;
	spin_lock(&mm->arg_lock);
	start = which == HM_PROC_ARGS ? mm->arg_start : mm->env_start;
	end = which == HM_PROC_ARGS ? mm->arg_end : mm->env_end;
	spin_unlock(&mm->arg_lock);
	if (ctx->task)
		mmput(mm);
	*total = end > start ? end - start : 0;
	if (offset >= *total)
		return 0;
	len = min_t(uint64_t, len, *total - offset);
	if (ctx->atomic)
		n = len - hm_copy_from(opaque, buf, start + offset, len);
	else
		n = access_process_vm(task, start + offset, buf, len,
				      FOLL_FORCE);
	return n > 0 ? n : -EFAULT;
}

static long hm_pid(void *opaque, uint64_t *pid)
{
	const struct hm_ctx *ctx = opaque;

	*pid = task_tgid_nr(ctx->task ? ctx->task : current);
	return 0;
}

/*
 * Another process is reached with access_process_vm(), which sleeps: only
 * where the event may (a user event). The current process's own threads
 * share its memory and need none of it.
 */
static long hm_use_process(void *opaque, uint64_t pid, uint64_t *tgid)
{
	struct hm_ctx *ctx = opaque;
	struct task_struct *task = NULL;

	if (pid) {
		task = hm_task_of(pid);
		if (!task)
			return -ESRCH;
		if (task->flags & PF_KTHREAD) {
			put_task_struct(task);
			return -ESRCH;
		}
		if (same_thread_group(task, current)) {
			put_task_struct(task);
			task = NULL;
		} else if (ctx->atomic) {
			put_task_struct(task);
			return -EAGAIN;
		}
	}
	if (ctx->task)
		put_task_struct(ctx->task);
	ctx->task = task;
	*tgid = task_tgid_nr(task ? task : current);
	return 0;
}

/* path aliases buf: filp_open has copied the name before kernel_read. */
static long hm_read_file(void *opaque, const char *path, uint64_t offset,
			 void *buf, size_t len, uint64_t *file_size)
{
	const struct hm_ctx *ctx = opaque;
	loff_t pos = offset;
	struct file *file;
	ssize_t n;

	if (ctx->atomic)
		return -EAGAIN;
	if (offset > LLONG_MAX)
		return -EINVAL;
	file = filp_open(path, O_RDONLY | O_LARGEFILE, 0);
	if (IS_ERR(file))
		return hm_wire_error(PTR_ERR(file));
	*file_size = i_size_read(file_inode(file));
	n = kernel_read(file, buf, len, &pos);
	filp_close(file, NULL);
	return hm_wire_error(n);
}

/*
 * Writing sleeps (the file system, the page cache): never in atomic
 * context. A short write is a full disk or quota, the usual reasons.
 */
static long hm_write_file(void *opaque, const char *path, uint64_t offset,
			  uint32_t flags, uint32_t mode, const void *buf,
			  size_t len, long *err)
{
	const struct hm_ctx *ctx = opaque;
	int oflags = O_WRONLY | O_LARGEFILE |
		     (flags & HM_WRITE_CREATE ? O_CREAT : 0) |
		     (flags & HM_WRITE_TRUNCATE ? O_TRUNC : 0);
	loff_t pos = offset;
	struct file *file;
	ssize_t n = 0;

	if (ctx->atomic)
		return -EAGAIN;
	if (offset > LLONG_MAX)
		return -EINVAL;
	file = filp_open(path, oflags, mode);
	if (IS_ERR(file))
		return hm_wire_error(PTR_ERR(file));
	if (len)
		n = kernel_write(file, buf, len, &pos);
	filp_close(file, NULL);
	if (n >= 0 && (size_t)n < len)
		*err = -ENOSPC;
	return hm_wire_error(n);
}

static void copy_sockaddr(uint8_t *dst, uint32_t *dst_len,
			  const struct sockaddr_storage *addr, int len)
{
	if (len <= 0)
		return;
	*dst_len = min_t(uint32_t, len, HM_SOCKADDR_MAX);
	memcpy(dst, addr, *dst_len);
}

static bool is_inet(const struct sock *sk)
{
	return sk->sk_family == AF_INET ||
	       (IS_ENABLED(CONFIG_IPV6) && sk->sk_family == AF_INET6);
}

/*
 * What inet_getname() and inet6_getname() report, read without the socket
 * lock they take, which sleeps. A racing connect may change the fields
 * meanwhile; BPF cgroup getname hooks and IPv6 flow labels are not applied.
 */
static int inet_name_nolock(struct sock *sk, struct sockaddr_storage *addr,
			    bool peer)
{
	struct inet_sock *inet = inet_sk(sk);
	__be16 port = peer ? READ_ONCE(inet->inet_dport) :
			    READ_ONCE(inet->inet_sport);
	int closed = (1 << READ_ONCE(sk->sk_state)) &
		     (TCPF_CLOSE | TCPF_SYN_SENT);
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *sin = (struct sockaddr_in *)addr;

	if (peer && (!port || closed))
		return -ENOTCONN;
	memset(addr, 0, sizeof(*addr));
	if (sk->sk_family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr.s_addr = peer ? READ_ONCE(inet->inet_daddr) :
				       READ_ONCE(inet->inet_rcv_saddr);
		if (!peer && !sin->sin_addr.s_addr)
			sin->sin_addr.s_addr = READ_ONCE(inet->inet_saddr);
		return sizeof(*sin);
	}
#if IS_ENABLED(CONFIG_IPV6)
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = port;
	if (peer)
		sin6->sin6_addr = sk->sk_v6_daddr;
	else if (ipv6_addr_any(&sk->sk_v6_rcv_saddr))
		sin6->sin6_addr = inet6_sk(sk)->saddr;
	else
		sin6->sin6_addr = sk->sk_v6_rcv_saddr;
	sin6->sin6_scope_id = ipv6_iface_scope_id(&sin6->sin6_addr,
						  sk->sk_bound_dev_if);
	return sizeof(*sin6);
#else
	return -EAFNOSUPPORT;
#endif
}

static int sock_name(const struct hm_ctx *ctx, struct socket *sock,
		     struct sockaddr_storage *addr, bool peer)
{
	if (ctx->atomic)
		return inet_name_nolock(sock->sk, addr, peer);
	if (peer)
		return kernel_getpeername(sock, (struct sockaddr *)addr);
	return kernel_getsockname(sock, (struct sockaddr *)addr);
}

/*
 * kernel_getsockname takes the socket lock, which sleeps: in atomic context
 * only IPv4 and IPv6 sockets, whose addresses can be read without it, are
 * described.
 */
/* Linux's generic numbers, which MIPS swaps (arch/mips/include/asm/socket.h). */
static uint32_t wire_socket_type(int type)
{
#if defined(CONFIG_MIPS)
	if (type == SOCK_STREAM)
		return 1;
	if (type == SOCK_DGRAM)
		return 2;
#endif
	return type;
}

static long hm_socket_info(void *opaque, int64_t fd,
			   struct hm_socket_info *info)
{
	const struct hm_ctx *ctx = opaque;
	struct sockaddr_storage addr;
	struct socket *sock;
	struct file *file;
	long err = 0;

	file = fget_checked(ctx, fd);
	if (IS_ERR(file))
		return PTR_ERR(file);
	sock = sock_from_file(file);
	if (!sock || !sock->sk) {
		err = -ENOTSOCK;
		goto out;
	}
	if (ctx->atomic && !is_inet(sock->sk)) {
		err = -EAGAIN;
		goto out;
	}
	info->family = sock->sk->sk_family;
	info->type = wire_socket_type(sock->type);
	info->protocol = sock->sk->sk_protocol;
	info->state = READ_ONCE(sock->sk->sk_state);
	copy_sockaddr(info->local, &info->local_len, &addr,
		      sock_name(ctx, sock, &addr, false));
	copy_sockaddr(info->remote, &info->remote_len, &addr,
		      sock_name(ctx, sock, &addr, true));
out:
	fput(file);
	return hm_wire_error(err);
}

/* A rename by prctl() races with this as with /proc/PID/comm: harmless. */
static long hm_comm(void *opaque, char comm[HM_COMM_LEN])
{
	strscpy_pad(comm, current->comm, HM_COMM_LEN);
	return 0;
}

const struct hm_agent_ops hm_kmod_ops = {
	.doorbell = hm_doorbell,
	.copy_from = hm_copy_from,
	.copy_to = hm_copy_to,
	.string_from = hm_string_from,
	.fd_name = hm_fd_name,
	.proc_area = hm_proc_area,
	.pid = hm_pid,
	.read_file = hm_read_file,
	.socket_info = hm_socket_info,
	.comm = hm_comm,
	.proc_list = hm_proc_list,
	.proc_maps = hm_proc_maps,
	.proc_fds = hm_proc_fds,
	.proc_path = hm_proc_path,
	.write_file = hm_write_file,
	.use_process = hm_use_process,
};
