// SPDX-License-Identifier: MIT
/*
 * The guest side of the mailbox hand-over, shared with the host's unit
 * tests, built into this module from its one source in guest-common/
 * (found through ccflags -I in Kbuild).
 */
#include "mailbox.c"
