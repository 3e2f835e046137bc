/*
 * test_app_worker_neigh.c - the glue of a worker's neighbour table
 * (app/sipreg/worker_neigh.c): intake leaves SIP to the datagram's owner,
 * whose table a SIP datagram's source teaches, even after its frame is gone;
 * fragments teach nothing themselves; ICMP echo teaches at intake. That the
 * worker's datagram path teaches once, at the owner, a reassembled datagram
 * too, is driven end to end by tests/integration/test_devnet_neigh.sh; when
 * sip_process lets a datagram that passed the flood check teach (not when
 * it is handed on) is sr_worker_neigh_sip_teaches, tested here; that a
 * refused one teaches nothing, test_devnet_neigh.sh. The
 * learns are counted through the linker (--wrap=sr_neigh_learn_ip), and
 * the tables' published entry counts say which worker learned. A datagram
 * sent to an address being resolved runs on the sender's clock (now_ms
 * passed down from the poll loop), not on a clock read per send; one the
 * table would drop is refused before its frame is built (allocations
 * counted through the linker too: --wrap=sr_worker_sip_mbuf). ARP news
 * reaches the other workers as one copy shared by reference count, freed
 * once (the pool's count says so).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "net_clock.h"
#include "net_frames.h"
#include "net_neigh.h"
#include "net_ring.h"
#include "test_eal.h"
#include "worker_neigh.h"
#include "worker_send.h"

void __real_sr_neigh_learn_ip(struct sr_neigh *n, uint16_t port, uint32_t src_ip, const uint8_t src_mac[6],
			      uint64_t now_ms);
void __wrap_sr_neigh_learn_ip(struct sr_neigh *n, uint16_t port, uint32_t src_ip, const uint8_t src_mac[6],
			      uint64_t now_ms);

static unsigned learns;

void __wrap_sr_neigh_learn_ip(struct sr_neigh *n, uint16_t port, uint32_t src_ip, const uint8_t src_mac[6],
			      uint64_t now_ms)
{
	learns++;
	__real_sr_neigh_learn_ip(n, port, src_ip, src_mac, now_ms);
}

struct rte_mbuf *__real_sr_worker_sip_mbuf(struct sr_worker *w, char **out, size_t *cap);
struct rte_mbuf *__wrap_sr_worker_sip_mbuf(struct sr_worker *w, char **out, size_t *cap);

static unsigned allocs; /* frames worker_send.c asked for */

struct rte_mbuf *__wrap_sr_worker_sip_mbuf(struct sr_worker *w, char **out, size_t *cap)
{
	allocs++;
	return __real_sr_worker_sip_mbuf(w, out, cap);
}

#define T0 1000000u
#define WORKERS 3

struct fixture {
	struct sr_app *app;
	struct sr_worker *w; /* WORKERS: 0 receives, 1 owns, 2 is told ARP news with 1 */
	struct rte_mempool *pool;
	struct rte_mbuf *m; /* a SIP REGISTER from the peer, as received */
	struct sr_net_pkt p;
};

static int setup(void **state)
{
	if (sr_test_eal_init() != 0)
		return -1;
	struct fixture *f = calloc(1, sizeof(*f));
	f->app = rte_zmalloc(NULL, sizeof(*f->app), 0);
	f->w = rte_zmalloc(NULL, WORKERS * sizeof(*f->w), RTE_CACHE_LINE_SIZE);
	f->pool = rte_pktmbuf_pool_create("t_neigh", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (f->app == NULL || f->w == NULL || f->pool == NULL)
		return -1;
	f->app->n_workers = WORKERS;
	if (sr_net_mesh_create(&f->app->mesh, WORKERS, 64) != 0)
		return -1;
	f->app->n_ports = 1;
	f->app->local[0] = t_local();
	f->app->mtu[0] = 1500;
	sr_clock_init(&f->app->clock); /* Unix time: far from T0, as a clock read per send would show */
	f->app->cfg.ip = f->app->local[0].ip;
	f->app->cfg.prefix_len = 24;
	f->app->cfg.neighbours = 64;
	for (unsigned i = 0; i < WORKERS; i++) {
		f->w[i].id = i;
		f->w[i].app = f->app;
		f->w[i].tx_pool = f->pool;
		f->app->w[i] = &f->w[i];
		if (sr_worker_neigh_create(&f->w[i]) != 0)
			return -1;
	}
	static const char sip[] = "REGISTER sip:example.com SIP/2.0\r\n\r\n";
	f->m = rte_pktmbuf_alloc(f->pool);
	uint8_t *frame = (uint8_t *)rte_pktmbuf_append(f->m, 128);
	size_t len = t_udp_frame(frame, 5060, 5060, sip, sizeof(sip) - 1, 1);
	rte_pktmbuf_trim(f->m, (uint16_t)(128 - len));
	f->m->port = 0;
	enum sr_net_drop why;
	if (sr_net_classify(frame, len, &f->app->local[0], &f->p, &why) != SR_NET_SIP)
		return -1;
	learns = allocs = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	rte_pktmbuf_free(f->m);
	sr_net_mesh_free(&f->app->mesh);
	for (unsigned i = 0; i < WORKERS; i++) {
		sr_worker_neigh_free(&f->w[i]);
		for (uint16_t k = 0; k < f->w[i].tx[0].n; k++) /* queued for a tx burst that never runs */
			rte_pktmbuf_free(f->w[i].tx[0].pkts[k]);
	}
	rte_mempool_free(f->pool);
	rte_free(f->w);
	rte_free(f->app);
	free(f);
	return 0;
}

/* The entries each worker's table holds, as its loop publishes them. */
static uint64_t entries(struct fixture *f, unsigned i)
{
	(void)sr_worker_neigh_advance(&f->w[i], T0);
	return f->w[i].stats.neigh_entries;
}

static void sip_intake_leaves_learning_to_the_owner(void **state)
{
	struct fixture *f = *state;
	/*
	 * worker 0's intake of a SIP datagram learns nothing; the owner's learn is
	 * done here by hand (which call sip_process makes for each outcome is the
	 * fate table's test below, end to end test_devnet_neigh.sh)
	 */
	assert_true(sr_worker_neigh_intake(&f->w[0], f->m, SR_NET_SIP, &f->p, T0));
	assert_int_equal(learns, 0);
	struct sr_neigh_source l2;
	sr_worker_neigh_source(f->m, f->p.src_ip, &l2);
	sr_worker_neigh_learn_source(&f->w[1], &l2, T0);
	assert_int_equal(learns, 1);
	assert_int_equal(entries(f, 0), 0);
	assert_int_equal(entries(f, 1), 1);
}

static void fragments_teach_nothing_themselves(void **state)
{
	struct fixture *f = *state;
	assert_true(sr_worker_neigh_intake(&f->w[0], f->m, SR_NET_FRAG, &f->p, T0));
	assert_int_equal(learns, 0);
	assert_int_equal(entries(f, 0), 0);
}

static void icmp_echo_teaches_at_intake(void **state)
{
	struct fixture *f = *state;
	assert_true(sr_worker_neigh_intake(&f->w[0], f->m, SR_NET_ICMP_ECHO, &f->p, T0));
	assert_int_equal(learns, 1);
	assert_int_equal(entries(f, 0), 1);
	assert_int_equal(entries(f, 1), 0);
}

/* What sip_process puts to sr_worker_neigh_sip_teaches at each of its outcomes, and the answer. */
static const struct {
	struct sr_sip_fate fate;
	bool teaches;
} fates[] = {
	/* handed on by the routing or rerouted by the registrar: the worker it goes to learns, not this one */
	{ { SR_TAKE_HANDED_ON, SR_DROP_NONE }, false },
	{ { SR_TAKE_NOT_MINE, SR_DROP_NOT_OWNER }, false },
	/* taken here (NAT, mid-registrar, routing) or settled by the registrar, answered or not: this owner learns */
	{ { SR_TAKE_TAKEN, SR_DROP_NONE }, true },
	{ { SR_TAKE_NOT_MINE, SR_DROP_NONE }, true },
	{ { SR_TAKE_NOT_MINE, SR_DROP_POLICY }, true },
	{ { SR_TAKE_NOT_MINE, SR_DROP_ACK }, true },
};

static void a_sip_datagram_teaches_only_at_its_owner(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fates) / sizeof(fates[0]); i++) {
		print_message("fate %zu\n", i);
		assert_int_equal(sr_worker_neigh_sip_teaches(&fates[i].fate), fates[i].teaches);
	}
}

/* ARP requests worker i queued (its tx burst never runs here). */
static unsigned arp_requests_queued(struct fixture *f, unsigned i)
{
	unsigned n = 0;
	for (uint16_t k = 0; k < f->w[i].tx[0].n; k++) {
		const uint8_t *frame = rte_pktmbuf_mtod(f->w[i].tx[0].pkts[k], const uint8_t *);
		n += frame[12] == 0x08 && frame[13] == 0x06;
	}
	return n;
}

/* The source is read before the branches consume the frame: it teaches the frame's MAC after the frame is gone. */
static void a_source_outlives_its_frame(void **state)
{
	struct fixture *f = *state;
	struct sr_neigh_source l2;
	uint8_t mac[6];
	memcpy(mac, rte_pktmbuf_mtod(f->m, const uint8_t *) + 6, 6);
	sr_worker_neigh_source(f->m, f->p.src_ip, &l2);
	rte_pktmbuf_free(f->m);
	f->m = NULL;
	sr_worker_neigh_learn_source(&f->w[1], &l2, T0);
	/* a datagram to that source leaves at once, to that MAC, with no ARP request */
	assert_int_equal(sr_worker_send_udp(&f->w[1], 0, f->p.src_ip, 5060, "x", 1, T0), SR_SEND_OK);
	assert_int_equal(arp_requests_queued(f, 1), 0);
	assert_int_equal(f->w[1].tx[0].n, 1);
	assert_memory_equal(rte_pktmbuf_mtod(f->w[1].tx[0].pkts[0], const uint8_t *), mac, 6);
}

static void a_held_send_retries_on_the_senders_clock(void **state)
{
	struct fixture *f = *state;
	uint32_t unknown = t_ip("198.51.100.9"); /* on our subnet, never seen: resolved by ARP */
	assert_int_equal(sr_worker_send_udp(&f->w[1], 0, unknown, 5060, "x", 1, T0), SR_SEND_OK);
	assert_int_equal(arp_requests_queued(f, 1), 1);
	/* the retry is due a second after the send's now_ms: not before, and then */
	assert_int_equal(sr_worker_neigh_advance(&f->w[1], T0 + 999), 0);
	assert_int_equal(arp_requests_queued(f, 1), 1);
	assert_int_equal(sr_worker_neigh_advance(&f->w[1], T0 + 1000), 1);
	assert_int_equal(arp_requests_queued(f, 1), 2);
}

/* A datagram the table would drop is refused before its frame is built: no mbuf, no copy; counted. */
static void a_send_without_next_hop_builds_nothing(void **state)
{
	struct fixture *f = *state;
	unsigned avail = rte_mempool_avail_count(f->pool);
	/* off our subnet, no gateway, nothing seen on the port yet: no next hop */
	assert_int_equal(sr_worker_send_udp(&f->w[1], 0, t_ip("203.0.113.7"), 5060, "x", 1, T0), SR_SEND_NO_NEIGHBOUR);
	assert_int_equal(allocs, 0);
	assert_int_equal(rte_mempool_avail_count(f->pool), avail);
	(void)sr_worker_neigh_advance(&f->w[1], T0);
	assert_int_equal(f->w[1].stats.neigh_dropped, 1);
	/* one that can go is built once */
	assert_int_equal(sr_worker_send_udp(&f->w[1], 0, t_ip("198.51.100.9"), 5060, "x", 1, T0), SR_SEND_OK);
	assert_int_equal(allocs, 1);
}

/* An ARP reply from the peer to us, as received (60 bytes with padding). */
static struct rte_mbuf *arp_reply(struct fixture *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(f->pool);
	uint8_t *g = (uint8_t *)rte_pktmbuf_append(m, 60);
	uint32_t ours = t_ip(T_OUR_IP), peer = t_ip(T_PEER_IP);
	memset(g, 0, 60);
	t_eth(g, T_OUR_MAC, T_PEER_MAC, 0x0806);
	static const uint8_t eth_ipv4[6] = { 0, 1, 0x08, 0, 6, 4 };
	memcpy(g + 14, eth_ipv4, 6);
	t_put16(g + 14 + 6, 2);
	memcpy(g + 14 + 8, T_PEER_MAC, 6);
	memcpy(g + 14 + 14, &peer, 4);
	memcpy(g + 14 + 18, T_OUR_MAC, 6);
	memcpy(g + 14 + 24, &ours, 4);
	m->port = 0;
	return m;
}

/*
 * ARP news for us is passed to every other worker as one copy shared by
 * reference count: each learns from it, and once all have freed it the pool
 * has every mbuf back.
 */
static void arp_news_is_shared_as_one_copy(void **state)
{
	struct fixture *f = *state;
	unsigned avail = rte_mempool_avail_count(f->pool);
	struct rte_mbuf *m = arp_reply(f);
	struct sr_net_pkt p;
	enum sr_net_drop why;
	assert_int_equal(sr_net_classify(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, &f->app->local[0], &p, &why),
			 SR_NET_ARP_NEWS);
	assert_true(sr_worker_neigh_intake(&f->w[0], m, SR_NET_ARP_NEWS, &p, T0));
	rte_pktmbuf_free(m); /* as on_frame does with news */
	assert_int_equal(rte_mempool_avail_count(f->pool), avail - 1); /* one copy for the two others */
	void *got[WORKERS];
	for (unsigned o = 1; o < WORKERS; o++) {
		assert_int_equal(rte_ring_count(f->app->mesh.ring[0][o]), 1);
		assert_int_equal(rte_ring_sc_dequeue(f->app->mesh.ring[0][o], &got[o]), 0);
		assert_ptr_equal(got[o], got[1]);
	}
	for (unsigned o = 1; o < WORKERS; o++)
		assert_true(sr_worker_neigh_from_ring(&f->w[o], got[o], T0));
	for (unsigned o = 0; o < WORKERS; o++)
		assert_int_equal(entries(f, o), 1); /* every worker learned the peer */
	assert_int_equal(rte_mempool_avail_count(f->pool), avail); /* freed once, by the last */
	/* a ring that refuses it drops that worker's reference only */
	while (rte_ring_sp_enqueue(f->app->mesh.ring[0][2], f) == 0)
		;
	m = arp_reply(f);
	assert_true(sr_worker_neigh_intake(&f->w[0], m, SR_NET_ARP_NEWS, &p, T0 + 2000));
	rte_pktmbuf_free(m);
	void *one;
	assert_int_equal(rte_ring_sc_dequeue(f->app->mesh.ring[0][1], &one), 0);
	assert_true(sr_worker_neigh_from_ring(&f->w[1], one, T0 + 2000));
	assert_int_equal(rte_mempool_avail_count(f->pool), avail);
	assert_int_equal(f->w[0].stats.net.drops[SR_ND_RING_FULL], 1);
	rte_ring_reset(f->app->mesh.ring[0][2]); /* the stand-ins were no mbufs */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sip_intake_leaves_learning_to_the_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(a_source_outlives_its_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(fragments_teach_nothing_themselves, setup, teardown),
		cmocka_unit_test_setup_teardown(icmp_echo_teaches_at_intake, setup, teardown),
		cmocka_unit_test_setup_teardown(a_held_send_retries_on_the_senders_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(a_send_without_next_hop_builds_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(arp_news_is_shared_as_one_copy, setup, teardown),
		cmocka_unit_test(a_sip_datagram_teaches_only_at_its_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
