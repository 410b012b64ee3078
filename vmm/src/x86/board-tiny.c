// SPDX-License-Identifier: MIT
/*
 * The tiny board: guest-tiny's machine, per its boot contract (tiny/boot.h).
 * Every vCPU starts at once in long mode at the ELF entry; the console and
 * the exit status word are two ports; a vCPU that halts is done.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include <tiny/boot.h>

static void console_trap(struct vmm_cpu *cpu, uint64_t addr, uint8_t *data,
			 uint32_t len, int is_write, void *opaque)
{
	(void)addr;
	(void)opaque;
	if (is_write)
		vmm_console_write(cpu->vm, (int)cpu->index, (const char *)data,
				  len);
	else
		memset(data, 0xff, len);
}

static void exit_word(struct vmm *vm, uint32_t word)
{
	unsigned int pid = TINY_EXIT_PID(word);
	int status = (int)TINY_EXIT_LOW(word);

	pthread_mutex_lock(&vm->lock);
	switch (TINY_EXIT_KIND(word)) {
	case TINY_EXIT_PROC:
		if (pid < VMM_TINY_MAX_PROCS)
			vm->tiny.proc_status[pid] = status + 1;
		break;
	case TINY_EXIT_ALL_DONE:
		vm->tiny.all_done = 1;
		vm->tiny.failed = status;
		break;
	case TINY_EXIT_CRASH:
		vm->tiny.panicked = 1;
		break;
	case TINY_EXIT_NO_HOST:
		vm->tiny.no_host = 1;
		break;
	}
	pthread_mutex_unlock(&vm->lock);
}

static void exit_trap(struct vmm_cpu *cpu, uint64_t addr, uint8_t *data,
		      uint32_t len, int is_write, void *opaque)
{
	uint32_t word;

	(void)addr;
	(void)opaque;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	if (len != sizeof(word))
		return;
	memcpy(&word, data, sizeof(word));
	exit_word(cpu->vm, word);
}

static int load(struct vmm *vm, const struct vmm_config *config)
{
	uint8_t *dst;

	if (!config->code)
		return x86_load_elf(vm, config->kernel, TINY_BOOT_INFO + 4096,
				    &vm->entry);
	dst = vmm_gpa(vm, TINY_KERNEL_BASE, config->code_size);
	if (!dst)
		return -E2BIG;
	memcpy(dst, config->code, config->code_size);
	vm->entry = TINY_KERNEL_BASE;
	return 0;
}

static int setup(struct vmm *vm, const struct vmm_config *config)
{
	struct tiny_boot_info *bi;
	const char *cmdline = config->cmdline ? config->cmdline : "";
	int ret;

	bi = vmm_gpa(vm, TINY_BOOT_INFO, sizeof(*bi));
	if (!bi)
		return -E2BIG;
	if (strlen(cmdline) >= sizeof(bi->cmdline))
		return -E2BIG;
	ret = x86_identity_map(vm, TINY_BOOT_PML4);
	if (!ret)
		ret = load(vm, config);
	if (!ret)
		ret = trap_register(vm, TRAP_PIO, TINY_SERIAL_PORT, 1,
				    console_trap, NULL);
	if (!ret)
		ret = trap_register(vm, TRAP_PIO, TINY_EXIT_PORT, 4,
				    exit_trap, NULL);
	if (ret)
		return ret;
	bi->magic = TINY_BOOT_MAGIC;
	bi->nr_cpus = vm->nr_cpus;
	bi->ram_size = vm->ram_size;
	strcpy(bi->cmdline, cmdline);
	return 0;
}

static int setup_cpu(struct vmm_cpu *cpu, const struct vmm_config *config)
{
	struct kvm_regs regs = {
		.rip = cpu->vm->entry,
		.rdi = cpu->index,
		.rsi = TINY_BOOT_INFO,
	};
	int ret;

	(void)config;
	ret = x86_setup_cpuid(cpu, VMM_CPUID_HIDE_NONE);
	if (ret)
		return ret;
	return x86_enter(cpu, TINY_BOOT_PML4, &regs);
}

/* HLT at CPL0 means the vCPU has nothing left to run. */
static int halt(struct vmm_cpu *cpu)
{
	(void)cpu;
	return 1;
}

const struct board tiny_board = {
	.name = "tiny",
	.default_mem_size = 64ull << 20,
	.min_mem_size = TINY_RAM_MIN,
	.max_mem_size = TINY_RAM_MAX,
	.max_cpus = TINY_MAX_CPUS,
	.setup = setup,
	.setup_cpu = setup_cpu,
	.halt = halt,
};
