// SPDX-License-Identifier: MIT
/*
 * Our QEMU's machine types (qemu/src/launch.c) and which one a kernel
 * image asks for (qemu/src/kernel.c): headers made here in each format,
 * then, given as ARCH=PATH arguments, the real kernels the build found.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <qemu/qemu.h>

#include "launch.h"

static unsigned char head[QEMU_KERNEL_HEAD];

static void put32(size_t at, uint32_t v)
{
	head[at] = (unsigned char)v;
	head[at + 1] = (unsigned char)(v >> 8);
	head[at + 2] = (unsigned char)(v >> 16);
	head[at + 3] = (unsigned char)(v >> 24);
}

/* An ELF header's identification and e_machine, the rest zero. */
static void elf(unsigned int class, unsigned int data, unsigned int machine)
{
	memset(head, 0, sizeof(head));
	memcpy(head, "\177ELF", 4);
	head[4] = (unsigned char)class;
	head[5] = (unsigned char)data;
	head[6] = 1;
	head[data == 1 ? 18 : 19] = (unsigned char)machine;
}

/* arm64's Image: an EFI stub's "MZ", its flags at 0x30, magic at 0x38. */
static void arm64_image(unsigned int flags)
{
	memset(head, 0, sizeof(head));
	memcpy(head, "MZ", 2);
	put32(0x30, flags);
	memcpy(head + 0x38, "ARM\x64", 4);
}

static void zimage(uint32_t order)
{
	memset(head, 0, sizeof(head));
	put32(0x24, 0x016f2818);
	put32(0x30, order);
}

static const char *arch_of(size_t len, int want_err)
{
	struct qemu_kernel_format f;

	assert_int_equal(qemu_kernel_arch(head, len, &f), want_err);
	if (want_err)
		assert_null(f.arch);
	return want_err == -EOPNOTSUPP ? f.format : f.arch;
}

static void bzimage_is_x86_64(void **state)
{
	(void)state;
	memset(head, 0, sizeof(head));
	memcpy(head + 0x202, "HdrS", 4);
	assert_string_equal(arch_of(sizeof(head), 0), "x86_64");
	assert_int_equal(arch_of(0x205, -ENOEXEC), 0);
}

static void arm64_image_is_aarch64_unless_big_endian(void **state)
{
	(void)state;
	arm64_image(0xa);
	assert_string_equal(arch_of(0x40, 0), "aarch64");
	assert_int_equal(arch_of(0x3f, -ENOEXEC), 0);
	arm64_image(0xb);
	assert_string_equal(arch_of(0x40, -EOPNOTSUPP),
			    "a big-endian arm64 Image");
}

static void zimage_is_arm_unless_big_endian(void **state)
{
	(void)state;
	zimage(0x04030201);
	assert_string_equal(arch_of(0x34, 0), "arm");
	zimage(0x01020304);
	assert_string_equal(arch_of(0x34, -EOPNOTSUPP),
			    "a big-endian ARM zImage");
}

static void mips_elf_by_class_little_endian_only(void **state)
{
	(void)state;
	elf(1, 1, 8);
	assert_string_equal(arch_of(52, 0), "mipsel");
	elf(2, 1, 8);
	assert_string_equal(arch_of(64, 0), "mips64el");
	elf(1, 2, 8);
	assert_string_equal(arch_of(52, -EOPNOTSUPP),
			    "a big-endian MIPS ELF");
}

static void elf_of_each_table_architecture(void **state)
{
	(void)state;
	elf(2, 1, 62);
	assert_string_equal(arch_of(64, 0), "x86_64");
	elf(2, 1, 183);
	assert_string_equal(arch_of(64, 0), "aarch64");
	elf(1, 1, 40);
	assert_string_equal(arch_of(52, 0), "arm");
}

static void elf_of_another_architecture_or_class_is_refused(void **state)
{
	(void)state;
	elf(2, 1, 20);		/* EM_PPC */
	assert_string_equal(arch_of(64, -EOPNOTSUPP),
			    "an ELF of another architecture");
	elf(1, 1, 62);		/* x86-64 in a 32-bit ELF */
	assert_non_null(arch_of(64, -EOPNOTSUPP));
	elf(3, 1, 8);		/* no such class */
	assert_int_equal(arch_of(64, -ENOEXEC), 0);
	elf(1, 1, 8);
	assert_int_equal(arch_of(19, -ENOEXEC), 0);
}

static void anything_else_is_unknown(void **state)
{
	(void)state;
	memset(head, 0, sizeof(head));
	assert_int_equal(arch_of(sizeof(head), -ENOEXEC), 0);
	assert_int_equal(arch_of(0, -ENOEXEC), 0);
	memcpy(head, "#!/bin/sh\n", 10);
	assert_int_equal(arch_of(sizeof(head), -ENOEXEC), 0);
}

static void missing_file_says_so(void **state)
{
	struct qemu_kernel_format f;

	(void)state;
	assert_int_equal(qemu_kernel_file_arch("/nonexistent/vmlinuz", &f),
			 -ENOENT);
}

static void every_machine_is_found_by_its_name(void **state)
{
	static const char *const names[] = { "x86_64", "aarch64", "arm",
					     "mipsel", "mips64el" };
	char list[128];
	size_t i;

	(void)state;
	qemu_machine_names(list, sizeof(list));
	assert_string_equal(list, "x86_64, aarch64, arm, mipsel, mips64el");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(qemu_machine_find(names[i])->arch,
				    names[i]);
	assert_null(qemu_machine_find("mips"));
	assert_string_equal(qemu_machine_find("mipsel")->program,
			    "qemu-system-mips64el");
}

/*
 * The command line for @arch, as a shell takes it, into @line: with
 * ivshmem-doorbell, or ivshmem-plain on @memory.
 */
static int device_line_for(const char *arch, int kvm, const char *memory,
			   char *line, size_t cap)
{
	const struct qemu_launch l = {
		.machine = qemu_machine_find(arch),
		.kernel = "K", .append = "console=X", .cpus = 1,
		.mem_mib = 256, .kvm = kvm,
	};
	const struct qemu_device d = {
		.socket = "/s", .memory = memory, .size = 4 << 20,
	};
	struct qemu_args a;
	int err = qemu_build_args(&l, &d, &a);

	if (!err)
		qemu_format_args(&a, line, cap);
	return err;
}

static int line_for(const char *arch, int kvm, char *line, size_t cap)
{
	return device_line_for(arch, kvm, NULL, line, cap);
}

static void each_machine_has_its_program_machine_and_cpu(void **state)
{
	char line[2048];

	(void)state;
	assert_int_equal(line_for("aarch64", 0, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "qemu-system-aarch64 -machine virt "
			       "-accel tcg -cpu max,pauth-impdef=on -m 256 "));
	assert_int_equal(line_for("arm", 0, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "qemu-system-arm -machine "
			       "virt,highmem=off -accel tcg -cpu cortex-a15 "));
	assert_int_equal(line_for("x86_64", 0, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "qemu-system-x86_64 -accel tcg -m 256 "));
	assert_non_null(strstr(line, " -device ivshmem-doorbell,"));
}

static void kvm_takes_the_hosts_cpu_and_gic(void **state)
{
	char line[2048];

	(void)state;
	assert_int_equal(line_for("x86_64", 1, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "-accel kvm -cpu host -m"));
	assert_int_equal(line_for("aarch64", 1, line, sizeof(line)), 0);
	assert_non_null(strstr(line, "-machine virt,gic-version=host -accel "
			       "kvm -cpu host -m"));
}

/* Malta: no MSI-X, so no ivshmem-doorbell; ivshmem-plain it takes. */
static void a_machine_without_msix_gets_the_plain_device(void **state)
{
	char line[2048];

	(void)state;
	assert_int_equal(qemu_machine_find("mipsel")->msix, 0);
	assert_int_equal(line_for("mipsel", 0, line, sizeof(line)),
			 -EOPNOTSUPP);
	assert_int_equal(line_for("mips64el", 0, line, sizeof(line)),
			 -EOPNOTSUPP);
	assert_int_equal(device_line_for("mipsel", 0, "/proc/1/fd/3", line,
					 sizeof(line)), 0);
	assert_non_null(strstr(line, "qemu-system-mips64el -machine malta "
			       "-accel tcg -cpu 24Kf "));
	assert_non_null(strstr(line, "-device ivshmem-plain,memdev="));
	assert_null(strstr(line, "ivshmem-doorbell"));
}

/* ARCH=PATH arguments: the build's real kernels, each read as ARCH. */
static int check_real_kernels(int argc, char **argv)
{
	struct qemu_kernel_format f;
	const char *path;
	int i, failed = 0, err;

	for (i = 1; i < argc; i++) {
		path = strchr(argv[i], '=');
		if (!path)
			return 1;
		err = qemu_kernel_file_arch(path + 1, &f);
		if (err || strncmp(argv[i], f.arch, (size_t)(path - argv[i])) ||
		    strlen(f.arch) != (size_t)(path - argv[i])) {
			printf("not ok: %s: %s (%s)\n", argv[i],
			       f.arch ? f.arch : "none", strerror(-err));
			failed = 1;
		} else {
			printf("ok: %s is %s (%s)\n", path + 1, f.arch,
			       f.format);
		}
	}
	return failed;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bzimage_is_x86_64),
		cmocka_unit_test(arm64_image_is_aarch64_unless_big_endian),
		cmocka_unit_test(zimage_is_arm_unless_big_endian),
		cmocka_unit_test(mips_elf_by_class_little_endian_only),
		cmocka_unit_test(elf_of_each_table_architecture),
		cmocka_unit_test(elf_of_another_architecture_or_class_is_refused),
		cmocka_unit_test(anything_else_is_unknown),
		cmocka_unit_test(missing_file_says_so),
		cmocka_unit_test(every_machine_is_found_by_its_name),
		cmocka_unit_test(each_machine_has_its_program_machine_and_cpu),
		cmocka_unit_test(kvm_takes_the_hosts_cpu_and_gic),
		cmocka_unit_test(a_machine_without_msix_gets_the_plain_device),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed | check_real_kernels(argc, argv);
}
