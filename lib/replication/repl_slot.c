/*
 * repl_slot.c - CRC16/XMODEM and the cluster's hash-tag rule.
 *
 * Design decisions:
 * - A 256-entry table built once at first use (thread-safe enough: every
 *   thread computes the same bytes; the control core is the only caller in
 *   sipreg) instead of a hand-written constant table: the polynomial in
 *   one line is the whole specification, and nobody has to trust 256
 *   magic numbers.
 */
#include "repl_slot.h"

#include <stdbool.h>
#include <string.h>

static uint16_t table[256];
static bool table_ready;

static void build_table(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint16_t c = (uint16_t)(i << 8);
		for (int k = 0; k < 8; k++)
			c = (uint16_t)((c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1);
		table[i] = c;
	}
	table_ready = true;
}

uint16_t sr_repl_crc16(const void *buf, size_t len)
{
	if (!table_ready)
		build_table();
	const uint8_t *p = buf;
	uint16_t crc = 0;
	for (size_t i = 0; i < len; i++)
		crc = (uint16_t)((crc << 8) ^ table[((crc >> 8) ^ p[i]) & 0xff]);
	return crc;
}

void sr_repl_hash_part(const char *key, size_t len, const char **part, size_t *part_len)
{
	const char *open = memchr(key, '{', len);
	if (open) {
		size_t rest = len - (size_t)(open - key) - 1;
		const char *close = memchr(open + 1, '}', rest);
		if (close && close > open + 1) {
			*part = open + 1;
			*part_len = (size_t)(close - open - 1);
			return;
		}
	}
	*part = key;
	*part_len = len;
}

uint16_t sr_repl_key_slot(const char *key, size_t len)
{
	const char *p;
	size_t n;
	sr_repl_hash_part(key, len, &p, &n);
	return sr_repl_crc16(p, n) & (SR_REPL_SLOTS - 1);
}
