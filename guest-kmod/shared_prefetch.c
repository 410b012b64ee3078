// SPDX-License-Identifier: MIT
/*
 * Fetching what a subscription's rule asks for into the event, shared by
 * every guest OS, built into this module from its one source in
 * guest-common/ (found through ccflags -I in Kbuild).
 */
#include "prefetch.c"
