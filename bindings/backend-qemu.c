// SPDX-License-Identifier: MIT
/*
 * The run under a stock QEMU (qemu/qemu.h): a Linux kernel booted by our
 * QEMU, whatever the QEMU a person starts at --qemu-socket boots, or a
 * running QEMU the device is hot-plugged into (--attach), its
 * ivshmem-doorbell device's memory the guest's mailbox; what was booted,
 * and how the run ended as an exit code and a message.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qemu/qemu.h>
#include <vmm/vmm.h>

#include "backend.h"
#include "output.h"

/*
 * How long the guest has to let go of the device at the end of --attach:
 * pciehp waits 5 s after QEMU's attention button (Linux's
 * drivers/pci/hotplug/pciehp_ctrl.c), and a call in flight up to the
 * module's mailbox_timeout_ms, 5 s.
 */
#define DETACH_TIMEOUT_MS 30000

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct run *r = opaque;

	return run_event(r, vcpu, (int)qemu_cpu_index(r->guest, vcpu), ev);
}

#ifdef __aarch64__
/* arm64's KVM is EL2's: it always runs guest kernel code in hardware. */
static int cpu_has_virtualization(void)
{
	return 1;
}
#else
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
#endif

/* The machine type our QEMU boots the guest on: its architecture's. */
static const struct qemu_machine *guest_machine(const struct options *o)
{
	return o->arch ? qemu_machine_find(o->arch) : qemu_machine_native();
}

/*
 * --accel: whether QEMU gets KVM (*kvm); 0, or an exit code. KVM runs
 * guests of the host's own architecture only; TCG emulates the others.
 */
static int pick_accel(const struct options *o, int *kvm)
{
	int native = guest_machine(o) == qemu_machine_native();

	switch (o->accel) {
	case RUN_ACCEL_TCG:
		*kvm = 0;
		return 0;
	case RUN_ACCEL_KVM:
		*kvm = 1;
		if (!native) {
			output_error("--accel kvm: KVM runs guests of this "
				     "machine's architecture, not %s ones; "
				     "QEMU emulates those (--accel tcg)",
				     o->arch);
			return EXIT_USAGE;
		}
		return run_check_kvm();
	default:
		*kvm = native && !vmm_check_kvm() && cpu_has_virtualization();
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
	if (err == -EEXIST && o->qemu_socket)
		output_error("--qemu-socket %s: there is a file there that is "
			     "not a socket", o->qemu_socket);
	else
		output_error("cannot serve QEMU at %s: %s", qemu_socket(q),
			     strerror(-err));
	return o->qemu_socket ? EXIT_USAGE : EXIT_GUEST;
}

/* Start our QEMU on the kernel the options name; 0 or an exit code. */
static int launch(struct run *r, const struct options *o, int kvm)
{
	int terminal = isatty(STDIN_FILENO), err;
	const struct qemu_machine *m = guest_machine(o);
	char line[4096], append[64];
	const struct qemu_launch l = {
		.machine = m,
		.kernel = o->kernel, .initrd = o->initrd,
		.append = o->append ? o->append : append,
		.drive = o->drive,
		.extra_args = o->qemu_args, .extra_argc = o->qemu_argc,
		.cpus = o->cpus, .kvm = kvm, .console_input = terminal,
		.mem_mib = o->mem_mib ? o->mem_mib : m->mem_mib,
	};

	snprintf(append, sizeof(append), "console=%s", m->console);
	err = qemu_launch_line(r->guest, &l, line, sizeof(line));
	if (err == -EOPNOTSUPP) {
		output_error("--qemu-doorbell on: %s guests run on QEMU's %s "
			     "machine, whose interrupt controller has no MSI-X "
			     "for ivshmem-doorbell; leave --qemu-doorbell at "
			     "auto (the host polls)", m->arch, m->machine);
		return EXIT_USAGE;
	}
	if (err) {
		output_error("the QEMU command line is too long");
		return EXIT_USAGE;
	}
	output_info("booting %s under QEMU (%s, %s): %u vCPU%s, %u MiB",
		    o->kernel, m->arch, kvm ? "KVM" : "TCG", l.cpus,
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

/*
 * Ctrl-C, SIGTERM and SIGHUP stop the run being served: the operation a
 * handler waits on ends at once, QEMU is killed or, attached, its device
 * unplugged. The signal's previous action comes back with it, so that a
 * second one does what it did before (no waiting for the unplug; the
 * terminal restored, console.c). A signal the caller ignores stays so.
 */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction saved_actions[3];
static struct qemu *serving;

static void on_stop_signal(int signo)
{
	size_t i;

	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		if (stop_signals[i] == signo)
			sigaction(signo, &saved_actions[i], NULL);
	if (serving)
		qemu_stop(serving);
}

static void catch_stop_signals(struct qemu *q)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	size_t i;

	if (serving)
		return;
	serving = q;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		sigaction(stop_signals[i], NULL, &saved_actions[i]);
		if (saved_actions[i].sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
	}
}

static void release_stop_signals(void)
{
	size_t i;

	if (!serving)
		return;
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &saved_actions[i], NULL);
	serving = NULL;
}

static const char *const attach_steps[] = {
	[QEMU_ATTACH_MONITOR] = "connecting to its monitor",
	[QEMU_ATTACH_CHARDEV] = "chardev-add",
	[QEMU_ATTACH_CONNECT] = "taking its chardev's connection",
	[QEMU_ATTACH_BUS] = "query-pci",
	[QEMU_ATTACH_DEVICE] = "device_add of the ivshmem device",
	[QEMU_DETACH_DEVICE] = "device_del",
	[QEMU_DETACH_CHARDEV] = "chardev-remove",
	[QEMU_ATTACH_MEMORY] = "object-add memory-backend-file",
	[QEMU_DETACH_MEMORY] = "object-del",
};

static void say_attach_error(const char *qmp, int err,
			     const struct qemu_attach_info *info)
{
	if (err == -EREMOTEIO)
		output_error("QEMU at %s refused %s: %s", qmp,
			     attach_steps[info->step], info->message);
	else
		output_error("QEMU at %s, %s: %s", qmp,
			     attach_steps[info->step], strerror(-err));
}

/*
 * QEMU could not hot-plug the device: the VM lacks a free slot that takes
 * hot-plug (q35's root bus does not), or the device. Next best: what to
 * start the VM with, for the next attach or for --qemu-socket.
 */
static void say_plug_help(const struct qemu_attach_info *info)
{
	if (info->step != QEMU_ATTACH_DEVICE)
		return;
	output_notice("the VM needs a place to hot-plug a PCI device: on q35 "
		      "start it with a free root port (-device pcie-root-port,"
		      "id=hmport,chassis=9,pref64-reserve=8M), a pc takes it on its root bus; "
		      "or restart it with the device itself: hypermem-run "
		      "--qemu-socket PATH prints its options");
}

/* The QEMU that connected runs as another user. */
static void say_other_user(const struct options *o)
{
	if (o->qemu_user)
		output_notice("only a QEMU of user %s is served (--qemu-user)",
			      o->qemu_user);
	else
		output_notice("only a QEMU of this user is served: name the "
			      "user yours runs as with --qemu-user");
}

/* Plug our device into the running QEMU; 0 or an exit code. */
static int attach(struct qemu *q, const struct options *o)
{
	struct qemu_attach_info info;
	int err;

	catch_stop_signals(q);
	err = qemu_attach(q, o->attach, &info);
	if (!err) {
		output_info("attached to QEMU at %s: %s on %s", o->attach,
			    o->doorbell == RUN_DOORBELL_OFF ? "ivshmem-plain" :
			    "ivshmem-doorbell",
			    info.bus[0] ? info.bus : "the root bus");
		return 0;
	}
	say_attach_error(o->attach, err, &info);
	say_plug_help(&info);
	if (err == -EACCES && info.step == QEMU_ATTACH_CONNECT)
		say_other_user(o);
	if (info.step == QEMU_ATTACH_MONITOR)
		return EXIT_USAGE;
	return err == -ETIMEDOUT ? EXIT_TIMEOUT : EXIT_GUEST;
}

/* Unplug it, the VM left running; 0 or an exit code. */
static int detach(struct qemu *q, const struct options *o,
		  const struct qemu_result *res)
{
	struct qemu_attach_info info;
	int err;

	if (res->end == QEMU_END_LEFT)
		return 0;
	err = qemu_detach(q, DETACH_TIMEOUT_MS, &info);
	if (!err) {
		output_info("detached from QEMU at %s: device and chardev "
			    "removed, the VM runs on", o->attach);
		return 0;
	}
	if (err == -ETIMEDOUT && info.step == QEMU_DETACH_DEVICE)
		output_error("the guest did not let go of the device within "
			     "%u s: it stays plugged in until the guest's "
			     "hot-plug driver (pciehp on a PCIe port, ACPI on a "
			     "pc) releases it", DETACH_TIMEOUT_MS / 1000);
	else
		say_attach_error(o->attach, err, &info);
	return EXIT_GUEST;
}

/* Serving failed: say why, as it happens. */
static void say_failure(const struct options *o,
			const struct qemu_result *res)
{
	if (res->refused) {
		output_error("refused %u connection%s of another user at %s",
			     res->refused, res->refused > 1 ? "s" : "",
			     o->qemu_socket ? o->qemu_socket : "the socket");
		say_other_user(o);
	}
	if (res->end != QEMU_END_FAILED)
		return;
	if (res->failure == QEMU_FAILED_ACCEPT)
		output_error("taking QEMU's connection: %s",
			     strerror(-res->error));
	else if (res->failure == QEMU_FAILED_WATCH)
		output_error("starting the run's deadline: %s",
			     strerror(-res->error));
	else
		output_error("waiting for the guest: %s",
			     strerror(-res->error));
}

/* QEMU exits 0 after a power-off and, with -no-reboot, a reset. */
static int conclude_exit(const struct options *o, int status)
{
	const char *program = guest_machine(o)->program;

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
		return conclude_exit(o, res->status);
	case QEMU_END_LEFT:
		return run_finish(EXIT_OK, "QEMU disconnected", NULL);
	case QEMU_END_TIMEOUT:
		if (res->connected && !res->registered)
			output_error("no guest CPU registered within %u s of "
				     "the %s (--timeout): check that hypermem "
				     "is loaded in the guest (lsmod; "
				     "hypermem.hotplug=1 to wait for the "
				     "device), that it sees PCI 1af4:1110 "
				     "(lspci -d 1af4:1110), and its kernel "
				     "log (dmesg | grep hypermem)",
				     o->timeout_s,
				     o->attach ? "attach" : "boot");
		else if (res->connected)
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
	case QEMU_END_STOPPED:
		/* Only a signal stops it: the client's stop came first. */
		return run_finish(EXIT_OK, "interrupted", NULL);
	default:
		return run_finish(EXIT_GUEST, "guest did not finish", NULL);
	}
}

/* Our QEMU or the person's, served to its end; 0 or an exit code. */
static int serve(struct run *r, const struct options *o, int kvm,
		 struct qemu_result *res)
{
	int code = listen_for_qemu(o, r->guest), detached = 0;

	if (code)
		return code;
	r->client->started(r->client->opaque, NULL);
	if (o->attach)
		code = attach(r->guest, o);
	else
		code = o->qemu_socket ? announce(r->guest) : launch(r, o, kvm);
	if (!code) {
		/* After launch(): its terminal handling is what comes back. */
		catch_stop_signals(r->guest);
		qemu_run(r->guest, res);
		r->exits = res->exits;
		say_failure(o, res);
	}
	if (!code && o->attach)
		detached = detach(r->guest, o, res);
	release_stop_signals();
	qemu_kill(r->guest);
	terminal_restore();
	console_flush(&r->console);
	r->client->ended(r->client->opaque);
	if (code)
		return code;
	code = conclude(r->client, res, o);
	return code ? code : detached;
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
		.socket = o->qemu_socket,
		/*
		 * auto: ivshmem-doorbell, whose interrupts are MSI-X, unless
		 * the machine we start has none (MIPS Malta); a QEMU the
		 * person started is theirs to say.
		 */
		.polled = o->doorbell == RUN_DOORBELL_OFF ||
			  (o->doorbell != RUN_DOORBELL_ON && !o->qemu_socket &&
			   !o->attach && !guest_machine(o)->msix),
		.peer_uid = o->qemu_user ? &o->qemu_uid : NULL,
		.timeout_ms = o->timeout_s * 1000,
		.console_fn = console_write, .console_opaque = &r->console,
		.event_fn = on_event, .event_opaque = r,
	};
	struct qemu_result res;
	int kvm = 0, err, code;
	struct qemu *q;

	code = o->qemu_socket || o->attach ? 0 : pick_accel(o, &kvm);
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
