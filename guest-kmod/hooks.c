// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Process events from the sched tracepoints sched_process_exec, _exit and
 * _fork, where the host's subscription asks for them (protocol.h).
 *
 * Syscall events from the raw_syscalls tracepoints sys_enter and sys_exit:
 * those the host subscribes to (HM_FEATURE_SUBSCRIBE), within the
 * `syscalls` parameter where it is set (a list such as "1,16" or "0-3",
 * changeable at run time in /sys/module/hypermem/parameters/syscalls);
 * without a subscription, those of the parameter.
 *
 * The tracepoints are not exported by name; for_each_kernel_tracepoint finds
 * them. Their probes run with preemption disabled (__DO_TRACE in
 * include/linux/tracepoint.h), so events are served in atomic context.
 *
 * The syscall probes are registered only while they could raise an event
 * (syscalls_update() below): a probe on raw_syscalls puts every task on
 * the kernel's slow syscall path (SYSCALL_WORK_SYSCALL_TRACEPOINT).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/compat.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include <asm/syscall.h>
#include "hypermem.h"

/* MIPS numbers each ABI's syscalls from its own base: o32 4000, n64 5000. */
#if defined(CONFIG_MIPS)
#define HM_MAX_SYSCALLS (__NR_Linux + 1024)
#else
#define HM_MAX_SYSCALLS 1024
#endif

struct hm_filter {
	struct rcu_head rcu;
	DECLARE_BITMAP(nr, HM_MAX_SYSCALLS);
};

static struct hm_filter __rcu *hm_filter;
static DEFINE_MUTEX(hm_filter_lock);

static int syscalls_set(const char *val, const struct kernel_param *kp)
{
	struct hm_filter *new, *old;
	int err;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	err = bitmap_parselist(val, new->nr, HM_MAX_SYSCALLS);
	if (err) {
		kfree(new);
		return err;
	}
	mutex_lock(&hm_filter_lock);
	old = rcu_replace_pointer(hm_filter, new,
				  lockdep_is_held(&hm_filter_lock));
	mutex_unlock(&hm_filter_lock);
	if (old)
		kfree_rcu(old, rcu);
	hm_hooks_settle();
	return 0;
}

/* Whether the parameter lets any syscall through without a subscription. */
static bool filter_set(void)
{
	const struct hm_filter *f;
	bool set;

	rcu_read_lock();
	f = rcu_dereference(hm_filter);
	set = f && !bitmap_empty(f->nr, HM_MAX_SYSCALLS);
	rcu_read_unlock();
	return set;
}

static int syscalls_get(char *buf, const struct kernel_param *kp)
{
	const struct hm_filter *f;
	int n;

	mutex_lock(&hm_filter_lock);
	f = rcu_dereference_protected(hm_filter,
				      lockdep_is_held(&hm_filter_lock));
	if (f)
		n = sysfs_emit(buf, "%*pbl\n", HM_MAX_SYSCALLS, f->nr);
	else
		n = sysfs_emit(buf, "\n");
	mutex_unlock(&hm_filter_lock);
	return n;
}

/* Called at unload, and when loading fails after the parameters were set. */
static void syscalls_free(void *arg)
{
	kfree(rcu_replace_pointer(hm_filter, NULL, true));
}

static const struct kernel_param_ops syscalls_ops = {
	.set = syscalls_set,
	.get = syscalls_get,
	.free = syscalls_free,
};

module_param_cb(syscalls, &syscalls_ops, NULL, 0644);
MODULE_PARM_DESC(syscalls,
		 "Syscall numbers that may raise events, e.g. 1,16: all the host subscribes to when unset; without a subscription, these alone");

/*
 * Whether to raise @event. The host's subscription decides where it has
 * one, within the `syscalls` parameter when that is set (a limit the
 * guest's administrator keeps); without one, the parameter alone, as
 * before subscriptions. A 32-bit task's numbers are another table's, which
 * the host cannot tell: those raise nothing.
 */
static bool wanted(const struct hm_event_record *event,
		   struct hm_fetch_list *fetch)
{
	const struct hm_filter *f = rcu_dereference_sched(hm_filter);
	bool listed = f && event->nr < HM_MAX_SYSCALLS &&
		      test_bit(event->nr, f->nr);

	switch (hm_wants(event, fetch)) {
	case HM_WANT_YES:
		return !f || listed;
	case HM_WANT_NO:
		return false;
	default:
		return listed;
	}
}

/*
 * A value the host sets, in the guest's register width: on a 32-bit
 * kernel, one whose upper half is neither zero nor the sign of the lower
 * one would be cut, so the control is not applied.
 */
static bool fits_long(u64 v)
{
	return (u64)(long)v == v;
}

#if defined(CONFIG_MIPS)
/*
 * The argument registers as the syscall takes them after sys_enter
 * (arch/mips/kernel/scall32-o32.S, scall64-n64.S: syscall_trace_entry
 * reloads them from pt_regs). o32 passes the fifth and sixth on the user
 * stack, which handle_sys copied to pad0[4] and pad0[5] before the trace;
 * syscall_get_arguments() would read the user stack again with a
 * get_user() that may sleep, and the probe runs in atomic context. The
 * return sets a3, the fourth, to the error flag; handle_sys saved it in
 * r26's slot first, where sys_exit finds it and a restarted call takes it
 * back (arch/mips/kernel/signal.c).
 */
static unsigned long *arg_slot(struct pt_regs *regs, int i)
{
#if defined(CONFIG_32BIT)
	if (i >= 4)
		return &regs->pad0[i];
#endif
	return &regs->regs[4 + i];
}

static void fill_args(struct pt_regs *regs, struct hm_event_record *event)
{
	int i;

	for (i = 0; i < 6; i++)
		event->args[i] = i == 3 ? regs->regs[26] : *arg_slot(regs, i);
}
#else
/* Pointers and unsigned values: zero-extended on a 32-bit kernel. */
static void fill_args(struct pt_regs *regs, struct hm_event_record *event)
{
	unsigned long args[6];
	int i;

	syscall_get_arguments(current, regs, args);
	for (i = 0; i < 6; i++)
		event->args[i] = args[i];
}
#endif

static bool args_fit(const struct hm_agent_control *c)
{
	int i;

	for (i = 0; i < 6; i++) {
		if ((c->arg_mask & (1u << i)) && !hm_fits_ulong(c->args[i]) &&
		    !fits_long(c->args[i])) {
			pr_warn_ratelimited("argument %d: 0x%llx does not fit this kernel's registers; arguments left unchanged\n",
					    i, c->args[i]);
			return false;
		}
	}
	return true;
}

#if defined(CONFIG_X86_64)
/*
 * The x86-64 syscall wrappers read their arguments from pt_regs when the
 * call runs (arch/x86/include/asm/syscall_wrapper.h), after sys_enter;
 * 6.1's asm/syscall.h has no syscall_set_arguments() for x86-64.
 */
static void set_args(struct pt_regs *regs, const struct hm_agent_control *c)
{
	unsigned long *args[6] = { &regs->di, &regs->si, &regs->dx,
				   &regs->r10, &regs->r8, &regs->r9 };
	int i;

	for (i = 0; i < 6; i++) {
		if (c->arg_mask & (1u << i))
			*args[i] = c->args[i];
	}
}
#elif defined(CONFIG_ARM64)
/*
 * The arm64 syscall wrappers read x0-x5 from pt_regs when the call runs
 * (arch/arm64/include/asm/syscall_wrapper.h), after sys_enter.
 * syscall_get_arguments() takes the first from orig_x0, which follows x0
 * as in the syscall_set_arguments() of later kernels.
 */
static void set_args(struct pt_regs *regs, const struct hm_agent_control *c)
{
	int i;

	for (i = 0; i < 6; i++) {
		if (c->arg_mask & (1u << i))
			regs->regs[i] = c->args[i];
	}
	regs->orig_x0 = regs->regs[0];
}
#elif defined(CONFIG_ARM)
/*
 * After syscall_trace_enter() the traced path reloads r0-r6 from pt_regs
 * (arch/arm/kernel/entry-common.S, __sys_trace: invoke_syscall reload=1);
 * syscall_get_arguments() takes the first from ARM_ORIG_r0.
 */
static void set_args(struct pt_regs *regs, const struct hm_agent_control *c)
{
	int i;

	for (i = 0; i < 6; i++) {
		if (c->arg_mask & (1u << i))
			regs->uregs[i] = c->args[i];
	}
	regs->ARM_ORIG_r0 = regs->ARM_r0;
}
#elif defined(CONFIG_MIPS)
static void set_args(struct pt_regs *regs, const struct hm_agent_control *c)
{
	int i;

	for (i = 0; i < 6; i++) {
		if (c->arg_mask & (1u << i))
			*arg_slot(regs, i) = c->args[i];
	}
	regs->regs[26] = regs->regs[7];
}
#else
/* 32-bit x86: no event control (HM_KMOD_CONTROL). */
static void set_args(struct pt_regs *regs, const struct hm_agent_control *c)
{
}
#endif

/*
 * A negative errno as the error it is: MIPS returns it as a positive
 * number with a3 set (syscall_set_return_value()'s error argument); the
 * others take either form.
 */
static void set_return(struct pt_regs *regs, u64 value)
{
	long ret = (long)value;

	if (!fits_long(value)) {
		pr_warn_ratelimited("return value 0x%llx does not fit this kernel's registers; left unchanged\n",
				    value);
		return;
	}
	syscall_set_return_value(current, regs,
				 IS_ERR_VALUE(ret) ? (int)ret : 0, ret);
}

/*
 * Skipping a syscall from sys_enter.
 *
 * The ptrace convention: orig_ax = -1 means "no syscall", and ax, which
 * the entry code set to -ENOSYS before the tracepoint, is then what the
 * task gets back. Whether the entry code honours an orig_ax changed at
 * sys_enter depends on the kernel:
 *
 * - Linux 6.1 (kernel/entry/common.c, syscall_trace_enter()) reads the
 *   number with syscall_get_nr() after ptrace and seccomp, passes that
 *   value to trace_sys_enter() and returns it; do_syscall_64() dispatches
 *   on the returned value, so a number changed at sys_enter is not seen
 *   and the call would run.
 * - Recent kernels read it again after trace_sys_enter() (kernel/entry/
 *   syscall-common.c, trace_syscall_enter()): nr == -1 dispatches nothing
 *   and leaves ax as the return value.
 *
 * Since the branch-history fixes (6.1.85 in the 6.1 series, 6.9 upstream)
 * do_syscall_x64() dispatches through x64_sys_call(regs, nr), one function
 * for every 64-bit syscall. A kprobe there completes the skip on kernels
 * of the first kind: a call whose pt_regs say orig_ax == -1 (set here
 * after the number was read, which nothing else on the path does) is sent
 * to hm_skipped(), which returns ax without running the syscall. On
 * kernels of the second kind the probe never sees such a call. Where
 * x64_sys_call does not exist the module does not offer
 * HM_FEATURE_SYSCALL_SKIP and the agent refuses a skip.
 *
 * The exit tracepoint then reports nr -1, so a skipped call raises no exit
 * event, as in guest-tiny; nothing restarts it after a signal either.
 */
#if defined(CONFIG_X86_64) && defined(CONFIG_KPROBES)
static long hm_skipped(const struct pt_regs *user, unsigned int nr)
{
	return user->ax;
}
NOKPROBE_SYMBOL(hm_skipped);

static int skip_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct pt_regs *user = (const struct pt_regs *)regs->di;

	if (user != task_pt_regs(current) || (long)user->orig_ax != -1)
		return 0;
	instruction_pointer_set(regs, (unsigned long)hm_skipped);
	return 1;	/* regs->ip changed: no single-step */
}
NOKPROBE_SYMBOL(skip_pre);

/*
 * The kprobe comes and goes with the syscall probes: a kprobe there costs
 * every syscall. hm_skip_ready: it could be placed at load, which is what
 * HM_FEATURE_SYSCALL_SKIP promises; hm_skip_armed: it is there now.
 */
static struct kprobe hm_skip_probe;
static bool hm_skip_ready;
static bool hm_skip_armed;

/* register_kprobe() fills in addr, which a second registration refuses. */
static int skip_arm(void)
{
	int err;

	hm_skip_probe = (struct kprobe){
		.symbol_name = "x64_sys_call",
		.pre_handler = skip_pre,
	};
	err = register_kprobe(&hm_skip_probe);
	hm_skip_armed = !err;
	return err;
}

static void skip_stop(void)
{
	if (hm_skip_armed)
		unregister_kprobe(&hm_skip_probe);
	hm_skip_armed = false;
}

static void skip_check(void)
{
	int err = skip_arm();

	hm_skip_ready = !err;
	if (err)
		pr_info("no syscall skip: kprobe on x64_sys_call: %d\n", err);
	skip_stop();
}

static void skip_start(void)
{
	int err = hm_skip_ready ? skip_arm() : 0;

	if (err)
		pr_warn("syscall skips run the call: kprobe on x64_sys_call: %d\n",
			err);
}

static void skip_syscall(struct pt_regs *regs, u64 ret)
{
	if (!hm_skip_armed)
		return;
	regs->orig_ax = -1;
	regs->ax = ret;
}
#elif defined(CONFIG_ARM64)
/*
 * arm64's syscall_trace_enter() (arch/arm64/kernel/ptrace.c) returns
 * regs->syscallno as trace_sys_enter() left it, and el0_svc_common()
 * dispatches nothing for NO_SYSCALL, leaving x0 as the return value: the
 * kernels of the second kind above, with no probe needed.
 */
static const bool hm_skip_ready = true;

static void skip_check(void)
{
}

static void skip_start(void)
{
}

static void skip_stop(void)
{
}

static void skip_syscall(struct pt_regs *regs, u64 ret)
{
	regs->syscallno = NO_SYSCALL;
	set_return(regs, ret);
}
#elif defined(CONFIG_MIPS)
/*
 * MIPS's syscall_trace_enter() (arch/mips/kernel/ptrace.c) returns
 * current_thread_info()->syscall as read after trace_sys_enter(), and
 * syscall_trace_entry skips the call for a negative one: the second kind
 * above again. But 6.1's then sets -ENOSYS for a negative number (meant
 * for a number the task gave), over the value set here. The skipped call
 * still passes trace_sys_exit() (syscall_exit_work, nr -1): there
 * skip_finish() gives it the host's value, kept for its task from here to
 * there in hm_skips (a task has one pending skip at most; more than
 * HM_SKIPS tasks between the two, each past the first HM_SKIPS returns
 * -ENOSYS, said in the kernel log).
 */
#define HM_SKIPS 64

static const bool hm_skip_ready = true;
static struct {
	struct task_struct *task;
	u64 ret;
} hm_skips[HM_SKIPS];
static DEFINE_SPINLOCK(hm_skips_lock);

static void skip_check(void)
{
}

static void skip_start(void)
{
}

static void skip_stop(void)
{
	memset(hm_skips, 0, sizeof(hm_skips));
}

static void skip_syscall(struct pt_regs *regs, u64 ret)
{
	unsigned long flags;
	int i, slot = -1;

	current_thread_info()->syscall = -1;
	set_return(regs, ret);
	spin_lock_irqsave(&hm_skips_lock, flags);
	for (i = 0; i < HM_SKIPS; i++) {
		if (hm_skips[i].task == current) {
			slot = i;
			break;
		}
		if (!hm_skips[i].task && slot < 0)
			slot = i;
	}
	if (slot >= 0) {
		hm_skips[slot].task = current;
		hm_skips[slot].ret = ret;
	}
	spin_unlock_irqrestore(&hm_skips_lock, flags);
	if (slot < 0)
		pr_warn_ratelimited("%d skipped calls pending: this one returns -ENOSYS\n",
				    HM_SKIPS);
}

/* At trace_sys_exit() of a call with nr -1: the value its skip set. */
static void skip_finish(struct pt_regs *regs)
{
	unsigned long flags;
	bool found = false;
	u64 ret = 0;
	int i;

	spin_lock_irqsave(&hm_skips_lock, flags);
	for (i = 0; i < HM_SKIPS; i++) {
		if (hm_skips[i].task == current) {
			ret = hm_skips[i].ret;
			hm_skips[i].task = NULL;
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&hm_skips_lock, flags);
	if (found)
		set_return(regs, ret);
}
#define HM_SKIP_FINISH
#else
/*
 * Elsewhere no skip: x86 without kprobes (above), and 32-bit ARM, whose
 * syscall_trace_enter() (arch/arm/kernel/ptrace.c) reads the
 * number before trace_sys_enter() and returns that copy, which
 * entry-common.S's __sys_trace dispatches: a number changed at sys_enter
 * is not seen. Only a kretprobe on syscall_trace_enter changing its
 * return value could skip the call; there is none, so the module does not
 * offer HM_FEATURE_SYSCALL_SKIP and the agent refuses a skip.
 */
static const bool hm_skip_ready;

static void skip_check(void)
{
}

static void skip_start(void)
{
}

static void skip_stop(void)
{
}

static void skip_syscall(struct pt_regs *regs, u64 ret)
{
}
#endif

static bool hm_process_ready;

u64 hm_hooks_features(void)
{
	return (hm_skip_ready ? HM_FEATURE_SYSCALL_SKIP : 0) |
	       (hm_process_ready ? HM_FEATURE_PROC_EVENTS : 0);
}

static void raise_process(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
{
	struct hm_event_record event = {
		.kind = HM_EVENT_PROCESS,
		.nr = nr,
		.args = { a0, a1, a2, a3 },
	};
	struct hm_fetch_list fetch;

	if (hm_wants_process(&event, &fetch))
		hm_raise_atomic(&event, NULL, &fetch);
}

/* After a successful execve, in the new image: exec_binprm(). */
static void probe_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	raise_process(HM_PROC_EXEC, task_pid_nr(p), task_tgid_nr(p), old_pid,
		      0);
}

/*
 * In do_exit(), after exit_mm(): the status is set and signal->live
 * counted down, so 0 there means the process's last task.
 */
static void probe_exit(void *data, struct task_struct *p)
{
	raise_process(HM_PROC_EXIT, task_pid_nr(p), task_tgid_nr(p),
		      (u32)p->exit_code, !atomic_read(&p->signal->live));
}

/* In kernel_clone(), in the parent, before the child first runs. */
static void probe_fork(void *data, struct task_struct *parent,
		       struct task_struct *child)
{
	raise_process(HM_PROC_FORK, task_pid_nr(parent), task_tgid_nr(parent),
		      task_pid_nr(child), task_tgid_nr(child));
}

static void probe_sys_enter(void *data, struct pt_regs *regs, long nr)
{
	struct hm_event_record event = {
		.kind = HM_EVENT_SYSCALL_ENTER,
		.nr = nr,
	};
	struct hm_agent_control control;
	struct hm_fetch_list fetch;

	if (nr < 0 || in_compat_syscall())
		return;
	fill_args(regs, &event);
	if (!wanted(&event, &fetch) ||
	    hm_raise_atomic(&event, &control, &fetch))
		return;
	if (args_fit(&control))
		set_args(regs, &control);
	/* The agent passes HM_CONTROL_SKIP only with the feature offered. */
	if (control.flags & HM_CONTROL_SKIP)
		skip_syscall(regs, control.ret);
}

static void probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	long nr = syscall_get_nr(current, regs);
	struct hm_event_record event = {
		.kind = HM_EVENT_SYSCALL_EXIT,
		.nr = nr,
		.ret = ret,
	};
	struct hm_agent_control control;
	struct hm_fetch_list fetch;

	/* nr -1: a call that was skipped, or that ptrace cancelled. */
	if (nr < 0) {
#ifdef HM_SKIP_FINISH
		skip_finish(regs);
#endif
		return;
	}
	if (in_compat_syscall())
		return;
	fill_args(regs, &event);
	if (!wanted(&event, &fetch))
		return;
	/*
	 * trace_sys_exit() runs before the return to user space, which
	 * gets the register syscall_set_return_value() sets.
	 */
	if (!hm_raise_atomic(&event, &control, &fetch) &&
	    (control.flags & HM_CONTROL_RETURN))
		set_return(regs, control.ret);
}

struct hm_tracepoints {
	struct tracepoint *enter;
	struct tracepoint *exit;
	struct tracepoint *exec;
	struct tracepoint *process_exit;
	struct tracepoint *fork;
};

static struct hm_tracepoints hm_tps;

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	struct hm_tracepoints *tps = priv;

	if (!strcmp(tp->name, "sys_enter"))
		tps->enter = tp;
	else if (!strcmp(tp->name, "sys_exit"))
		tps->exit = tp;
	else if (!strcmp(tp->name, "sched_process_exec"))
		tps->exec = tp;
	else if (!strcmp(tp->name, "sched_process_exit"))
		tps->process_exit = tp;
	else if (!strcmp(tp->name, "sched_process_fork"))
		tps->fork = tp;
}

/* All three or none: HM_FEATURE_PROC_EVENTS promises each. */
static void process_start(void)
{
	struct hm_tracepoints *t = &hm_tps;

	if (!t->exec || !t->process_exit || !t->fork)
		goto none;
	if (tracepoint_probe_register(t->exec, probe_exec, NULL))
		goto none;
	if (tracepoint_probe_register(t->process_exit, probe_exit, NULL))
		goto err_exec;
	if (tracepoint_probe_register(t->fork, probe_fork, NULL))
		goto err_exit;
	hm_process_ready = true;
	return;

err_exit:
	tracepoint_probe_unregister(t->process_exit, probe_exit, NULL);
err_exec:
	tracepoint_probe_unregister(t->exec, probe_exec, NULL);
	tracepoint_synchronize_unregister();
none:
	pr_info("no process events: sched tracepoints not available\n");
}

static void process_stop(void)
{
	if (!hm_process_ready)
		return;
	tracepoint_probe_unregister(hm_tps.fork, probe_fork, NULL);
	tracepoint_probe_unregister(hm_tps.process_exit, probe_exit, NULL);
	tracepoint_probe_unregister(hm_tps.exec, probe_exec, NULL);
	hm_process_ready = false;
}

/*
 * Whether the syscall probes are registered (syscall_probes in
 * /sys/module/hypermem/parameters), and whether loading is over and
 * unloading not begun; both under hm_syscalls_lock.
 */
static bool hm_syscalls_on;
module_param_named(syscall_probes, hm_syscalls_on, bool, 0444);
MODULE_PARM_DESC(syscall_probes,
		 "Read only: the raw_syscalls probes are registered (some host's subscription could want a syscall event)");
static bool hm_hooks_running;
static DEFINE_MUTEX(hm_syscalls_lock);

/* sys_exit first: a task that passes our sys_enter meets our sys_exit. */
static void syscalls_start(void)
{
	int err;

	skip_start();
	err = tracepoint_probe_register(hm_tps.exit, probe_sys_exit, NULL);
	if (err)
		goto err_skip;
	err = tracepoint_probe_register(hm_tps.enter, probe_sys_enter, NULL);
	if (err)
		goto err_exit;
	hm_syscalls_on = true;
	return;

err_exit:
	tracepoint_probe_unregister(hm_tps.exit, probe_sys_exit, NULL);
	tracepoint_synchronize_unregister();
err_skip:
	skip_stop();
	pr_warn_ratelimited("no syscall events: raw_syscalls probes: %d\n",
			    err);
}

/*
 * A task may be past our sys_enter, which set up a skip, and not yet at
 * the dispatch that the skip kprobe completes (x86-64), or at the
 * sys_exit that finishes it (MIPS); on the way it may be preempted, never
 * sleep voluntarily or return to user mode. So RCU Tasks, whose grace
 * period waits for every task to do one of those, lets both probes go
 * only after every such task got there. A kernel without CONFIG_TASKS_RCU
 * is one that does not preempt kernel code (kernel/rcu/Kconfig), where
 * synchronize_rcu_tasks() is synchronize_rcu().
 */
static void syscalls_stop(void)
{
	tracepoint_probe_unregister(hm_tps.enter, probe_sys_enter, NULL);
	tracepoint_synchronize_unregister();
	synchronize_rcu_tasks();
	tracepoint_probe_unregister(hm_tps.exit, probe_sys_exit, NULL);
	tracepoint_synchronize_unregister();
	skip_stop();
	hm_syscalls_on = false;
}

/*
 * The host rewrites its subscription whenever it likes, with no doorbell
 * to the guest: besides the calls to hm_hooks_changed() (a CPU registered
 * or went, the parameter changed, an event's round trip found the table
 * changed), the work looks again every HM_SYSCALLS_POLL while any CPU has
 * a host, so that a hook added while no event flows is served within a
 * tenth of a second. Its timer is deferrable: an idle guest is not woken
 * for it, and a CPU that wakes makes its syscalls after the timer ran.
 */
#define HM_SYSCALLS_POLL (HZ / 10)

static void syscalls_update(struct work_struct *work);
static DECLARE_DEFERRABLE_WORK(hm_syscalls_work, syscalls_update);

static void syscalls_update(struct work_struct *work)
{
	bool any_host, want;

	mutex_lock(&hm_syscalls_lock);
	if (!hm_hooks_running)
		goto out;
	want = hm_syscalls_wanted(filter_set(), &any_host);
	if (want && !hm_syscalls_on)
		syscalls_start();
	else if (!want && hm_syscalls_on)
		syscalls_stop();
	if (any_host)
		queue_delayed_work(system_wq, &hm_syscalls_work,
				   HM_SYSCALLS_POLL);
out:
	mutex_unlock(&hm_syscalls_lock);
}

void hm_hooks_changed(void)
{
	if (READ_ONCE(hm_hooks_running))
		mod_delayed_work(system_wq, &hm_syscalls_work, 0);
}

void hm_hooks_settle(void)
{
	hm_hooks_changed();
	flush_delayed_work(&hm_syscalls_work);
}

/* Before the CPUs register: hm_hooks_features() is known from here on. */
int hm_hooks_start(void)
{
	for_each_kernel_tracepoint(find_tracepoint, &hm_tps);
	if (!hm_tps.enter || !hm_tps.exit) {
		pr_err("raw_syscalls tracepoints not found\n");
		return -ENOENT;
	}
	skip_check();
	process_start();
	mutex_lock(&hm_syscalls_lock);
	WRITE_ONCE(hm_hooks_running, true);
	mutex_unlock(&hm_syscalls_lock);
	return 0;
}

/*
 * After the probes are gone and synchronized nothing calls
 * hm_hooks_changed() with hm_hooks_running still read as true.
 */
void hm_hooks_stop(void)
{
	mutex_lock(&hm_syscalls_lock);
	WRITE_ONCE(hm_hooks_running, false);
	if (hm_syscalls_on)
		syscalls_stop();
	mutex_unlock(&hm_syscalls_lock);
	process_stop();
	tracepoint_synchronize_unregister();
	cancel_delayed_work_sync(&hm_syscalls_work);
}
