// SPDX-License-Identifier: MIT
/*
 * QEMU's monitor replies (qemu/src/qmp.c, qmp_parse()): any bytes as one
 * line. Checked: the result is 0 or -EPROTO; a message's kind is one of
 * QMP's, its strings are terminated, and only a return holds a value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp_message m;
	int err = qmp_parse((const char *)data, size, &m);

	if (err && err != -EPROTO)
		abort();
	if (!err) {
		if (m.kind > QMP_EVENT)
			abort();
		if (!memchr(m.text, 0, sizeof(m.text)) ||
		    !memchr(m.device, 0, sizeof(m.device)))
			abort();
		if (m.kind != QMP_RETURN && m.value)
			abort();
		if (m.kind == QMP_ERROR && !m.text[0])
			abort();
	}
	qmp_message_clear(&m);
	return 0;
}
