// SPDX-License-Identifier: MIT
/*
 * The device tree the arm64 kernel is booted with, written by libfdt's
 * sequential writer straight into guest RAM. The nodes and properties are
 * those of the kernel's bindings (Documentation/devicetree/bindings):
 * memory, cpus with PSCI, the GICv3, the architected timer and an 8250.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

#include "arm64.h"

#define GIC_PHANDLE 1
/* include/dt-bindings/interrupt-controller/{arm-gic,irq}.h */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_TYPE_LEVEL_HIGH 4
#define IRQ_TYPE_LEVEL_LOW 8
/* The architected timer's PPIs: secure, non-secure physical, virtual, hyp. */
static const uint32_t timer_ppis[] = { 13, 14, 11, 10 };
#define UART_CLOCK 1843200

/* The writer and its first error, after which it writes nothing more. */
struct dt {
	void *fdt;
	int err;
};

static void begin(struct dt *dt, const char *name)
{
	if (!dt->err)
		dt->err = fdt_begin_node(dt->fdt, name);
}

/* A node whose name carries its address, as "uart@9000000". */
static void begin_at(struct dt *dt, const char *name, uint64_t addr)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s@%llx", name, (unsigned long long)addr);
	begin(dt, buf);
}

static void end(struct dt *dt)
{
	if (!dt->err)
		dt->err = fdt_end_node(dt->fdt);
}

static void prop(struct dt *dt, const char *name, const void *val, int len)
{
	if (!dt->err)
		dt->err = fdt_property(dt->fdt, name, val, len);
}

static void prop_u32(struct dt *dt, const char *name, uint32_t val)
{
	if (!dt->err)
		dt->err = fdt_property_u32(dt->fdt, name, val);
}

static void prop_u64(struct dt *dt, const char *name, uint64_t val)
{
	if (!dt->err)
		dt->err = fdt_property_u64(dt->fdt, name, val);
}

static void prop_str(struct dt *dt, const char *name, const char *val)
{
	if (!dt->err)
		dt->err = fdt_property_string(dt->fdt, name, val);
}

/* A reg of address-size pairs, the root's two cells each. */
static void prop_reg(struct dt *dt, const uint64_t *pairs, int n)
{
	fdt64_t reg[4];
	int i;

	for (i = 0; i < 2 * n; i++)
		reg[i] = cpu_to_fdt64(pairs[i]);
	prop(dt, "reg", reg, 2 * n * (int)sizeof(reg[0]));
}

static void chosen_node(struct dt *dt, const struct vmm *vm)
{
	char uart[32];

	snprintf(uart, sizeof(uart), "/uart@%llx", UART_GPA);
	begin(dt, "chosen");
	prop_str(dt, "bootargs", vm->cmdline);
	prop_str(dt, "stdout-path", uart);
	if (vm->initrd_size) {
		prop_u64(dt, "linux,initrd-start", vm->initrd_gpa);
		prop_u64(dt, "linux,initrd-end",
			 vm->initrd_gpa + vm->initrd_size);
	}
	end(dt);
}

static void memory_node(struct dt *dt, const struct vmm *vm)
{
	const uint64_t reg[] = { vm->ram_base, vm->ram_size };

	begin_at(dt, "memory", vm->ram_base);
	prop_str(dt, "device_type", "memory");
	prop_reg(dt, reg, 1);
	end(dt);
}

/*
 * reg is the MPIDR's affinity, which KVM makes the vCPU's index up to 16
 * vCPUs (arch/arm64/kvm/sys_regs.c, reset_mpidr()).
 */
static void cpu_nodes(struct dt *dt, const struct vmm *vm)
{
	unsigned int i;

	begin(dt, "cpus");
	prop_u32(dt, "#address-cells", 1);
	prop_u32(dt, "#size-cells", 0);
	for (i = 0; i < vm->nr_cpus; i++) {
		begin_at(dt, "cpu", i);
		prop_str(dt, "device_type", "cpu");
		prop_str(dt, "compatible", "arm,arm-v8");
		prop_str(dt, "enable-method", "psci");
		prop_u32(dt, "reg", i);
		end(dt);
	}
	end(dt);
}

/* PSCI 0.2 has fixed function IDs: no cpu_on and friends. */
static void psci_node(struct dt *dt)
{
	begin(dt, "psci");
	prop_str(dt, "compatible", "arm,psci-0.2");
	prop_str(dt, "method", "hvc");
	end(dt);
}

static void gic_node(struct dt *dt, const struct vmm *vm)
{
	const uint64_t reg[] = {
		GIC_DIST_GPA, GIC_DIST_SIZE,
		GIC_REDIST_GPA, GIC_REDIST_SIZE * vm->nr_cpus,
	};

	begin_at(dt, "intc", GIC_DIST_GPA);
	prop_str(dt, "compatible", "arm,gic-v3");
	prop_u32(dt, "#interrupt-cells", 3);
	prop(dt, "interrupt-controller", NULL, 0);
	prop_reg(dt, reg, 2);
	prop_u32(dt, "phandle", GIC_PHANDLE);
	end(dt);
}

/* kvmtool's flags: level-low, no CPU mask (a GICv3 has none). */
static void timer_node(struct dt *dt)
{
	static const char compatible[] = "arm,armv8-timer\0arm,armv7-timer";
	fdt32_t irqs[3 * 4];
	int i;

	for (i = 0; i < 4; i++) {
		irqs[3 * i] = cpu_to_fdt32(GIC_PPI);
		irqs[3 * i + 1] = cpu_to_fdt32(timer_ppis[i]);
		irqs[3 * i + 2] = cpu_to_fdt32(IRQ_TYPE_LEVEL_LOW);
	}
	begin(dt, "timer");
	prop(dt, "compatible", compatible, sizeof(compatible));
	prop(dt, "interrupts", irqs, sizeof(irqs));
	prop(dt, "always-on", NULL, 0);
	end(dt);
}

/* Byte registers one apart, as serial.c's model has them. */
static void uart_node(struct dt *dt)
{
	const uint64_t reg[] = { UART_GPA, UART_SIZE };
	const fdt32_t irq[] = {
		cpu_to_fdt32(GIC_SPI), cpu_to_fdt32(UART_SPI),
		cpu_to_fdt32(IRQ_TYPE_LEVEL_HIGH),
	};

	begin_at(dt, "uart", UART_GPA);
	prop_str(dt, "compatible", "ns16550a");
	prop_reg(dt, reg, 1);
	prop_u32(dt, "reg-shift", 0);
	prop_u32(dt, "reg-io-width", 1);
	prop(dt, "interrupts", irq, sizeof(irq));
	prop_u32(dt, "clock-frequency", UART_CLOCK);
	end(dt);
}

int arm64_write_fdt(struct vmm *vm)
{
	struct dt dt = { .fdt = vmm_gpa(vm, vm->dtb_gpa, DTB_MAX_SIZE) };

	if (!dt.fdt)
		return -E2BIG;
	dt.err = fdt_create(dt.fdt, DTB_MAX_SIZE);
	if (!dt.err)
		dt.err = fdt_finish_reservemap(dt.fdt);
	begin(&dt, "");
	prop_str(&dt, "compatible", "linux,dummy-virt");
	prop_u32(&dt, "#address-cells", 2);
	prop_u32(&dt, "#size-cells", 2);
	prop_u32(&dt, "interrupt-parent", GIC_PHANDLE);
	chosen_node(&dt, vm);
	memory_node(&dt, vm);
	cpu_nodes(&dt, vm);
	psci_node(&dt);
	gic_node(&dt, vm);
	timer_node(&dt);
	uart_node(&dt);
	end(&dt);
	if (!dt.err)
		dt.err = fdt_finish(dt.fdt);
	return dt.err ? -E2BIG : 0;
}
