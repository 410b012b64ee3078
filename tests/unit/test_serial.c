// SPDX-License-Identifier: MIT
/* The VMM core's 8250 UART, register by register, without a guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "serial.h"

#define RX 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6

struct line {
	char out[64];
	size_t out_len;
	int irq;
	int irq_changes;
};

static void output(void *opaque, const char *buf, size_t len)
{
	struct line *l = opaque;

	memcpy(l->out + l->out_len, buf, len);
	l->out_len += len;
}

static void set_irq(void *opaque, int level)
{
	struct line *l = opaque;

	l->irq = level;
	l->irq_changes++;
}

static void uart(struct vmm_serial *s, struct line *l)
{
	memset(l, 0, sizeof(*l));
	serial_init(s);
	s->output = output;
	s->set_irq = set_irq;
	s->opaque = l;
}

static void put(struct vmm_serial *s, unsigned int reg, uint8_t v)
{
	serial_io(s, reg, &v, 1);
}

static uint8_t get(struct vmm_serial *s, unsigned int reg)
{
	uint8_t v = 0xee;

	serial_io(s, reg, &v, 0);
	return v;
}

static void transmitted_bytes_reach_the_console(void **state)
{
	struct vmm_serial s;
	struct line l;

	(void)state;
	uart(&s, &l);
	put(&s, RX, 'o');
	put(&s, RX, 'k');
	assert_int_equal(l.out_len, 2);
	assert_memory_equal(l.out, "ok", 2);
	/* Transmission is instant: the transmitter always reads empty. */
	assert_int_equal(get(&s, LSR), 0x60);
}

static void divisor_latch_hides_data_registers(void **state)
{
	struct vmm_serial s;
	struct line l;

	(void)state;
	uart(&s, &l);
	put(&s, LCR, 0x83);
	put(&s, RX, 0x01);
	put(&s, IER, 0x02);
	assert_int_equal(get(&s, RX), 0x01);
	assert_int_equal(get(&s, IER), 0x02);
	assert_int_equal(l.out_len, 0);
	put(&s, LCR, 0x03);
	assert_int_equal(get(&s, IER), 0x00);
	assert_int_equal(get(&s, LCR), 0x03);
}

static void input_is_read_in_order_and_raises_irq(void **state)
{
	struct vmm_serial s;
	struct line l;

	(void)state;
	uart(&s, &l);
	serial_input(&s, "hi", 2);
	/* Receive interrupts are off: no line change yet. */
	assert_int_equal(l.irq_changes, 0);
	assert_int_equal(get(&s, LSR) & 0x01, 0x01);
	put(&s, IER, 0x01);
	assert_int_equal(l.irq, 1);
	assert_int_equal(get(&s, IIR), 0x04);
	assert_int_equal(get(&s, RX), 'h');
	assert_int_equal(get(&s, RX), 'i');
	assert_int_equal(get(&s, LSR) & 0x01, 0);
	assert_int_equal(l.irq, 0);
	assert_int_equal(get(&s, IIR), 0x01);
	assert_int_equal(l.irq_changes, 2);
}

static void transmitter_interrupt_is_cleared_by_reading_iir(void **state)
{
	struct vmm_serial s;
	struct line l;

	(void)state;
	uart(&s, &l);
	put(&s, FCR, 0x01);
	put(&s, IER, 0x02);
	assert_int_equal(l.irq, 1);
	/* FIFOs on: the 16550A's bits 7:6 are set. */
	assert_int_equal(get(&s, IIR), 0xc2);
	assert_int_equal(l.irq, 0);
	assert_int_equal(get(&s, IIR), 0xc1);
	put(&s, RX, 'x');
	assert_int_equal(l.irq, 1);
}

static void loopback_returns_bytes_and_modem_lines(void **state)
{
	struct vmm_serial s;
	struct line l;

	(void)state;
	uart(&s, &l);
	put(&s, MCR, 0x10 | 0x0f);
	put(&s, RX, 'z');
	assert_int_equal(l.out_len, 0);
	assert_int_equal(get(&s, RX), 'z');
	/* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	assert_int_equal(get(&s, MSR), 0xf0);
	put(&s, MCR, 0x10);
	assert_int_equal(get(&s, MSR), 0x00);
	put(&s, MCR, 0x00);
	assert_int_equal(get(&s, MSR), 0xb0);
}

static void input_beyond_the_buffer_is_dropped(void **state)
{
	struct vmm_serial s;
	struct line l;
	char big[300];
	unsigned int i;

	(void)state;
	uart(&s, &l);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)i;
	serial_input(&s, big, sizeof(big));
	for (i = 0; i < 256; i++)
		assert_int_equal(get(&s, RX), (uint8_t)i);
	assert_int_equal(get(&s, LSR) & 0x01, 0);
	/* A receiver-clearing FCR write empties what is left. */
	serial_input(&s, "ab", 2);
	put(&s, FCR, 0x03);
	assert_int_equal(get(&s, LSR) & 0x01, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(transmitted_bytes_reach_the_console),
		cmocka_unit_test(divisor_latch_hides_data_registers),
		cmocka_unit_test(input_is_read_in_order_and_raises_irq),
		cmocka_unit_test(transmitter_interrupt_is_cleared_by_reading_iir),
		cmocka_unit_test(loopback_returns_bytes_and_modem_lines),
		cmocka_unit_test(input_beyond_the_buffer_is_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
