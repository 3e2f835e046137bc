/*
 * sip_hdr.c - header names, list splitting, and the header values whose
 * grammar is the same on the fast and the libosip2 path (see sip_hdr.h).
 *
 * Numbers (CSeq, Expires, Content-Length), option tags, Call-ID, Path, the
 * From tag are simple enough to read here without allocation; both paths
 * call exactly this code for them, so they cannot disagree. Duplicates of
 * single-instance headers are refused: a request with two Call-IDs has no
 * meaning a registrar could safely pick.
 */
#include "sip_hdr.h"

#include <string.h>

#define LOWER_EQ(s, lit) sr_sip_lower_eq((s).p, (s).len, lit, sizeof(lit) - 1)

int sr_hdr_fail(struct sr_sip_error *err, const char *reason)
{
	err->status = 400;
	err->reason = reason;
	return SR_SIP_BAD;
}

/* Eight lower-case name bytes as the 64-bit word sr_hdr_key_add builds (first byte lowest). */
#define W(a, b, c, d, e, f, g, h)                                                                      \
	((uint64_t)(uint8_t)(a) | (uint64_t)(uint8_t)(b) << 8 | (uint64_t)(uint8_t)(c) << 16 |           \
	 (uint64_t)(uint8_t)(d) << 24 | (uint64_t)(uint8_t)(e) << 32 | (uint64_t)(uint8_t)(f) << 40 |    \
	 (uint64_t)(uint8_t)(g) << 48 | (uint64_t)(uint8_t)(h) << 56)
/* The two words of each name the registrar reads. */
#define K_TO W('t', 'o', 0, 0, 0, 0, 0, 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_VIA W('v', 'i', 'a', 0, 0, 0, 0, 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_FROM W('f', 'r', 'o', 'm', 0, 0, 0, 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_CSEQ W('c', 's', 'e', 'q', 0, 0, 0, 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_PATH W('p', 'a', 't', 'h', 0, 0, 0, 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_CALL_ID W('c', 'a', 'l', 'l', '-', 'i', 'd', 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_CONTACT W('c', 'o', 'n', 't', 'a', 'c', 't', 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_EXPIRES W('e', 'x', 'p', 'i', 'r', 'e', 's', 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_REQUIRE W('r', 'e', 'q', 'u', 'i', 'r', 'e', 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_SUPPORTED W('s', 'u', 'p', 'p', 'o', 'r', 't', 'e'), W('d', 0, 0, 0, 0, 0, 0, 0)
#define K_USER_AGENT W('u', 's', 'e', 'r', '-', 'a', 'g', 'e'), W('n', 't', 0, 0, 0, 0, 0, 0)
#define K_AUTHORIZATION W('a', 'u', 't', 'h', 'o', 'r', 'i', 'z'), W('a', 't', 'i', 'o', 'n', 0, 0, 0)
#define K_CONTENT_LENGTH W('c', 'o', 'n', 't', 'e', 'n', 't', '-'), W('l', 'e', 'n', 'g', 't', 'h', 0, 0)
#define K_ALLOW W('a', 'l', 'l', 'o', 'w', 0, 0, 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_ROUTE W('r', 'o', 'u', 't', 'e', 0, 0, 0), W(0, 0, 0, 0, 0, 0, 0, 0)
#define K_MAX_FORWARDS W('m', 'a', 'x', '-', 'f', 'o', 'r', 'w'), W('a', 'r', 'd', 's', 0, 0, 0, 0)
#define K_PROXY_REQUIRE W('p', 'r', 'o', 'x', 'y', '-', 'r', 'e'), W('q', 'u', 'i', 'r', 'e', 0, 0, 0)
#define K_WWW_AUTHENTICATE W('w', 'w', 'w', '-', 'a', 'u', 't', 'h'), W('e', 'n', 't', 'i', 'c', 'a', 't', 'e')
/* the first 16 of 18 bytes: sr_hdr_tail_is checks "te" */
#define K_PROXY_AUTHENTICATE W('p', 'r', 'o', 'x', 'y', '-', 'a', 'u'), W('t', 'h', 'e', 'n', 't', 'i', 'c', 'a')
#define NAME_IS(k, words) name_is(k, words)

static inline bool name_is(const struct sr_hdr_key *k, uint64_t k0, uint64_t k1)
{
	return k->k0 == k0 && k->k1 == k1;
}

/*
 * Every header line goes through here: a switch on the length, then one or
 * two 64-bit compares per candidate name, no loop over bytes (the key was
 * built while the walker found the name's end).
 */
enum sr_hdr_id sr_hdr_lookup_key(const struct sr_hdr_key *k)
{
	switch (k->len) {
	case 1:
		switch ((char)k->k0) {
		case 'v': return SR_HDR_VIA;
		case 'f': return SR_HDR_FROM;
		case 't': return SR_HDR_TO;
		case 'i': return SR_HDR_CALL_ID;
		case 'm': return SR_HDR_CONTACT;
		case 'k': return SR_HDR_SUPPORTED;
		case 'l': return SR_HDR_CONTENT_LENGTH;
		default: return SR_HDR_OTHER;
		}
	case 2:
		return NAME_IS(k, K_TO) ? SR_HDR_TO : SR_HDR_OTHER;
	case 3:
		return NAME_IS(k, K_VIA) ? SR_HDR_VIA : SR_HDR_OTHER;
	case 4:
		return NAME_IS(k, K_FROM) ? SR_HDR_FROM
		       : NAME_IS(k, K_CSEQ) ? SR_HDR_CSEQ
		       : NAME_IS(k, K_PATH) ? SR_HDR_PATH : SR_HDR_OTHER;
	case 7:
		return NAME_IS(k, K_CALL_ID) ? SR_HDR_CALL_ID
		       : NAME_IS(k, K_CONTACT) ? SR_HDR_CONTACT
		       : NAME_IS(k, K_EXPIRES) ? SR_HDR_EXPIRES
		       : NAME_IS(k, K_REQUIRE) ? SR_HDR_REQUIRE : SR_HDR_OTHER;
	case 9:
		return NAME_IS(k, K_SUPPORTED) ? SR_HDR_SUPPORTED : SR_HDR_OTHER;
	case 5:
		return NAME_IS(k, K_ROUTE) ? SR_HDR_ROUTE : NAME_IS(k, K_ALLOW) ? SR_HDR_ALLOW : SR_HDR_OTHER;
	case 10:
		return NAME_IS(k, K_USER_AGENT) ? SR_HDR_USER_AGENT : SR_HDR_OTHER;
	case 12:
		return NAME_IS(k, K_MAX_FORWARDS) ? SR_HDR_MAX_FORWARDS : SR_HDR_OTHER;
	case 13:
		return NAME_IS(k, K_AUTHORIZATION) ? SR_HDR_AUTHORIZATION
		       : NAME_IS(k, K_PROXY_REQUIRE) ? SR_HDR_PROXY_REQUIRE : SR_HDR_OTHER;
	case 14:
		return NAME_IS(k, K_CONTENT_LENGTH) ? SR_HDR_CONTENT_LENGTH : SR_HDR_OTHER;
	case 16:
		return NAME_IS(k, K_WWW_AUTHENTICATE) ? SR_HDR_WWW_AUTHENTICATE : SR_HDR_OTHER;
	case 18:
		return NAME_IS(k, K_PROXY_AUTHENTICATE) ? SR_HDR_PROXY_AUTHENTICATE : SR_HDR_OTHER;
	default:
		return SR_HDR_OTHER;
	}
}

bool sr_hdr_tail_is(enum sr_hdr_id id, const char *name, size_t len)
{
	if (len <= 16)
		return true;
	/* the only name longer than a key */
	return id == SR_HDR_PROXY_AUTHENTICATE && len == 18 && sr_sip_lower_eq(name + 16, 2, "te", 2);
}

enum sr_hdr_id sr_hdr_lookup(struct sr_str name)
{
	struct sr_hdr_key k;
	if (sr_sip_span(name.p, name.len, SR_CH_TOKEN) != name.len)
		return SR_HDR_OTHER;
	sr_hdr_key_narrow(&k, name.p, name.len);
	enum sr_hdr_id id = sr_hdr_lookup_key(&k);
	return sr_hdr_tail_is(id, name.p, name.len) ? id : SR_HDR_OTHER;
}

int sr_hdr_split(struct sr_str value, sr_hdr_elem_fn *fn, void *ctx)
{
	/* Most values are a single element without quotes: no need to walk them byte by byte. */
	const char *comma = memchr(value.p, ',', value.len);
	bool quotes = memchr(value.p, '"', value.len) != NULL;
	if (!comma && !quotes)
		return fn(sr_str_trim(value), ctx);
	if (!quotes && !memchr(value.p, '<', value.len)) {
		/* a plain list ("path, outbound"): every comma splits */
		const char *p = value.p, *end = value.p + value.len;
		for (;;) {
			const char *stop = comma ? comma : end;
			int rc = fn(sr_str_trim(sr_str_make(p, (size_t)(stop - p))), ctx);
			if (rc || !comma)
				return rc;
			p = comma + 1;
			comma = memchr(p, ',', (size_t)(end - p));
		}
	}
	size_t start = 0;
	bool quoted = false;
	int angle = 0;
	for (size_t i = 0; i <= value.len; i++) {
		char c = i < value.len ? value.p[i] : ',';
		if (quoted) {
			if (c == '\\' && i + 1 < value.len)
				i++;
			else if (c == '"')
				quoted = false;
			else if (i == value.len)
				return -1;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '<')
			angle++;
		else if (c == '>' && angle > 0)
			angle--;
		else if (c == ',' && angle == 0) {
			struct sr_str elem = sr_str_trim(sr_str_make(value.p + start, i - start));
			int rc = fn(elem, ctx);
			if (rc)
				return rc;
			start = i + 1;
		} else if (c == ',' && i == value.len)
			return -1; /* end reached inside <...> */
	}
	return 0;
}

/* display-name = *(token LWS) / quoted-string; what precedes '<' (quotes already balanced). */
static bool display_name_ok(struct sr_str d)
{
	d = sr_str_trim(d);
	if (d.len >= 2 && d.p[0] == '"' && d.p[d.len - 1] == '"')
		return true;
	for (size_t i = 0; i < d.len; i++) {
		char c = d.p[i];
		if (!sr_sip_is_token_char(c) && c != ' ' && c != '\t')
			return false;
	}
	return true;
}

/* The name-addr form whose '<' is at lt (outside quotes). */
static int angle_form(struct sr_str v, size_t i, struct sr_name_addr *na)
{
	const char *gt = memchr(v.p + i + 1, '>', v.len - i - 1);
	if (!gt)
		return -1;
	/* No LWS inside <> (RFC 4475 badaspec) and a display name of tokens or a quoted string (baddn). */
	struct sr_str in = sr_str_make(v.p + i + 1, (size_t)(gt - v.p - i - 1));
	if (memchr(in.p, ' ', in.len) || memchr(in.p, '\t', in.len) || !display_name_ok(sr_str_make(v.p, i)))
		return -1;
	na->uri = sr_str_trim(in);
	na->params = sr_str_make(gt + 1, (size_t)(v.p + v.len - gt - 1));
	return na->uri.len && memchr(na->uri.p, ':', na->uri.len) ? 0 : -1;
}

int sr_sip_name_addr(struct sr_str v, struct sr_name_addr *na)
{
	/* Without quotes the first '<' is the one: found by memchr, not byte by byte. */
	if (!memchr(v.p, '"', v.len)) {
		const char *lt = memchr(v.p, '<', v.len);
		if (lt)
			return angle_form(v, (size_t)(lt - v.p), na);
		goto addr_spec;
	}
	bool quoted = false;
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (quoted) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '<')
			return angle_form(v, i, na);
	}
	/* No '<' outside quotes: an addr-spec, whose parameters follow the URI. */
	if (quoted)
		return -1;
addr_spec:;
	const char *semi = memchr(v.p, ';', v.len);
	na->uri = sr_str_trim(sr_str_make(v.p, semi ? (size_t)(semi - v.p) : v.len));
	na->params = semi ? sr_str_make(semi, (size_t)(v.p + v.len - semi)) : SR_STR_NULL;
	if (na->uri.len == 0 || !memchr(na->uri.p, ':', na->uri.len) || memchr(na->uri.p, ' ', na->uri.len))
		return -1;
	return 0;
}

struct sr_str sr_hdr_tag_param(struct sr_str params)
{
	/* the usual case: nothing, or exactly ";tag=value" */
	if (params.len == 0)
		return SR_STR_NULL;
	if (params.len > 5 && LOWER_EQ(sr_str_make(params.p, 5), ";tag=") &&
	    sr_sip_span(params.p + 5, params.len - 5, SR_CH_TOKEN) == params.len - 5)
		return sr_str_make(params.p + 5, params.len - 5);
	while (params.len) {
		const char *semi = memchr(params.p, ';', params.len);
		if (!semi)
			break;
		params = sr_str_make(semi + 1, params.len - (size_t)(semi + 1 - params.p));
		const char *end = memchr(params.p, ';', params.len);
		struct sr_str one = sr_str_make(params.p, end ? (size_t)(end - params.p) : params.len);
		const char *eq = memchr(one.p, '=', one.len);
		if (eq && LOWER_EQ(sr_str_trim(sr_str_make(one.p, (size_t)(eq - one.p))), "tag"))
			return sr_str_trim(sr_str_make(eq + 1, (size_t)(one.p + one.len - eq - 1)));
	}
	return SR_STR_NULL;
}

/* ---- the Via parameters the response rewrites (raw text, both paths) ---- */

static bool is_lws(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Finds the end of the parameter starting at off: the next ';' outside a
 * quoted string, or the end of the value. Quoted strings may hold ';'
 * (generic-param values can be quoted-strings).
 */
static size_t param_end(struct sr_str v, size_t off, bool has_quotes)
{
	if (!has_quotes) { /* the usual Via: the next ';' ends it, found by one memchr */
		const char *semi = off < v.len ? memchr(v.p + off, ';', v.len - off) : NULL;
		return semi ? (size_t)(semi - v.p) : v.len;
	}
	bool quoted = false;
	for (; off < v.len; off++) {
		char c = v.p[off];
		if (quoted && c == '\\' && off + 1 < v.len)
			off++;
		else if (c == '"')
			quoted = !quoted;
		else if (c == ';' && !quoted)
			break;
	}
	return off;
}

void sr_hdr_via_params(struct sr_sip_via *via)
{
	struct sr_str v = via->raw;
	via->rport_at = via->rport_end = via->received_at = via->received_end = 0;
	bool has_quotes = memchr(v.p, '"', v.len) != NULL;
	bool rport = false, received = false;
	/* sent-protocol and sent-by hold no ';' (an IPv6 reference holds only ':'). */
	size_t off = param_end(v, 0, has_quotes);
	while (off < v.len && !(rport && received)) {
		size_t start = off + 1, end = param_end(v, start, has_quotes);
		off = end;
		while (start < end && is_lws(v.p[start]))
			start++;
		while (end > start && is_lws(v.p[end - 1]))
			end--;
		const char *eq = memchr(v.p + start, '=', end - start);
		struct sr_str name = sr_str_trim(sr_str_make(v.p + start, (eq ? (size_t)(eq - v.p) : end) - start));
		if (!rport && LOWER_EQ(name, "rport")) {
			rport = true;
			via->rport_at = (uint32_t)start;
			via->rport_end = (uint32_t)end;
		} else if (!received && LOWER_EQ(name, "received")) {
			received = true;
			via->received_at = (uint32_t)start;
			via->received_end = (uint32_t)end;
		}
	}
}

/* ---- values with one grammar on both paths ---- */

static int parse_from(struct sr_sip_msg *m, struct sr_str value, struct sr_sip_error *err)
{
	struct sr_name_addr na;
	if (m->from_raw.len)
		return sr_hdr_fail(err, "Multiple From headers");
	if (sr_sip_name_addr(value, &na) != 0)
		return sr_hdr_fail(err, "Malformed From header");
	m->from_raw = value;
	m->from_tag = sr_hdr_tag_param(na.params);
	return SR_SIP_OK;
}

/* List element callbacks return 1 once err is set; sr_hdr_split itself returns -1 for bad quoting. */
static int elem_fail(struct sr_sip_error *err, const char *reason)
{
	sr_hdr_fail(err, reason);
	return 1;
}

struct list_ctx {
	struct sr_sip_msg *m;
	struct sr_sip_error *err;
};

static int path_elem(struct sr_str elem, void *vctx)
{
	struct list_ctx *c = vctx;
	struct sr_sip_msg *m = c->m;
	if (elem.len < 2 || memchr(elem.p, '<', elem.len) == NULL)
		return elem_fail(c->err, "Malformed Path header (a name-addr is required)");
	if (m->n_path == SR_SIP_MAX_PATH)
		return elem_fail(c->err, "Too many Path values");
	m->path[m->n_path++] = elem;
	return 0;
}

/* Route values, kept in order up to SR_SIP_MAX_ROUTE; more are counted (the proxy refuses them). */
static int route_elem(struct sr_str elem, void *vctx)
{
	struct list_ctx *c = vctx;
	struct sr_sip_msg *m = c->m;
	if (elem.len < 2 || memchr(elem.p, '<', elem.len) == NULL)
		return elem_fail(c->err, "Malformed Route header (a name-addr is required)");
	if (m->n_route < SR_SIP_MAX_ROUTE)
		m->route[m->n_route] = elem;
	m->n_route++;
	return 0;
}

/* A list header whose elements are name-addrs: 400 with reason when the list does not split. */
static int name_addr_list(struct sr_str value, sr_hdr_elem_fn *fn, struct list_ctx *lc, const char *reason)
{
	int rc = sr_hdr_split(value, fn, lc);
	if (rc == -1)
		return sr_hdr_fail(lc->err, reason);
	return rc ? SR_SIP_BAD : SR_SIP_OK;
}

struct option_ctx {
	uint32_t mask;
	struct sr_str unknown; /* every unknown tag, ", "-separated (RFC 3261 8.2.2.3 lists them all) */
	struct sr_arena *arena;
};

#define SR_MAX_UNKNOWN_TAGS_LEN 256 /* bounds the copying: a datagram of "a,a,a,..." stays linear */

/* "a, b" in the arena; a alone when the arena is out of memory or the list is long enough. */
static struct sr_str join_tags(struct sr_arena *arena, struct sr_str a, struct sr_str b)
{
	if (a.len == 0)
		return b; /* no copy */
	if (b.len == 0 || a.len + 2 + b.len > SR_MAX_UNKNOWN_TAGS_LEN)
		return a;
	char *out = sr_arena_alloc(arena, a.len + 2 + b.len);
	if (!out)
		return a;
	memcpy(out, a.p, a.len);
	memcpy(out + a.len, ", ", 2);
	memcpy(out + a.len + 2, b.p, b.len);
	return sr_str_make(out, a.len + 2 + b.len);
}

static int option_elem(struct sr_str elem, void *vctx)
{
	struct option_ctx *o = vctx;
	if (LOWER_EQ(elem, "path"))
		o->mask |= SR_OPT_PATH;
	else if (LOWER_EQ(elem, "outbound"))
		o->mask |= SR_OPT_OUTBOUND;
	else if (LOWER_EQ(elem, "gruu"))
		o->mask |= SR_OPT_GRUU;
	else if (elem.len)
		o->unknown = join_tags(o->arena, o->unknown, elem);
	return 0;
}

static int parse_cseq(struct sr_sip_msg *m, struct sr_str value, struct sr_sip_error *err)
{
	if (m->cseq_method.len)
		return sr_hdr_fail(err, "Multiple CSeq headers");
	size_t i = 0;
	while (i < value.len && value.p[i] >= '0' && value.p[i] <= '9')
		i++;
	uint64_t num;
	/* RFC 3261 8.1.1.5: the sequence number is below 2**31. */
	if (!sr_str_to_uint(sr_str_make(value.p, i), UINT64_MAX / 16, &num) || num >= (1ull << 31))
		return sr_hdr_fail(err, "Malformed CSeq header (bad sequence number)");
	struct sr_str method = sr_str_trim(sr_str_make(value.p + i, value.len - i));
	if (method.len == 0 || method.p == value.p + i || memchr(method.p, ' ', method.len))
		return sr_hdr_fail(err, "Malformed CSeq header (bad method)");
	m->cseq = (uint32_t)num;
	m->cseq_method = method;
	return SR_SIP_OK;
}

int sr_hdr_common(struct sr_sip_msg *m, enum sr_hdr_id id, struct sr_str value, struct sr_arena *arena,
		  struct sr_sip_error *err)
{
	struct list_ctx lc = { m, err };
	uint64_t num;
	switch (id) {
	case SR_HDR_FROM:
		return parse_from(m, value, err);
	case SR_HDR_CALL_ID:
		if (m->call_id.len)
			return sr_hdr_fail(err, "Multiple Call-ID headers");
		if (value.len == 0 || memchr(value.p, ' ', value.len) || memchr(value.p, '\t', value.len))
			return sr_hdr_fail(err, "Malformed Call-ID header");
		m->call_id = value;
		return SR_SIP_OK;
	case SR_HDR_CSEQ:
		return parse_cseq(m, value, err);
	case SR_HDR_EXPIRES:
		if (m->expires >= 0)
			return sr_hdr_fail(err, "Multiple Expires headers");
		/* RFC 3261 20.19: larger values than 2**32-1 are taken as 2**32-1. */
		if (!sr_str_to_uint(value, UINT32_MAX, &num))
			return sr_hdr_fail(err, "Malformed Expires header");
		m->expires = (int64_t)num;
		return SR_SIP_OK;
	case SR_HDR_REQUIRE:
	case SR_HDR_PROXY_REQUIRE:
	case SR_HDR_SUPPORTED: {
		struct option_ctx o = { 0, SR_STR_NULL, arena };
		if (sr_hdr_split(value, option_elem, &o) != 0)
			return sr_hdr_fail(err, "Malformed option tag list");
		if (id == SR_HDR_REQUIRE) {
			m->require |= o.mask;
			m->require_unknown = join_tags(arena, m->require_unknown, o.unknown);
		} else if (id == SR_HDR_PROXY_REQUIRE) {
			m->proxy_require_unknown = join_tags(arena, m->proxy_require_unknown, o.unknown);
		} else {
			m->supported |= o.mask;
		}
		return SR_SIP_OK;
	}
	case SR_HDR_PATH:
		return name_addr_list(value, path_elem, &lc, "Malformed Path header");
	case SR_HDR_ROUTE:
		return name_addr_list(value, route_elem, &lc, "Malformed Route header");
	case SR_HDR_MAX_FORWARDS:
		if (m->max_forwards >= 0)
			return sr_hdr_fail(err, "Multiple Max-Forwards headers");
		if (!sr_str_to_uint(value, 255, &num)) /* RFC 3261 20.22: 0-255 in practice (70 is the start) */
			return sr_hdr_fail(err, "Malformed Max-Forwards header");
		m->max_forwards = (int64_t)num;
		return SR_SIP_OK;
	case SR_HDR_USER_AGENT:
		m->user_agent = value;
		return SR_SIP_OK;
	case SR_HDR_ALLOW:
		/*
		 * Only a REGISTER's Allow is kept (for the Allow filter); proxied
		 * requests and responses carry theirs through as bytes and do not pay
		 * for reading it. A list header: several lines add up.
		 */
		if (m->is_request && m->method.len == 8 && memcmp(m->method.p, "REGISTER", 8) == 0)
			m->allow |= sr_sip_method_list(value);
		return SR_SIP_OK;
	case SR_HDR_AUTHORIZATION:
		if (m->n_authorization == SR_SIP_MAX_AUTH)
			return sr_hdr_fail(err, "Too many Authorization headers");
		m->authorization[m->n_authorization++] = value;
		return SR_SIP_OK;
	case SR_HDR_CONTENT_LENGTH:
		if (m->content_length >= 0)
			return sr_hdr_fail(err, "Multiple Content-Length headers");
		if (!sr_str_to_uint(value, UINT32_MAX, &num))
			return sr_hdr_fail(err, "Malformed Content-Length header");
		m->content_length = (int64_t)num;
		return SR_SIP_OK;
	default: /* WWW-/Proxy-Authenticate are kept as whole lines by the walker (a proxy gathers them, 16.7 step 7) */
		return SR_SIP_OK;
	}
}

int sr_hdr_to(struct sr_str value, bool fast, struct sr_arena *arena, struct sr_sip_addr *out,
	      struct sr_sip_error *err)
{
	return fast ? sr_fast_to(value, arena, out) : sr_osip_to(value, arena, out, err);
}

int sr_hdr_ruri(struct sr_str text, bool fast, struct sr_arena *arena, struct sr_sip_uri *out,
		struct sr_sip_error *err)
{
	if (fast)
		return sr_sip_uri_fast(text, arena, out) == SR_URI_OK ? SR_SIP_OK : SR_SIP_SLOW;
	return sr_osip_ruri(text, arena, out, err);
}

int sr_hdr_parse(struct sr_sip_msg *m, enum sr_hdr_id id, struct sr_str value, bool fast,
		 struct sr_arena *arena, struct sr_sip_error *err)
{
	switch (id) {
	case SR_HDR_VIA:
		return fast ? sr_fast_via(m, value, arena) : sr_osip_via(m, value, arena, err);
	case SR_HDR_CONTACT:
		return fast ? sr_fast_contact(m, value, arena) : sr_osip_contact(m, value, arena, err);
	case SR_HDR_TO:
		if (m->to.raw.len)
			return fast ? SR_SIP_SLOW : sr_hdr_fail(err, "Multiple To headers");
		return sr_hdr_to(value, fast, arena, &m->to, err);
	case SR_HDR_FROM:
		if (fast)
			return sr_fast_from(m, value);
		break;
	default:
		break;
	}
	if (!fast)
		return sr_hdr_common(m, id, value, arena, err);
	struct sr_sip_error ignored;
	return sr_hdr_common(m, id, value, arena, &ignored) == SR_SIP_OK ? SR_SIP_OK : SR_SIP_SLOW;
}

bool sr_sip_contact_param(const struct sr_sip_contact *c, const char *name, struct sr_str *value)
{
	const struct sr_sip_param *p = c ? sr_sip_param_find(c->params, c->n_params, name) : NULL;
	if (p && value)
		*value = p->value;
	return p != NULL;
}

bool sr_sip_uri_param(const struct sr_sip_uri *u, const char *name, struct sr_str *value)
{
	const struct sr_sip_param *p = u ? sr_sip_param_find(u->params, u->n_params, name) : NULL;
	if (p && value)
		*value = p->value;
	return p != NULL;
}
