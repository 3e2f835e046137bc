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
	const char *name;
	size_t len;
	char compact; /* 0: none */
	enum sr_hdr_id id;
};

#define H(name, compact, id) { name, sizeof(name) - 1, compact, id }

static const struct hdr_name hdr_names[] = {
	H("Via", 'v', SR_HDR_VIA),
	H("From", 'f', SR_HDR_FROM),
	H("To", 't', SR_HDR_TO),
	H("Call-ID", 'i', SR_HDR_CALL_ID),
	H("CSeq", 0, SR_HDR_CSEQ),
	H("Contact", 'm', SR_HDR_CONTACT),
	H("Expires", 0, SR_HDR_EXPIRES),
	H("Require", 0, SR_HDR_REQUIRE),
	H("Supported", 'k', SR_HDR_SUPPORTED),
	H("Path", 0, SR_HDR_PATH),
	H("User-Agent", 0, SR_HDR_USER_AGENT),
	H("Authorization", 0, SR_HDR_AUTHORIZATION),
	H("Content-Length", 'l', SR_HDR_CONTENT_LENGTH),
};

/*
 * Every header line goes through here, so the table is searched only among
 * names of the same length and first letter (a byte compare each), not by a
 * case-insensitive compare against every entry.
 */
enum sr_hdr_id sr_hdr_lookup(struct sr_str name)
{
	if (name.len == 0)
		return SR_HDR_OTHER;
	char first = (char)(name.p[0] | 0x20);
	for (size_t i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++) {
		const struct hdr_name *h = &hdr_names[i];
		if (name.len == 1) {
			if (h->compact == first)
				return h->id;
			continue;
		}
		if (h->len == name.len && (h->name[0] | 0x20) == first &&
		    strncasecmp(name.p, h->name, name.len) == 0)
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

/* Decimal with no sign; values above max saturate at max. Returns false if not all digits. */
static bool parse_uint(struct sr_str s, uint64_t max, uint64_t *out)
{
	if (s.len == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
		if (v > max)
			v = max;
	}
	*out = v;
	return true;
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

static struct sr_str tag_of(osip_from_t *f)
{
	osip_generic_param_t *tag = NULL;
	if (osip_from_get_tag(f, &tag) == 0 && tag && tag->gvalue)
		return sr_str_cstr(tag->gvalue);
	return SR_STR_NULL;
}

static int parse_address(osip_from_t **out, struct sr_str value, struct sr_arena *arena)
{
	/*
	 * RFC 3261 20: a URI holding ',', '?' or ';' must be enclosed in <>; in
	 * the bare addr-spec form everything after ';' is a header parameter, and
	 * a '?' (URI headers) is malformed (RFC 4475 regbadct).
	 */
	if (!memchr(value.p, '<', value.len)) {
		const char *semi = memchr(value.p, ';', value.len);
		if (memchr(value.p, '?', semi ? (size_t)(semi - value.p) : value.len))
			return -1;
	}
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

struct option_ctx {
	uint32_t mask;
	struct sr_str unknown; /* every unknown tag, ", "-separated (RFC 3261 8.2.2.3 lists them all) */
	struct sr_arena *arena;
};

/* "a, b" in the arena; a alone when the arena is out of memory. */
static struct sr_str join_tags(struct sr_arena *arena, struct sr_str a, struct sr_str b)
{
	if (a.len == 0)
		return b;
	if (b.len == 0)
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
	if (!parse_uint(sr_str_make(value.p, i), UINT64_MAX / 16, &num) || num >= (1ull << 31))
		return fail(err, "Malformed CSeq header (bad sequence number)");
	struct sr_str method = sr_str_trim(sr_str_make(value.p + i, value.len - i));
	if (method.len == 0 || method.p == value.p + i || memchr(method.p, ' ', method.len))
		return fail(err, "Malformed CSeq header (bad method)");
	m->cseq = (uint32_t)num;
	m->cseq_method = method;
	return SR_SIP_OK;
}

static int parse_single_address(osip_from_t **out, struct sr_str value, struct sr_arena *arena,
				struct sr_sip_error *err, const char *dup_reason,
				const char *bad_reason)
{
	if (*out)
		return fail(err, dup_reason);
	if (parse_address(out, value, arena) != 0)
		return fail(err, bad_reason);
	return SR_SIP_OK;
}

int sr_hdr_parse(struct sr_sip_msg *m, enum sr_hdr_id id, struct sr_str value,
		 struct sr_arena *arena, struct sr_sip_error *err)
{
	struct list_ctx lc = { m, arena, err };
	uint64_t num;
	int rc;
	switch (id) {
	case SR_HDR_VIA:
		return split_result(sr_hdr_split(value, via_elem, &lc), err, "Malformed Via header");
	case SR_HDR_FROM:
		rc = parse_single_address(&m->from, value, arena, err, "Multiple From headers",
					  "Malformed From header");
		if (rc == SR_SIP_OK) {
			m->from_raw = value;
			m->from_tag = tag_of(m->from);
		}
		return rc;
	case SR_HDR_TO:
		rc = parse_single_address(&m->to, value, arena, err, "Multiple To headers",
					  "Malformed To header");
		if (rc == SR_SIP_OK) {
			m->to_raw = value;
			m->to_tag = tag_of(m->to);
		}
		return rc;
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
		if (!parse_uint(value, UINT32_MAX, &num))
			return fail(err, "Malformed Expires header");
		m->expires = (int64_t)num;
		return SR_SIP_OK;
	case SR_HDR_REQUIRE:
	case SR_HDR_SUPPORTED: {
		struct option_ctx o = { 0, SR_STR_NULL, arena };
		if (sr_hdr_split(value, option_elem, &o) != 0)
			return fail(err, "Malformed option tag list");
		if (id == SR_HDR_REQUIRE) {
			m->require |= o.mask;
			m->require_unknown = join_tags(arena, m->require_unknown, o.unknown);
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
		if (!parse_uint(value, UINT32_MAX, &num))
			return fail(err, "Malformed Content-Length header");
		m->content_length = (int64_t)num;
		return SR_SIP_OK;
	case SR_HDR_OTHER:
		break;
	}
	return SR_SIP_OK;
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
