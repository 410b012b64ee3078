// SPDX-License-Identifier: MIT
/*
 * The files a user hands the core (kernel, initrd), mapped read-only for
 * the loaders, which check every offset and size in them against the
 * mapping's; and the initrd's place, which both boards choose alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int file_map(const char *path, struct file_image *img)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (st.st_size <= 0) {
		ret = -ENOEXEC;
		goto out;
	}
	img->size = (size_t)st.st_size;
	img->data = mmap(NULL, img->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (img->data == MAP_FAILED)
		ret = -errno;
out:
	close(fd);
	return ret;
}

void file_unmap(struct file_image *img)
{
	munmap(img->data, img->size);
}

/* Page aligned, as high as it fits below @p top and above the kernel. */
int file_load_initrd(struct vmm *vm, const char *path, uint64_t top)
{
	struct file_image img;
	uint64_t gpa;
	int ret;

	ret = file_map(path, &img);
	if (ret)
		return ret;
	if (top < vm->kernel_end || img.size > top - vm->kernel_end) {
		ret = -E2BIG;
		goto out;
	}
	gpa = (top - img.size) & ~0xfffull;
	if (gpa < vm->kernel_end) {
		ret = -E2BIG;
		goto out;
	}
	ret = vmm_copy_to_guest(vm, gpa, img.data, img.size);
	vm->initrd_gpa = gpa;
	vm->initrd_size = img.size;
out:
	file_unmap(&img);
	return ret;
}
