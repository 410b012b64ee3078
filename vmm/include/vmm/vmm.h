/* SPDX-License-Identifier: MIT */
/**
 * @file vmm.h
 * The VMM core: runs a guest under KVM with libhypermem attached.
 *
 * A monitor fills struct vmm_config for a board, creates the VM with
 * vmm_new() and runs it with vmm_run() until the guest ends, KVM cannot go
 * on, the deadline passes or vmm_stop() is called.
 *
 * Boards on an x86-64 host:
 * - VMM_BOARD_TINY: guest-tiny (its boot contract is tiny/boot.h), every
 *   vCPU entered in long mode at the ELF entry; the run ends when every
 *   vCPU halted.
 * - VMM_BOARD_LINUX: an uncompressed vmlinux, entered in 32-bit protected
 *   mode through its PVH ELF note, or a bzImage, entered in long mode at
 *   startup_64 (x86 64-bit boot protocol). The guest sees RAM from 0 with
 *   an e820 map, the in-kernel PIC, IOAPIC and PIT, an MP table, an 8250
 *   UART at 0x3f8 on IRQ 4, and the i8042's reset line.
 *
 * On an arm64 host:
 * - VMM_BOARD_LINUX: an arm64 Image (Documentation/arch/arm64/booting.rst)
 *   entered at its first byte with the device tree's address in X0. The
 *   guest sees RAM from VMM_ARM64_RAM_BASE, described with everything
 *   else in the device tree: the in-kernel GICv3 and architected timer,
 *   PSCI 0.2 by HVC (KVM's, which starts the secondary vCPUs and powers
 *   off or resets the VM), and an ns16550a UART in MMIO at 0x09000000 on
 *   SPI 1. libhypermem's HVC doorbell reaches it through KVM's SMCCC
 *   filter.
 *
 * Every vCPU thread runs KVM_RUN under one deadline and stop signal,
 * VMM_KICK_SIGNAL, which libhypermem shares (hm_vm_set_kick_signal()), and
 * hands each exit to hm_vcpu_handle_exit() first. Functions return 0 or a
 * negative errno value; nothing here prints, except console output when no
 * console callback is set.
 */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <linux/kvm.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <hypermem/hypermem.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The most vCPUs a guest may have. */
#define VMM_MAX_CPUS 16

/** Default guest RAM of the linux board: 512 MiB. */
#define VMM_LINUX_DEFAULT_MEM_SIZE (512ull << 20)

/** Where guest RAM begins on arm64 (on x86-64: at 0). */
#define VMM_ARM64_RAM_BASE 0x80000000ull

/** Processes of guest-tiny whose exit status the result keeps. */
#define VMM_TINY_MAX_PROCS 64

/**
 * The one signal that kicks vCPU threads out of KVM_RUN, for a stop, the
 * run's deadline and libhypermem's operation deadlines. The core installs
 * its handler; the monitor must not use it.
 */
#define VMM_KICK_SIGNAL (SIGRTMIN + 7)

/** What kind of machine to build. */
enum vmm_board {
	VMM_BOARD_TINY = 0,	/**< guest-tiny */
	VMM_BOARD_LINUX,	/**< a Linux kernel */
};

/** Which CPUID features to hide from a Linux guest. */
enum vmm_cpuid_hide {
	/** Hide VMM_CPUID_HIDE_SET where KVM emulates guest kernel code. */
	VMM_CPUID_HIDE_AUTO = 0,
	/** Offer what KVM_GET_SUPPORTED_CPUID offers. */
	VMM_CPUID_HIDE_NONE = 1,
	/** Always hide VMM_CPUID_HIDE_SET. */
	VMM_CPUID_HIDE_ALWAYS = 2,
};

/**
 * The features hidden by VMM_CPUID_HIDE_AUTO/ALWAYS: CMPXCHG16B, XSAVE and
 * what needs it (OSXSAVE, AVX). KVM's instruction emulator cannot execute
 * those, and a kernel offered them uses them early. They are masked in the
 * CPUID given to KVM and, because a KVM that emulates kernel code may let
 * CPUID report the host's features, also turned off with
 * VMM_CPUID_HIDE_CMDLINE appended to the kernel command line.
 */
#define VMM_CPUID_HIDE_SET "cx16 xsave osxsave avx"

/** Linux's words for the same: X86_FEATURE_CX16 is bit 4 * 32 + 13. */
#define VMM_CPUID_HIDE_CMDLINE "noxsave clearcpuid=141"

/** Why vmm_run() returned. */
enum vmm_stop_reason {
	VMM_STOP_NONE = 0,	/**< not stopped yet */
	VMM_STOP_HALTED,	/**< every vCPU halted (guest-tiny's end) */
	VMM_STOP_RESET,		/**< the guest reset (i8042, system event) */
	VMM_STOP_POWEROFF,	/**< the guest asked KVM to power off */
	VMM_STOP_TIMEOUT,	/**< the deadline in vmm_config passed */
	VMM_STOP_REQUESTED,	/**< vmm_stop() */
	/** KVM cannot execute the guest here: see vmm_result's diagnosis. */
	VMM_STOP_UNSUPPORTED,
	VMM_STOP_CRASH,		/**< triple fault or failed VM entry */
	VMM_STOP_ERROR,		/**< a KVM ioctl failed: vmm_result.error */
};

/** Where one vCPU ended. */
enum vmm_cpu_state {
	VMM_CPU_STOPPED = 0,	/**< stopped with the VM, or never ran */
	VMM_CPU_HALTED,		/**< halted: nothing left to run */
	/** Ended the run on an exit KVM could not go on from. */
	VMM_CPU_CRASHED,
};

/** One vCPU at the end of the run. */
struct vmm_cpu_result {
	enum vmm_cpu_state state;
	uint64_t exits;		/**< KVM_RUN returns */
	/** Of those, hypermem's calls (hm_vcpu_handle_exit() took them). */
	uint64_t hm_exits;
	unsigned int hm_errors;	/**< hm_vcpu_handle_exit() failures */
	int last_hm_error;
	/**
	 * After a timeout or vmm_stop(), where each vCPU was, read once the
	 * threads returned (has_pc): its program counter and KVM's
	 * mp_state (KVM_MP_STATE_*: RUNNABLE 0, UNINITIALIZED 1,
	 * INIT_RECEIVED 2, HALTED 3, SIPI_RECEIVED 4, STOPPED 5), which
	 * tell a secondary CPU the guest never started from a stuck one.
	 */
	int has_pc;
	uint64_t pc;
	uint32_t mp_state;
};

/** What guest-tiny reported on its exit port (tiny/boot.h). */
struct vmm_tiny_status {
	int all_done;		/**< TINY_EXIT_ALL_DONE came */
	int failed;		/**< processes that failed, from ALL_DONE */
	int no_host;		/**< registration with libhypermem failed */
	int panicked;		/**< a kernel-mode exception */
	/** By pid: exit status + 1; 0 when the process did not exit. */
	int proc_status[VMM_TINY_MAX_PROCS];
};

/**
 * How a run ended, with the state of the vCPU that ended it (of vCPU 0 for
 * a timeout or vmm_stop()); registers are zero after a reset, poweroff or
 * halt.
 */
struct vmm_result {
	enum vmm_stop_reason reason;
	int error;		/**< -errno for VMM_STOP_ERROR, else 0 */
	unsigned int vcpu;	/**< the vCPU that stopped the VM */
	uint32_t exit_reason;	/**< its KVM exit reason */
	uint32_t suberror;	/**< internal.suberror for INTERNAL_ERROR */
	int has_regs;		/**< the registers below were read */
	/**
	 * KVM on AMD re-initializes a vCPU after a triple fault: what it
	 * holds now are reset values, not the guest's.
	 */
	int regs_lost;
#ifdef __aarch64__
	/**
	 * The core registers (regs.regs: X0-X30, SP, PC, PSTATE; sp_el1,
	 * elr_el1, spsr); the FP/SIMD registers are not read.
	 */
	struct kvm_regs regs;
	/** The guest's last exception to EL1: syndrome, fault address. */
	uint64_t esr_el1, far_el1;
#else
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint8_t insn[15];	/**< instruction bytes at RIP */
	uint8_t insn_len;	/**< 0 when they could not be read */
#endif
	/** The whole story in one NUL-terminated message, for people. */
	char diagnosis[640];
	unsigned int nr_cpus;
	struct vmm_cpu_result cpus[VMM_MAX_CPUS];
	struct vmm_tiny_status tiny;	/**< the tiny board only */
};

/** One e820 range (types as in the kernel: 1 RAM, 2 reserved). */
struct vmm_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/**
 * Receives console output, in pieces as the guest writes them, from vCPU
 * threads one call at a time. @p cpu is the vCPU that wrote, or -1 for a
 * device shared by all (the 8250).
 */
typedef void (*vmm_console_fn)(int cpu, const char *buf, size_t len,
			       void *opaque);

/** What to boot and how. Zero means the default for every field. */
struct vmm_config {
	enum vmm_board board;
	/**
	 * The tiny board: guest-tiny's ELF image. The linux board: a
	 * vmlinux (ELF with a PVH note) or a bzImage; on arm64, an Image.
	 * Required, except for a tiny board given @p code.
	 */
	const char *kernel;
	/** The tiny board: raw code at TINY_KERNEL_BASE instead of an ELF. */
	const void *code;
	size_t code_size;
	const char *initrd;	/**< linux: initramfs, or NULL */
	const char *cmdline;	/**< the guest's command line, or NULL */
	/** Bytes, a multiple of 2 MiB; 0: 64 MiB (tiny), 512 MiB (linux). */
	uint64_t mem_size;
	unsigned int nr_cpus;	/**< 1 to VMM_MAX_CPUS; 0: 1 */
	/** Stop the run after this long; 0: never. */
	unsigned int timeout_ms;
	enum vmm_cpuid_hide cpuid_hide;	/**< linux on x86-64 only */
	/** Console output goes here; NULL: to stdout. */
	vmm_console_fn console_fn;
	void *console_opaque;
	/** Nonzero: the 8250 reads console_input_fd (linux only). */
	int console_input;
	int console_input_fd;
	/** Guest events, as hm_vm_set_event_handler(). */
	hm_event_fn event_fn;
	void *event_opaque;
};

struct vmm;

/**
 * Whether this process can open /dev/kvm, before anything else fails on it.
 * @return 0, or the error of open(): -ENOENT, -EACCES, ...
 */
int vmm_check_kvm(void);

/**
 * Create the VM, load the guest and set up the boot state of every vCPU.
 * Nothing runs yet.
 * @return 0; -EINVAL for bad options (a board this architecture does not
 * have among them); -ENOEXEC for a guest image the board
 * cannot load; -E2BIG when kernel, initrd or command line do not fit; the
 * errors of open(), read() and the KVM ioctls (vmm_failed_ioctl() names
 * the ioctl).
 */
int vmm_new(const struct vmm_config *config, struct vmm **ret);

/**
 * Run all vCPUs until the VM stops, and say why in @p result.
 * @return 0 when the run ended for any reason in @p result (including a
 * guest KVM cannot run); -EALREADY when called a second time; the error of
 * creating a thread.
 */
int vmm_run(struct vmm *vm, struct vmm_result *result);

/** Ask the run to end with VMM_STOP_REQUESTED; safe from any thread. */
void vmm_stop(struct vmm *vm);

/**
 * Nonzero once the run is ending, for any reason; safe from any thread. An
 * event handler that loops polls it to give its vCPU back.
 */
int vmm_is_stopping(struct vmm *vm);

/** Free the VM; after vmm_run() returned, or before it ran. */
void vmm_free(struct vmm *vm);

/**
 * Time @p n bare exits of vCPU 0 (KVM_RUN and back, nothing else), for a
 * benchmark's floor; the guest must exit at once each time. Instead of
 * vmm_run(). @return 0, or -EIO when an exit was not port I/O.
 */
int vmm_time_exits(struct vmm *vm, unsigned int n, double *us_per_exit);

/**
 * KVM_RUN returns of @p vcpu's vCPU in the core's own loop so far (events,
 * device exits, ...); those while libhypermem drives an operation are the
 * library's (hm_stats.exits). Call it on that vCPU's thread (its event
 * handler, say).
 */
uint64_t vmm_cpu_exits(struct hm_vcpu *vcpu);

/** The libhypermem VM context, for hm_vm_set_* calls before the run. */
struct hm_vm *vmm_get_hm(struct vmm *vm);

/** The libhypermem handle of vCPU @p index, NULL when out of range. */
struct hm_vcpu *vmm_get_hm_vcpu(struct vmm *vm, unsigned int index);

/** The index of a vCPU of a core VM, as event handlers want it. */
unsigned int vmm_cpu_index(struct hm_vcpu *vcpu);

/** The number of vCPUs. */
unsigned int vmm_get_nr_cpus(struct vmm *vm);

/**
 * Guest RAM: the host address of its first byte (guest-physical 0, or
 * VMM_ARM64_RAM_BASE on arm64) and its size.
 */
void *vmm_get_ram(struct vmm *vm, uint64_t *size);

/**
 * The e820 map the guest was given (none on arm64); valid until
 * vmm_free().
 */
const struct vmm_e820_entry *vmm_get_e820(struct vmm *vm, size_t *count);

/**
 * The command line the guest got: vmm_config.cmdline, plus (x86-64)
 * VMM_CPUID_HIDE_CMDLINE when features are hidden.
 */
const char *vmm_get_cmdline(struct vmm *vm);

/** Nonzero when the kernel was entered through PVH (x86-64 vmlinux). */
int vmm_is_pvh(struct vmm *vm);

/**
 * Nonzero when KVM hands libhypermem's doorbells to the core: VMCALL and
 * VMMCALL on x86-64, HVC (its SMCCC filter) on arm64.
 */
int vmm_has_hypercall_exit(struct vmm *vm);

/** Nonzero when @p hide hides VMM_CPUID_HIDE_SET on this host. */
int vmm_cpuid_hides(enum vmm_cpuid_hide hide);

/** A name for @p reason ("timeout", "unsupported", ...). */
const char *vmm_stop_reason_name(enum vmm_stop_reason reason);

/** A name for a KVM exit reason ("io", "shutdown", ...). */
const char *vmm_exit_name(uint32_t exit_reason);

/**
 * The KVM ioctl whose failure the calling thread saw last, by name
 * ("KVM_CREATE_VM"), or NULL.
 */
const char *vmm_failed_ioctl(void);

#ifdef __cplusplus
}
#endif

#endif
