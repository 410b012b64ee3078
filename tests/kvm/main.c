// SPDX-License-Identifier: MIT
/*
 * libhypermem against a real guest: each test boots guest-tiny under KVM
 * (the VMM core's tiny board, guest.c), lets the guest raise events and
 * checks exact bytes and error codes, in four groups (test-*.c).
 *
 *   test-kvm GUEST_TINY_ELF [pio|vmcall]    the doorbell guest-tiny uses
 *
 * Exits 77 (skip) when /dev/kvm cannot run a trivial guest over port I/O;
 * fails when it cannot over VMCALL.
 */
#include <stdio.h>
#include <stdlib.h>

#include "guest.h"

int main(int argc, char **argv)
{
	int err;

	guest_path = argc > 1 ? argv[1] : getenv("GUEST_TINY_ELF");
	if (!guest_path) {
		printf("skip: no guest-tiny.elf given\n");
		return 77;
	}
	if (argc > 2)
		transport = argv[2];
	err = kvm_usable();
	if (err)
		return err;
	return run_io_tests() + run_process_tests() + run_readv_tests() +
	       run_event_tests();
}
