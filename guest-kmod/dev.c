// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * /dev/hypermem: user events, and the loopback self-test of the op handlers.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "hypermem.h"
#include "hypermem_ioctl.h"

static long ioctl_raise(void __user *arg)
{
	struct hm_event_record event = { .kind = HM_EVENT_USER };
	struct hm_ioc_event req;
	int i;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	event.nr = req.code;
	for (i = 0; i < 6; i++)
		event.args[i] = req.args[i];
	return hm_raise_sleepable(&event);
}

static int serve_loopback(struct hm_region *region, char *name_buf,
			  bool atomic)
{
	struct hm_ctx ctx = { .atomic = atomic };
	struct hm_agent agent = {
		.ops = &hm_kmod_ops,
		.ctx = &ctx,
		.region = region,
		.region_pages = 1,
		.features = HM_KMOD_FEATURES,
		.name_buf = name_buf,
	};
	int ret;

	if (!atomic) {
		ret = hm_agent_serve(&agent);
		/* A USE_PROCESS lasts the one request here. */
		if (ctx.task)
			put_task_struct(ctx.task);
		return ret;
	}
	preempt_disable();
	ret = hm_agent_serve(&agent);
	preempt_enable();
	return ret;
}

static long ioctl_loopback(void __user *arg)
{
	struct hm_ioc_loopback req;
	struct hm_region *region;
	char *name_buf;
	void __user *uregion;
	long ret;

	if (!hm_loopback)
		return -EOPNOTSUPP;
	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~HM_LOOPBACK_ATOMIC || req.reserved)
		return -EINVAL;
	if (!hm_fits_ulong(req.region))
		return -EFAULT;
	region = kmalloc(sizeof(*region), GFP_KERNEL);
	name_buf = kmalloc(HM_NAME_MAX, GFP_KERNEL);
	ret = -ENOMEM;
	if (!region || !name_buf)
		goto out;
	uregion = u64_to_user_ptr(req.region);
	ret = -EFAULT;
	if (copy_from_user(region, uregion, sizeof(*region)))
		goto out;
	ret = serve_loopback(region, name_buf,
			     req.flags & HM_LOOPBACK_ATOMIC);
	if (copy_to_user(uregion, region, sizeof(*region)))
		ret = -EFAULT;
out:
	kfree(name_buf);
	kfree(region);
	return ret;
}

static long hm_dev_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case HM_IOC_RAISE:
		return ioctl_raise(uarg);
	case HM_IOC_LOOPBACK:
		return ioctl_loopback(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hm_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = hm_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice hm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hypermem",
	.fops = &hm_dev_fops,
	.mode = 0600,
};

int hm_dev_register(void)
{
	return misc_register(&hm_misc);
}

void hm_dev_unregister(void)
{
	misc_deregister(&hm_misc);
}
