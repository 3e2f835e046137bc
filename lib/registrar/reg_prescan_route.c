/*
 * reg_prescan_route.c - the owner of a datagram when routing is on, found
 * without parsing all of it (the routing counterpart of reg_prescan.c).
 *
 * - A response belongs to the worker that sent the request: its top Via
 *   branch is one sipreg wrote and names that worker (lib/transaction's
 *   sr_txn_branch_parse reads it; this only finds the branch).
 * - A REGISTER keeps the registrar's rule (the To AoR, reg_prescan.c).
 * - Any other request belongs to the owner of its Request-URI's canonical
 *   AoR (the raw Request-URI when it has none), so an INVITE, its CANCEL,
 *   its ACK and their retransmissions meet on one worker, the one that
 *   holds the AoR's bindings.
 * The same URI parse and canonicalisation as the message view, so the
 * owner is the shard the lookup reads.
 */
#include "registrar.h"

#include <string.h>
#include <strings.h>

#include "../sip/sip_aor.h"
#include "../sip/sip_uri_addr.h"

/* The value of the first Via header line (long or compact name), up to its first comma; empty when none. */
static struct sr_str top_via(const char *p, const char *end)
{
	const char *line = memchr(p, '\n', (size_t)(end - p)); /* skip the start line */
	while (line && ++line < end && *line != '\r' && *line != '\n') {
		const char *next = memchr(line, '\n', (size_t)(end - line));
		const char *stop = next ? next : end;
		size_t name_len = ((size_t)(end - line) > 3 && strncasecmp(line, "via", 3) == 0) ? 3
				  : ((line[0] | 0x20) == 'v') ? 1 : 0;
		const char *q = line + name_len;
		while (name_len && q < stop && (*q == ' ' || *q == '\t'))
			q++;
		if (name_len && q < stop && *q == ':') {
			struct sr_str v = sr_str_trim(sr_str_make(q + 1, (size_t)(stop - q - 1)));
			const char *comma = memchr(v.p, ',', v.len);
			return comma ? sr_str_make(v.p, (size_t)(comma - v.p)) : v;
		}
		line = next;
	}
	return SR_STR_NULL;
}

/* The start of the start line (leading CRLFs are ignored, RFC 3261 7.5). */
static const char *start_line(const char *p, const char *end)
{
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	return p;
}

int sr_reg_prescan_kind(const char *msg, size_t len)
{
	const char *end = msg + len, *p = start_line(msg, end);
	if ((size_t)(end - p) >= 8 && strncasecmp(p, "SIP/2.0 ", 8) == 0)
		return SR_PRESCAN_RESPONSE;
	/* method names are case-sensitive (RFC 3261 7.1) */
	if ((size_t)(end - p) >= 9 && memcmp(p, "REGISTER ", 9) == 0)
		return SR_PRESCAN_REGISTER;
	return memchr(p, ' ', (size_t)(end - p)) ? SR_PRESCAN_REQUEST : -1;
}

int sr_reg_prescan_route(const char *msg, size_t len, const struct sr_reg_config *cfg, struct sr_arena *arena,
			 struct sr_reg_route_key *k)
{
	const char *end = msg + len, *p = start_line(msg, end);
	memset(k, 0, sizeof(*k));
	int kind = sr_reg_prescan_kind(msg, len);
	if (kind < 0)
		return -1;
	k->kind = (enum sr_prescan_kind)kind;
	if (kind == SR_PRESCAN_RESPONSE)
		k->branch = sr_sip_via_branch(top_via(p, end));
	if (kind != SR_PRESCAN_REQUEST)
		return 0;
	const char *sp1 = memchr(p, ' ', (size_t)(end - p));
	const char *uri = sp1 + 1;
	const char *sp2 = memchr(uri, ' ', (size_t)(end - uri));
	if (!sp2 || sp2 == uri)
		return -1;
	struct sr_str raw = sr_str_make(uri, (size_t)(sp2 - uri));
	struct sr_arena *prev = sr_arena_bind_osip(arena);
	char *copy = sr_arena_strndup(arena, raw.p, raw.len);
	osip_uri_t *u = NULL;
	char aor[SR_REG_MAX_AOR_LEN];
	size_t aor_len;
	struct sr_aor_options opt = { cfg->case_sensitive, cfg->realm_prefix };
	if (copy && osip_uri_init(&u) == 0 && osip_uri_parse(u, copy) == 0 &&
	    sr_aor_canonicalize(u, &opt, aor, sizeof(aor), &aor_len, NULL, NULL) == SR_AOR_OK)
		k->hash = sr_hash64(aor, aor_len);
	else
		k->hash = sr_hash64(raw.p, raw.len);
	sr_arena_reset(arena);
	sr_arena_bind_osip(prev);
	return 0;
}
