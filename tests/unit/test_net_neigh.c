/*
 * test_net_neigh.c - lib/net's neighbour table driven by a hand-moved clock:
 * learning (IPv4 frames, RFC 826's merge rule), resolution with held
 * datagrams, retries and give-up, ageing and probes, the replacement rule
 * of a full bucket, a flood of new sources, the gateway and the fallbacks,
 * the quiet second, the question asked before a datagram is built
 * (sr_neigh_can_send), the configurations refused, and the ARP request and
 * news on the wire. The io callbacks only record what they were asked.
 * Which worker learns a SIP datagram (once, its owner) is the glue's:
 * test_app_worker_neigh.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "net_frames.h"
#include "net_neigh.h"
#include "net_reply.h"

#define MAXREC 64

struct rec {
	unsigned n_req, n_rel, n_drop;
	uint32_t req_ip[MAXREC];
	uint16_t req_port[MAXREC];
	void *rel[MAXREC];
	uint8_t rel_mac[MAXREC][6];
	uint16_t rel_port[MAXREC];
	void *drop[MAXREC];
};

static void io_request(void *ctx, uint16_t port, uint32_t ip)
{
	struct rec *r = ctx;
	r->req_ip[r->n_req] = ip;
	r->req_port[r->n_req++] = port;
}

static void io_release(void *ctx, void *pkt, uint16_t port, const uint8_t mac[6])
{
	struct rec *r = ctx;
	memcpy(r->rel_mac[r->n_rel], mac, 6);
	r->rel_port[r->n_rel] = port;
	r->rel[r->n_rel++] = pkt;
}

static void io_drop(void *ctx, void *pkt)
{
	struct rec *r = ctx;
	r->drop[r->n_drop++] = pkt;
}

static const struct sr_neigh_io IO = { io_request, io_release, io_drop };
static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t MAC_GW[6] = { 0x02, 0, 0, 0, 0, 0xfe };

static struct sr_neigh_config cfg(void)
{
	return (struct sr_neigh_config){
		.entries = 64, .pending = 8, .queue = 3, .max_requests = 3, .retry_ms = 1000, .reachable_ms = 30000,
		.ip = t_ip(T_OUR_IP), .mask = t_ip("255.255.255.0"), .gateway = 0,
	};
}

/* One test's table and what its callbacks recorded (cmocka state). */
struct fix {
	struct rec r;
	struct sr_neigh *n;
	struct sr_neigh_hop hop;
};

static struct sr_neigh *remake(struct fix *f, const struct sr_neigh_config *c)
{
	sr_neigh_free(f->n);
	memset(&f->r, 0, sizeof(f->r));
	f->n = sr_neigh_create(c, &IO, &f->r);
	assert_non_null(f->n);
	return f->n;
}

static int setup(void **state)
{
	static struct fix f;
	struct sr_neigh_config c = cfg();
	memset(&f, 0, sizeof(f));
	remake(&f, &c);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	sr_neigh_free(f->n);
	f->n = NULL;
	return 0;
}

static struct sr_net_arp arp(uint16_t op, const uint8_t *sha, const char *spa, const char *tpa)
{
	struct sr_net_arp a = { .op = op, .spa = t_ip(spa), .tpa = t_ip(tpa) };
	memcpy(a.sha, sha, 6);
	return a;
}

static void test_learned_from_ipv4_frames(void **state)
{
	struct fix *f = *state;
	struct sr_neigh *n = f->n;
	struct rec *r = &f->r;
	struct sr_neigh_hop hop;
	int pkt;

	sr_neigh_learn_ip(n, 1, t_ip("198.51.100.2"), MAC_A, 100);
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.2"), 0, &pkt, 200, &hop), SR_NEIGH_READY);
	assert_memory_equal(hop.mac, MAC_A, 6);
	assert_int_equal(hop.port, 1); /* where it was seen, not the default port */
	assert_int_equal(r->n_req, 0);
	/* the host moved to another MAC: the next frame says so */
	sr_neigh_learn_ip(n, 1, t_ip("198.51.100.2"), MAC_B, 300);
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.2"), 0, &pkt, 400, &hop), SR_NEIGH_READY);
	assert_memory_equal(hop.mac, MAC_B, 6);
	/* a broadcast or multicast source MAC teaches nothing */
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	sr_neigh_learn_ip(n, 0, t_ip("198.51.100.3"), mcast, 400);
	assert_false(sr_neigh_lookup(n, t_ip("198.51.100.3"), &hop));
	assert_int_equal(sr_neigh_stats(n)->entries, 1);
}

static void test_resolution_holds_then_releases_in_order(void **state)
{
	struct fix *f = *state;
	struct sr_neigh *n = f->n;
	struct rec *r = &f->r;
	struct sr_neigh_hop hop;
	int p1, p2, p3, p4;
	uint32_t ip = t_ip("198.51.100.9");

	assert_int_equal(sr_neigh_send(n, ip, 2, &p1, 0, &hop), SR_NEIGH_HELD);
	assert_int_equal(r->n_req, 1); /* one request at once, out of the default port */
	assert_int_equal(r->req_ip[0], ip);
	assert_int_equal(r->req_port[0], 2);
	assert_int_equal(sr_neigh_send(n, ip, 2, &p2, 10, &hop), SR_NEIGH_HELD);
	assert_int_equal(sr_neigh_send(n, ip, 2, &p3, 20, &hop), SR_NEIGH_HELD);
	assert_int_equal(r->n_req, 1); /* no second request before retry_ms */
	/* the queue is bounded (3): the fourth is refused, counted, and stays the caller's */
	assert_int_equal(sr_neigh_send(n, ip, 2, &p4, 30, &hop), SR_NEIGH_DROPPED);
	assert_int_equal(sr_neigh_stats(n)->dropped, 1);
	assert_false(sr_neigh_lookup(n, ip, &hop));

	/* the reply (addressed to us) resolves it: the three go, in order, to its MAC */
	struct sr_net_arp a = arp(2, MAC_A, "198.51.100.9", T_OUR_IP);
	assert_true(sr_neigh_learn_arp(n, 2, &a, 50));
	assert_int_equal(r->n_rel, 3);
	assert_ptr_equal(r->rel[0], &p1);
	assert_ptr_equal(r->rel[1], &p2);
	assert_ptr_equal(r->rel[2], &p3);
	assert_memory_equal(r->rel_mac[0], MAC_A, 6);
	assert_int_equal(r->rel_port[0], 2);
	assert_int_equal(sr_neigh_stats(n)->resolved, 1);
	assert_int_equal(sr_neigh_stats(n)->requests, 1);
	/* nothing left to retry */
	assert_int_equal(sr_neigh_advance(n, 5000), 0);
	assert_int_equal(r->n_req, 1);
	assert_int_equal(sr_neigh_send(n, ip, 0, &p4, 60, &hop), SR_NEIGH_READY);
	assert_memory_equal(hop.mac, MAC_A, 6);
	assert_int_equal(hop.port, 2);
}

static void test_an_ipv4_frame_also_resolves(void **state)
{
	struct fix *f = *state;
	struct sr_neigh *n = f->n;
	struct rec *r = &f->r;
	struct sr_neigh_hop hop;
	int p1;
	uint32_t ip = t_ip("198.51.100.9");
	assert_int_equal(sr_neigh_send(n, ip, 0, &p1, 0, &hop), SR_NEIGH_HELD);
	sr_neigh_learn_ip(n, 0, ip, MAC_B, 1);
	assert_int_equal(r->n_rel, 1);
	assert_memory_equal(r->rel_mac[0], MAC_B, 6);
}

static void test_retries_then_gives_up(void **state)
{
	struct fix *f = *state;
	struct sr_neigh *n = f->n;
	struct rec *r = &f->r;
	struct sr_neigh_hop hop;
	int p1, p2, p3;
	uint32_t ip = t_ip("198.51.100.77");

	assert_int_equal(sr_neigh_send(n, ip, 0, &p1, 0, &hop), SR_NEIGH_HELD);
	assert_int_equal(sr_neigh_send(n, ip, 0, &p2, 0, &hop), SR_NEIGH_HELD);
	assert_int_equal(sr_neigh_advance(n, 999), 0); /* not yet */
	assert_int_equal(r->n_req, 1);
	assert_int_equal(sr_neigh_advance(n, 1000), 1);
	assert_int_equal(r->n_req, 2);
	assert_int_equal(sr_neigh_advance(n, 2000), 1);
	assert_int_equal(r->n_req, 3); /* max_requests */
	assert_int_equal(r->n_drop, 0);
	/* the last request had retry_ms to be answered: given up, the held datagrams dropped and counted */
	assert_int_equal(sr_neigh_advance(n, 3000), 1);
	assert_int_equal(r->n_req, 3);
	assert_int_equal(r->n_drop, 2);
	assert_ptr_equal(r->drop[0], &p1);
	assert_ptr_equal(r->drop[1], &p2);
	const struct sr_neigh_stats *st = sr_neigh_stats(n);
	assert_int_equal(st->failed, 1);
	assert_int_equal(st->dropped, 2);
	assert_int_equal(st->requests, 3);
	assert_int_equal(st->entries, 0);
	assert_false(sr_neigh_lookup(n, ip, &hop));
	/* a late reply that is not addressed to us does not add it back (RFC 826) */
	struct sr_net_arp a = arp(1, MAC_A, "198.51.100.77", "198.51.100.200");
	assert_false(sr_neigh_learn_arp(n, 0, &a, 3100));
	/* the next datagram starts afresh */
	assert_int_equal(sr_neigh_send(n, ip, 0, &p3, 4000, &hop), SR_NEIGH_HELD);
	assert_int_equal(r->n_req, 4);
	sr_neigh_free(n);
	f->n = NULL;
	assert_int_equal(r->n_drop, 3); /* freeing the table hands back what it still held */
}

static void test_pending_slots_are_bounded(void **state)
{
	struct fix *f = *state;
	struct sr_neigh_config c = cfg();
	c.pending = 2;
	struct sr_neigh *n = remake(f, &c);
	int p;
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.10"), 0, &p, 0, &f->hop), SR_NEIGH_HELD);
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.11"), 0, &p, 0, &f->hop), SR_NEIGH_HELD);
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.12"), 0, &p, 0, &f->hop), SR_NEIGH_DROPPED);
	assert_int_equal(f->r.n_req, 2);
	assert_int_equal(sr_neigh_stats(n)->entries, 2); /* the refused address left no entry behind */
	/* a slot comes back when its address resolves */
	struct sr_net_arp a = arp(2, MAC_A, "198.51.100.10", T_OUR_IP);
	sr_neigh_learn_arp(n, 0, &a, 5);
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.12"), 0, &p, 6, &f->hop), SR_NEIGH_HELD);
}

/*
 * Resolutions end in any order: each frees its own pending slot (found by
 * the index it keeps, no search), the others go on retrying, and every slot
 * comes back.
 */
static void test_slots_end_in_any_order(void **state)
{
	struct fix *f = *state;
	struct sr_neigh_config c = cfg();
	c.pending = 4;
	c.max_requests = 10; /* none gives up while the others are answered */
	struct sr_neigh *n = remake(f, &c);
	static const unsigned order[4] = { 2, 0, 3, 1 };
	int p[4];
	char s[32];
	for (unsigned i = 0; i < 4; i++) {
		snprintf(s, sizeof(s), "198.51.100.%u", 10 + i);
		assert_int_equal(sr_neigh_send(n, t_ip(s), 0, &p[i], 0, &f->hop), SR_NEIGH_HELD);
	}
	for (unsigned k = 0; k < 4; k++) {
		snprintf(s, sizeof(s), "198.51.100.%u", 10 + order[k]);
		struct sr_net_arp a = arp(2, MAC_A, s, T_OUR_IP);
		assert_true(sr_neigh_learn_arp(n, 0, &a, 10 + k));
		assert_int_equal(f->r.n_rel, k + 1);
		assert_ptr_equal(f->r.rel[k], &p[order[k]]);
		/* the ones still waiting are retried, the resolved ones not */
		unsigned req = f->r.n_req;
		assert_int_equal(sr_neigh_advance(n, 1000 * (k + 1)), 3 - k);
		assert_int_equal(f->r.n_req, req + 3 - k);
		for (unsigned r = req; r < f->r.n_req; r++)
			for (unsigned j = 0; j <= k; j++) {
				snprintf(s, sizeof(s), "198.51.100.%u", 10 + order[j]);
				assert_int_not_equal(f->r.req_ip[r], t_ip(s));
			}
	}
	/* all four slots are free again */
	for (unsigned i = 0; i < 4; i++) {
		snprintf(s, sizeof(s), "198.51.100.%u", 20 + i);
		assert_int_equal(sr_neigh_send(n, t_ip(s), 0, &p[i], 5000, &f->hop), SR_NEIGH_HELD);
	}
	assert_int_equal(sr_neigh_stats(n)->resolved, 4);
	assert_int_equal(sr_neigh_stats(n)->dropped, 0);
}

static void test_rfc826_merge(void **state)
{
	struct fix *f = *state;
	struct sr_neigh *n = f->n;
	struct sr_neigh_hop hop;

	/* a request between two other hosts: its sender is not added */
	struct sr_net_arp a = arp(1, MAC_A, "198.51.100.20", "198.51.100.21");
	assert_false(sr_neigh_learn_arp(n, 0, &a, 0));
	assert_false(sr_neigh_lookup(n, t_ip("198.51.100.20"), &hop));
	/* a request for us adds its sender */
	a = arp(1, MAC_A, "198.51.100.20", T_OUR_IP);
	assert_true(sr_neigh_learn_arp(n, 0, &a, 0));
	assert_true(sr_neigh_lookup(n, t_ip("198.51.100.20"), &hop));
	assert_memory_equal(hop.mac, MAC_A, 6);
	/* once held, any ARP from it updates it: a gratuitous ARP after a failover */
	a = arp(1, MAC_B, "198.51.100.20", "198.51.100.20");
	assert_true(sr_neigh_learn_arp(n, 0, &a, 10));
	assert_true(sr_neigh_lookup(n, t_ip("198.51.100.20"), &hop));
	assert_memory_equal(hop.mac, MAC_B, 6);
	/* teach nothing: an RFC 5227 probe (sender 0.0.0.0), our own address, a multicast sender MAC, off-link */
	a = arp(1, MAC_A, "0.0.0.0", T_OUR_IP);
	assert_false(sr_neigh_learn_arp(n, 0, &a, 10));
	a = arp(1, MAC_A, T_OUR_IP, T_OUR_IP);
	assert_false(sr_neigh_learn_arp(n, 0, &a, 10));
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	a = arp(2, bcast, "198.51.100.30", T_OUR_IP);
	assert_false(sr_neigh_learn_arp(n, 0, &a, 10));
	a = arp(2, MAC_A, "203.0.113.5", T_OUR_IP);
	assert_false(sr_neigh_learn_arp(n, 0, &a, 10));
	assert_int_equal(sr_neigh_stats(n)->entries, 1);
}

static void test_stale_entries_are_probed(void **state)
{
	struct fix *f = *state;
	struct sr_neigh *n = f->n;
	struct rec *r = &f->r;
	struct sr_neigh_hop hop;
	int p;
	uint32_t ip = t_ip("198.51.100.40"), ip2 = t_ip("198.51.100.41");

	sr_neigh_learn_ip(n, 0, ip, MAC_A, 0);
	sr_neigh_learn_ip(n, 0, ip2, MAC_B, 0);
	assert_int_equal(sr_neigh_send(n, ip, 0, &p, 29999, &hop), SR_NEIGH_READY);
	assert_int_equal(r->n_req, 0); /* still fresh */
	/* stale: still used at once, and probed */
	assert_int_equal(sr_neigh_send(n, ip, 0, &p, 30000, &hop), SR_NEIGH_READY);
	assert_memory_equal(hop.mac, MAC_A, 6);
	assert_int_equal(r->n_req, 1);
	assert_int_equal(r->req_ip[0], ip);
	assert_int_equal(sr_neigh_send(n, ip, 0, &p, 30001, &hop), SR_NEIGH_READY);
	assert_int_equal(r->n_req, 1); /* one probe series at a time */
	/* the answer keeps it */
	struct sr_net_arp a = arp(2, MAC_A, "198.51.100.40", T_OUR_IP);
	assert_true(sr_neigh_learn_arp(n, 0, &a, 30100));
	assert_int_equal(sr_neigh_stats(n)->resolved, 1);
	assert_int_equal(r->n_rel, 0); /* nothing was held */

	/* the other one is probed and never answers: it is forgotten */
	assert_int_equal(sr_neigh_send(n, ip2, 0, &p, 30000, &hop), SR_NEIGH_READY);
	for (uint64_t t = 31000; t <= 33000; t += 1000)
		sr_neigh_advance(n, t);
	assert_int_equal(sr_neigh_stats(n)->failed, 1);
	assert_false(sr_neigh_lookup(n, ip2, &hop));
	assert_true(sr_neigh_lookup(n, ip, &hop));
	assert_int_equal(sr_neigh_send(n, ip2, 0, &p, 34000, &hop), SR_NEIGH_HELD);
}

/* Addresses of one bucket of the 4-entry table (it has one bucket). */
static void test_full_bucket_replaces_the_oldest(void **state)
{
	struct fix *f = *state;
	struct sr_neigh_config c = cfg();
	c.entries = 4;
	struct sr_neigh *n = remake(f, &c);
	struct rec *r = &f->r;
	struct sr_neigh_hop hop;
	char s[32];
	int p;

	for (unsigned i = 0; i < 4; i++) {
		snprintf(s, sizeof(s), "198.51.100.%u", 50 + i);
		sr_neigh_learn_ip(n, 0, t_ip(s), MAC_A, 10000 + (uint64_t)(i == 2 ? 0 : 5000 * (i + 1)));
	}
	/* .52 was confirmed longest ago: the new address takes its place */
	sr_neigh_learn_ip(n, 0, t_ip("198.51.100.60"), MAC_B, 40000);
	assert_false(sr_neigh_lookup(n, t_ip("198.51.100.52"), &hop));
	assert_true(sr_neigh_lookup(n, t_ip("198.51.100.60"), &hop));
	assert_true(sr_neigh_lookup(n, t_ip("198.51.100.50"), &hop));
	assert_int_equal(sr_neigh_stats(n)->evicted, 1);
	assert_int_equal(sr_neigh_stats(n)->entries, 4);

	/* addresses being resolved are never replaced: four of them fill the bucket */
	n = remake(f, &c);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(s, sizeof(s), "198.51.100.%u", 70 + i);
		assert_int_equal(sr_neigh_send(n, t_ip(s), 0, &p, i, &hop), SR_NEIGH_HELD);
	}
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.80"), 0, &p, 9, &hop), SR_NEIGH_DROPPED);
	sr_neigh_learn_ip(n, 0, t_ip("198.51.100.81"), MAC_A, 9);
	assert_false(sr_neigh_lookup(n, t_ip("198.51.100.81"), &hop));
	assert_int_equal(sr_neigh_stats(n)->table_full, 2);
	assert_int_equal(r->n_req, 4);
}

/*
 * worker_neigh.h's choice: every new source adds an entry, spoofed or not.
 * A flood of them stays within the table and never pushes out an address
 * being resolved (its answer still releases the datagram held for it).
 */
static void test_a_flood_of_new_sources_stays_bounded(void **state)
{
	struct fix *f = *state;
	struct sr_neigh_config c = cfg();
	c.entries = 16;
	c.mask = 0; /* every address on-link: room for a thousand sources */
	struct sr_neigh *n = remake(f, &c);
	int p;
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.9"), 0, &p, 0, &f->hop), SR_NEIGH_HELD);
	for (uint32_t i = 0; i < 1000; i++)
		sr_neigh_learn_ip(n, 0, htonl(0x0a000000u + i), MAC_B, 1 + i);
	assert_int_equal(sr_neigh_stats(n)->learned, 1 + 1000);
	assert_int_equal(sr_neigh_stats(n)->entries, 16);
	struct sr_net_arp a = arp(2, MAC_A, "198.51.100.9", T_OUR_IP); /* a reply */
	assert_true(sr_neigh_learn_arp(n, 0, &a, 1001));
	assert_int_equal(f->r.n_rel, 1);
	assert_memory_equal(f->r.rel_mac[0], MAC_A, 6);
}

static void test_off_link_goes_to_the_gateway(void **state)
{
	struct fix *f = *state;
	struct sr_neigh_config c = cfg();
	c.gateway = t_ip("198.51.100.254");
	struct sr_neigh *n = remake(f, &c);
	struct rec *r = &f->r;
	struct sr_neigh_hop hop;
	int p1, p2;

	/* an off-link source is not learned behind the MAC it came from */
	sr_neigh_learn_ip(n, 0, t_ip("203.0.113.7"), MAC_A, 0);
	assert_false(sr_neigh_lookup(n, t_ip("203.0.113.7"), &hop));
	/* the gateway is resolved by ARP, and every off-link datagram waits for it */
	assert_int_equal(sr_neigh_send(n, t_ip("203.0.113.7"), 0, &p1, 0, &hop), SR_NEIGH_HELD);
	assert_int_equal(sr_neigh_send(n, t_ip("203.0.113.8"), 0, &p2, 0, &hop), SR_NEIGH_HELD);
	assert_int_equal(r->n_req, 1);
	assert_int_equal(r->req_ip[0], c.gateway);
	struct sr_net_arp a = arp(2, MAC_GW, "198.51.100.254", T_OUR_IP);
	sr_neigh_learn_arp(n, 0, &a, 5);
	assert_int_equal(r->n_rel, 2);
	assert_memory_equal(r->rel_mac[1], MAC_GW, 6);
	assert_int_equal(sr_neigh_send(n, t_ip("203.0.113.9"), 0, &p1, 6, &hop), SR_NEIGH_READY);
	assert_memory_equal(hop.mac, MAC_GW, 6);
	/* on-link addresses are still resolved themselves */
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.9"), 0, &p1, 6, &hop), SR_NEIGH_HELD);
	assert_int_equal(r->req_ip[1], t_ip("198.51.100.9"));
}

static void test_off_link_without_gateway_falls_back(void **state)
{
	struct fix *f = *state;
	struct sr_neigh *n = f->n;
	struct rec *r = &f->r;
	struct sr_neigh_hop hop;
	int p;

	/* nothing seen on the port yet: no next hop, counted */
	assert_int_equal(sr_neigh_send(n, t_ip("203.0.113.7"), 1, &p, 0, &hop), SR_NEIGH_DROPPED);
	assert_int_equal(sr_neigh_stats(n)->dropped, 1);
	/* an off-link source: sent back the way it came */
	sr_neigh_learn_ip(n, 1, t_ip("203.0.113.7"), MAC_A, 0);
	sr_neigh_learn_ip(n, 1, t_ip("198.51.100.2"), MAC_B, 1); /* the port's last neighbour */
	assert_int_equal(sr_neigh_send(n, t_ip("203.0.113.7"), 0, &p, 2, &hop), SR_NEIGH_READY);
	assert_memory_equal(hop.mac, MAC_A, 6);
	assert_int_equal(hop.port, 1);
	/* never seen: the port's last neighbour, as before this table; no ARP for off-link addresses */
	assert_int_equal(sr_neigh_send(n, t_ip("203.0.113.99"), 1, &p, 2, &hop), SR_NEIGH_READY);
	assert_memory_equal(hop.mac, MAC_B, 6);
	assert_int_equal(r->n_req, 0);
	/* a stale off-link entry is never probed */
	assert_int_equal(sr_neigh_send(n, t_ip("203.0.113.7"), 0, &p, 100000, &hop), SR_NEIGH_READY);
	assert_int_equal(r->n_req, 0);
}

static void test_bad_config_refused(void **state)
{
	(void)state;
	struct rec r = { 0 };
	struct sr_neigh_config c = cfg();
	c.queue = 0;
	assert_null(sr_neigh_create(&c, &IO, &r));
	c = cfg();
	c.queue = SR_NEIGH_MAX_QUEUE + 1;
	assert_null(sr_neigh_create(&c, &IO, &r));
	c = cfg();
	c.max_requests = 0;
	assert_null(sr_neigh_create(&c, &IO, &r));
	c = cfg();
	c.pending = 0;
	assert_null(sr_neigh_create(&c, &IO, &r));
	/* a request count that does not fit the slot's 8-bit counter */
	c = cfg();
	c.max_requests = 256;
	assert_null(sr_neigh_create(&c, &IO, &r));
	c.max_requests = 255;
	struct sr_neigh *n = sr_neigh_create(&c, &IO, &r);
	assert_non_null(n);
	sr_neigh_free(n);
	/* more pending slots than a 16-bit slot number names (its largest value means "none") */
	c = cfg();
	c.pending = UINT16_MAX;
	assert_null(sr_neigh_create(&c, &IO, &r));
	c.pending = UINT16_MAX - 1;
	n = sr_neigh_create(&c, &IO, &r);
	assert_non_null(n);
	sr_neigh_free(n);
	/* a table above 2^24 entries */
	c = cfg();
	c.entries = (1u << 24) + 1;
	assert_null(sr_neigh_create(&c, &IO, &r));
}

/*
 * The quiet rule: a confirmation less than a second after the last one, of
 * the same MAC on the same port, writes nothing (the entry's age stays);
 * a new MAC or port, or an entry being probed, is written at once.
 */
static void test_quiet_second(void **state)
{
	struct fix *f = *state;
	struct sr_neigh_config c = cfg();
	c.reachable_ms = 5000;
	struct sr_neigh *n = remake(f, &c);
	int p;
	uint32_t quiet = t_ip("198.51.100.20"), heard = t_ip("198.51.100.21");

	sr_neigh_learn_ip(n, 0, quiet, MAC_A, 0);
	sr_neigh_learn_ip(n, 0, quiet, MAC_A, 999); /* within the second: its age stays 0 */
	sr_neigh_learn_ip(n, 0, heard, MAC_A, 0);
	sr_neigh_learn_ip(n, 0, heard, MAC_A, 1000); /* a second later: confirmed at 1000 */
	assert_int_equal(sr_neigh_send(n, quiet, 0, &p, 5000, &f->hop), SR_NEIGH_READY);
	assert_int_equal(f->r.n_req, 1); /* stale at 0 + 5000: probed */
	assert_int_equal(f->r.req_ip[0], quiet);
	assert_int_equal(sr_neigh_send(n, heard, 0, &p, 5000, &f->hop), SR_NEIGH_READY);
	assert_int_equal(f->r.n_req, 1); /* fresh until 1000 + 5000 */

	/* the probe's answer (a frame) confirms it at 5001; 5002 is quiet, so it is stale at 10001 */
	sr_neigh_learn_ip(n, 0, quiet, MAC_A, 5001);
	assert_int_equal(sr_neigh_stats(n)->resolved, 1);
	sr_neigh_learn_ip(n, 0, quiet, MAC_A, 5002);
	assert_int_equal(sr_neigh_send(n, quiet, 0, &p, 10001, &f->hop), SR_NEIGH_READY);
	assert_int_equal(f->r.n_req, 2);

	/* a move to another MAC, or to another port, is written within the second */
	sr_neigh_learn_ip(n, 0, heard, MAC_B, 5010);
	assert_true(sr_neigh_lookup(n, heard, &f->hop));
	assert_memory_equal(f->hop.mac, MAC_B, 6);
	sr_neigh_learn_ip(n, 1, heard, MAC_B, 5020);
	assert_true(sr_neigh_lookup(n, heard, &f->hop));
	assert_int_equal(f->hop.port, 1);

	/* an entry being probed is confirmed by a frame within the second (here reachable_ms is shorter) */
	c.reachable_ms = 500;
	n = remake(f, &c);
	sr_neigh_learn_ip(n, 0, quiet, MAC_A, 0);
	assert_int_equal(sr_neigh_send(n, quiet, 0, &p, 500, &f->hop), SR_NEIGH_READY);
	assert_int_equal(f->r.n_req, 1);
	sr_neigh_learn_ip(n, 0, quiet, MAC_A, 600);
	assert_int_equal(sr_neigh_stats(n)->resolved, 1);
	assert_int_equal(sr_neigh_advance(n, 1500), 0); /* no retry: the probe series ended */
	assert_int_equal(f->r.n_req, 1);
}

/*
 * sr_neigh_can_send answers before the datagram is built: false exactly
 * where sr_neigh_send would drop (counted the same way), true where it
 * would send or hold; asking changes nothing (no entry, no request).
 */
static void test_can_send_asks_first(void **state)
{
	struct fix *f = *state;
	struct sr_neigh_config c = cfg();
	c.pending = 1;
	c.queue = 2;
	struct sr_neigh *n = remake(f, &c);
	const struct sr_neigh_stats *st = sr_neigh_stats(n);
	uint32_t ip = t_ip("198.51.100.9"), other = t_ip("198.51.100.10");
	int p;

	/* never seen, on-link: it would be held; asking takes no entry and sends no request */
	assert_true(sr_neigh_can_send(n, ip, 0));
	assert_int_equal(st->entries, 0);
	assert_int_equal(f->r.n_req, 0);
	assert_int_equal(sr_neigh_send(n, ip, 0, &p, 0, &f->hop), SR_NEIGH_HELD);
	assert_true(sr_neigh_can_send(n, ip, 0)); /* room for one more in its queue */
	assert_int_equal(sr_neigh_send(n, ip, 0, &p, 0, &f->hop), SR_NEIGH_HELD);
	/* its queue is full: no, counted once, as the send would count it */
	assert_false(sr_neigh_can_send(n, ip, 0));
	assert_int_equal(st->dropped, 1);
	assert_int_equal(sr_neigh_send(n, ip, 0, &p, 0, &f->hop), SR_NEIGH_DROPPED);
	assert_int_equal(st->dropped, 2);
	/* another new address: the only pending slot is busy; no entry is taken for it */
	assert_false(sr_neigh_can_send(n, other, 0));
	assert_int_equal(st->dropped, 3);
	assert_int_equal(st->entries, 1);
	assert_int_equal(st->learned, 1);
	assert_int_equal(f->r.n_req, 1);
	/* a known address goes at once, even with no slot free */
	sr_neigh_learn_ip(n, 0, t_ip("198.51.100.2"), MAC_B, 0);
	assert_true(sr_neigh_can_send(n, t_ip("198.51.100.2"), 0));
	/* a port out of range */
	assert_false(sr_neigh_can_send(n, t_ip("198.51.100.2"), SR_NEIGH_MAX_PORTS));
	assert_int_equal(st->dropped, 4);
	/* off-link, no gateway: the port's last neighbour, when it has one */
	assert_false(sr_neigh_can_send(n, t_ip("203.0.113.7"), 1));
	assert_true(sr_neigh_can_send(n, t_ip("203.0.113.7"), 0));
	assert_int_equal(st->dropped, 5);

	/* a bucket whose four ways are being resolved: no, counted as table_full too */
	c.pending = 8;
	c.entries = 4;
	n = remake(f, &c);
	st = sr_neigh_stats(n);
	char a[32];
	for (unsigned i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "198.51.100.%u", 70 + i);
		assert_int_equal(sr_neigh_send(n, t_ip(a), 0, &p, i, &f->hop), SR_NEIGH_HELD);
	}
	assert_false(sr_neigh_can_send(n, t_ip("198.51.100.80"), 0));
	assert_int_equal(st->table_full, 1);
	assert_int_equal(st->dropped, 1);
	/* off-link through a gateway: the gateway's own resolution decides */
	c.gateway = t_ip("198.51.100.254");
	c.pending = 1;
	n = remake(f, &c);
	assert_true(sr_neigh_can_send(n, t_ip("203.0.113.7"), 0));
	assert_int_equal(sr_neigh_send(n, t_ip("198.51.100.9"), 0, &p, 0, &f->hop), SR_NEIGH_HELD);
	assert_false(sr_neigh_can_send(n, t_ip("203.0.113.7"), 0)); /* the one slot is busy */
}

static void test_arp_request_on_the_wire(void **state)
{
	(void)state;
	uint8_t f[SR_NET_ARP_REQUEST_LEN];
	struct sr_net_local l = t_local();
	uint32_t ours = t_ip(T_OUR_IP), target = t_ip("198.51.100.9");
	memset(f, 0xaa, sizeof(f));
	assert_int_equal(sr_net_arp_request(f, &l, target), 60);
	/* the announce (test_net_pkt checks every byte) is the request for our own address */
	uint8_t ann[SR_NET_ARP_ANNOUNCE_LEN];
	sr_net_arp_announce(ann, &l);
	assert_memory_equal(f, ann, 14 + 24);
	assert_memory_equal(f + 14 + 24, &target, 4);
	assert_memory_equal(f + 14 + 28, ann + 14 + 28, sizeof(f) - 14 - 28);
	/* read back as ARP */
	struct sr_net_arp a;
	assert_true(sr_net_arp_read(f, sizeof(f), &a));
	assert_int_equal(a.op, 1);
	assert_int_equal(a.spa, ours);
	assert_int_equal(a.tpa, target);
	assert_memory_equal(a.sha, T_OUR_MAC, 6);

	/* the host's reply, as it comes back: news for the table, not a request to answer */
	uint8_t g[60] = { 0 };
	t_eth(g, T_OUR_MAC, T_PEER_MAC, 0x0806);
	memcpy(g + 14, f + 14, 28);
	t_put16(g + 14 + 6, 2);
	memcpy(g + 14 + 8, T_PEER_MAC, 6);
	memcpy(g + 14 + 14, &target, 4);
	memcpy(g + 14 + 18, T_OUR_MAC, 6);
	memcpy(g + 14 + 24, &ours, 4);
	struct sr_net_pkt p;
	enum sr_net_drop why;
	assert_int_equal(sr_net_classify(g, sizeof(g), &l, &p, &why), SR_NET_ARP_NEWS);
	assert_true(sr_net_arp_read(g, sizeof(g), &a));
	assert_int_equal(a.op, 2);
	assert_int_equal(a.spa, target);
	assert_memory_equal(a.sha, T_PEER_MAC, 6);
	/* not Ethernet/IPv4 ARP: dropped */
	g[14 + 1] = 6;
	assert_int_equal(sr_net_classify(g, sizeof(g), &l, &p, &why), SR_NET_DROP);
	assert_int_equal(why, SR_ND_ARP_OTHER);
	assert_false(sr_net_arp_read(g, sizeof(g), &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learned_from_ipv4_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolution_holds_then_releases_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_ipv4_frame_also_resolves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_then_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_slots_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_end_in_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc826_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_entries_are_probed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_bucket_replaces_the_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_flood_of_new_sources_stays_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_link_goes_to_the_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_link_without_gateway_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_second, setup, teardown),
		cmocka_unit_test_setup_teardown(test_can_send_asks_first, setup, teardown),
		cmocka_unit_test(test_bad_config_refused),
		cmocka_unit_test(test_arp_request_on_the_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
