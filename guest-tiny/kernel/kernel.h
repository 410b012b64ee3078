/* SPDX-License-Identifier: MIT */
#ifndef TINY_KERNEL_H
#define TINY_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include <hypermem/protocol.h>
#include <tiny/abi.h>
#include <tiny/boot.h>

#include "agent.h"

#define PAGE_SIZE 4096ul
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* GDT selectors; the order is fixed by the asm in entry.S. */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS (0x18 | 3)
#define USER_CS (0x20 | 3)
#define TSS_SEL 0x28

/* Per-process user address space (4 KiB pages, PDPT entry 1). */
#define USER_TEXT 0x40000000ul
#define USER_DATA 0x40400000ul
#define USER_RO 0x40600000ul
#define USER_HOLE (USER_RO + PAGE_SIZE)
/* Arithmetic flags, TF and DF: what a user program can set itself. */
#define USER_RFLAGS 0xdd5ul
#define USER_STACK_TOP 0x40800000ul
#define USER_STACK_PAGES 4
#define USER_DATA_MAX_PAGES 512

#define KSTACK_SIZE (4 * PAGE_SIZE)
#define MAX_FDS 16
#define MAX_PROCS 16
/* Every process of every CPU, by pid - 1. */
#define MAX_ALL_PROCS (MAX_PROCS * TINY_MAX_CPUS)

/* Saved user state; the layout matches the pushes in entry.S. */
struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct file {
	const char *path;
	const char *data;
	uint64_t size;
};

enum fd_kind {
	FD_NONE,
	FD_TTY,
	FD_FILE,
	FD_SOCKET,
};

struct fd {
	enum fd_kind kind;
	char name[48];
	const struct file *file;
	uint64_t offset;
	struct hm_socket_info sock;
};

typedef int (*user_main_fn)(int argc, char **argv, char **envp);

struct program {
	const char *name;
	user_main_fn main;
	const char *argv[4];
	const char *envp[4];
	unsigned int cpu;
	unsigned int data_pages;
};

struct proc {
	uint32_t pid;
	const struct program *prog;
	char exe[48];			/* the path it was started from */
	unsigned int data_pages;	/* mapped at USER_DATA, kept by exec */
	uint64_t *pml4;
	uint64_t kstack_top;
	struct frame *frame;		/* where its user state is saved */
	uint64_t arg_start, arg_end, env_start, env_end;
	struct fd fds[MAX_FDS];
	int exited;
};

/*
 * Per-CPU data, at GS base. entry.S uses the first two fields and
 * this_cpu() the third: keep them first.
 */
struct cpu {
	uint64_t kstack_top;
	uint64_t user_rsp;
	struct cpu *self;
	unsigned int index;
	struct proc *current;
	struct proc *target;		/* HM_OP_USE_PROCESS's, or NULL */
	struct proc *procs[MAX_PROCS];	/* run queue, round robin */
	unsigned int nr_procs;
	unsigned int slot;		/* procs[slot] is current */
	struct hm_agent agent;
	int hm_ready;
	int hostile_done;
	uint64_t gdt[7];
	struct {
		uint32_t reserved0;
		uint64_t rsp0;
		uint64_t rsp1, rsp2, reserved1, ist[7], reserved2;
		uint16_t reserved3, iomap_base;
	} __attribute__((packed)) tss;
};

enum hostile_mode {
	HOSTILE_NONE,
	HOSTILE_OVERSIZE,
	HOSTILE_BADCODE,
	HOSTILE_REREGISTER,
	HOSTILE_SILENT,
};

/* How the agent rings the host (protocol.h, "Doorbells"). */
enum transport {
	TRANSPORT_PIO,		/* OUT to HM_X86_PORT, the default */
	TRANSPORT_VMCALL,	/* VMCALL on Intel, VMMCALL on AMD and Hygon */
	TRANSPORT_VMMCALL,
};

struct config {
	const char *scenario;
	enum hostile_mode hostile;
	enum transport transport;
	int events;
	int subscribe;		/* offer HM_FEATURE_SUBSCRIBE */
	int quiet;
	unsigned int nr_cpus;
	uint64_t ram_size;
	uint32_t region_pages;	/* offered to the host, 1..16 */
};

extern struct config config;

/* lib.c */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void outb(uint16_t port, uint8_t v);
void outl(uint16_t port, uint32_t v);
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
void report(uint32_t kind, uint32_t payload);
__attribute__((noreturn)) void halt_forever(void);
void console_lock(void);
void console_unlock(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ksnprintf(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* mm.c */
void mm_init(uint64_t ram_size, unsigned int nr_cpus);
void *alloc_pages(unsigned int n);
void kernel_pd_init(void);
uint64_t *address_space_new(void);
void map_page(uint64_t *pml4, uint64_t va, uint64_t pa, int writable);
uint64_t user_translate(const uint64_t *pml4, uint64_t va, int write);
size_t user_copy_from(const uint64_t *pml4, void *dst, uint64_t src,
		      size_t len);
size_t user_copy_to(const uint64_t *pml4, uint64_t dst, const void *src,
		    size_t len);
long user_string_from(const uint64_t *pml4, char *dst, uint64_t src,
		      size_t len, size_t *copied);
void load_cr3(const uint64_t *pml4);

/* trap.c */
void cpu_tables_init(struct cpu *cpu);
struct cpu *this_cpu(void);

/* proc.c */
struct proc *proc_create(const struct program *prog);
struct fd *proc_fd(struct proc *p, int64_t fd);
const struct file *file_lookup(const char *path);
/*
 * Write into a file the host made (built-in ones are read-only): the
 * bytes written, fewer past the size limit, or -HM_E*.
 */
long file_write(const char *path, uint64_t offset, uint32_t flags,
		const void *buf, size_t len);
const struct program *scenario_programs(const char *name, size_t *count);
/* A process by pid, or NULL; pids are 1, 2, ... in creation order. */
struct proc *proc_by_pid(uint64_t pid);
uint64_t proc_last_pid(void);

/* A piece of a process's address space, as it was built. */
struct mapping {
	uint64_t start, end;
	uint32_t flags;			/* HM_MAP_* */
	const char *name;		/* "" for anonymous memory */
};
#define MAX_MAPPINGS 4
/* Its mappings in address order; returns how many. */
unsigned int proc_mappings(const struct proc *p,
			   struct mapping out[MAX_MAPPINGS]);
int64_t proc_exec(struct proc *p, struct frame *f, uint64_t path,
		  uint64_t argv, uint64_t envp);

/* sched.c */
void sched_add(struct cpu *cpu, struct proc *p);
struct frame *sched_switch(struct cpu *cpu);
struct frame *sched_exit(struct cpu *cpu, int status);
__attribute__((noreturn)) void sched_start(struct cpu *cpu);

/* syscall.c */
struct frame *syscall_handler(struct frame *f);

/* hm.c */
void hm_init(struct cpu *cpu);
/*
 * A syscall's entry: raised where the host's subscription wants it, or,
 * without one, where @by_default says. The host may replace arguments in
 * the frame. Returns 1 when it skips the call, which then returns *ret.
 */
int hm_syscall_enter(struct cpu *cpu, struct frame *f, int by_default,
		     int64_t *ret);
/* A syscall's exit: what it returns, the host's value where it gave one. */
int64_t hm_syscall_exit(struct cpu *cpu, const struct frame *f,
			int by_default, int64_t ret);
void hm_user_event(struct cpu *cpu, const struct frame *f);
/* A process's life (HM_EVENT_PROCESS): HM_PROC_EXEC, _EXIT; args[0..3]. */
void hm_process_event(struct cpu *cpu, uint64_t nr, uint64_t a0, uint64_t a1,
		      uint64_t a2, uint64_t a3);

/* entry.S */
extern char syscall_entry[];
extern char exception_stubs[];
__attribute__((noreturn)) void enter_user(struct frame *f);

#endif
