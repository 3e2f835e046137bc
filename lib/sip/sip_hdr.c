/*
 * sip_hdr.c - parsers for the values of the headers a registrar reads.
 *
 * Address headers (Via, From, To, Contact) go to libosip2's own parsers so
 * the grammar we accept is the one a well-tested SIP stack accepts; list
 * splitting at top-level commas, numbers (CSeq, Expires, Content-Length)
 * and option tags are simple enough to do here without allocation.
 * Duplicates of single-instance headers are refused: a request with two
 * Call-IDs has no meaning a registrar could safely pick.
 */
#include "sip_hdr.h"

#include <osipparser2/osip_message.h>
#include <string.h>

static int fail(struct sr_sip_error *err, const char *reason)
{
	err->status = 400;
	err->reason = reason;
	return SR_SIP_BAD;
}

struct hdr_name {
	const char *lower; /* the name in lower case */
	size_t len;
	char compact; /* 0: none */
	enum sr_hdr_id id;
};

#define H(name, compact, id) { name, sizeof(name) - 1, compact, id }

static const struct hdr_name hdr_names[] = {
	H("via", 'v', SR_HDR_VIA),
	H("from", 'f', SR_HDR_FROM),
	H("to", 't', SR_HDR_TO),
	H("call-id", 'i', SR_HDR_CALL_ID),
	H("cseq", 0, SR_HDR_CSEQ),
	H("contact", 'm', SR_HDR_CONTACT),
	H("expires", 0, SR_HDR_EXPIRES),
	H("require", 0, SR_HDR_REQUIRE),
	H("supported", 'k', SR_HDR_SUPPORTED),
	H("path", 0, SR_HDR_PATH),
	H("user-agent", 0, SR_HDR_USER_AGENT),
	H("authorization", 0, SR_HDR_AUTHORIZATION),
	H("content-length", 'l', SR_HDR_CONTENT_LENGTH),
	H("route", 0, SR_HDR_ROUTE),
	H("max-forwards", 0, SR_HDR_MAX_FORWARDS),
	H("proxy-require", 0, SR_HDR_PROXY_REQUIRE),
	H("www-authenticate", 0, SR_HDR_WWW_AUTHENTICATE),
	H("proxy-authenticate", 0, SR_HDR_PROXY_AUTHENTICATE),
};

/* Case-insensitive compare of a name against a lower-case literal of the same length. */
static bool name_is(struct sr_str name, const char *lower)
{
	for (size_t i = 0; i < name.len; i++) {
		char c = name.p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c | 0x20);
		if (c != lower[i])
			return false;
	}
	return true;
}

/*
 * Every header line goes through here, so candidates are picked by the
 * name's length first (a switch), then its first letter, before any byte
 * compare; a skipped header costs a handful of instructions.
 */
enum sr_hdr_id sr_hdr_lookup(struct sr_str name)
{
	static const uint8_t by_len[19][4] = {
		/* positions in hdr_names, counted from 1 (0 ends the list): keep in step with it */
		[2] = { 3 },           /* to */
		[3] = { 1 },           /* via */
		[4] = { 2, 5, 10 },    /* from, cseq, path */
		[5] = { 14 },          /* route */
		[7] = { 4, 6, 7, 8 },  /* call-id, contact, expires, require */
		[9] = { 9 },           /* supported */
		[10] = { 11 },         /* user-agent */
		[12] = { 15 },         /* max-forwards */
		[13] = { 12, 16 },     /* authorization, proxy-require */
		[14] = { 13 },         /* content-length */
		[16] = { 17 },         /* www-authenticate */
		[18] = { 18 },         /* proxy-authenticate */
	};
	if (name.len == 1) {
		char c = (char)(name.p[0] | 0x20);
		for (size_t i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++)
			if (hdr_names[i].compact == c)
				return hdr_names[i].id;
		return SR_HDR_OTHER;
	}
	if (name.len >= 19)
		return SR_HDR_OTHER;
	char first = (char)(name.p[0] | 0x20);
	for (int k = 0; k < 4 && by_len[name.len][k]; k++) {
		const struct hdr_name *h = &hdr_names[by_len[name.len][k] - 1];
		if (h->lower[0] == first && name_is(name, h->lower))
			return h->id;
	}
	return SR_HDR_OTHER;
}

int sr_hdr_split(struct sr_str value, sr_hdr_elem_fn *fn, void *ctx)
{
	/* Most values are a single element without quotes: no need to walk them byte by byte. */
	if (!memchr(value.p, ',', value.len) && !memchr(value.p, '"', value.len))
		return fn(sr_str_trim(value), ctx);
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

/*
 * NUL-terminated copy for libosip2. sip_msg.c lets a NUL through only as a
 * quoted-pair inside a quoted string; it becomes a space here so libosip2
 * sees the whole value (only a display name can change, never a URI).
 */
static char *dup0(struct sr_arena *arena, struct sr_str s)
{
	char *c = sr_arena_strndup(arena, s.p, s.len);
	for (char *z = c; z && (z = memchr(z, '\0', (size_t)(c + s.len - z))) != NULL;)
		*z = ' ';
	return c;
}

/*
 * From and To: name-addr or addr-spec, then header parameters. The registrar
 * needs only the URI of To and the tags, so the value is split here and only
 * the To URI goes to libosip2's URI parser (a full osip_from_parse of both
 * costs more than everything else in a REGISTER together).
 */
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

int sr_sip_name_addr(struct sr_str v, struct sr_name_addr *na)
{
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
		if (c == '"') {
			quoted = true;
		} else if (c == '<') {
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
	}
	/* No '<' outside quotes: an addr-spec, whose parameters follow the URI. */
	if (quoted)
		return -1;
	const char *semi = memchr(v.p, ';', v.len);
	na->uri = sr_str_trim(sr_str_make(v.p, semi ? (size_t)(semi - v.p) : v.len));
	na->params = semi ? sr_str_make(semi, (size_t)(v.p + v.len - semi)) : SR_STR_NULL;
	if (na->uri.len == 0 || !memchr(na->uri.p, ':', na->uri.len) || memchr(na->uri.p, ' ', na->uri.len))
		return -1;
	return 0;
}

/* The value of the tag parameter among ";name=value" header parameters. */
static struct sr_str tag_param(struct sr_str params)
{
	while (params.len) {
		const char *semi = memchr(params.p, ';', params.len);
		if (!semi)
			break;
		params = sr_str_make(semi + 1, params.len - (size_t)(semi + 1 - params.p));
		const char *end = memchr(params.p, ';', params.len);
		struct sr_str one = sr_str_make(params.p, end ? (size_t)(end - params.p) : params.len);
		const char *eq = memchr(one.p, '=', one.len);
		if (eq && sr_str_caseeq_cstr(sr_str_trim(sr_str_make(one.p, (size_t)(eq - one.p))), "tag"))
			return sr_str_trim(sr_str_make(eq + 1, (size_t)(one.p + one.len - eq - 1)));
	}
	return SR_STR_NULL;
}

static int parse_to(struct sr_sip_msg *m, struct sr_str value, struct sr_arena *arena,
		    struct sr_sip_error *err)
{
	struct sr_name_addr na;
	if (m->to_raw.len)
		return fail(err, "Multiple To headers");
	if (sr_sip_name_addr(value, &na) != 0)
		return fail(err, "Malformed To header");
	if (sr_sip_has_esc_nul(na.uri))
		return fail(err, "Malformed To header (escaped NUL in the URI)");
	char *copy = dup0(arena, na.uri);
	osip_uri_t *uri = NULL;
	if (!copy || osip_uri_init(&uri) != 0 || osip_uri_parse(uri, copy) != 0)
		return fail(err, "Malformed To header (bad URI)");
	m->to_uri = uri;
	m->to_raw = value;
	m->to_tag = tag_param(na.params);
	return SR_SIP_OK;
}

static int parse_from(struct sr_sip_msg *m, struct sr_str value, struct sr_sip_error *err)
{
	struct sr_name_addr na;
	if (m->from_raw.len)
		return fail(err, "Multiple From headers");
	if (sr_sip_name_addr(value, &na) != 0)
		return fail(err, "Malformed From header");
	m->from_raw = value;
	m->from_tag = tag_param(na.params);
	return SR_SIP_OK;
}

static int parse_address(osip_from_t **out, struct sr_str value, struct sr_arena *arena)
{
	/*
	 * RFC 3261 20: a URI holding ',', '?' or ';' must be enclosed in <>; in
	 * the bare addr-spec form everything after ';' is a header parameter, and
	 * a '?' (URI headers) is malformed (RFC 4475 regbadct).
	 */
	const char *lt = memchr(value.p, '<', value.len);
	if (!lt) {
		const char *semi = memchr(value.p, ';', value.len);
		if (memchr(value.p, '?', semi ? (size_t)(semi - value.p) : value.len))
			return -1;
	}
	/* The URI part (from '<', past any display name) must not hold an escaped NUL, see sr_sip_has_esc_nul. */
	if (sr_sip_has_esc_nul(lt ? sr_str_make(lt, value.len - (size_t)(lt - value.p)) : value))
		return -1;
	char *copy = dup0(arena, value);
	if (!copy || osip_from_init(out) != 0)
		return -1;
	if (osip_from_parse(*out, copy) != 0 || !(*out)->url) {
		*out = NULL;
		return -1;
	}
	return 0;
}

/* List element callbacks return 1 once err is set; sr_hdr_split itself returns -1 for bad quoting. */
static int elem_fail(struct sr_sip_error *err, const char *reason)
{
	fail(err, reason);
	return 1;
}

/* Maps a sr_hdr_split result to a parse result. */
static int split_result(int rc, struct sr_sip_error *err, const char *bad_quoting)
{
	if (rc == 0)
		return SR_SIP_OK;
	if (rc == -1)
		return fail(err, bad_quoting);
	return SR_SIP_BAD;
}

struct list_ctx {
	struct sr_sip_msg *m;
	struct sr_arena *arena;
	struct sr_sip_error *err;
};

static int via_elem(struct sr_str elem, void *vctx)
{
	struct list_ctx *c = vctx;
	struct sr_sip_msg *m = c->m;
	if (elem.len == 0)
		return elem_fail(c->err, "Malformed Via header (empty value)");
	if (m->n_via == SR_SIP_MAX_VIA)
		return elem_fail(c->err, "Too many Via headers");
	if (m->n_via == 0) {
		char *copy = dup0(c->arena, elem);
		osip_via_t *via = NULL;
		if (!copy || osip_via_init(&via) != 0 || osip_via_parse(via, copy) != 0 || !via->host)
			return elem_fail(c->err, "Malformed Via header");
		m->top_via = via;
		osip_generic_param_t *branch = NULL;
		if (osip_via_param_get_byname(via, "branch", &branch) == 0 && branch && branch->gvalue)
			m->top_branch = sr_str_cstr(branch->gvalue);
	}
	m->via[m->n_via++] = elem;
	return 0;
}

static int contact_elem(struct sr_str elem, void *vctx)
{
	struct list_ctx *c = vctx;
	struct sr_sip_msg *m = c->m;
	if (elem.len == 1 && elem.p[0] == '*') {
		if (m->contact_star)
			return elem_fail(c->err, "Contact '*' given twice");
		m->contact_star = true;
		return 0;
	}
	if (elem.len == 0)
		return elem_fail(c->err, "Malformed Contact header (empty value)");
	if (m->n_contacts == SR_SIP_MAX_CONTACTS)
		return elem_fail(c->err, "Too many Contact values");
	osip_contact_t *ct = NULL;
	if (parse_address(&ct, elem, c->arena) != 0)
		return elem_fail(c->err, "Malformed Contact header");
	m->contact_raw[m->n_contacts] = elem;
	m->contacts[m->n_contacts++] = ct;
	return 0;
}

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
	if (sr_str_caseeq_cstr(elem, "path"))
		o->mask |= SR_OPT_PATH;
	else if (sr_str_caseeq_cstr(elem, "outbound"))
		o->mask |= SR_OPT_OUTBOUND;
	else if (sr_str_caseeq_cstr(elem, "gruu"))
		o->mask |= SR_OPT_GRUU;
	else if (elem.len)
		o->unknown = join_tags(o->arena, o->unknown, elem);
	return 0;
}

static int parse_cseq(struct sr_sip_msg *m, struct sr_str value, struct sr_sip_error *err)
{
	if (m->cseq_method.len)
		return fail(err, "Multiple CSeq headers");
	size_t i = 0;
	while (i < value.len && value.p[i] >= '0' && value.p[i] <= '9')
		i++;
	uint64_t num;
	/* RFC 3261 8.1.1.5: the sequence number is below 2**31. */
	if (!sr_str_to_uint(sr_str_make(value.p, i), UINT64_MAX / 16, &num) || num >= (1ull << 31))
		return fail(err, "Malformed CSeq header (bad sequence number)");
	struct sr_str method = sr_str_trim(sr_str_make(value.p + i, value.len - i));
	if (method.len == 0 || method.p == value.p + i || memchr(method.p, ' ', method.len))
		return fail(err, "Malformed CSeq header (bad method)");
	m->cseq = (uint32_t)num;
	m->cseq_method = method;
	return SR_SIP_OK;
}

int sr_hdr_parse(struct sr_sip_msg *m, enum sr_hdr_id id, struct sr_str value,
		 struct sr_arena *arena, struct sr_sip_error *err)
{
	struct list_ctx lc = { m, arena, err };
	uint64_t num;
	switch (id) {
	case SR_HDR_VIA:
		return split_result(sr_hdr_split(value, via_elem, &lc), err, "Malformed Via header");
	case SR_HDR_FROM:
		return parse_from(m, value, err);
	case SR_HDR_TO:
		return parse_to(m, value, arena, err);
	case SR_HDR_CALL_ID:
		if (m->call_id.len)
			return fail(err, "Multiple Call-ID headers");
		if (value.len == 0 || memchr(value.p, ' ', value.len) || memchr(value.p, '\t', value.len))
			return fail(err, "Malformed Call-ID header");
		m->call_id = value;
		return SR_SIP_OK;
	case SR_HDR_CSEQ:
		return parse_cseq(m, value, err);
	case SR_HDR_CONTACT:
		return split_result(sr_hdr_split(value, contact_elem, &lc), err, "Malformed Contact header");
	case SR_HDR_EXPIRES:
		if (m->expires >= 0)
			return fail(err, "Multiple Expires headers");
		/* RFC 3261 20.19: larger values than 2**32-1 are taken as 2**32-1. */
		if (!sr_str_to_uint(value, UINT32_MAX, &num))
			return fail(err, "Malformed Expires header");
		m->expires = (int64_t)num;
		return SR_SIP_OK;
	case SR_HDR_REQUIRE:
	case SR_HDR_PROXY_REQUIRE:
	case SR_HDR_SUPPORTED: {
		struct option_ctx o = { 0, SR_STR_NULL, arena };
		if (sr_hdr_split(value, option_elem, &o) != 0)
			return fail(err, "Malformed option tag list");
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
		return split_result(sr_hdr_split(value, path_elem, &lc), err, "Malformed Path header");
	case SR_HDR_USER_AGENT:
		m->user_agent = value;
		return SR_SIP_OK;
	case SR_HDR_AUTHORIZATION:
		if (m->n_authorization == SR_SIP_MAX_AUTH)
			return fail(err, "Too many Authorization headers");
		m->authorization[m->n_authorization++] = value;
		return SR_SIP_OK;
	case SR_HDR_CONTENT_LENGTH:
		if (m->content_length >= 0)
			return fail(err, "Multiple Content-Length headers");
		if (!sr_str_to_uint(value, UINT32_MAX, &num))
			return fail(err, "Malformed Content-Length header");
		m->content_length = (int64_t)num;
		return SR_SIP_OK;
	case SR_HDR_ROUTE:
		return split_result(sr_hdr_split(value, route_elem, &lc), err, "Malformed Route header");
	case SR_HDR_MAX_FORWARDS:
		if (m->max_forwards >= 0)
			return fail(err, "Multiple Max-Forwards headers");
		if (!sr_str_to_uint(value, 255, &num)) /* RFC 3261 20.22: 0-255 in practice (70 is the start) */
			return fail(err, "Malformed Max-Forwards header");
		m->max_forwards = (int64_t)num;
		return SR_SIP_OK;
	case SR_HDR_WWW_AUTHENTICATE:
	case SR_HDR_PROXY_AUTHENTICATE: /* kept as whole lines by sip_msg.c (a proxy gathers them, 16.7 step 7) */
	case SR_HDR_OTHER:
		break;
	}
	return SR_SIP_OK;
}

bool sr_sip_has_esc_nul(struct sr_str s)
{
	for (const char *p = s.p; (p = memchr(p, '%', s.len - (size_t)(p - s.p))) != NULL; p++)
		if ((size_t)(s.p + s.len - p) >= 3 && p[1] == '0' && p[2] == '0')
			return true;
	return false;
}

static bool find_param(const osip_list_t *list, const char *name, struct sr_str *value)
{
	osip_list_iterator_t it;
	osip_generic_param_t *p = osip_list_get_first((osip_list_t *)list, &it);
	for (; p; p = osip_list_get_next(&it)) {
		if (p->gname && strcasecmp(p->gname, name) == 0) {
			if (value)
				*value = p->gvalue ? sr_str_cstr(p->gvalue) : SR_STR_NULL;
			return true;
		}
	}
	return false;
}

bool sr_sip_contact_param(const osip_contact_t *c, const char *name, struct sr_str *value)
{
	return c && find_param(&c->gen_params, name, value);
}

bool sr_sip_uri_param(const osip_uri_t *u, const char *name, struct sr_str *value)
{
	return u && find_param(&u->url_params, name, value);
}
