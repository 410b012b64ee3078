// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The whole system for the host (protocol.h, "The whole system"): every
 * task, and the memory map, open files, executable and working directory
 * of any process. pid 0 is the current task. What each uses, and in
 * atomic context (a syscall tracepoint, where nothing may sleep):
 *
 * list   find_ge_pid() and pid_task() under rcu_read_lock(), as /proc's
 *        readdir walks pids; task fields read under RCU. Atomic: yes.
 * maps   get_task_mm(), mmap_read_trylock() (mmap_read_lock() when it
 *        may sleep), find_vma() from the cursor, d_path() of vm_file,
 *        vm_ops->name() for [vdso] and [vvar]; mmput_async() in atomic
 *        context. Atomic: yes, but HM_EAGAIN when the mm's lock is held.
 * fds    the next file by fd number under rcu_read_lock(), with a
 *        reference for d_path(), fput(). Atomic: yes.
 * exe    the mm's exe_file under RCU with get_file_rcu(), d_path().
 * cwd    fs->pwd under task_lock() and fs->lock, d_path() (which does not
 *        sleep). Atomic: yes, both.
 * Pids are the initial namespace's, as the host sees the whole guest.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/version.h>
#include "hypermem.h"

/* The task @pid names, with a reference; current for 0. */
struct task_struct *hm_task_of(uint64_t pid)
{
	struct task_struct *task;

	if (!pid)
		return get_task_struct(current);
	if (pid > PID_MAX_LIMIT)
		return NULL;
	rcu_read_lock();
	task = pid_task(find_pid_ns(pid, &init_pid_ns), PIDTYPE_PID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task;
}

static void fill_entry(struct task_struct *task, struct hm_proc_entry *e)
{
	struct task_struct *parent = rcu_dereference(task->real_parent);

	memset(e, 0, sizeof(*e));
	e->pid = task_pid_nr(task);
	e->tgid = task_tgid_nr(task);
	/* init's parent is the idle task, pid 0: none. */
	e->ppid = parent ? task_tgid_nr(parent) : 0;
	e->start_ns = task->start_boottime;
	e->uid = from_kuid_munged(&init_user_ns, task_uid(task));
	e->state = task_state_to_char(task);
	e->flags = task->flags & PF_KTHREAD ? HM_PROC_KTHREAD : 0;
	strscpy_pad(e->comm, task->comm, sizeof(e->comm));
}

long hm_proc_list(void *opaque, uint64_t cursor, struct hm_agent_list *l)
{
	struct hm_proc_entry e;
	struct task_struct *task;
	struct pid *pid;
	/* pid 0, the idle task, is no process to list. */
	int nr = cursor > PID_MAX_LIMIT ? PID_MAX_LIMIT : max_t(int, cursor, 1);

	rcu_read_lock();
	for (;; nr++) {
		pid = find_ge_pid(nr, &init_pid_ns);
		if (!pid)
			break;
		nr = pid_nr(pid);
		task = pid_task(pid, PIDTYPE_PID);
		if (!task)
			continue;
		fill_entry(task, &e);
		if (hm_agent_list_proc(l, &e))
			break;
	}
	rcu_read_unlock();
	return 0;
}

/*
 * The mm of a task, with a reference, or NULL for a kernel thread; in
 * atomic context the reference is dropped by mmput_async().
 */
static void mm_put(const struct hm_ctx *ctx, struct mm_struct *mm)
{
	if (ctx->atomic)
		mmput_async(mm);
	else
		mmput(mm);
}

static const char *map_name(struct vm_area_struct *vma, char *buf,
			    size_t cap)
{
	struct mm_struct *mm = vma->vm_mm;
	const char *name;

	if (vma->vm_file) {
		name = d_path(&vma->vm_file->f_path, buf, cap);
		return IS_ERR(name) ? "" : name;
	}
	if (vma->vm_ops && vma->vm_ops->name) {
		name = vma->vm_ops->name(vma);
		if (name)
			return name;
	}
	if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk)
		return "[heap]";
	if (vma->vm_start <= mm->start_stack &&
	    vma->vm_end >= mm->start_stack)
		return "[stack]";
	return "";
}

static void map_entry(struct vm_area_struct *vma, size_t name_len,
		      struct hm_map_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->start = vma->vm_start;
	e->end = vma->vm_end;
	/* As /proc/PID/maps: an anonymous mapping's pgoff is no offset. */
	e->offset = vma->vm_file ? (uint64_t)vma->vm_pgoff << PAGE_SHIFT : 0;
	e->inode = vma->vm_file ? file_inode(vma->vm_file)->i_ino : 0;
	e->flags = (vma->vm_flags & VM_READ ? HM_MAP_READ : 0) |
		   (vma->vm_flags & VM_WRITE ? HM_MAP_WRITE : 0) |
		   (vma->vm_flags & VM_EXEC ? HM_MAP_EXEC : 0) |
		   (vma->vm_flags & VM_MAYSHARE ? HM_MAP_SHARED : 0);
	e->name_len = name_len;
}

long hm_proc_maps(void *opaque, uint64_t pid, uint64_t cursor,
		  struct hm_agent_list *l)
{
	const struct hm_ctx *ctx = opaque;
	struct task_struct *task = hm_task_of(pid);
	struct vm_area_struct *vma;
	struct hm_map_entry e;
	struct mm_struct *mm;
	const char *name;
	long err = 0;

	if (!l->scratch)
		return -EIO;
	if (!task)
		return -ESRCH;
	/* No mapping lies past a 32-bit kernel's addresses. */
	if (!hm_fits_ulong(cursor)) {
		put_task_struct(task);
		return 0;
	}
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return -ESRCH;
	if (!ctx->atomic)
		mmap_read_lock(mm);
	else if (!mmap_read_trylock(mm))
		err = -EAGAIN;
	if (err)
		goto out;
	for (vma = find_vma(mm, cursor); vma; vma = find_vma(mm, vma->vm_end)) {
		name = map_name(vma, l->scratch, HM_NAME_MAX);
		map_entry(vma, strlen(name), &e);
		if (hm_agent_list_map(l, &e, name))
			break;
	}
	mmap_read_unlock(mm);
out:
	mm_put(ctx, mm);
	return err;
}

/*
 * Linux 6.7 made files SLAB_TYPESAFE_BY_RCU: since, the fd lookup takes
 * the reference itself and get_file_rcu() rereads the slot it is given
 * until the file it holds is the one it got.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static struct file *file_get_rcu(struct file __rcu **slot)
{
	return get_file_rcu(slot);
}

static struct file *next_file_get_rcu(struct task_struct *task,
				      unsigned int *fd)
{
	return task_lookup_next_fdget_rcu(task, fd);
}
#else
static struct file *file_get_rcu(struct file __rcu **slot)
{
	struct file *file = rcu_dereference(*slot);

	return file && get_file_rcu(file) ? file : NULL;
}

static struct file *next_file_get_rcu(struct task_struct *task,
				      unsigned int *fd)
{
	struct file *file = task_lookup_next_fd_rcu(task, fd);

	return file && get_file_rcu(file) ? file : NULL;
}
#endif

/* The first open file of @task at fd *@fd or above, with a reference. */
struct file *hm_next_file_get(struct task_struct *task, unsigned int *fd)
{
	struct file *file;

	rcu_read_lock();
	file = next_file_get_rcu(task, fd);
	rcu_read_unlock();
	return file;
}

long hm_proc_fds(void *opaque, uint64_t pid, uint64_t cursor,
		 struct hm_agent_list *l)
{
	struct task_struct *task = hm_task_of(pid);
	unsigned int fd = cursor > INT_MAX ? INT_MAX : (unsigned int)cursor;
	struct hm_fd_entry e;
	struct file *file;
	const char *name;
	int full = 0;

	if (!task)
		return -ESRCH;
	if (!l->scratch || (task->flags & PF_KTHREAD)) {
		put_task_struct(task);
		return l->scratch ? -ESRCH : -EIO;
	}
	for (; !full && fd <= INT_MAX; fd++) {
		file = hm_next_file_get(task, &fd);
		if (!file)
			break;
		name = d_path(&file->f_path, l->scratch, HM_NAME_MAX);
		if (IS_ERR(name))
			name = "";
		memset(&e, 0, sizeof(e));
		e.fd = fd;
		e.open_flags = file->f_flags;
		e.name_len = strlen(name);
		full = hm_agent_list_fd(l, &e, name);
		fput(file);
	}
	put_task_struct(task);
	return 0;
}

static long exe_path(struct task_struct *task, char *buf, size_t cap)
{
	struct mm_struct *mm = get_task_mm(task);
	struct file *exe = NULL;
	const char *path;

	if (!mm)
		return -ESRCH;
	rcu_read_lock();
	exe = file_get_rcu(&mm->exe_file);
	rcu_read_unlock();
	mmput_async(mm);
	if (!exe)
		return -ENOENT;
	path = d_path(&exe->f_path, buf, cap);
	fput(exe);
	return hm_path_to_front(buf, cap, path);
}

static long cwd_path(struct task_struct *task, char *buf, size_t cap)
{
	const char *path = ERR_PTR(-ESRCH);
	struct fs_struct *fs;

	task_lock(task);
	fs = task->fs;
	if (fs) {
		spin_lock(&fs->lock);
		path = d_path(&fs->pwd, buf, cap);
		spin_unlock(&fs->lock);
	}
	task_unlock(task);
	return hm_path_to_front(buf, cap, path);
}

long hm_proc_path(void *opaque, uint64_t pid, enum hm_proc_path which,
		  char *buf, size_t cap)
{
	struct task_struct *task = hm_task_of(pid);
	long n;

	if (!task)
		return -ESRCH;
	if (task->flags & PF_KTHREAD)
		n = -ESRCH;
	else if (which == HM_PATH_EXE)
		n = exe_path(task, buf, cap);
	else
		n = cwd_path(task, buf, cap);
	put_task_struct(task);
	return n;
}
