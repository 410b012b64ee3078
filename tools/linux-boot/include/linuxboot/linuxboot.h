/* SPDX-License-Identifier: MIT */
/**
 * @file linuxboot.h
 * linux-boot: run a Linux guest under KVM with libhypermem attached.
 *
 * A monitor fills struct lb_options, creates the VM with lb_vm_new() and
 * runs it with lb_vm_run() until the guest resets, KVM cannot go on, the
 * deadline passes or lb_vm_stop() is called. The kernel is either an
 * uncompressed vmlinux, entered in 32-bit protected mode through its PVH
 * ELF note (Xen's hvm_start_info in EBX), or a bzImage, entered in long mode
 * at startup_64 through the x86 64-bit boot protocol (boot_params in RSI).
 *
 * The guest sees: RAM from 0 with an e820 map, the in-kernel PIC, IOAPIC and
 * PIT, an MP table naming the CPUs and the IOAPIC, an 8250 UART at 0x3f8 on
 * IRQ 4, and the i8042's reset line (0xfe to port 0x64).
 *
 * Every vCPU thread runs KVM_RUN under a watchdog and hands each exit to
 * hm_vcpu_handle_exit() first. Functions return 0 or a negative errno
 * value; nothing here prints, except console output when no console
 * callback is set.
 */
#ifndef LINUXBOOT_LINUXBOOT_H
#define LINUXBOOT_LINUXBOOT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <hypermem/hypermem.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The most vCPUs a guest may have. */
#define LB_MAX_CPUS 16

/** Default guest RAM: 512 MiB. */
#define LB_DEFAULT_MEM_SIZE (512ull << 20)

/**
 * The signal that kicks vCPU threads out of KVM_RUN when the VM stops.
 * linux-boot installs its handler; the monitor must not use it.
 */
#define LB_KICK_SIGNAL (SIGRTMIN + 6)

/** Which CPUID features to hide from the guest. */
enum lb_cpuid_hide {
	/** Hide LB_CPUID_HIDE_SET where KVM emulates guest kernel code. */
	LB_CPUID_HIDE_AUTO = 0,
	/** Offer what KVM_GET_SUPPORTED_CPUID offers. */
	LB_CPUID_HIDE_NONE = 1,
	/** Always hide LB_CPUID_HIDE_SET. */
	LB_CPUID_HIDE_ALWAYS = 2,
};

/**
 * The features hidden by LB_CPUID_HIDE_AUTO/ALWAYS: CMPXCHG16B, XSAVE and
 * what needs it (OSXSAVE, AVX). KVM's instruction emulator cannot execute
 * those, and a kernel offered them uses them early. They are masked in the
 * CPUID given to KVM and, because a KVM that emulates kernel code may let
 * CPUID report the host's features, also turned off with
 * LB_CPUID_HIDE_CMDLINE appended to the kernel command line.
 */
#define LB_CPUID_HIDE_SET "cx16 xsave osxsave avx"

/** Linux's words for the same: X86_FEATURE_CX16 is bit 4 * 32 + 13. */
#define LB_CPUID_HIDE_CMDLINE "noxsave clearcpuid=141"

/** Why lb_vm_run() returned. */
enum lb_stop_reason {
	LB_STOP_NONE = 0,	/**< not stopped yet */
	LB_STOP_RESET,		/**< the guest reset (i8042, system event) */
	LB_STOP_POWEROFF,	/**< the guest asked KVM to power off */
	LB_STOP_TIMEOUT,	/**< the deadline in lb_options passed */
	LB_STOP_REQUESTED,	/**< lb_vm_stop() */
	/** KVM cannot execute the guest here: see lb_result's diagnosis. */
	LB_STOP_UNSUPPORTED,
	LB_STOP_CRASH,		/**< triple fault or failed VM entry */
	LB_STOP_ERROR,		/**< a KVM ioctl failed: lb_result.error */
};

/**
 * How a run ended, with the state of the vCPU that ended it (of vCPU 0 for
 * a timeout or lb_vm_stop()); registers are zero after a reset or poweroff.
 */
struct lb_result {
	enum lb_stop_reason reason;
	int error;		/**< -errno for LB_STOP_ERROR, else 0 */
	unsigned int vcpu;	/**< the vCPU that stopped the VM */
	uint32_t exit_reason;	/**< its KVM exit reason */
	uint32_t suberror;	/**< internal.suberror for INTERNAL_ERROR */
	uint64_t rip;
	uint64_t cr0, cr3, cr4, efer;
	uint16_t cs;		/**< CS selector */
	uint8_t cs_long;	/**< CS.L: 64-bit code */
	uint8_t cs_dpl;
	uint8_t insn[15];	/**< instruction bytes at RIP */
	uint8_t insn_len;	/**< 0 when they could not be read */
	/** The whole story in one NUL-terminated message, for people. */
	char diagnosis[640];
};

/** One e820 range (types as in the kernel: 1 RAM, 2 reserved). */
struct lb_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/**
 * Receives console output, in pieces as the guest writes them. Called from
 * vCPU threads, one call at a time.
 */
typedef void (*lb_console_fn)(const char *buf, size_t len, void *opaque);

/** What to boot and how. Zero means the default for every field. */
struct lb_options {
	/** vmlinux (ELF with a PVH note) or bzImage. Required. */
	const char *kernel;
	const char *initrd;	/**< initramfs, or NULL */
	const char *cmdline;	/**< kernel command line, or NULL */
	uint64_t mem_size;	/**< bytes, multiple of 2 MiB; 0: default */
	unsigned int nr_cpus;	/**< 1 to LB_MAX_CPUS; 0: 1 */
	/** Stop the run after this long; 0: never. */
	unsigned int timeout_ms;
	enum lb_cpuid_hide cpuid_hide;
	/** Console output goes here; NULL: to stdout. */
	lb_console_fn console_fn;
	void *console_opaque;
	/**
	 * Nonzero: read console input from console_input_fd (putting a
	 * terminal in raw mode is the monitor's business).
	 */
	int console_input;
	int console_input_fd;
	/** Guest events, as hm_vm_set_event_handler(). */
	hm_event_fn event_fn;
	void *event_opaque;
};

struct lb_vm;

/**
 * Create the VM, load the kernel, initrd and command line and set up the
 * boot state of every vCPU. Nothing runs yet.
 * @return 0; -EINVAL for bad options; -ENOEXEC for a kernel that is neither
 * a 64-bit vmlinux with a PVH note nor a 64-bit-capable bzImage; -E2BIG
 * when kernel, initrd or command line do not fit; the errors of open(),
 * read() and the KVM ioctls.
 */
int lb_vm_new(const struct lb_options *opts, struct lb_vm **ret);

/**
 * Run all vCPUs until the VM stops, and say why in @p result.
 * @return 0 when the run ended for any reason in @p result (including a
 * guest KVM cannot run); -EALREADY when called a second time; the error of
 * creating a thread.
 */
int lb_vm_run(struct lb_vm *vm, struct lb_result *result);

/** Ask the run to end with LB_STOP_REQUESTED; safe from any thread. */
void lb_vm_stop(struct lb_vm *vm);

/**
 * Nonzero once the run is ending, for any reason; safe from any thread. An
 * event handler that loops polls it to give its vCPU back.
 */
int lb_vm_is_stopping(struct lb_vm *vm);

/** Free the VM; after lb_vm_run() returned, or before it ran. */
void lb_vm_free(struct lb_vm *vm);

/** The libhypermem VM context, for hm_vm_set_* calls before the run. */
struct hm_vm *lb_vm_get_hm(struct lb_vm *vm);

/** The libhypermem handle of vCPU @p index, NULL when out of range. */
struct hm_vcpu *lb_vm_get_hm_vcpu(struct lb_vm *vm, unsigned int index);

/** The number of vCPUs. */
unsigned int lb_vm_get_nr_cpus(struct lb_vm *vm);

/** The e820 map the guest was given; valid until lb_vm_free(). */
const struct lb_e820_entry *lb_vm_get_e820(struct lb_vm *vm, size_t *count);

/**
 * The command line the guest got: lb_options.cmdline, plus
 * LB_CPUID_HIDE_CMDLINE when features are hidden.
 */
const char *lb_vm_get_cmdline(struct lb_vm *vm);

/** Nonzero when the kernel was entered through PVH (vmlinux). */
int lb_vm_is_pvh(struct lb_vm *vm);

/** Nonzero when @p hide hides LB_CPUID_HIDE_SET on this host. */
int lb_cpuid_hides(enum lb_cpuid_hide hide);

/** A name for @p reason ("timeout", "unsupported", ...). */
const char *lb_stop_reason_name(enum lb_stop_reason reason);

#ifdef __cplusplus
}
#endif

#endif
