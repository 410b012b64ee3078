// SPDX-License-Identifier: MIT
/*
 * Matching events against the host's subscription, shared by every guest
 * OS, built into this module from its one source in guest-common/ (found
 * through ccflags -I in Kbuild).
 */
#include "match.c"
