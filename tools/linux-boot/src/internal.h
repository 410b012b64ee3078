/* SPDX-License-Identifier: MIT */
/*
 * What the pieces of linux-boot share: the VM, the guest memory layout,
 * and each piece's entry points.
 */
#ifndef LINUXBOOT_INTERNAL_H
#define LINUXBOOT_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <linuxboot/linuxboot.h>

/*
 * Guest-physical layout below 1 MiB. The kernel goes where it asks (its
 * ELF segments, or the bzImage's preferred address), the initrd at the top
 * of RAM below 4 GiB.
 */
#define GDT_GPA 0x1000ull
#define PML4_GPA 0x2000ull
#define PDPT_GPA 0x3000ull
#define PD_GPA 0x4000ull	/* four pages: 4 GiB of 2 MiB pages */
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

#define COM1_PORT 0x3f8
#define COM1_IRQ 4

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_MAX 8

/* The 8250 UART; see serial.c. */
struct lb_serial {
	pthread_mutex_t lock;
	uint8_t ier, iir_fcr, lcr, mcr, scr, dll, dlm;
	int thri_pending;	/* THR empty, not yet read from IIR */
	uint8_t rx[256];
	unsigned int rx_head, rx_len;
	int irq_level;
	void (*set_irq)(void *opaque, int level);
	void (*output)(void *opaque, const char *buf, size_t len);
	void *opaque;
};

struct lb_cpu {
	struct lb_vm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	struct hm_vcpu *hm;
	pthread_t thread;
	int started;
};

struct lb_vm {
	int kvm_fd;
	int fd;
	uint8_t *ram;
	uint64_t ram_size;
	size_t run_size;
	unsigned int nr_cpus;
	struct lb_cpu cpus[LB_MAX_CPUS];
	struct hm_vm *hm;
	struct lb_serial serial;
	struct lb_e820_entry e820[E820_MAX];
	size_t nr_e820;
	int pvh;
	uint64_t entry;
	uint64_t kernel_end;	/* guest-physical end of the kernel */
	uint64_t initrd_gpa, initrd_size;
	uint64_t cmdline_len;
	char *cmdline;		/* what the guest got */
	lb_console_fn console_fn;
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
	struct lb_result result;
};

/* Guest RAM at [gpa, gpa + len), or NULL when not all of it is RAM. */
void *lb_gpa(struct lb_vm *vm, uint64_t gpa, uint64_t len);

int lb_kvm_ioctl(int fd, unsigned long request, void *arg);

int lb_load_kernel(struct lb_vm *vm, const struct lb_options *opts);
void lb_build_e820(struct lb_vm *vm);
int lb_write_mptable(struct lb_vm *vm);
int lb_setup_cpuid(struct lb_vm *vm, struct lb_cpu *cpu,
		   enum lb_cpuid_hide hide);
int lb_setup_boot_regs(struct lb_vm *vm, struct lb_cpu *cpu);

void lb_serial_init(struct lb_serial *s);
void lb_serial_io(struct lb_serial *s, unsigned int offset, uint8_t *data,
		  int is_write);
void lb_serial_input(struct lb_serial *s, const char *buf, size_t len);

/* Fill @p result for the exit in cpu->run that KVM could not handle. */
void lb_diagnose(struct lb_cpu *cpu, enum lb_stop_reason reason,
		 struct lb_result *result);
/* Fill the register fields of @p result from a vCPU that is not running. */
void lb_read_state(struct lb_cpu *cpu, struct lb_result *result);

#endif
