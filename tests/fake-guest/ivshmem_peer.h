/* SPDX-License-Identifier: MIT */
/*
 * QEMU's side of the ivshmem server's socket (qemu/ivshmem.h), for the
 * tests that play QEMU: connect as its chardev does, and take the
 * opening's messages one by one.
 */
#ifndef IVSHMEM_PEER_H
#define IVSHMEM_PEER_H

#include <stdint.h>

/* A connection to the server at @path: the socket, or -errno. */
int ivshmem_peer_connect(const char *path);

/*
 * One message: its little-endian number in *@value and the fd beside it
 * in *@fd, or -1. 0, or -1 when no whole message came.
 */
int ivshmem_peer_receive(int sock, int64_t *value, int *fd);

#endif
