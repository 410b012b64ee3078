// SPDX-License-Identifier: MIT
/*
 * The run under a stock QEMU (qemu/qemu.h): a Linux kernel booted by our
 * QEMU, or whatever the QEMU a person starts at --qemu-socket boots, its
 * ivshmem-doorbell device's memory the guest's mailbox; what was booted,
 * and how the run ended as an exit code and a message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qemu/qemu.h>
#include <vmm/vmm.h>

#include "backend.h"
#include "output.h"

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct run *r = opaque;

	return r->client->event(r->client->opaque, vcpu,
				(int)qemu_cpu_index(r->guest, vcpu), ev);
}

/* Whether @word is one of the words on a line of /proc/cpuinfo. */
static int has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(line, word); p; p = strstr(p + 1, word))
		if (p > line && p[-1] == ' ' &&
		    (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

/*
 * KVM runs a guest's kernel code in hardware only on VT-x or AMD-V (vmx,
 * svm). A /dev/kvm without them (kvm_pvm, a nested KVM) emulates it and
 * cannot boot Linux: scripts/kvm-check's "kernel" need.
 */
static int cpu_has_virtualization(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5))
			found = has_word(line, "vmx") || has_word(line, "svm");
	fclose(f);
	return found;
}

/* --accel: whether QEMU gets KVM (*kvm); 0, or an exit code. */
static int pick_accel(const struct options *o, int *kvm)
{
	switch (o->accel) {
	case RUN_ACCEL_TCG:
		*kvm = 0;
		return 0;
	case RUN_ACCEL_KVM:
		*kvm = 1;
		return run_check_kvm();
	default:
		*kvm = !vmm_check_kvm() && cpu_has_virtualization();
		return 0;
	}
}

/* The ivshmem server and the mailbox in its memory; 0 or an exit code. */
static int listen_for_qemu(const struct options *o, struct qemu *q)
{
	int mailbox_failed, err = qemu_listen(q, &mailbox_failed);

	if (!err)
		return 0;
	if (mailbox_failed) {
		output_error("setting up the guest's mailbox: %s",
			     strerror(-err));
		return EXIT_GUEST;
	}
	output_error("cannot serve QEMU at %s: %s", qemu_socket(q),
		     strerror(-err));
	return o->qemu_socket ? EXIT_USAGE : EXIT_GUEST;
}

/* Start our QEMU on the kernel the options name; 0 or an exit code. */
static int launch(struct run *r, const struct options *o, int kvm)
{
	int terminal = isatty(STDIN_FILENO), err;
	const struct qemu_launch l = {
		.machine = qemu_machine_native(),
		.kernel = o->kernel, .initrd = o->initrd,
		.append = o->append ? o->append : LINUX_DEFAULT_APPEND,
		.drive = o->drive,
		.extra_args = o->qemu_args, .extra_argc = o->qemu_argc,
		.cpus = o->cpus, .kvm = kvm, .console_input = terminal,
		.mem_mib = o->mem_mib ? o->mem_mib :
			   (unsigned int)(VMM_LINUX_DEFAULT_MEM_SIZE >> 20),
	};
	char line[4096];

	if (qemu_launch_line(r->guest, &l, line, sizeof(line))) {
		output_error("the QEMU command line is too long");
		return EXIT_USAGE;
	}
	output_info("booting %s under QEMU (%s): %u vCPU%s, %u MiB",
		    o->kernel, kvm ? "KVM" : "TCG", l.cpus,
		    l.cpus > 1 ? "s" : "", l.mem_mib);
	if (o->drive)
		output_info("disk: %s (virtio, /dev/vda; its writes are "
			    "dropped at the end)", o->drive);
	output_info("command line: %s", l.append);
	output_info("%s", line);
	r->console.raw = terminal && !o->json;
	/*
	 * QEMU's stdio chardev makes the terminal raw itself, and puts back
	 * what it found unless it is killed: then this process does.
	 */
	if (terminal)
		terminal_save();
	err = qemu_launch(r->guest, &l);
	if (!err)
		return 0;
	if (err == -ENOENT)
		output_error("cannot start %s: it is not on PATH; install it "
			     "(Debian: %s)", l.machine->program,
			     l.machine->package);
	else
		output_error("cannot start %s: %s", l.machine->program,
			     strerror(-err));
	return EXIT_USAGE;
}

/* The person starts QEMU: say with what. */
static int announce(struct qemu *q)
{
	char line[1024];

	if (qemu_device_line(q, line, sizeof(line))) {
		output_error("--qemu-socket %s: too long for QEMU's options",
			     qemu_socket(q));
		return EXIT_USAGE;
	}
	output_notice("waiting for QEMU at %s; start it with: %s",
		      qemu_socket(q), line);
	return 0;
}

/* Serving failed: say why, as it happens. */
static void say_failure(const struct qemu_result *res)
{
	if (res->end != QEMU_END_FAILED)
		return;
	if (res->failure == QEMU_FAILED_ACCEPT)
		output_error("taking QEMU's connection: %s",
			     strerror(-res->error));
	else
		output_error("waiting for the guest: %s",
			     strerror(-res->error));
}

/* QEMU exits 0 after a power-off and, with -no-reboot, a reset. */
static int conclude_exit(int status)
{
	const char *program = qemu_machine_native()->program;

	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return run_finish(EXIT_OK, "guest powered off or reset", NULL);
	if (WIFEXITED(status))
		output_error("%s exited with status %d (its messages are "
			     "above)", program, WEXITSTATUS(status));
	else
		output_error("%s was killed by signal %d (%s)", program,
			     WTERMSIG(status), strsignal(WTERMSIG(status)));
	return run_finish(EXIT_GUEST, "QEMU failed", NULL);
}

/* The one place a run under QEMU becomes an exit code and a message. */
static int conclude(const struct run_client *client,
		    const struct qemu_result *res, const struct options *o)
{
	int code = run_conclude_client(client, NULL);

	if (code >= 0)
		return code;
	switch (res->end) {
	case QEMU_END_EXITED:
		return conclude_exit(res->status);
	case QEMU_END_LEFT:
		return run_finish(EXIT_OK, "QEMU disconnected", NULL);
	case QEMU_END_TIMEOUT:
		if (res->connected)
			run_timed_out(o);
		else if (o->qemu_socket)
			output_error("no QEMU connected to %s within %u s "
				     "(--timeout)", o->qemu_socket,
				     o->timeout_s);
		else
			output_error("QEMU did not connect to its ivshmem "
				     "socket within %u s (--timeout)",
				     o->timeout_s);
		return run_finish(EXIT_TIMEOUT, "timed out", NULL);
	case QEMU_END_FAILED:
		return run_finish(EXIT_GUEST, "serving QEMU failed", NULL);
	default:
		return run_finish(EXIT_GUEST, "guest did not finish", NULL);
	}
}

/* Our QEMU or the person's, served to its end; 0 or an exit code. */
static int serve(struct run *r, const struct options *o, int kvm,
		 struct qemu_result *res)
{
	int code = listen_for_qemu(o, r->guest);

	if (code)
		return code;
	r->client->started(r->client->opaque, NULL);
	code = o->qemu_socket ? announce(r->guest) : launch(r, o, kvm);
	if (!code) {
		qemu_run(r->guest, res);
		say_failure(res);
	}
	qemu_kill(r->guest);
	terminal_restore();
	console_flush(&r->console);
	r->client->ended(r->client->opaque);
	return code ? code : conclude(r->client, res, o);
}

/*
 * The ivshmem server and the mailbox in its memory come first, since the
 * guest reads the mailbox's header when its driver probes the device;
 * then QEMU, ours or the person's; then serve it. Our QEMU is killed on
 * every way out, and dies with this process.
 */
static int run_qemu(struct run *r, const struct options *o)
{
	const struct qemu_config c = {
		.socket = o->qemu_socket, .timeout_ms = o->timeout_s * 1000,
		.console_fn = console_write, .console_opaque = &r->console,
		.event_fn = on_event, .event_opaque = r,
	};
	struct qemu_result res;
	int kvm = 0, err, code;
	struct qemu *q;

	code = o->qemu_socket ? 0 : pick_accel(o, &kvm);
	if (code)
		return code;
	err = qemu_new(&c, &q);
	if (err) {
		output_error("cannot make a directory for QEMU's socket: %s",
			     strerror(-err));
		return EXIT_GUEST;
	}
	r->guest = q;
	code = serve(r, o, kvm, &res);
	r->guest = NULL;
	qemu_free(q);
	return code;
}

static struct hm_vm *qemu_hm_vm(void *guest)
{
	return qemu_get_hm(guest);
}

static void qemu_stop_guest(void *guest)
{
	qemu_stop(guest);
}

static int qemu_guest_is_stopping(void *guest)
{
	return qemu_is_stopping(guest);
}

const struct run_backend run_backend_qemu = {
	.run = run_qemu,
	.hm_vm = qemu_hm_vm,
	.stop = qemu_stop_guest,
	.is_stopping = qemu_guest_is_stopping,
};
