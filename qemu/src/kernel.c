// SPDX-License-Identifier: MIT
/*
 * Which architecture a kernel image is for (qemu/qemu.h), from the first
 * bytes of the file a user hands --kernel: the magic numbers the boot
 * protocols put there, and an ELF's header. Nothing past QEMU_KERNEL_HEAD
 * bytes is read, and nothing in them is trusted beyond those fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <qemu/qemu.h>

#define EM_ARM 40
#define EM_MIPS 8
#define EM_X86_64 62
#define EM_AARCH64 183

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int found(struct qemu_kernel_format *f, const char *arch,
		 const char *format)
{
	f->arch = arch;
	f->format = format;
	return 0;
}

static int unsupported(struct qemu_kernel_format *f, const char *format)
{
	f->arch = NULL;
	f->format = format;
	return -EOPNOTSUPP;
}

/*
 * An ELF's class, byte order and e_machine (the System V gABI, "ELF
 * Header"); e_machine sits at byte 18 in both classes.
 */
static int elf_arch(const unsigned char *h, size_t len,
		    struct qemu_kernel_format *f)
{
	unsigned int class, data, machine;

	if (len < 20)
		return -ENOEXEC;
	class = h[4];
	data = h[5];
	if ((class != 1 && class != 2) || (data != 1 && data != 2))
		return -ENOEXEC;
	if (data == 2)
		return unsupported(f, h[18] == 0 && h[19] == EM_MIPS ?
				   "a big-endian MIPS ELF" :
				   "a big-endian ELF");
	machine = le16(h + 18);
	if (machine == EM_MIPS)
		return class == 1 ? found(f, "mipsel", "a 32-bit MIPS ELF") :
				    found(f, "mips64el", "a 64-bit MIPS ELF");
	if (machine == EM_X86_64 && class == 2)
		return found(f, "x86_64", "an x86-64 ELF");
	if (machine == EM_AARCH64 && class == 2)
		return found(f, "aarch64", "an AArch64 ELF");
	if (machine == EM_ARM && class == 1)
		return found(f, "arm", "a 32-bit ARM ELF");
	return unsupported(f, "an ELF of another architecture");
}

/*
 * The boot protocols' magic numbers: x86's "HdrS" at 0x202
 * (Documentation/arch/x86/boot.rst), arm64's "ARM\x64" at 0x38 with the
 * byte order in bit 0 of the flags at 0x30 (Documentation/arch/arm64/
 * booting.rst), 32-bit ARM's zImage magic 0x016f2818 at 0x24 and its
 * byte-order word 0x04030201 at 0x30 (arch/arm/boot/compressed/head.S).
 * An EFI stub's "MZ" at 0 leaves them where they are.
 */
int qemu_kernel_arch(const void *head, size_t len,
		     struct qemu_kernel_format *f)
{
	const unsigned char *h = head;

	*f = (struct qemu_kernel_format){ NULL, NULL };
	if (len >= 4 && !memcmp(h, "\177ELF", 4))
		return elf_arch(h, len, f);
	if (len >= 0x40 && !memcmp(h + 0x38, "ARM\x64", 4))
		return h[0x30] & 1 ? unsupported(f, "a big-endian arm64 Image") :
		       found(f, "aarch64", "an arm64 Image");
	if (len >= 0x34 && le32(h + 0x24) == 0x016f2818)
		return le32(h + 0x30) == 0x04030201 ?
		       found(f, "arm", "an ARM zImage") :
		       unsupported(f, "a big-endian ARM zImage");
	if (len >= 0x206 && !memcmp(h + 0x202, "HdrS", 4))
		return found(f, "x86_64", "an x86 bzImage");
	return -ENOEXEC;
}

int qemu_kernel_file_arch(const char *path, struct qemu_kernel_format *f)
{
	unsigned char head[QEMU_KERNEL_HEAD];
	ssize_t n;
	int fd;

	*f = (struct qemu_kernel_format){ NULL, NULL };
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return qemu_kernel_arch(head, (size_t)n, f);
}
