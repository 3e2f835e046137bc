/*
 * ctl_answer.c - encoding and walking a complete AoR answer (see
 * ctl_answer.h).
 *
 * The persistence record is reused as is: it already carries every field of
 * a binding, versioned and checked on decode, so the control core reads a
 * query answer with the same code that reads the store, and a field added
 * to bindings reaches both at once. The size is computed in the same pass
 * that writes, so a retry is needed only when the first buffer was short.
 */
#include "ctl_answer.h"

#include <string.h>

#define LEN_PREFIX 4

size_t sr_ctl_answer_encode(struct sr_loc *loc, struct sr_str aor, uint32_t now_s, uint8_t *out, size_t cap,
			    unsigned *n)
{
	size_t need = 0;
	*n = 0;
	for (const struct sr_binding *b = sr_loc_first(sr_loc_find(loc, aor)); b; b = b->next) {
		if (sr_binding_expires(b) <= now_s)
			continue; /* due, not yet collected: not live */
		struct sr_loc_binding v;
		sr_loc_view(b, &v);
		size_t size = sr_ctl_record_size(&v); /* never 0: the store holds no field over 65535 bytes */
		if (need + LEN_PREFIX + size <= cap) {
			uint8_t *p = out + need;
			p[0] = (uint8_t)size;
			p[1] = (uint8_t)(size >> 8);
			p[2] = (uint8_t)(size >> 16);
			p[3] = (uint8_t)(size >> 24);
			sr_ctl_record_encode(&v, p + LEN_PREFIX, size);
		}
		need += LEN_PREFIX + size;
		(*n)++;
	}
	return need;
}

int sr_ctl_answer_next(const uint8_t *buf, size_t len, size_t *off, struct sr_loc_binding *b, const char **err)
{
	if (*off == len)
		return 0;
	if (len - *off < LEN_PREFIX) {
		*err = "answer cut inside a length";
		return -1;
	}
	const uint8_t *p = buf + *off;
	size_t size = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
	if (size > len - *off - LEN_PREFIX) {
		*err = "answer cut inside a record";
		return -1;
	}
	if (sr_ctl_record_decode(p + LEN_PREFIX, size, b, err) != 0)
		return -1;
	*off += LEN_PREFIX + size;
	return 1;
}
