// SPDX-License-Identifier: MIT
/*
 * Which architecture a --kernel file is for, qemu_kernel_arch()
 * (qemu/src/kernel.c), on any file's first bytes: it names one of the
 * machine table's architectures, or says what it found and why no machine
 * boots it, or that it is no kernel it knows; and it reads no byte past
 * the header.
 */
#include <errno.h>
#include <stdint.h>

#include <qemu/qemu.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size < QEMU_KERNEL_HEAD ? size : QEMU_KERNEL_HEAD;
	struct qemu_kernel_format f;
	uint8_t *head;
	int err;

	/* Its own allocation: ASan sees a read past the header. */
	head = malloc(len ? len : 1);
	FUZZ_CHECK(head);
	memcpy(head, data, len);
	err = qemu_kernel_arch(head, len, &f);
	free(head);
	FUZZ_CHECK(!err || err == -ENOEXEC || err == -EOPNOTSUPP);
	if (!err)
		FUZZ_CHECK(f.arch && qemu_machine_find(f.arch) && f.format);
	else if (err == -EOPNOTSUPP)
		FUZZ_CHECK(!f.arch && f.format);
	else
		FUZZ_CHECK(!f.arch && !f.format);
	return 0;
}
