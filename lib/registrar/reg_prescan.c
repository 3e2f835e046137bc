/*
 * reg_prescan.c - the owner of a request, found without parsing all of it.
 *
 * The data plane must know which shard owns a REGISTER before it hands the
 * packet over, so this looks only for the To header line (long or compact
 * name, possibly folded), parses that one value with libosip2 and hashes
 * the canonical AoR exactly as the shard will. Anything unusual returns -1
 * and the receiving worker processes the request itself (it will answer
 * with the proper error).
 */
#include "registrar.h"

#include "../sip/sip_aor.h"

#include <string.h>

/* The raw value of the To header (folding not undone), or an empty range. */
static struct sr_str find_to(const char *p, const char *end)
{
	const char *line = memchr(p, '\n', (size_t)(end - p)); /* skip the start line */
	while (line && ++line < end) {
		if (*line == '\r' || *line == '\n')
			break; /* end of headers */
		size_t left = (size_t)(end - line);
		size_t name_len = (left > 2 && (line[0] | 0x20) == 't' && (line[1] | 0x20) == 'o') ? 2
				  : (left > 1 && (line[0] | 0x20) == 't') ? 1 : 0;
		const char *q = line + name_len;
		while (name_len && q < end && (*q == ' ' || *q == '\t'))
			q++;
		const char *next = memchr(line, '\n', left);
		if (name_len && q < end && *q == ':') {
			const char *stop = next ? next : end;
			/* Include continuation lines: they start with white space. */
			while (stop < end && stop + 1 < end && (stop[1] == ' ' || stop[1] == '\t')) {
				const char *n2 = memchr(stop + 1, '\n', (size_t)(end - stop - 1));
				stop = n2 ? n2 : end;
			}
			return sr_str_trim(sr_str_make(q + 1, (size_t)(stop - q - 1)));
		}
		line = next;
	}
	return SR_STR_NULL;
}

int sr_reg_prescan_hash(const char *req, size_t len, const struct sr_reg_config *cfg,
			struct sr_arena *arena, uint64_t *hash)
{
	struct sr_str to = find_to(req, req + len);
	if (to.len == 0)
		return -1;
	struct sr_arena *prev = sr_arena_bind_osip(arena);
	int rc = -1;
	char *copy = sr_arena_strndup(arena, to.p, to.len);
	for (char *c = copy; c && *c; c++) /* undo folding: line breaks inside the value become spaces */
		if (*c == '\r' || *c == '\n' || *c == '\t')
			*c = ' ';
	/* The same split and URI parse as the message view (sip_hdr.c), so the owner is the shard's AoR. */
	struct sr_name_addr na;
	osip_uri_t *uri = NULL;
	char aor[SR_REG_MAX_AOR_LEN];
	size_t aor_len;
	struct sr_aor_options opt = { cfg->case_sensitive, cfg->realm_prefix };
	if (copy && sr_sip_name_addr(sr_str_cstr(copy), &na) == 0) {
		char *u = sr_arena_strndup(arena, na.uri.p, na.uri.len);
		if (u && osip_uri_init(&uri) == 0 && osip_uri_parse(uri, u) == 0 &&
		    sr_aor_canonicalize(uri, &opt, aor, sizeof(aor), &aor_len, NULL, NULL) == SR_AOR_OK) {
			*hash = sr_hash64(aor, aor_len);
			rc = 0;
		}
	}
	sr_arena_reset(arena);
	sr_arena_bind_osip(prev);
	return rc;
}
