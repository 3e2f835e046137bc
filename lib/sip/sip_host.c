/*
 * sip_host.c - URI host classification (see sip_host.h).
 *
 * IPv6 text goes to inet_pton (the C library's parser, which is what a
 * proxy's resolver uses too); the loose IPv4 spellings are read here because
 * inet_aton accepts trailing blanks, needs a NUL-terminated copy and has no
 * "decimal with leading zeros" reading. Every reading works on the bytes
 * given, never past host.len.
 */
#include "sip_host.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#define V6_TEXT_MAX 64 /* longest IPv6 text inet_pton can accept is 45 characters */

static bool is_v4_embedded(const struct sr_ip *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t translated[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 };
	static const uint8_t compatible[12] = { 0 };
	return memcmp(a->b, mapped, 12) == 0 || memcmp(a->b, translated, 12) == 0 ||
	       memcmp(a->b, compatible, 12) == 0;
}

static void set_v4(struct sr_ip *a, uint32_t v4)
{
	memset(a->b, 0, 10);
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = (uint8_t)(v4 >> 24);
	a->b[13] = (uint8_t)(v4 >> 16);
	a->b[14] = (uint8_t)(v4 >> 8);
	a->b[15] = (uint8_t)v4;
}

/* Strips "[...]" (returns true when it was bracketed). */
static bool unbracket(struct sr_str *h)
{
	if (h->len >= 2 && h->p[0] == '[' && h->p[h->len - 1] == ']') {
		h->p++;
		h->len -= 2;
		return true;
	}
	return false;
}

static int parse_v6(struct sr_str h, struct sr_ip *out)
{
	char buf[V6_TEXT_MAX];
	if (h.len == 0 || h.len >= sizeof(buf) || memchr(h.p, '\0', h.len))
		return -1;
	memcpy(buf, h.p, h.len);
	buf[h.len] = '\0';
	return inet_pton(AF_INET6, buf, out->b) == 1 ? 0 : -1;
}

int sr_sip_host_ip(struct sr_str host, struct sr_ip *out)
{
	bool bracketed = unbracket(&host);
	if (host.len && memchr(host.p, ':', host.len))
		return parse_v6(host, out);
	char buf[16];
	uint8_t v4[4];
	if (bracketed || host.len == 0 || host.len >= sizeof(buf) || memchr(host.p, '\0', host.len))
		return -1;
	memcpy(buf, host.p, host.len);
	buf[host.len] = '\0';
	if (inet_pton(AF_INET, buf, v4) != 1) /* dotted quad, no leading zeros */
		return -1;
	set_v4(out, (uint32_t)v4[0] << 24 | (uint32_t)v4[1] << 16 | (uint32_t)v4[2] << 8 | v4[3]);
	return 0;
}

int sr_sip_host_self_parse(struct sr_host_self *s, const char *list, struct sr_str *bad)
{
	const char *p = list ? list : "";
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return 0;
		size_t n = strcspn(p, " \t,");
		struct sr_str item = sr_str_make(p, n);
		if (s->n == SR_HOST_SELF_MAX || sr_sip_host_ip(item, &s->ip[s->n]) != 0) {
			*bad = item;
			return -1;
		}
		s->n++;
		p += n;
	}
}

/*
 * One inet_aton-style reading of h (see sip_host.h); leading_zero_octal
 * false reads "0177" as decimal 177. Returns 0 and the address, or -1.
 */
static int parse_v4_loose(struct sr_str h, bool leading_zero_octal, uint32_t *out)
{
	uint32_t part[4];
	unsigned np = 0;
	size_t i = 0;
	for (;;) {
		if (np == 4)
			return -1;
		unsigned base = 10;
		bool any = false; /* "0x" alone: 0 for 4.4BSD's inet_aton (glibc's refuses it): the wider reading */
		if (i + 1 < h.len && h.p[i] == '0' && (h.p[i + 1] == 'x' || h.p[i + 1] == 'X')) {
			base = 16;
			i += 2;
			any = true;
		} else if (leading_zero_octal && i < h.len && h.p[i] == '0') {
			base = 8;
		}
		uint64_t v = 0;
		for (; i < h.len && h.p[i] != '.'; i++, any = true) {
			static const char digits[] = "0123456789abcdef";
			char c = h.p[i] >= 'A' && h.p[i] <= 'F' ? (char)(h.p[i] | 0x20) : h.p[i];
			const char *d = memchr(digits, c, base);
			if (!d)
				return -1;
			v = v * base + (unsigned)(d - digits);
			if (v > UINT32_MAX)
				return -1;
		}
		if (!any)
			return -1; /* an empty part: "", "1..2", ".1" */
		part[np++] = (uint32_t)v;
		if (i == h.len)
			break;
		if (++i == h.len)
			return -1; /* a dot at the end (one was already stripped as the DNS root) */
	}
	/* all parts but the last are single bytes; the last fills what is left */
	uint32_t addr = 0;
	for (unsigned k = 0; k + 1 < np; k++) {
		if (part[k] > 0xff)
			return -1;
		addr |= part[k] << (24 - 8 * k);
	}
	unsigned left_bits = 32 - 8 * (np - 1);
	if (left_bits < 32 && part[np - 1] >> left_bits)
		return -1;
	*out = addr | part[np - 1];
	return 0;
}

static unsigned classify_ip(const struct sr_ip *a, const struct sr_host_self *self)
{
	static const uint8_t loopback6[16] = { [15] = 1 };
	static const uint8_t any6[16] = { 0 };
	unsigned cls = 0;
	struct sr_ip n = *a;
	if (memcmp(a->b, any6, 16) == 0) {
		cls |= SR_HOST_UNSPECIFIED;
	} else if (memcmp(a->b, loopback6, 16) == 0) {
		cls |= SR_HOST_LOOPBACK;
	} else if (is_v4_embedded(a)) {
		if (a->b[12] == 127)
			cls |= SR_HOST_LOOPBACK;
		else if (a->b[12] == 0)
			cls |= SR_HOST_UNSPECIFIED;
		set_v4(&n, (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
				   a->b[15]);
	}
	for (unsigned i = 0; self && i < self->n; i++)
		if (memcmp(n.b, self->ip[i].b, 16) == 0)
			cls |= SR_HOST_SELF;
	return cls;
}

static bool is_localhost(struct sr_str h)
{
	static const char name[] = "localhost";
	const size_t n = sizeof(name) - 1;
	if (h.len < n || strncasecmp(h.p + h.len - n, name, n) != 0)
		return false;
	return h.len == n || h.p[h.len - n - 1] == '.';
}

unsigned sr_sip_host_classify(struct sr_str host, const struct sr_host_self *self)
{
	struct sr_ip a;
	if (unbracket(&host) || (host.len && memchr(host.p, ':', host.len))) {
		const char *zone = host.len ? memchr(host.p, '%', host.len) : NULL;
		if (zone)
			host.len = (size_t)(zone - host.p);
		return parse_v6(host, &a) == 0 ? classify_ip(&a, self) : 0;
	}
	if (host.len && host.p[host.len - 1] == '.')
		host.len--;
	if (is_localhost(host))
		return SR_HOST_LOOPBACK;
	unsigned cls = 0;
	uint32_t v4;
	for (int octal = 1; octal >= 0; octal--)
		if (parse_v4_loose(host, octal, &v4) == 0) {
			set_v4(&a, v4);
			cls |= classify_ip(&a, self);
		}
	return cls;
}
