// SPDX-License-Identifier: MIT
/*
 * The op dispatcher shared by every guest OS, built into this module from
 * its one source in guest-common/ (found through ccflags -I in Kbuild).
 */
#include "agent.c"
