/* SPDX-License-Identifier: MIT */
/*
 * Memory the guest shares with the host changes while the host reads it:
 * another vCPU writes it, or on the mailbox the guest itself. A test arms
 * the race over a range of guest memory; the next time the host thread
 * looks for a byte there (memchr, wrapped in the binaries that link this
 * with -Wl,--wrap=memchr), a NUL lands in the second byte of what it
 * looked at, right after the look: what the host read once must not be
 * read again.
 */
#ifndef RACE_H
#define RACE_H

#include <stdbool.h>
#include <stddef.h>

void race_nul_after_look(void *mem, size_t len);
/* Whether the NUL landed since the race was armed. */
bool race_landed(void);

#endif
