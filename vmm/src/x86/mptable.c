// SPDX-License-Identifier: MIT
/*
 * The MP table (Intel MultiProcessor Specification 1.4, chapter 4): how a
 * kernel without ACPI finds its CPUs, its IOAPIC and how ISA interrupts
 * reach it. Linux scans 0xf0000-0xfffff for the floating pointer.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define LAPIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u
#define LAPIC_VERSION 0x14
#define IOAPIC_VERSION 0x11
#define ISA_IRQS 16

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

struct __attribute__((packed)) mpf {
	char signature[4];	/* "_MP_" */
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
};

struct __attribute__((packed)) mpc_header {
	char signature[4];	/* "PCMP" */
	uint16_t length;
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
};

struct __attribute__((packed)) mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;	/* 1: enabled, 2: the boot processor */
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
};

struct __attribute__((packed)) mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
};

struct __attribute__((packed)) mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
};

/* Both interrupt entry kinds share this layout. */
struct __attribute__((packed)) mpc_irq {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;	/* 0: polarity and trigger as the bus says */
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
};

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static uint8_t *add_cpus(uint8_t *p, unsigned int nr_cpus)
{
	unsigned int i;

	for (i = 0; i < nr_cpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = LAPIC_VERSION,
			.cpuflag = 1 | (i == 0 ? 2 : 0),
		};

		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
	}
	return p;
}

static uint8_t *add_irq(uint8_t *p, uint8_t type, uint8_t irqtype,
			uint8_t srcirq, uint8_t dstapic, uint8_t dstirq)
{
	struct mpc_irq e = {
		.type = type,
		.irqtype = irqtype,
		.srcbusirq = srcirq,
		.dstapic = dstapic,
		.dstirq = dstirq,
	};

	memcpy(p, &e, sizeof(e));
	return p + sizeof(e);
}

/*
 * KVM's default routing sends ISA IRQ n to IOAPIC pin n (and to the PIC),
 * so every ISA line is declared identity-mapped; the PIC's output goes to
 * LINT0 as ExtINT, NMI to LINT1.
 */
static uint8_t *add_bus_and_irqs(uint8_t *p, unsigned int nr_cpus)
{
	struct mpc_bus bus = { .type = MP_BUS, .bustype = "ISA   " };
	struct mpc_ioapic ioapic = {
		.type = MP_IOAPIC,
		.apicid = (uint8_t)nr_cpus,
		.apicver = IOAPIC_VERSION,
		.flags = 1,
		.apicaddr = IOAPIC_BASE,
	};
	uint8_t irq;

	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	memcpy(p, &ioapic, sizeof(ioapic));
	p += sizeof(ioapic);
	for (irq = 0; irq < ISA_IRQS; irq++)
		p = add_irq(p, MP_INTSRC, MP_INT, irq, (uint8_t)nr_cpus, irq);
	p = add_irq(p, MP_LINTSRC, MP_EXTINT, 0, 0xff, 0);
	return add_irq(p, MP_LINTSRC, MP_NMI, 0, 0xff, 1);
}

int x86_write_mptable(struct vmm *vm)
{
	uint8_t *base = vmm_gpa(vm, MPTABLE_GPA, 4096);
	struct mpf *mpf = (struct mpf *)base;
	struct mpc_header *mpc = (struct mpc_header *)(base + sizeof(*mpf));
	uint8_t *end;

	if (!base)
		return -E2BIG;
	memset(base, 0, 4096);
	end = add_cpus((uint8_t *)(mpc + 1), vm->nr_cpus);
	end = add_bus_and_irqs(end, vm->nr_cpus);
	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = (uint16_t)(end - (uint8_t *)mpc);
	mpc->spec_rev = 4;
	memcpy(mpc->oem, "HYPERMEM", 8);
	memcpy(mpc->product, "VMM-CORE    ", 12);
	mpc->count = (uint16_t)(vm->nr_cpus + 2 + ISA_IRQS + 2);
	mpc->lapic = LAPIC_BASE;
	mpc->checksum = checksum(mpc, mpc->length);
	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)(MPTABLE_GPA + sizeof(*mpf));
	mpf->length = 1;
	mpf->spec_rev = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
