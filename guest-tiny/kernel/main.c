// SPDX-License-Identifier: MIT
/*
 * Boot: every vCPU enters here (boot.h), sets up its tables, registers
 * with the hypermem host, creates its share of the scenario's processes and
 * starts the first one.
 */
#include "kernel.h"

struct config config;

static struct cpu cpus[TINY_MAX_CPUS];
static char scenario[32];

static int starts_with(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n))
		return 0;
	*rest = s + n;
	return 1;
}

static void parse_hostile(const char *v, size_t len)
{
	static const char *const names[] = {
		[HOSTILE_OVERSIZE] = "oversize",
		[HOSTILE_BADCODE] = "badcode",
		[HOSTILE_REREGISTER] = "reregister",
		[HOSTILE_SILENT] = "silent",
	};
	unsigned int i;

	for (i = HOSTILE_OVERSIZE; i < ARRAY_SIZE(names); i++) {
		if (strlen(names[i]) == len && !strncmp(names[i], v, len))
			config.hostile = i;
	}
}

/* region_pages=1 is the original design's one-page region. */
static void parse_region_pages(const char *v, size_t len)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < len && i < 3; i++) {
		if (v[i] < '0' || v[i] > '9')
			return;
		n = n * 10 + (uint32_t)(v[i] - '0');
	}
	if (i == len && n >= 1 && n <= HM_MAX_REGION_PAGES)
		config.region_pages = n;
}

/*
 * transport=vmcall: the hypercall instruction of this CPU's vendor, as
 * Linux's kvm_hypercall() picks it (CPUID leaf 0's vendor string).
 */
static enum transport hypercall_transport(void)
{
	uint32_t eax = 0, ebx, ecx, edx;

	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx),
			 "=d"(edx));
	/* "AuthenticAMD" and "HygonGenuine": EBX "Auth" or "Hygo". */
	if (ebx == 0x68747541u || ebx == 0x6f677948u)
		return TRANSPORT_VMMCALL;
	return TRANSPORT_VMCALL;
}

static void parse_transport(const char *v, size_t len)
{
	if (len == 3 && !strncmp(v, "pio", 3))
		config.transport = TRANSPORT_PIO;
	else if (len == 6 && !strncmp(v, "vmcall", 6))
		config.transport = hypercall_transport();
}

static void parse_word(const char *w, size_t len)
{
	const char *v;

	if (starts_with(w, "scenario=", &v)) {
		len -= (size_t)(v - w);
		if (len < sizeof(scenario)) {
			memcpy(scenario, v, len);
			scenario[len] = 0;
		}
	} else if (starts_with(w, "hostile=", &v)) {
		parse_hostile(v, len - (size_t)(v - w));
	} else if (len == 8 && !strncmp(w, "noevents", 8)) {
		config.events = 0;
	} else if (len == 11 && !strncmp(w, "nosubscribe", 11)) {
		config.subscribe = 0;
	} else if (len == 5 && !strncmp(w, "quiet", 5)) {
		config.quiet = 1;
	} else if (starts_with(w, "region_pages=", &v)) {
		parse_region_pages(v, len - (size_t)(v - w));
	} else if (starts_with(w, "transport=", &v)) {
		parse_transport(v, len - (size_t)(v - w));
	}
}

/* Every CPU parses the same line into the same values. */
static void parse_cmdline(const struct tiny_boot_info *bi)
{
	const char *p = bi->cmdline;

	memcpy(scenario, "demo", 5);
	config.events = 1;
	config.subscribe = 1;
	config.region_pages = HM_MAX_REGION_PAGES;
	config.transport = TRANSPORT_PIO;
	config.nr_cpus = bi->nr_cpus;
	config.ram_size = bi->ram_size < TINY_RAM_MAX ? bi->ram_size :
			  TINY_RAM_MAX;
	while (*p) {
		size_t len = 0;

		while (*p == ' ')
			p++;
		while (p[len] && p[len] != ' ')
			len++;
		if (len)
			parse_word(p, len);
		p += len;
	}
	config.scenario = scenario;
}

void kmain(uint64_t index, const struct tiny_boot_info *bi);

void kmain(uint64_t index, const struct tiny_boot_info *bi)
{
	struct cpu *cpu = &cpus[index];
	const struct program *progs;
	size_t n, i;

	if (bi->magic != TINY_BOOT_MAGIC || bi->nr_cpus == 0 ||
	    bi->nr_cpus > TINY_MAX_CPUS || index >= bi->nr_cpus) {
		report(TINY_EXIT_CRASH, 0xfe);
		halt_forever();
	}
	parse_cmdline(bi);
	cpu->index = (unsigned int)index;
	cpu->self = cpu;
	mm_init(config.ram_size, config.nr_cpus);
	kernel_pd_init();
	cpu_tables_init(cpu);
	if (index == 0)
		kprintf("guest-tiny: %u cpus, %lu MiB, scenario %s\n",
			config.nr_cpus, config.ram_size >> 20,
			config.scenario);
	hm_init(cpu);
	progs = scenario_programs(config.scenario, &n);
	if (!progs && index == 0)
		kprintf("unknown scenario %s\n", config.scenario);
	for (i = 0; i < n; i++) {
		if (progs[i].cpu % config.nr_cpus == index)
			sched_add(cpu, proc_create(&progs[i]));
	}
	sched_start(cpu);
}
