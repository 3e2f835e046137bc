/*
 * main.c - sipreg's set-up and teardown (the l3fwd layout: everything that is
 * not the per-packet loop lives here; the loop is worker.c).
 *
 * Order: configuration (refused before anything starts), signals, EAL (its
 * argv is built from [eal] and [port] so the whole deployment is one file),
 * ports with one queue pair per worker, mbuf pools, the ring mesh, one
 * registrar shard per worker, the bucket table (bucket b -> worker b % n,
 * fixed for the life of the process), the control core (its commands on
 * DPDK telemetry and on the control socket), launch.
 * SIGINT/SIGTERM set the stop flag; workers leave their loop after draining
 * their rings; ports, shards and rings are freed; exit status 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>

#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "app.h"
#include "app_auth.h"
#include "admission.h"
#include "control.h"
#include "eal_prefault.h"
#include "worker_push.h"
#include "net_port.h"
#include "metrics.h"
#include "persist.h"
#include "replicate.h"
#include "pools.h"
#include "worker.h"
#include "worker_nat.h"
#include "worker_route.h"
#include "worker_mid.h"
#include "worker_neigh.h"

#define MAX_EAL_ARGS 64
#define TX_DATA_ROOM 8192      /* the largest response we build (fragmented to the MTU on the wire) */
#define PRESCAN_ARENA (64 * 1024)

static struct sr_app g_app;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&g_app.stop, 1, __ATOMIC_RELAXED);
}

/* "0@c0,1@c1,..." : control on the first allowed CPU, workers spread over the allowed CPUs. */
static int lcores_map(unsigned workers, char *out, size_t cap)
{
	cpu_set_t set;
	int cpus[CPU_SETSIZE], n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n == 0)
		return -1;
	size_t len = 0;
	for (unsigned l = 0; l <= workers && len < cap; l++)
		len += (size_t)snprintf(out + len, cap - len, "%s%u@%d", l ? "," : "", l, cpus[l % (unsigned)n]);
	return len < cap ? 0 : -1;
}

/* Builds the EAL argv; returns argc or -1 (message printed). */
static int eal_argv(struct sr_app_config *c, char *store, size_t cap, char **argv)
{
	int argc = 0;
	size_t used = 0;
#define PUSH(...)                                                                           \
	do {                                                                                \
		int n_ = snprintf(store + used, cap - used, __VA_ARGS__);                  \
		if (n_ < 0 || (size_t)n_ >= cap - used || argc >= MAX_EAL_ARGS - 1)        \
			goto too_long;                                                     \
		argv[argc++] = store + used;                                               \
		used += (size_t)n_ + 1;                                                    \
	} while (0)

	PUSH("sipreg");
	PUSH("--file-prefix=%s", c->eal_file_prefix);
	if (c->eal_lcores[0]) {
		PUSH("--lcores=%s", c->eal_lcores);
	} else {
		char map[512];
		if (c->workers == 0)
			c->workers = 1;
		if (lcores_map(c->workers, map, sizeof(map)) != 0) {
			fprintf(stderr, "sipreg: eal.lcores: cannot map %u workers onto CPUs\n", c->workers);
			return -1;
		}
		PUSH("--lcores=%s", map);
	}
	if (c->port_vdev[0]) {
		/* af_packet: one queue pair per worker, unless the profile fixed it */
		bool af = strncmp(c->port_vdev, "net_af_packet", 13) == 0 && !strstr(c->port_vdev, "qpairs=");
		if (af && c->workers == 0) {
			fprintf(stderr, "sipreg: workers.count: must be set when port.vdev is af_packet "
					"without qpairs=\n");
			return -1;
		}
		if (af)
			PUSH("--vdev=%s,qpairs=%u", c->port_vdev, c->workers);
		else
			PUSH("--vdev=%s", c->port_vdev);
	}
	char args[sizeof(c->eal_args)];
	snprintf(args, sizeof(args), "%s", c->eal_args);
	for (char *save, *t = strtok_r(args, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		PUSH("%s", t);
	argv[argc] = NULL;
	return argc;
too_long:
	fprintf(stderr, "sipreg: eal.args: too many or too long EAL arguments\n");
	return -1;
#undef PUSH
}

static struct rte_mempool *pool(const char *name, unsigned n, uint16_t room, uint16_t priv)
{
	struct rte_mempool *mp = sr_net_pool_create_priv(name, n, room, priv, (int)rte_socket_id());
	if (mp == NULL)
		fprintf(stderr, "sipreg: cannot create mbuf pool %s (%u mbufs): %s\n", name, n,
			rte_strerror(rte_errno));
	return mp;
}

static int setup_ports(struct sr_app *app, struct rte_mempool *rx_pool)
{
	const struct sr_app_config *c = &app->cfg;
	uint16_t port;
	char err[256];

	app->n_ports = 0;
	RTE_ETH_FOREACH_DEV(port) {
		if (port >= SR_MAX_PORTS) {
			fprintf(stderr, "sipreg: port %u: at most %d ports are supported\n", port, SR_MAX_PORTS);
			return -1;
		}
		struct sr_net_port_conf pc = { .n_queues = (uint16_t)app->n_workers,
					       .rx_desc = (uint16_t)c->rx_desc,
					       .tx_desc = (uint16_t)c->tx_desc,
					       .rx_pool = rx_pool };
		struct sr_net_port_info info;
		if (sr_net_port_start(port, &pc, &info, err, sizeof(err)) != 0) {
			fprintf(stderr, "sipreg: %s\n", err);
			return -1;
		}
		memcpy(app->local[port].mac, info.mac, 6);
		app->local[port].ip = c->ip;
		app->local[port].sip_port = (uint16_t)c->sip_port;
		app->local[port].udp_csum = (uint8_t)c->udp_checksum;
		app->mtu[port] = info.mtu;
		app->tx_linear[port] = !info.tx_multi_seg;
		printf("sipreg: port %u (%s) MAC %02x:%02x:%02x:%02x:%02x:%02x MTU %u, %u queue pairs, RSS %s%s\n",
		       port, info.driver, info.mac[0], info.mac[1], info.mac[2], info.mac[3], info.mac[4],
		       info.mac[5], info.mtu, app->n_workers, info.rss ? "on" : "off (PMD spreads flows)",
		       info.tx_multi_seg ? "" : ", fragments sent in one segment (no multi-segment transmit)");
		app->n_ports = (uint16_t)(port + 1);
	}
	if (app->n_ports == 0) {
		fprintf(stderr, "sipreg: no port: set port.vdev or bind a NIC to vfio-pci\n");
		return -1;
	}
	return 0;
}

static int setup_workers(struct sr_app *app, struct rte_mempool *tx_pool, struct rte_mempool *ind_pool)
{
	const struct sr_app_config *c = &app->cfg;
	unsigned lcore, i = 0;
	uint64_t now_ms = sr_clock_ms(&app->clock, rte_get_tsc_cycles());

	RTE_LCORE_FOREACH_WORKER(lcore) {
		int socket = (int)rte_lcore_to_socket_id(lcore);
		struct sr_worker *w = rte_zmalloc_socket("sr_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL) {
			fprintf(stderr, "sipreg: worker %u: out of memory\n", i);
			return -1;
		}
		app->w[i] = w;
		w->app = app;
		w->id = i;
		w->ip_id = (uint16_t)i;
		w->lcore = lcore;
		w->tx_pool = tx_pool;
		w->indirect_pool = ind_pool;
		if (sr_arena_init(&w->arena, PRESCAN_ARENA) != 0 ||
		    sr_net_reasm_init(&w->reasm, c->reasm_flows, c->reasm_timeout_ms, socket) != 0) {
			fprintf(stderr, "sipreg: worker %u: cannot allocate arena or reassembly table "
					"(net.reasm_flows)\n", i);
			return -1;
		}
		const char *err = NULL;
		struct sr_reg_params sp = { .cfg = &c->reg, .shard_id = i, .now_ms = now_ms,
					      .on_event = sr_worker_on_event, .event_ctx = w,
					      .room = { sr_persist_claim, sr_persist_release_room, w },
					      .retraction = c->persistence && c->durability == SR_DURABILITY_SYNC,
					      .retraction_replica = sr_repl_enabled(&c->repl) &&
								    c->repl.durability == SR_REPL_SYNC,
					      .owns = sr_worker_owns, .owns_ctx = w };
		sr_worker_mid_hooks(w, &sp);
		if (sr_app_auth_worker(app, w, &sp.auth) != 0 ||
		    sr_admission_worker(app, w, &sp.policy) != 0)
			return -1;
		w->shard = sr_reg_create(&sp, &err);
		if (w->shard == NULL) {
			fprintf(stderr, "sipreg: worker %u: shard: %s\n", i, err ? err : "failed");
			return -1;
		}
		if (sr_worker_neigh_create(w) != 0 || sr_worker_push_create(w, now_ms) != 0 || sr_worker_route_create(w, now_ms) != 0 ||
		    sr_worker_nat_create(w, now_ms) != 0 || sr_worker_mid_create(w, now_ms) != 0)
			return -1;
		i++;
	}
	sr_app_deal_buckets(app);
	return 0;
}

static void teardown(struct sr_app *app, struct sr_control *control)
{
	for (uint16_t p = 0; p < app->n_ports; p++)
		sr_net_port_stop(p);
	unsigned dropped = sr_net_mesh_free(&app->mesh);
	if (dropped)
		printf("sipreg: %u queued datagrams dropped at shutdown\n", dropped);
	sr_metrics_stop();
	sr_control_fini(control);
	sr_persist_fini(app);
	sr_replicate_fini(app); /* after persistence's last commit, which it replicates */
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct sr_worker *w = app->w[i];
		if (w == NULL)
			continue;
		sr_worker_route_free(w);
		sr_worker_mid_free(w);
		sr_worker_nat_free(w);
		sr_worker_push_free(w);
		sr_worker_neigh_free(w);
		if (w->shard)
			sr_reg_free(w->shard);
		w->shard = NULL;
		sr_net_reasm_free(&w->reasm);
		sr_arena_fini(&w->arena);
	}
	sr_app_auth_fini(app);
	sr_admission_fini(app);
}

int main(int argc, char **argv)
{
	struct sr_app *app = &g_app;
	struct sr_control *control = NULL;
	static char eal_store[4096];
	char *eal[MAX_EAL_ARGS];
	int rc = sr_app_config_load(&app->cfg, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	int eal_argc = eal_argv(&app->cfg, eal_store, sizeof(eal_store), eal);
	if (eal_argc < 0)
		return 2;
	if (app->cfg.check_only) {
		if (sr_admission_check(&app->cfg) != 0)
			return 2;
		printf("sipreg: configuration OK; EAL arguments:");
		for (int i = 1; i < eal_argc; i++)
			printf(" %s", eal[i]);
		printf("\n");
		return 0;
	}
	if (rte_eal_init(eal_argc, eal) < 0) {
		fprintf(stderr, "sipreg: EAL initialisation failed: %s (eal.* keys)\n", rte_strerror(rte_errno));
		return 1;
	}
	if (app->cfg.eal_prefault)
		sr_eal_prefault_start(); /* before any table fills: no page faults in the data plane */

	unsigned workers = rte_lcore_count() - 1;
	if (workers == 0 || workers > SR_NET_MAX_WORKERS) {
		fprintf(stderr, "sipreg: eal.lcores: need 1 to %d worker lcores besides the main one, got %u\n",
			SR_NET_MAX_WORKERS, workers);
		goto fail;
	}
	if (app->cfg.workers && app->cfg.workers != workers) {
		fprintf(stderr, "sipreg: workers.count: %u, but the EAL lcores give %u workers (eal.lcores)\n",
			app->cfg.workers, workers);
		goto fail;
	}
	app->n_workers = workers;
	sr_clock_init(&app->clock);

	const struct sr_app_config *c = &app->cfg;
	app->meta_off = sr_worker_meta_register();
	if (app->meta_off < 0) {
		fprintf(stderr, "sipreg: cannot register the mbuf dynamic field: %s\n", rte_strerror(rte_errno));
		goto fail;
	}
	unsigned n_ports = rte_eth_dev_count_avail();
	struct rte_mempool *rx_pool = pool("sr_rx", sr_pool_rx_mbufs(c, workers, n_ports), (uint16_t)c->rx_data_room,
						sizeof(struct sr_reg_carry)); /* the pre-scan's carry (worker.c) */
	struct rte_mempool *tx_pool = pool("sr_tx", sr_pool_tx_mbufs(c, workers, n_ports), TX_DATA_ROOM, 0);
	struct rte_mempool *ind_pool = pool("sr_indirect", workers * 1024 + 1024, 0, 0);
	if (rx_pool == NULL || tx_pool == NULL || ind_pool == NULL)
		goto fail;

	if (setup_ports(app, rx_pool) != 0)
		goto fail;
	if (sr_net_mesh_create(&app->mesh, workers, c->ring_size) != 0) {
		fprintf(stderr, "sipreg: workers.ring_size: cannot create the worker rings\n");
		goto fail;
	}
	if (sr_app_auth_init(app) != 0 || sr_admission_init(app) != 0 ||
	    setup_workers(app, tx_pool, ind_pool) != 0)
		goto fail;
	if (sr_persist_init(app) != 0) /* restores the shards before any worker runs */
		goto fail;
	if (sr_worker_mid_restore(app, sr_clock_ms(&app->clock, rte_get_tsc_cycles())) != 0) /* after the bindings */
		goto fail;
	if (sr_replicate_init(app) != 0) /* a standby until Redis says otherwise */
		goto fail;
	if (!(control = sr_control_init(app)))
		goto fail;
	if (sr_metrics_start(app) != 0)
		goto fail;

	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &c->ip, ip, sizeof(ip));
	printf("sipreg: %u workers, %u served domains; answering SIP on %s:%u/udp; "
	       "telemetry: dpdk-telemetry.py -f %s\n",
	       workers, c->reg.n_domains, ip, c->sip_port, c->eal_file_prefix);
	printf("sipreg: ready\n");
	fflush(stdout);

	for (unsigned i = 0; i < workers; i++)
		rte_eal_remote_launch(sr_worker_main, app->w[i], app->w[i]->lcore);
	sr_control_run(control);
	rte_eal_mp_wait_lcore();

	printf("sipreg: stopping\n");
	teardown(app, control);
	rte_eal_cleanup();
	return 0;
fail:
	__atomic_store_n(&app->stop, 1, __ATOMIC_RELAXED);
	teardown(app, control);
	rte_eal_cleanup();
	return 1;
}
