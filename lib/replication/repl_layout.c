/*
 * repl_layout.c - key names, value encodings and the Redis functions of
 * layout version 2 (see repl_layout.h and docs/REPLICATION.md).
 *
 * Design decisions:
 * - Binary values (the project's versioned record inside a 5-byte
 *   envelope) rather than JSON: the control core already holds each change
 *   encoded for LMDB, so replication copies bytes instead of formatting
 *   text at 200,000 changes a second, and the values are about half the
 *   size. Other tools read them with the byte layout in
 *   docs/REPLICATION.md (a dozen lines of Python's struct module).
 * - Explicit little-endian byte writes, as in lib/ctl/ctl_record.c: the
 *   bytes cannot change with the compiler or the CPU.
 * - Decoding trusts nothing: every length is checked against the buffer.
 * - The functions are Redis 7 functions (FUNCTION LOAD, FCALL), not
 *   EVALSHA scripts: they are named, survive a script cache flush, and are
 *   loaded once per connection with REPLACE so that an upgraded sipreg of
 *   the same layout version brings its own code. Layout 2 keeps only the
 *   two control functions (fencing needs a compare-and-set): binding
 *   changes are native commands, since a function call cost Redis about
 *   twice the instructions of the commands it ran (bench/RESULTS.md).
 *   Function names carry the layout version because they are global on a
 *   Redis: nodes of two layouts can share one during an upgrade.
 */
#include "repl_layout.h"

#include <stdio.h>
#include <string.h>

#include "../sip/sip_str.h" /* header only: this library links nothing of ours */

static const char *const op_names[SR_REPL_OP_COUNT] = { "added", "refreshed", "removed", "expired" };

const char *sr_repl_op_name(enum sr_repl_op op)
{
	return (unsigned)op < SR_REPL_OP_COUNT ? op_names[op] : "unknown";
}

bool sr_repl_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SR_REPL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return false;
	}
	return true;
}

static size_t fit(int n, size_t cap)
{
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Built with memcpy, not snprintf: it runs once per change on the control core. */
size_t sr_repl_key_aor(const char *prefix, const char *aor, size_t aor_len, char *out, size_t cap)
{
	static const char mid[] = ":2:aor:{"; /* ":<SR_REPL_LAYOUT_VERSION>:aor:{" */
	_Static_assert(SR_REPL_LAYOUT_VERSION == 2, "the key builders spell the layout version");
	size_t pl = strlen(prefix), ml = sizeof(mid) - 1, n = pl + ml + aor_len + 1;
	if (n >= cap)
		return 0;
	memcpy(out, prefix, pl);
	memcpy(out + pl, mid, ml);
	memcpy(out + pl + ml, aor, aor_len);
	out[n - 1] = '}';
	out[n] = '\0';
	return n;
}

size_t sr_repl_key_stream(const char *prefix, const char *node, char *out, size_t cap)
{
	return fit(snprintf(out, cap, "%s:%d:stream:{%s}", prefix, SR_REPL_LAYOUT_VERSION, node), cap);
}

size_t sr_repl_key_epoch(const char *prefix, char *out, size_t cap)
{
	return fit(snprintf(out, cap, "%s:%d:ctl:{%s}:epoch", prefix, SR_REPL_LAYOUT_VERSION, prefix), cap);
}

size_t sr_repl_key_heartbeat(const char *prefix, char *out, size_t cap)
{
	return fit(snprintf(out, cap, "%s:%d:ctl:{%s}:heartbeat", prefix, SR_REPL_LAYOUT_VERSION, prefix), cap);
}

size_t sr_repl_aor_pattern(const char *prefix, char *out, size_t cap)
{
	/* the prefix has no glob characters (sr_repl_name_ok) */
	return fit(snprintf(out, cap, "%s:%d:aor:*", prefix, SR_REPL_LAYOUT_VERSION), cap);
}

bool sr_repl_key_aor_parse(const char *prefix, const char *key, size_t len, const char **aor, size_t *aor_len)
{
	char head[SR_REPL_NAME_MAX + 32];
	int h = snprintf(head, sizeof(head), "%s:%d:aor:{", prefix, SR_REPL_LAYOUT_VERSION);
	if (h <= 0 || (size_t)h >= sizeof(head) || len < (size_t)h + 2 || memcmp(key, head, (size_t)h) != 0 ||
	    key[len - 1] != '}')
		return false;
	*aor = key + h;
	*aor_len = len - (size_t)h - 1;
	return true;
}

void sr_repl_id_hex(uint64_t id, char out[SR_REPL_ID_HEX])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = SR_REPL_ID_HEX - 1; i >= 0; i--, id >>= 4)
		out[i] = hex[id & 15];
}

bool sr_repl_id_parse(const char *s, size_t len, uint64_t *id)
{
	return len == SR_REPL_ID_HEX && sr_str_hex_lower(sr_str_make(s, len), id);
}

static uint8_t *put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++, v >>= 8)
		*p++ = (uint8_t)v;
	return p;
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

size_t sr_repl_envelope_encode(uint32_t expires, const uint8_t *rec, size_t rec_len, uint8_t *out, size_t cap)
{
	size_t n = SR_REPL_ENVELOPE_HDR + rec_len;
	if (n > cap)
		return 0;
	out[0] = SR_REPL_LAYOUT_VERSION;
	put_le(out + 1, expires, 4);
	if (rec_len)
		memcpy(out + SR_REPL_ENVELOPE_HDR, rec, rec_len);
	return n;
}

int sr_repl_envelope_decode(const uint8_t *in, size_t len, uint32_t *expires, const uint8_t **rec,
			    size_t *rec_len, const char **err)
{
	if (len < SR_REPL_ENVELOPE_HDR) {
		*err = "binding value shorter than its envelope";
		return -1;
	}
	if (in[0] != SR_REPL_LAYOUT_VERSION) {
		*err = "binding value of another layout version";
		return -1;
	}
	*expires = (uint32_t)get_le(in + 1, 4);
	*rec = in + SR_REPL_ENVELOPE_HDR;
	*rec_len = len - SR_REPL_ENVELOPE_HDR;
	return 0;
}

size_t sr_repl_change_size(const struct sr_repl_change *c)
{
	if (c->aor_len > UINT16_MAX || c->rec_len > UINT32_MAX || (unsigned)c->op >= SR_REPL_OP_COUNT)
		return 0;
	return SR_REPL_CHANGE_HDR + c->aor_len + c->rec_len;
}

size_t sr_repl_change_encode(const struct sr_repl_change *c, uint8_t *out, size_t cap)
{
	size_t n = sr_repl_change_size(c);
	if (n == 0 || n > cap)
		return 0;
	uint8_t *p = out;
	*p++ = (uint8_t)c->op;
	p = put_le(p, c->id, 8);
	p = put_le(p, c->expires, 4);
	p = put_le(p, c->aor_len, 2);
	p = put_le(p, c->rec_len, 4);
	memcpy(p, c->aor, c->aor_len);
	p += c->aor_len;
	if (c->rec_len)
		memcpy(p, c->rec, c->rec_len);
	return n;
}

int sr_repl_change_next(const uint8_t *in, size_t len, size_t *off, struct sr_repl_change *c, const char **err)
{
	if (*off == len)
		return 0;
	if (*off > len || len - *off < SR_REPL_CHANGE_HDR) {
		*err = "change shorter than its header";
		return -1;
	}
	const uint8_t *p = in + *off;
	if (p[0] >= SR_REPL_OP_COUNT) {
		*err = "change with an unknown operation";
		return -1;
	}
	c->op = (enum sr_repl_op)p[0];
	c->id = get_le(p + 1, 8);
	c->expires = (uint32_t)get_le(p + 9, 4);
	c->aor_len = (size_t)get_le(p + 13, 2);
	c->rec_len = (size_t)get_le(p + 15, 4);
	size_t body = len - *off - SR_REPL_CHANGE_HDR;
	if (c->aor_len == 0 || c->aor_len > body || c->rec_len > body - c->aor_len) {
		*err = "change lengths run past the entry";
		return -1;
	}
	if (sr_repl_op_is_put(c->op) != (c->rec_len > 0)) {
		*err = "change: a put without a record or a removal with one";
		return -1;
	}
	c->aor = (const char *)p + SR_REPL_CHANGE_HDR;
	c->rec = c->rec_len ? p + SR_REPL_CHANGE_HDR + c->aor_len : NULL;
	*off += SR_REPL_CHANGE_HDR + c->aor_len + c->rec_len;
	return 1;
}

/*
 * Loaded with FUNCTION LOAD REPLACE on every connection to a master. Each
 * function touches the two control keys only, which share the {P} tag (one
 * slot, as Redis Cluster requires).
 */
const char sr_repl_functions[] =
	"#!lua name=" SR_REPL_FUNCTION_LIBRARY "\n"
	"-- sipreg replication, layout 2 (docs/REPLICATION.md).\n"
	"-- sr2_beat: KEYS epoch, heartbeat; ARGV node, epoch, px, unix_ms.\n"
	"-- {0, e}: a newer epoch e exists, the caller is fenced. A lower stored\n"
	"-- epoch means Redis lost it: the beating node's epoch is the last known.\n"
	"local function beat(keys, args)\n"
	"  local mine = tonumber(args[2])\n"
	"  local e = tonumber(redis.call('GET', keys[1]) or '0')\n"
	"  if e > mine then return {0, e} end\n"
	"  if e < mine then redis.call('SET', keys[1], args[2]) end\n"
	"  redis.call('SET', keys[2], args[1] .. ' ' .. args[2] .. ' ' .. args[4], 'PX', args[3])\n"
	"  return {1, mine}\n"
	"end\n"
	"-- sr2_promote: KEYS epoch, heartbeat; ARGV node, seen_epoch, px, unix_ms, force.\n"
	"-- Compare-and-set: {1, new epoch}; {0, e} the epoch moved since it was read;\n"
	"-- {-1, e} a heartbeat is alive and force is not '1'.\n"
	"local function promote(keys, args)\n"
	"  local e = tonumber(redis.call('GET', keys[1]) or '0')\n"
	"  if e ~= tonumber(args[2]) then return {0, e} end\n"
	"  if args[5] ~= '1' and redis.call('EXISTS', keys[2]) == 1 then return {-1, e} end\n"
	"  e = redis.call('INCR', keys[1])\n"
	"  redis.call('SET', keys[2], args[1] .. ' ' .. e .. ' ' .. args[4], 'PX', args[3])\n"
	"  return {1, e}\n"
	"end\n"
	"redis.register_function('sr2_beat', beat)\n"
	"redis.register_function('sr2_promote', promote)\n";
