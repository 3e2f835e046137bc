/*
 * binding.c - a binding is one slab object: header + its strings.
 *
 * Design decisions:
 * - The strings are stored back to back in enum order without separators
 *   or NUL terminators; only their lengths are kept (16 bits each), and a
 *   field's offset is the sum of the lengths before it. Seven additions are
 *   cheaper than seven stored offsets in memory that is paid per binding.
 * - The size of the object is derived from the header alone
 *   (sr_binding_size), so freeing needs no stored size either.
 * - A binding is immutable in its strings: an update that changes any of
 *   them allocates a new binding (the registrar core decides that).
 * - The expiry timer is owned by the caller: it must be cancelled before
 *   sr_binding_delete, otherwise the wheel would keep a dangling node
 *   (asserted in debug builds).
 */
#include "binding.h"

#include <assert.h>
#include <string.h>

#define BINDING_FIELD_MAX UINT16_MAX

struct sr_str sr_binding_field(const struct sr_binding *b, enum sr_bfield f)
{
	assert((unsigned)f < SR_BF_COUNT);
	size_t off = 0;
	for (unsigned i = 0; i < (unsigned)f; i++)
		off += b->len[i];
	return sr_str_make(b->data + off, b->len[f]);
}

/* Returns 0 when a field is longer than 65535 bytes (a real binding is never 0 bytes). */
size_t sr_binding_size_for(const struct sr_str fields[SR_BF_COUNT])
{
	size_t n = offsetof(struct sr_binding, data);
	for (unsigned i = 0; i < SR_BF_COUNT; i++) {
		if (fields[i].len > BINDING_FIELD_MAX)
			return 0;
		n += fields[i].len;
	}
	return n;
}

struct sr_binding *sr_binding_new(struct sr_slab *slab, const struct sr_str fields[SR_BF_COUNT])
{
	size_t size = sr_binding_size_for(fields);
	if (size == 0)
		return NULL;
	struct sr_binding *b = sr_slab_alloc(slab, size);
	if (!b)
		return NULL;
	memset(b, 0, offsetof(struct sr_binding, data));
	sr_tw_node_init(&b->timer);
	char *dst = b->data;
	for (unsigned i = 0; i < SR_BF_COUNT; i++) {
		b->len[i] = (uint16_t)fields[i].len;
		if (fields[i].len)
			memcpy(dst, fields[i].p, fields[i].len);
		dst += fields[i].len;
	}
	assert(sr_binding_size(b) == size);
	return b;
}

void sr_binding_delete(struct sr_slab *slab, struct sr_binding *b)
{
	if (!b)
		return;
	assert(!sr_tw_armed(&b->timer) && "cancel the binding's timer before deleting it");
	sr_slab_free(slab, b, sr_binding_size(b));
}

void sr_binding_get_state(const struct sr_binding *b, struct sr_binding_state *st)
{
	st->id = b->id;
	st->expires = sr_binding_expires(b);
	st->registered_at = b->registered_at;
	st->branch_hash = b->branch_hash;
	st->cseq = b->cseq;
	st->src_ip = b->src_ip;
	st->src_port = b->src_port;
	st->q = b->q;
	st->reg_id = b->reg_id;
	st->flags = (uint16_t)(b->flags & ~SR_BFLAG_STORE_ONLY); /* keepalive and sweep state are not persisted */
	st->allow = b->allow;
}

void sr_binding_set_state(struct sr_binding *b, const struct sr_binding_state *st)
{
	b->registered_at = st->registered_at;
	b->branch_hash = st->branch_hash;
	b->cseq = st->cseq;
	b->src_ip = st->src_ip;
	b->src_port = st->src_port;
	b->q = st->q;
	b->reg_id = st->reg_id;
	b->flags = st->flags;
	b->allow = st->allow;
}

bool sr_binding_state_equal(const struct sr_binding_state *a, const struct sr_binding_state *b)
{
	return a->id == b->id && a->expires == b->expires && a->registered_at == b->registered_at &&
	       a->branch_hash == b->branch_hash && a->cseq == b->cseq && a->src_ip == b->src_ip &&
	       a->src_port == b->src_port && a->q == b->q && a->reg_id == b->reg_id && a->flags == b->flags &&
	       a->allow == b->allow;
}
