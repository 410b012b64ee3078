/* SPDX-License-Identifier: MIT */
/*
 * What the pieces of the VMM core share: the VM, its vCPUs, the trap
 * registry, the boards, the guest memory layout of the x86 linux board,
 * the hooks each architecture implements, and each piece's entry points.
 */
#ifndef VMM_INTERNAL_H
#define VMM_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <vmm/vmm.h>

#include "serial.h"

/*
 * The x86 linux board's guest-physical layout below 1 MiB. The kernel goes
 * where it asks (its ELF segments, or the bzImage's preferred address),
 * the initrd at the top of RAM below 4 GiB.
 */
#define GDT_GPA 0x1000ull
#define PML4_GPA 0x2000ull	/* then the PDPT and four PDs: 4 GiB */
#define START_INFO_GPA 0x8000ull
#define MODLIST_GPA 0x8100ull
#define MEMMAP_GPA 0x9000ull
#define BOOT_PARAMS_GPA 0x10000ull
#define CMDLINE_GPA 0x20000ull
#define CMDLINE_MAX 0x10000ull
#define EBDA_GPA 0x9fc00ull
#define MPTABLE_GPA 0xf0000ull
#define BIOS_END 0x100000ull
#define LOW_RAM_END 0xc0000000ull	/* RAM above would need a PCI hole */

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_MAX 8

#define MAX_TRAPS 16

struct vmm_cpu {
	struct vmm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	struct hm_vcpu *hm;
	pthread_t thread;
	int started;
	struct vmm_cpu_result result;
};

/*
 * A device's handler for its port-I/O or MMIO range, kvmtool's shape:
 * @p data holds @p len bytes, to fill for a read.
 */
typedef void (*trap_fn)(struct vmm_cpu *cpu, uint64_t addr, uint8_t *data,
			uint32_t len, int is_write, void *opaque);

enum trap_space { TRAP_PIO, TRAP_MMIO };

struct trap {
	enum trap_space space;
	uint64_t addr, len;
	trap_fn fn;
	void *opaque;
};

/* What makes one machine differ from another. */
struct board {
	const char *name;
	uint64_t ram_base;	/* guest-physical address of RAM */
	uint64_t default_mem_size, min_mem_size, max_mem_size;
	unsigned int max_cpus;
	/* Before the vCPUs exist: platform devices, RAM contents. */
	int (*setup)(struct vmm *vm, const struct vmm_config *config);
	/* Each vCPU's CPUID and entry state. */
	int (*setup_cpu)(struct vmm_cpu *cpu, const struct vmm_config *config);
	/* Once every vCPU exists, or NULL: what needs them all. */
	int (*setup_late)(struct vmm *vm);
	/*
	 * KVM_EXIT_HLT: 1 when the vCPU is done, 0 to run it on. x86 only:
	 * KVM on arm64 keeps a vCPU in WFI to itself.
	 */
	int (*halt)(struct vmm_cpu *cpu);
};

extern const struct board tiny_board;
extern const struct board linux_board;

struct vmm {
	const struct board *board;
	int kvm_fd;
	int fd;
	int irqchip_fd;		/* a KVM_CREATE_DEVICE irqchip, or -1 */
	uint8_t *ram;
	uint64_t ram_base, ram_size;
	size_t run_size;
	unsigned int nr_cpus;
	struct vmm_cpu cpus[VMM_MAX_CPUS];
	struct hm_vm *hm;
	int hypercall_exit;
	struct trap traps[MAX_TRAPS];
	unsigned int nr_traps;
	struct vmm_serial serial;
	uint64_t serial_base;
	uint32_t serial_irq;
	struct vmm_e820_entry e820[E820_MAX];
	size_t nr_e820;
	int pvh;
	uint64_t entry;
	uint64_t kernel_end;	/* guest-physical end of the kernel */
	uint64_t initrd_gpa, initrd_size;
	uint64_t dtb_gpa;	/* arm64: the device tree */
	uint64_t cmdline_len;
	char *cmdline;		/* what the guest got */
	vmm_console_fn console_fn;
	void *console_opaque;
	pthread_mutex_t console_lock;
	int input_fd;		/* -1: none */
	int wake_pipe[2];	/* ends the input thread */
	pthread_t input_thread;
	int input_started;
	unsigned int timeout_ms;

	pthread_mutex_t lock;	/* guards what follows */
	pthread_cond_t cond;
	volatile int stop;
	unsigned int running;
	int ran;
	struct vmm_result result;
	struct vmm_tiny_status tiny;
};

/*
 * kvm.c: the one ioctl wrapper; it retries EINTR and names the ioctl. The
 * macros check the argument against the size the ioctl number encodes: a
 * pointer to exactly that, or a plain value for an _IO() ioctl.
 */
int kvm_ioctl_named(int fd, unsigned long request, void *arg,
		    const char *name);
#define kvm_ioctl(fd, request, arg) ({					\
	_Static_assert(sizeof(*(arg)) == _IOC_SIZE(request),		\
		       #request ": argument of the wrong size");	\
	kvm_ioctl_named(fd, request, arg, #request);			\
})
#define kvm_ioctl_value(fd, request, value) ({				\
	_Static_assert(_IOC_SIZE(request) == 0,				\
		       #request ": takes a pointer");			\
	kvm_ioctl_named(fd, request, (void *)(long)(value), #request);	\
})

/* trap.c */
int trap_register(struct vmm *vm, enum trap_space space, uint64_t addr,
		  uint64_t len, trap_fn fn, void *opaque);
void trap_io(struct vmm_cpu *cpu);
void trap_mmio(struct vmm_cpu *cpu);

/* vm.c */
void vmm_console_write(struct vmm *vm, int cpu, const char *buf,
		       size_t len);
void vmm_stop_with(struct vmm *vm, enum vmm_stop_reason reason,
		   unsigned int vcpu);
/* Guest RAM at [gpa, gpa + len), through libhypermem's translation. */
void *vmm_gpa(struct vmm *vm, uint64_t gpa, uint64_t len);
/* 0, or -E2BIG where [gpa, gpa + len) is not all RAM. */
int vmm_copy_to_guest(struct vmm *vm, uint64_t gpa, const void *src,
		      uint64_t len);

/* file.c: a file the user named (kernel, initrd), mapped read-only. */
struct file_image {
	uint8_t *data;
	size_t size;
};

/* 0, -ENOEXEC for an empty file, or the error of open(), mmap(). */
int file_map(const char *path, struct file_image *img);
void file_unmap(struct file_image *img);
/* The initrd at @p path into RAM below @p top, above vm->kernel_end. */
int file_load_initrd(struct vmm *vm, const char *path, uint64_t top);

/*
 * The architecture's side of the core, x86/ or arm64/:
 * the boards it has, how KVM hands it libhypermem's doorbell, and what it
 * can say about a vCPU that stopped.
 */
/* The board @p which, or NULL where this architecture has none. */
const struct board *arch_board(enum vmm_board which);
/* Before any vCPU exists; sets vm->hypercall_exit where KVM offers it. */
int arch_enable_doorbell(struct vmm *vm);
/* Answer a hypercall that is not libhypermem's: no such function. */
void arch_unknown_hypercall(struct vmm_cpu *cpu);
/* Fill the register fields of @p result from a vCPU that is not running. */
void arch_read_state(struct vmm_cpu *cpu, struct vmm_result *result);
/* result->diagnosis: what stopped the vCPU, from the other fields. */
void arch_describe(struct vmm_result *result);
/* The program counter in what arch_read_state() read. */
uint64_t arch_result_pc(const struct vmm_result *result);

/*
 * devices.c: the 8250 at @p base in @p space, raising KVM_IRQ_LINE @p irq
 * as the architecture numbers it.
 */
int serial_device_init(struct vmm *vm, enum trap_space space, uint64_t base,
		       uint32_t irq);

/* x86/cpu.c */
int x86_setup_cpuid(struct vmm_cpu *cpu, enum vmm_cpuid_hide hide);
int x86_identity_map(struct vmm *vm, uint64_t pml4_gpa);
/* Long mode through the map at @p pml4_gpa; 0: PVH's protected mode. */
int x86_enter(struct vmm_cpu *cpu, uint64_t pml4_gpa, struct kvm_regs *regs);
int x86_enter_linux(struct vmm_cpu *cpu);

/* x86/load.c */
int x86_load_elf(struct vmm *vm, const char *path, uint64_t low,
		 uint64_t *entry);
int x86_load_linux(struct vmm *vm, const struct vmm_config *config);

/* x86/mptable.c */
int x86_write_mptable(struct vmm *vm);

#endif
