// SPDX-License-Identifier: MIT
/*
 * Load an ELF executable's PT_LOAD segments at their physical addresses,
 * the way guest-tiny's boot contract asks. libelf does the parsing; every
 * range is checked against the file and against guest RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

static int load_segment(struct tvm *vm, const GElf_Phdr *ph,
			const char *image, size_t image_size)
{
	uint64_t end = ph->p_paddr + ph->p_memsz;

	if (ph->p_filesz > ph->p_memsz || end < ph->p_paddr ||
	    end > vm->mem_size || ph->p_paddr < TINY_BOOT_INFO + 4096 ||
	    ph->p_offset > image_size ||
	    ph->p_filesz > image_size - ph->p_offset)
		return -ENOEXEC;
	memcpy(vm->mem + ph->p_paddr, image + ph->p_offset, ph->p_filesz);
	memset(vm->mem + ph->p_paddr + ph->p_filesz, 0,
	       ph->p_memsz - ph->p_filesz);
	return 0;
}

static int load(struct tvm *vm, Elf *elf, uint64_t *entry)
{
	size_t image_size, nr, i;
	const char *image;
	GElf_Ehdr eh;
	int err;

	if (!gelf_getehdr(elf, &eh) || gelf_getclass(elf) != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		return -ENOEXEC;
	image = elf_rawfile(elf, &image_size);
	if (!image || elf_getphdrnum(elf, &nr))
		return -ENOEXEC;
	for (i = 0; i < nr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD)
			continue;
		err = load_segment(vm, &ph, image, image_size);
		if (err)
			return err;
	}
	*entry = eh.e_entry;
	return 0;
}

int tvm_load_elf(struct tvm *vm, const char *path, uint64_t *entry)
{
	Elf *elf;
	int fd, err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		err = -ENOEXEC;
		goto err_close;
	}
	err = load(vm, elf, entry);
	elf_end(elf);
err_close:
	close(fd);
	return err;
}
