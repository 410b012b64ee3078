// SPDX-License-Identifier: MIT
/*
 * The 8250/16550A UART, as much of it as Linux's 8250 driver probes and
 * uses. Transmission is instant, so the transmitter is always empty; the
 * divisor and line settings are stored and otherwise ignored. Register
 * facts: the National Semiconductor PC16550D data sheet.
 */
#include <string.h>

#include "serial.h"

#define UART_RX 0		/* DLAB=0 read */
#define UART_TX 0		/* DLAB=0 write */
#define UART_DLL 0		/* DLAB=1 */
#define UART_IER 1
#define UART_DLM 1		/* DLAB=1 */
#define UART_IIR 2		/* read */
#define UART_FCR 2		/* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO_BITS 0xc0	/* FIFOs enabled: a 16550A, not a 16550 */
#define FCR_ENABLE_FIFO 0x01
#define FCR_CLEAR_RCVR 0x02
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_DCD 0x80

void serial_init(struct vmm_serial *s)
{
	pthread_mutex_init(&s->lock, NULL);
	s->iir_fcr = 0;
	s->ier = s->lcr = s->mcr = s->scr = s->dll = s->dlm = 0;
	s->thri_pending = 0;
	s->rx_head = s->rx_len = 0;
	s->irq_level = 0;
}

static uint8_t pending_interrupt(struct vmm_serial *s)
{
	if ((s->ier & IER_RDI) && s->rx_len)
		return IIR_RDI;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI;
	return IIR_NO_INT;
}

/* IRQ 4 is an ISA edge line: only changes of level reach KVM. */
static void update_irq(struct vmm_serial *s)
{
	int level = pending_interrupt(s) != IIR_NO_INT;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	if (s->set_irq)
		s->set_irq(s->opaque, level);
}

/*
 * In loopback mode the modem outputs come back as inputs (DTR->DSR,
 * RTS->CTS, OUT1->RI, OUT2->DCD): Linux's autoconfig tests exactly that.
 */
static uint8_t modem_status(struct vmm_serial *s)
{
	if (s->mcr & MCR_LOOP)
		return (uint8_t)((s->mcr & 0x0c) << 4 | (s->mcr & 0x01) << 5 |
				 (s->mcr & 0x02) << 3);
	return MSR_DCD | MSR_DSR | MSR_CTS;
}

static uint8_t read_rx(struct vmm_serial *s)
{
	uint8_t c;

	if (!s->rx_len)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % sizeof(s->rx);
	s->rx_len--;
	return c;
}

static uint8_t read_reg(struct vmm_serial *s, unsigned int offset)
{
	uint8_t iir;

	switch (offset) {
	case UART_RX:
		return s->lcr & LCR_DLAB ? s->dll : read_rx(s);
	case UART_IER:
		return s->lcr & LCR_DLAB ? s->dlm : s->ier;
	case UART_IIR:
		iir = pending_interrupt(s);
		if (iir == IIR_THRI)
			s->thri_pending = 0;
		if (s->iir_fcr & FCR_ENABLE_FIFO)
			iir |= IIR_FIFO_BITS;
		return iir;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
	case UART_MSR:
		return modem_status(s);
	default:
		return s->scr;
	}
}

static void transmit(struct vmm_serial *s, uint8_t c)
{
	s->thri_pending = 1;
	if (s->mcr & MCR_LOOP) {
		if (s->rx_len < sizeof(s->rx))
			s->rx[(s->rx_head + s->rx_len++) % sizeof(s->rx)] = c;
		return;
	}
	if (s->output)
		s->output(s->opaque, (const char *)&c, 1);
}

static void write_reg(struct vmm_serial *s, unsigned int offset, uint8_t v)
{
	switch (offset) {
	case UART_TX:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			transmit(s, v);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI with an empty transmitter interrupts. */
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thri_pending = 1;
		s->ier = v & 0x0f;
		break;
	case UART_FCR:
		s->iir_fcr = v & FCR_ENABLE_FIFO;
		if (v & FCR_CLEAR_RCVR)
			s->rx_head = s->rx_len = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
}

void serial_io(struct vmm_serial *s, unsigned int offset, uint8_t *data,
	       int is_write)
{
	pthread_mutex_lock(&s->lock);
	if (is_write)
		write_reg(s, offset, *data);
	else
		*data = read_reg(s, offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

/* Bytes that do not fit in the receive buffer are dropped, as on a wire. */
void serial_input(struct vmm_serial *s, const char *buf, size_t len)
{
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < len && s->rx_len < sizeof(s->rx); i++)
		s->rx[(s->rx_head + s->rx_len++) % sizeof(s->rx)] = buf[i];
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}
