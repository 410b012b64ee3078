/* SPDX-License-Identifier: MIT */
/*
 * The 8250/16550A UART model, on its own so that a unit test can drive it
 * register by register.
 */
#ifndef VMM_SERIAL_H
#define VMM_SERIAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct vmm_serial {
	pthread_mutex_t lock;
	uint8_t ier, iir_fcr, lcr, mcr, scr, dll, dlm;
	int thri_pending;	/* THR empty, not yet read from IIR */
	uint8_t rx[256];
	unsigned int rx_head, rx_len;
	int irq_level;
	void (*set_irq)(void *opaque, int level);
	void (*output)(void *opaque, const char *buf, size_t len);
	void *opaque;
};

void serial_init(struct vmm_serial *s);
void serial_io(struct vmm_serial *s, unsigned int offset, uint8_t *data,
	       int is_write);
void serial_input(struct vmm_serial *s, const char *buf, size_t len);

#endif
