/* SPDX-License-Identifier: MIT */
/* The exit KVM reports for a guest's OUT, shared by the simulated guests. */
#ifndef PORT_EXIT_H
#define PORT_EXIT_H

#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>

/* kvm_run is followed by a page whose start holds the OUT's data. */
static inline void port_out_exit(struct kvm_run *run, uint16_t port,
				 uint32_t value, uint8_t size)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = 4096;
	memcpy((uint8_t *)run + 4096, &value, sizeof(value));
}

#endif
