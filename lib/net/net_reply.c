/*
 * net_reply.c - ARP, ICMP echo and UDP reply headers; the SIP reply port.
 *
 * The reply port needs only the top Via of the request, so instead of a
 * full parse (the registrar core did that already, but its result does not
 * carry transport details) we scan the header block for the first Via ("v"
 * in compact form) and read its sent-by port and rport parameter.
 */
#include "net_reply.h"

#include <string.h>
#include <strings.h>

#include <rte_ip.h>

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_csum(uint8_t *p, uint16_t c)
{
	memcpy(p, &c, 2); /* the sum is computed in memory order: store it as is */
}

size_t sr_net_arp_reply(uint8_t *frame, const struct sr_net_local *local)
{
	uint8_t *a = frame + SR_NET_ETH_LEN;
	uint8_t sha[6], spa[4];

	memcpy(sha, a + 8, 6);
	memcpy(spa, a + 14, 4);
	memcpy(frame, sha, 6);            /* to the requester */
	memcpy(frame + 6, local->mac, 6);
	put16(a + 6, 2);                  /* reply */
	memcpy(a + 8, local->mac, 6);     /* sender: us */
	memcpy(a + 14, &local->ip, 4);
	memcpy(a + 18, sha, 6);           /* target: the requester */
	memcpy(a + 24, spa, 4);
	return SR_NET_ETH_LEN + 28;
}

size_t sr_net_arp_announce(uint8_t *frame, const struct sr_net_local *local)
{
	uint8_t *a = frame + SR_NET_ETH_LEN;
	memset(frame, 0, SR_NET_ARP_ANNOUNCE_LEN);
	memset(frame, 0xff, 6);           /* broadcast */
	memcpy(frame + 6, local->mac, 6);
	put16(frame + 12, 0x0806);
	put16(a, 1);                      /* Ethernet */
	put16(a + 2, 0x0800);             /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);                  /* a request: every stack updates its cache from one */
	memcpy(a + 8, local->mac, 6);
	memcpy(a + 14, &local->ip, 4);
	memcpy(a + 24, &local->ip, 4);    /* target: our own address; target MAC left zero */
	return SR_NET_ARP_ANNOUNCE_LEN;
}

/* Swaps MACs (we answer from our own MAC) and IPv4 addresses, resets TTL and the header checksum. */
static void swap_l2_l3(uint8_t *frame, const struct sr_net_pkt *p, const struct sr_net_local *local)
{
	uint8_t *ip = frame + p->l3_off;

	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, local->mac, 6);
	memcpy(ip + 12, &local->ip, 4);
	memcpy(ip + 16, &p->src_ip, 4);
	ip[8] = 64;
	ip[10] = ip[11] = 0;
	put_csum(ip + 10, (uint16_t)~rte_raw_cksum(ip, p->l3_len));
}

size_t sr_net_icmp_reply(uint8_t *frame, const struct sr_net_pkt *p, const struct sr_net_local *local)
{
	uint8_t *icmp = frame + p->l4_off;
	size_t icmp_len = (size_t)p->payload_len + 8;

	swap_l2_l3(frame, p, local);
	icmp[0] = 0; /* echo reply; id, sequence and data stay */
	icmp[2] = icmp[3] = 0;
	put_csum(icmp + 2, (uint16_t)~rte_raw_cksum(icmp, icmp_len));
	return (size_t)p->l4_off + icmp_len;
}

size_t sr_net_udp_frame(uint8_t *out, const uint8_t dst_mac[6], uint32_t dst_ip, uint16_t dst_port,
			const struct sr_net_local *local, uint16_t payload_len, uint16_t ip_id)
{
	uint8_t *ip = out + SR_NET_ETH_LEN;
	uint8_t *udp = ip + SR_NET_IP_LEN;
	uint16_t udp_len = (uint16_t)(SR_NET_UDP_LEN + payload_len);

	memcpy(out, dst_mac, 6);
	memcpy(out + 6, local->mac, 6);
	put16(out + 12, 0x0800);

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(SR_NET_IP_LEN + udp_len));
	put16(ip + 4, ip_id);
	put16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = 17;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &local->ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put_csum(ip + 10, (uint16_t)~rte_raw_cksum(ip, SR_NET_IP_LEN));

	put16(udp, local->sip_port);
	put16(udp + 2, dst_port);
	put16(udp + 4, udp_len);
	udp[6] = udp[7] = 0;
	put_csum(udp + 6, sr_net_udp_cksum(local->ip, dst_ip, udp, udp_len));
	return SR_NET_HDRS_LEN + payload_len;
}

size_t sr_net_udp_reply(uint8_t *out, const uint8_t *req, const struct sr_net_pkt *p,
			const struct sr_net_local *local, uint16_t dst_port, uint16_t payload_len,
			uint16_t ip_id)
{
	/* to the request's source MAC and address */
	return sr_net_udp_frame(out, req + 6, p->src_ip, dst_port, local, payload_len, ip_id);
}

/* --- the reply port --- */

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static bool is_delim(char ch, const char *delims)
{
	return strchr(delims, ch) != NULL;
}

/* Reads the first via-parm of a Via header value: sent-by port and whether rport is present. */
static void parse_via(struct cursor c, unsigned *port, bool *rport)
{
	/* sent-protocol "SIP/2.0/UDP", then LWS, then sent-by */
	while (c.p < c.end && !is_delim(*c.p, " \t"))
		c.p++;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '[') { /* IPv6 reference */
		while (c.p < c.end && *c.p != ']')
			c.p++;
		if (c.p < c.end)
			c.p++;
	} else {
		while (c.p < c.end && !is_delim(*c.p, ":;, \t\r"))
			c.p++;
	}
	skip_ws(&c);
	if (c.p < c.end && *c.p == ':') {
		c.p++;
		skip_ws(&c);
		unsigned v = 0, digits = 0;
		while (c.p < c.end && *c.p >= '0' && *c.p <= '9' && digits < 6) {
			v = v * 10 + (unsigned)(*c.p++ - '0');
			digits++;
		}
		if (digits && v > 0 && v <= 65535)
			*port = v;
	}
	/* via-params up to the end of this via-parm */
	while (c.p < c.end && *c.p != ',') {
		if (*c.p++ != ';')
			continue;
		skip_ws(&c);
		const char *name = c.p;
		while (c.p < c.end && !is_delim(*c.p, "=;, \t\r"))
			c.p++;
		if (c.p - name == 5 && strncasecmp(name, "rport", 5) == 0)
			*rport = true;
	}
}

uint16_t sr_net_reply_port(const char *sip, size_t len, uint16_t src_port, bool symmetric)
{
	unsigned port = 5060;
	bool rport = false;
	const char *end = sip + len;
	const char *line = memchr(sip, '\n', len); /* skip the request line */

	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *stop = eol ? eol : end;
		if (line[0] == '\r' || line[0] == '\n')
			break; /* end of the headers: no Via at all */
		const char *colon = memchr(line, ':', (size_t)(stop - line));
		if (colon) {
			struct cursor name = { line, colon };
			while (name.end > name.p && (name.end[-1] == ' ' || name.end[-1] == '\t'))
				name.end--;
			size_t n = (size_t)(name.end - name.p);
			if ((n == 3 && strncasecmp(name.p, "via", 3) == 0) ||
			    (n == 1 && (name.p[0] == 'v' || name.p[0] == 'V'))) {
				struct cursor val = { colon + 1, stop };
				skip_ws(&val);
				parse_via(val, &port, &rport);
				break;
			}
		}
		line = eol;
	}
	return (symmetric || rport) ? src_port : (uint16_t)port;
}
