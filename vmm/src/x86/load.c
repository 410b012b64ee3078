// SPDX-License-Identifier: MIT
/*
 * Kernel loading. A vmlinux is loaded by its ELF program headers and
 * entered through its PVH note (Xen's public arch-x86/hvm/start_info.h);
 * a bzImage by its setup header (Documentation/arch/x86/boot.rst, "The
 * 64-bit Boot Protocol"). Every size and offset read from the files is
 * checked against the file and against guest RAM.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* PVH: the ELF note "Xen" of this type holds the 32-bit entry point. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* Offsets in the bzImage file and in boot_params (zero page). */
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR 0x1f1
#define BP_E820_TABLE 0x2d0
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define HDR_SETUP_SECTS 0x1f1
#define HDR_MAGIC 0x202		/* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_END 0x268		/* one past the 2.15 header we use */
#define XLF_KERNEL_64 0x1
#define LOADED_HIGH 0x01
#define STARTUP_64_OFFSET 0x200
#define LOADER_UNDEFINED 0xff

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * The map every guest gets: the EBDA and the BIOS area reserved (the MP
 * table lives in the latter), the rest of RAM usable. The VGA hole is left
 * out; PVH kernels add it themselves.
 */
static void build_e820(struct vmm *vm)
{
	uint64_t top = vm->ram_size;

	vm->e820[0] = (struct vmm_e820_entry){ 0, EBDA_GPA, E820_RAM };
	vm->e820[1] = (struct vmm_e820_entry){ EBDA_GPA, 0xa0000 - EBDA_GPA,
					      E820_RESERVED };
	vm->e820[2] = (struct vmm_e820_entry){ MPTABLE_GPA,
					      BIOS_END - MPTABLE_GPA,
					      E820_RESERVED };
	vm->e820[3] = (struct vmm_e820_entry){ BIOS_END, top - BIOS_END,
					      E820_RAM };
	vm->nr_e820 = 4;
}

static int load_segment(struct vmm *vm, const struct file_image *img,
			const GElf_Phdr *ph, uint64_t low)
{
	uint8_t *dst;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > img->size ||
	    ph->p_filesz > img->size - ph->p_offset)
		return -ENOEXEC;
	dst = vmm_gpa(vm, ph->p_paddr, ph->p_memsz);
	if (!dst || ph->p_paddr < low)
		return -E2BIG;
	memcpy(dst, img->data + ph->p_offset, ph->p_filesz);
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	if (ph->p_paddr + ph->p_memsz > vm->kernel_end)
		vm->kernel_end = ph->p_paddr + ph->p_memsz;
	return 0;
}

/* The PVH entry: a 4- or 8-byte note, a 32-bit physical address. */
static int find_pvh_entry(Elf *elf, const GElf_Phdr *ph, uint64_t *entry)
{
	Elf_Data *data;
	GElf_Nhdr nhdr;
	size_t offset = 0, name_off, desc_off;

	data = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz,
				    ELF_T_NHDR);
	if (!data)
		return -ENOEXEC;
	while ((offset = gelf_getnote(data, offset, &nhdr, &name_off,
				      &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;
		const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;

		if (nhdr.n_type != XEN_ELFNOTE_PHYS32_ENTRY ||
		    nhdr.n_namesz != 4 || memcmp(name, "Xen", 4) ||
		    (nhdr.n_descsz != 4 && nhdr.n_descsz != 8))
			continue;
		*entry = get32(desc);
		return 0;
	}
	return -ENOENT;
}

/*
 * PT_LOAD segments at their physical addresses, none below @p low; the
 * entry is the PVH note's where there is one (*pvh set), else e_entry.
 */
static int load_elf(struct vmm *vm, const struct file_image *img,
		    uint64_t low, uint64_t *entry, int *pvh)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	Elf *elf;
	size_t i, n;
	int ret = -ENOEXEC;

	*pvh = 0;
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)img->data, img->size);
	if (!elf)
		return -ENOEXEC;
	if (!gelf_getehdr(elf, &eh) || gelf_getclass(elf) != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || elf_getphdrnum(elf, &n))
		goto out;
	*entry = eh.e_entry;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph))
			goto out;
		if (ph.p_type == PT_LOAD) {
			ret = load_segment(vm, img, &ph, low);
			if (ret)
				goto out;
		} else if (ph.p_type == PT_NOTE && !*pvh) {
			*pvh = !find_pvh_entry(elf, &ph, entry);
		}
	}
	ret = vmm_gpa(vm, *entry, 1) ? 0 : -ENOEXEC;
out:
	elf_end(elf);
	return ret;
}

int x86_load_elf(struct vmm *vm, const char *path, uint64_t low,
		 uint64_t *entry)
{
	struct file_image img;
	int ret, pvh;

	ret = file_map(path, &img);
	if (ret)
		return ret;
	ret = load_elf(vm, &img, low, entry, &pvh);
	file_unmap(&img);
	return ret;
}

static int load_vmlinux(struct vmm *vm, const struct file_image *img)
{
	int ret = load_elf(vm, img, BIOS_END, &vm->entry, &vm->pvh);

	if (!ret && !vm->pvh)
		ret = -ENOEXEC;
	return ret;
}

static int write_start_info(struct vmm *vm)
{
	struct hvm_start_info *si = vmm_gpa(vm, START_INFO_GPA, sizeof(*si));
	struct hvm_modlist_entry *mod = vmm_gpa(vm, MODLIST_GPA, sizeof(*mod));
	struct hvm_memmap_entry *map = vmm_gpa(vm, MEMMAP_GPA,
					      sizeof(*map) * E820_MAX);
	size_t i;

	if (!si || !mod || !map)
		return -E2BIG;
	memset(si, 0, sizeof(*si));
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = vm->cmdline_len ? CMDLINE_GPA : 0;
	si->memmap_paddr = MEMMAP_GPA;
	si->memmap_entries = (uint32_t)vm->nr_e820;
	for (i = 0; i < vm->nr_e820; i++)
		map[i] = (struct hvm_memmap_entry){ vm->e820[i].addr,
						    vm->e820[i].size,
						    vm->e820[i].type, 0 };
	if (vm->initrd_size) {
		*mod = (struct hvm_modlist_entry){ vm->initrd_gpa,
						   vm->initrd_size, 0, 0 };
		si->nr_modules = 1;
		si->modlist_paddr = MODLIST_GPA;
	}
	return 0;
}

static int check_bzimage(const struct file_image *img, uint64_t *setup_len)
{
	unsigned int sects;

	if (img->size < HDR_END || memcmp(img->data + HDR_MAGIC, "HdrS", 4))
		return -ENOEXEC;
	/* 2.12 brought xloadflags, which says startup_64 exists. */
	if ((img->data[HDR_VERSION] | img->data[HDR_VERSION + 1] << 8) <
	    0x020c || !(img->data[HDR_XLOADFLAGS] & XLF_KERNEL_64))
		return -ENOEXEC;
	sects = img->data[HDR_SETUP_SECTS] ? img->data[HDR_SETUP_SECTS] : 4;
	*setup_len = (sects + 1) * 512ull;
	if (*setup_len >= img->size)
		return -ENOEXEC;
	return 0;
}

/*
 * A relocatable kernel goes to its preferred address, aligned as it asks;
 * it needs init_size bytes there to decompress itself in place, which must
 * hold the payload copied there and the 64-bit entry (boot protocol 2.10,
 * init_size).
 */
static int bzimage_load_address(struct vmm *vm, const uint8_t *hdr,
				uint64_t payload, uint64_t *gpa)
{
	uint64_t pref, align, init_size;

	memcpy(&pref, hdr + HDR_PREF_ADDRESS, sizeof(pref));
	align = get32(hdr + HDR_KERNEL_ALIGNMENT);
	init_size = get32(hdr + HDR_INIT_SIZE);
	if (init_size < payload || init_size <= STARTUP_64_OFFSET)
		return -ENOEXEC;
	if (!hdr[HDR_RELOCATABLE] || pref < BIOS_END)
		pref = BIOS_END;
	if (align && (align & (align - 1)) == 0)
		pref = (pref + align - 1) & ~(align - 1);
	if (pref < BIOS_END || !vmm_gpa(vm, pref, init_size))
		return -E2BIG;
	*gpa = pref;
	vm->kernel_end = pref + init_size;
	return 0;
}

static void write_boot_params_e820(struct vmm *vm, uint8_t *bp)
{
	size_t i;

	bp[BP_E820_ENTRIES] = (uint8_t)vm->nr_e820;
	for (i = 0; i < vm->nr_e820; i++) {
		uint8_t *e = bp + BP_E820_TABLE + 20 * i;

		memcpy(e, &vm->e820[i].addr, 8);
		memcpy(e + 8, &vm->e820[i].size, 8);
		put32(e + 16, vm->e820[i].type);
	}
}

static int load_bzimage(struct vmm *vm, const struct file_image *img)
{
	uint64_t setup_len, load;
	uint8_t *bp;
	size_t hdr_len;
	int ret;

	ret = check_bzimage(img, &setup_len);
	if (ret)
		return ret;
	ret = bzimage_load_address(vm, img->data, img->size - setup_len,
				   &load);
	if (ret)
		return ret;
	ret = vmm_copy_to_guest(vm, load, img->data + setup_len,
				img->size - setup_len);
	if (ret)
		return ret;
	bp = vmm_gpa(vm, BOOT_PARAMS_GPA, 4096);
	memset(bp, 0, 4096);
	/* The header runs to the end of the jump at 0x200 plus its target. */
	hdr_len = 0x202 + img->data[0x201] - BP_HDR;
	if (BP_HDR + hdr_len > HDR_END)
		hdr_len = HDR_END - BP_HDR;
	memcpy(bp + BP_HDR, img->data + BP_HDR, hdr_len);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[HDR_LOADFLAGS] |= LOADED_HIGH;
	vm->entry = load + STARTUP_64_OFFSET;
	vm->pvh = 0;
	return 0;
}

/* Fill in what the boot protocol reads once initrd and cmdline are known. */
static int finish_boot_params(struct vmm *vm)
{
	uint8_t *bp = vmm_gpa(vm, BOOT_PARAMS_GPA, 4096);
	uint32_t cmdline_max = get32(bp + HDR_CMDLINE_SIZE);

	if (cmdline_max && vm->cmdline_len > cmdline_max)
		return -E2BIG;
	put32(bp + HDR_CMD_LINE_PTR, (uint32_t)CMDLINE_GPA);
	put32(bp + BP_EXT_CMD_LINE_PTR, 0);
	put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)vm->initrd_gpa);
	put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(vm->initrd_gpa >> 32));
	put32(bp + HDR_RAMDISK_SIZE, (uint32_t)vm->initrd_size);
	put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)(vm->initrd_size >> 32));
	write_boot_params_e820(vm, bp);
	return 0;
}

/* The initrd goes at the top of low RAM, below what the kernel can reach. */
static int load_initrd(struct vmm *vm, const char *path)
{
	uint64_t top = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;

	if (!vm->pvh) {
		uint8_t *bp = vmm_gpa(vm, BOOT_PARAMS_GPA, 4096);
		uint64_t max = get32(bp + HDR_INITRD_ADDR_MAX) + 1ull;

		if (max > BIOS_END && max < top)
			top = max;
	}
	return file_load_initrd(vm, path, top);
}

static int write_cmdline(struct vmm *vm, const char *cmdline,
			 enum vmm_cpuid_hide hide)
{
	const char *extra = vmm_cpuid_hides(hide) ? VMM_CPUID_HIDE_CMDLINE : "";
	int len;

	if (!cmdline)
		cmdline = "";
	len = asprintf(&vm->cmdline, "%s%s%s", cmdline,
		       *cmdline && *extra ? " " : "", extra);
	if (len < 0) {
		vm->cmdline = NULL;
		return -ENOMEM;
	}
	if ((uint64_t)len >= CMDLINE_MAX)
		return -E2BIG;
	vm->cmdline_len = (uint64_t)len;
	return vmm_copy_to_guest(vm, CMDLINE_GPA, vm->cmdline,
				 vm->cmdline_len + 1);
}

int x86_load_linux(struct vmm *vm, const struct vmm_config *config)
{
	struct file_image img;
	int ret;

	build_e820(vm);
	ret = file_map(config->kernel, &img);
	if (ret)
		return ret;
	if (img.size >= 4 && !memcmp(img.data, ELFMAG, SELFMAG))
		ret = load_vmlinux(vm, &img);
	else
		ret = load_bzimage(vm, &img);
	file_unmap(&img);
	if (ret)
		return ret;
	ret = write_cmdline(vm, config->cmdline, config->cpuid_hide);
	if (!ret && config->initrd)
		ret = load_initrd(vm, config->initrd);
	if (ret)
		return ret;
	return vm->pvh ? write_start_info(vm) : finish_boot_params(vm);
}
