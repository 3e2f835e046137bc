/*
 * rf_auth.c - challenge reader, Authorization writer and subscriber file of the digest
 * flow (see rf_auth.h).
 *
 * The challenge reader is a bounded scan like rf_msg.c's, over one header line at a
 * time: "Digest" then comma-separated name=value parameters, values quoted or tokens,
 * names case-insensitive, unknown parameters (stale, domain, charset) skipped. A value
 * with a quote inside a token, or a backslash inside a quoted string, makes that
 * challenge unusable rather than being copied into the Authorization header.
 */
#include "rf_auth.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define RF_NC "00000001"

struct param {
	struct sr_str name, value;
};

static const char *skip_blanks(const char *p, const char *eol)
{
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* ends a parameter name (name) or an unquoted value */
static bool stops_token(char c, bool name)
{
	return c == ',' || c == ' ' || c == '\t' || c == '"' || c == '\r' || c == '\n' || (name && c == '=');
}

/* the next parameter of a challenge line: 1 read, 0 none left, -1 syntax error */
static int next_param(const char **pp, const char *eol, struct param *out)
{
	const char *p = skip_blanks(*pp, eol);
	if (p >= eol || *p == '\r' || *p == '\n')
		return 0;
	const char *n = p;
	while (p < eol && !stops_token(*p, true))
		p++;
	out->name = sr_str_make(n, (size_t)(p - n));
	p = skip_blanks(p, eol);
	if (!out->name.len || p >= eol || *p != '=')
		return -1;
	p = skip_blanks(p + 1, eol);
	const char *v = p;
	if (p < eol && *p == '"') {
		v = ++p;
		while (p < eol && *p != '"' && *p != '\\' && *p != '\r' && *p != '\n')
			p++;
		if (p >= eol || *p != '"')
			return -1;
		out->value = sr_str_make(v, (size_t)(p - v));
		p++;
	} else {
		while (p < eol && !stops_token(*p, false))
			p++;
		out->value = sr_str_make(v, (size_t)(p - v));
	}
	p = skip_blanks(p, eol);
	if (p < eol && *p == ',')
		p++;
	else if (p < eol && *p != '\r' && *p != '\n')
		return -1;
	*pp = p;
	return 1;
}

/* whether the comma-separated list holds the token tok (case-insensitive) */
static bool list_has(struct sr_str list, const char *tok)
{
	const char *p = list.p, *end = list.p + list.len;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		if (sr_str_caseeq_cstr(sr_str_trim(sr_str_make(p, (size_t)(e - p))), tok))
			return true;
		p = e + 1;
	}
	return false;
}

/* one WWW-Authenticate value (v up to eol); 0 when it is a challenge regflood can answer */
static int read_challenge(const char *v, const char *eol, struct sr_rf_challenge *c)
{
	if (eol - v < 7 || strncasecmp(v, "Digest", 6) != 0 || (v[6] != ' ' && v[6] != '\t'))
		return -1;
	*c = (struct sr_rf_challenge){.alg = SR_DIGEST_MD5}; /* RFC 7616 3.3: absent means MD5 */
	bool qop_auth = false;
	const char *p = v + 7;
	struct param pr;
	int rc;
	while ((rc = next_param(&p, eol, &pr)) == 1) {
		if (sr_str_caseeq_cstr(pr.name, "realm"))
			c->realm = pr.value;
		else if (sr_str_caseeq_cstr(pr.name, "nonce"))
			c->nonce = pr.value;
		else if (sr_str_caseeq_cstr(pr.name, "opaque"))
			c->opaque = pr.value;
		else if (sr_str_caseeq_cstr(pr.name, "qop"))
			qop_auth = list_has(pr.value, "auth");
		else if (sr_str_caseeq_cstr(pr.name, "algorithm") && sr_digest_alg_parse(pr.value, &c->alg) != 0)
			return -1;
	}
	if (rc < 0 || !qop_auth || !c->realm.len || !c->nonce.len || c->realm.len > SR_RF_CHALLENGE_FIELD_MAX ||
	    c->nonce.len > SR_RF_CHALLENGE_FIELD_MAX || c->opaque.len > SR_RF_CHALLENGE_FIELD_MAX)
		return -1;
	return 0;
}

int sr_rf_challenge_parse(const char *buf, size_t len, int want, struct sr_rf_challenge *out)
{
	const char *end = buf + len;
	const char *line = memchr(buf, '\n', len);
	while (line && ++line < end) {
		if (*line == '\r' || *line == '\n')
			break; /* end of headers */
		const char *v = sr_rf_header_value(line, end, "WWW-Authenticate", "WWW-Authenticate");
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		struct sr_rf_challenge c;
		if (v && read_challenge(v, eol ? eol : end, &c) == 0 && (want < 0 || (int)c.alg == want)) {
			*out = c;
			return 0;
		}
		line = eol;
	}
	return -1;
}

/* the AoR's digest username and password */
static void credentials(const struct sr_rf_ident *id, uint32_t aor, char user[64], char pw[64])
{
	snprintf(user, 64, "%s%07u", id->user_prefix, aor);
	snprintf(pw, 64, "%s%07u", id->password_prefix, aor);
}

size_t sr_rf_authorization(char *buf, size_t cap, struct sr_digest *dg, const struct sr_rf_ident *id, uint32_t aor,
			   uint32_t cseq, const struct sr_rf_challenge *ch)
{
	char user[64], pw[64], uri[96], cnonce[40];
	char ha1[SR_DIGEST_HEX_MAX + 1], response[SR_DIGEST_HEX_MAX + 1];
	credentials(id, aor, user, pw);
	snprintf(uri, sizeof uri, "sip:%s", id->domain);
	snprintf(cnonce, sizeof cnonce, "%u.%u.%u", aor, id->run, cseq);
	if (sr_digest_ha1(dg, ch->alg, sr_str_cstr(user), ch->realm, sr_str_cstr(pw), ha1) != 0)
		return 0;
	const struct sr_digest_input in = {sr_str_make(ha1, sr_digest_hex_len(ch->alg)), ch->nonce,
					   SR_STR_LIT(RF_NC), sr_str_cstr(cnonce), SR_STR_LIT("auth"),
					   SR_STR_LIT("REGISTER"), sr_str_cstr(uri)};
	if (sr_digest_response(dg, ch->alg, &in, response) != 0)
		return 0;
	int n = snprintf(buf, cap,
			 "Authorization: Digest username=\"%s\", realm=\"%.*s\", nonce=\"%.*s\", uri=\"%s\", "
			 "response=\"%s\", algorithm=%s, cnonce=\"%s\", qop=auth, nc=" RF_NC "%s%.*s%s\r\n",
			 user, (int)ch->realm.len, ch->realm.p, (int)ch->nonce.len, ch->nonce.p, uri, response,
			 sr_digest_alg_name(ch->alg), cnonce, ch->opaque.len ? ", opaque=\"" : "", (int)ch->opaque.len,
			 ch->opaque.p ? ch->opaque.p : "", ch->opaque.len ? "\"" : "");
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

int sr_rf_write_subscribers(FILE *out, struct sr_digest *dg, const struct sr_rf_ident *id, const char *realm,
			    uint32_t first, uint32_t n)
{
	fprintf(out,
		"# written by regflood --write-subscribers: users %s%07u.. (%u), realm %s,\n"
		"# password of user <prefix><index> = %s<index> (HA1 values only; format lib/auth/auth_creds.h)\n",
		id->user_prefix, first, n, realm, id->password_prefix);
	for (uint32_t i = first; i - first < n; i++) {
		char user[64], pw[64], md5[SR_DIGEST_HEX_MAX + 1], sha[SR_DIGEST_HEX_MAX + 1];
		credentials(id, i, user, pw);
		struct sr_str u = sr_str_cstr(user), r = sr_str_cstr(realm), p = sr_str_cstr(pw);
		if (sr_digest_ha1(dg, SR_DIGEST_MD5, u, r, p, md5) != 0 ||
		    sr_digest_ha1(dg, SR_DIGEST_SHA256, u, r, p, sha) != 0 ||
		    fprintf(out, "%s %s %s %s\n", user, realm, md5, sha) < 0)
			return -1;
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
