/* SPDX-License-Identifier: MIT */
/**
 * @file qemu.h
 * Stock QEMU as a backend: a guest that an unpatched QEMU runs, reached
 * through QEMU's ivshmem-doorbell device with libhypermem's mailbox
 * transport in the device's shared memory.
 *
 * A monitor creates the backend with qemu_new(), makes its ivshmem
 * server listen and lays the mailbox in the shared memory with
 * qemu_listen() (before any QEMU connects: the guest's driver reads the
 * mailbox's header when it probes the device), then either launches its
 * own QEMU on a machine type of the table (qemu_launch()), lets a person
 * start one with the device options qemu_device_line() gives, or plugs
 * the device into a running QEMU through its QMP monitor (qemu_attach(),
 * undone by qemu_detach() after the run). qemu_run()
 * takes QEMU's connection and serves the guest's doorbells on the calling
 * thread, where the event handler runs, until the run ends; qemu_kill()
 * ends our QEMU and hands over the rest of its console.
 *
 * Functions return 0 or a negative errno value; nothing here prints.
 */
#ifndef QEMU_QEMU_H
#define QEMU_QEMU_H

#include <stddef.h>
#include <sys/types.h>

#include <hypermem/hypermem.h>

/** The shared memory: a power of two for QEMU's BAR, a slot per CPU. */
#define QEMU_SHM_SIZE (4u << 20)

/** A QEMU program and machine type that boots a guest architecture. */
struct qemu_machine {
	const char *arch;	/**< the guest's: x86_64 aarch64 arm ... */
	const char *program;	/**< qemu-system-... */
	const char *machine;	/**< -machine, or NULL: the default one */
	const char *kvm_machine; /**< -machine under KVM, or NULL: machine */
	const char *cpu;	/**< -cpu under TCG, or NULL: the default */
	const char *console;	/**< its serial port's name for console= */
	const char *package;	/**< Debian's package that has program */
	unsigned int mem_mib;	/**< guest RAM unless told */
	/**
	 * Whether its interrupt controller gives a PCI device MSI-X, which
	 * ivshmem-doorbell's interrupts need (Malta's does not).
	 */
	int msix;
};

/**
 * The machine type for guests of the host's own architecture, the one
 * KVM can accelerate; NULL where the table has none.
 */
const struct qemu_machine *qemu_machine_native(void);

/** The machine type for guests of @arch (its name), or NULL. */
const struct qemu_machine *qemu_machine_find(const char *arch);

/** The table's architectures' names, "x86_64, aarch64, ...", into @buf. */
void qemu_machine_names(char *buf, size_t cap);

/** How many bytes of a kernel image qemu_kernel_arch() looks at. */
#define QEMU_KERNEL_HEAD 1024

/** What qemu_kernel_arch() made of a kernel image. */
struct qemu_kernel_format {
	const char *arch;	/**< the table's name for it, or NULL */
	const char *format;	/**< what it is, for people, or NULL */
};

/**
 * Which architecture the kernel image whose first @len bytes (at most
 * QEMU_KERNEL_HEAD are read) are @head is for: an x86 bzImage, an arm64
 * Image, a 32-bit ARM zImage (with an EFI stub or not), or an ELF
 * (vmlinux; Debian's MIPS vmlinuz) of the table's architectures.
 * @return 0, @f's arch set; -EOPNOTSUPP, a format known (@f's format)
 * for an architecture or byte order no machine type boots; -ENOEXEC.
 */
int qemu_kernel_arch(const void *head, size_t len,
		     struct qemu_kernel_format *f);

/** qemu_kernel_arch() on the file at @path; or open()'s, pread()'s error. */
int qemu_kernel_file_arch(const char *path, struct qemu_kernel_format *f);

/** The console callback: QEMU's serial output, cpu always -1. */
typedef void (*qemu_console_fn)(int cpu, const char *buf, size_t len,
				void *opaque);

struct qemu_config {
	/**
	 * The ivshmem server's socket, for a QEMU a person starts; NULL:
	 * one in a private directory, removed once our QEMU connected.
	 */
	const char *socket;
	/**
	 * The user a QEMU must run as to be served (another is refused:
	 * qemu_result.refused); NULL: this process's effective user.
	 */
	const uid_t *peer_uid;
	/**
	 * No doorbell: QEMU gets ivshmem-plain on the shared memory (as
	 * /proc/PID/fd/N of this process: QEMU must run as its user) and
	 * the host polls the mailbox (hm_mailbox_set_polled()), for
	 * machines whose interrupt controller has no MSI-X, where
	 * ivshmem-doorbell does not realize; else ivshmem-doorbell.
	 */
	int polled;
	unsigned int timeout_ms;	/**< the whole run's, from qemu_new() */
	qemu_console_fn console_fn;	/**< NULL: the console is dropped */
	void *console_opaque;
	hm_event_fn event_fn;		/**< on qemu_run()'s thread */
	void *event_opaque;
};

/** Our own QEMU (qemu_launch()): what it boots and on what. */
struct qemu_launch {
	const struct qemu_machine *machine;
	const char *kernel;
	const char *initrd;		/**< or NULL */
	const char *append;
	/**
	 * A raw disk image, or NULL: a virtio disk (/dev/vda) whose writes
	 * go to a temporary file (snapshot=on), so the image stays as it is.
	 */
	const char *drive;
	const char *const *extra_args;	/**< @extra_argc more, as given */
	unsigned int extra_argc;
	unsigned int cpus;
	unsigned int mem_mib;
	/** -accel kvm (only on the host's own architecture), else tcg */
	int kvm;
	int console_input;		/**< our stdin: the guest's serial */
};

/** How qemu_run() ended. */
enum qemu_end {
	QEMU_END_RUNNING = 0,	/**< not yet */
	QEMU_END_STOPPED,	/**< qemu_stop() */
	QEMU_END_TIMEOUT,	/**< the config's timeout passed */
	QEMU_END_EXITED,	/**< our QEMU exited: qemu_result.status */
	QEMU_END_LEFT,		/**< the person's QEMU hung up */
	QEMU_END_FAILED,	/**< serving failed: qemu_result.error */
};

/** What failed, with QEMU_END_FAILED. */
enum qemu_failure {
	QEMU_FAILED_ACCEPT,	/**< taking QEMU's connection */
	QEMU_FAILED_POLL,	/**< waiting for the guest */
	QEMU_FAILED_WATCH,	/**< starting the deadline's thread */
};

struct qemu_result {
	enum qemu_end end;
	int connected;			/**< a QEMU connected */
	unsigned int refused;		/**< connections of another user */
	unsigned int registered;	/**< guest CPUs that registered */
	/** The guests' hand-overs of the turn (hm_stats.exits), summed. */
	uint64_t exits;
	int status;			/**< QEMU_END_EXITED: wait status */
	enum qemu_failure failure;	/**< QEMU_END_FAILED: what, and */
	int error;			/**< its -errno */
};

struct qemu;

/**
 * A backend with @c; the run's deadline starts now.
 * @return 0; -ENOMEM; mkdtemp()'s error or -ENAMETOOLONG for the private
 * socket's directory.
 */
int qemu_new(const struct qemu_config *c, struct qemu **ret);

/** Where the ivshmem server listens, or will. */
const char *qemu_socket(const struct qemu *q);

/**
 * Listen at qemu_socket() and lay the mailbox in the shared memory.
 * @return 0; ivshmem_server_new()'s error, or *@mailbox_failed set and
 * hm_vm_new()'s or hm_mailbox_new()'s.
 */
int qemu_listen(struct qemu *q, int *mailbox_failed);

/**
 * The options that give a QEMU the device served at qemu_socket()
 * (ivshmem-doorbell, or with qemu_config.polled ivshmem-plain on the
 * shared memory's /proc/PID/fd/N and a chardev on the socket), as one
 * line for a person to add, after qemu_listen(): 0, or -ENAMETOOLONG.
 */
int qemu_device_line(const struct qemu *q, char *buf, size_t cap);

/**
 * Our QEMU's command line for @l, as a shell takes it: 0; -E2BIG;
 * -EOPNOTSUPP, @l's machine has no MSI-X for ivshmem-doorbell.
 */
int qemu_launch_line(const struct qemu *q, const struct qemu_launch *l,
		     char *buf, size_t cap);

/**
 * Start our QEMU on @l; it dies with this process.
 * @return 0; -E2BIG; -EOPNOTSUPP, the machine has no MSI-X; exec's error (-ENOENT: not installed), or that of
 * pipe(), fork() or pidfd_open().
 */
int qemu_launch(struct qemu *q, const struct qemu_launch *l);

/**
 * Take QEMU's connection, then serve the guest's doorbells and pass its
 * console on, until the run ends (qemu_is_stopping()). A thread of its
 * own keeps the deadline: at the deadline, as at qemu_stop(), a handler's
 * operation ends at once (-ECANCELED) rather than at its next answer.
 */
void qemu_run(struct qemu *q, struct qemu_result *res);

/**
 * End the run, and the operation a handler waits on with it; safe from
 * the event handler, any thread and a signal handler.
 */
void qemu_stop(struct qemu *q);

/**
 * Whether the run is ending, for any reason: a stop, the deadline, our
 * QEMU's exit, the person's QEMU hanging up. A handler that loops polls
 * it: the guest gives up on a host that does not answer, and goes on.
 */
int qemu_is_stopping(struct qemu *q);

/** The step of qemu_attach() or qemu_detach() that failed, or last done. */
enum qemu_attach_step {
	QEMU_ATTACH_MONITOR,	/**< connecting to QMP, qmp_capabilities */
	QEMU_ATTACH_CHARDEV,	/**< chardev-add of our socket */
	QEMU_ATTACH_CONNECT,	/**< taking the chardev's connection */
	QEMU_ATTACH_BUS,	/**< query-pci, for a free root port */
	QEMU_ATTACH_DEVICE,	/**< device_add of the ivshmem device */
	QEMU_DETACH_DEVICE,	/**< device_del, until DEVICE_DELETED */
	QEMU_DETACH_CHARDEV,	/**< chardev-remove */
	QEMU_ATTACH_MEMORY,	/**< polled: object-add of the memory */
	QEMU_DETACH_MEMORY,	/**< polled: object-del */
};

/** What qemu_attach() and qemu_detach() did. */
struct qemu_attach_info {
	enum qemu_attach_step step;
	/** The device's bus: a free PCI bridge's id, or "" (the root bus). */
	char bus[64];
	/** With -EREMOTEIO: QEMU's own words for refusing the step. */
	char message[256];
};

/** The device's, its chardev's and its memory's id in an attached QEMU. */
#define QEMU_ATTACH_ID "hypermem"

/**
 * Plug the ivshmem-doorbell device served at qemu_socket() into the
 * running QEMU whose QMP monitor listens at @qmp_path, after
 * qemu_listen(): chardev-add, then (qemu_config.polled: object-add of a
 * memory-backend-file on the shared memory and ivshmem-plain on it)
 * device_add into the first PCI bridge
 * (a q35's pcie-root-port) with an id and nothing behind it, else into
 * the root bus (a pc's). qemu_run() then serves it; qemu_detach() takes
 * it out. Within the run's deadline.
 * @return 0; -EREMOTEIO, QEMU refused (@info's message); -ETIMEDOUT;
 * -EPIPE, QEMU hung up; -EPROTO; connect()'s error for the monitor.
 * @info's step says which; what was added is removed again on failure.
 */
int qemu_attach(struct qemu *q, const char *qmp_path,
		struct qemu_attach_info *info);

/**
 * Take the device out of an attached QEMU, which goes on running:
 * device_del, DEVICE_DELETED within @timeout_ms (the guest lets go of the
 * device first: on a PCI Express port its pciehp driver, on a pc ACPI),
 * then chardev-remove. 0 when nothing was attached; else as
 * qemu_attach(), -ETIMEDOUT where the guest kept the device.
 */
int qemu_detach(struct qemu *q, unsigned int timeout_ms,
		struct qemu_attach_info *info);

/** Kill our QEMU unless it exited, and pass on what its console left. */
void qemu_kill(struct qemu *q);

void qemu_free(struct qemu *q);

/** The guest's libhypermem VM, to subscribe to its events. */
struct hm_vm *qemu_get_hm(struct qemu *q);

/** The guest CPU whose mailbox slot @vcpu is. */
unsigned int qemu_cpu_index(struct qemu *q, struct hm_vcpu *vcpu);

#endif
