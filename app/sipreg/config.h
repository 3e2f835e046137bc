/*
 * config.h - sipreg's configuration: one INI file plus command-line overrides.
 *
 * Every key is "section.key" and can be set in the file ([section] key = v)
 * or on the command line (--set section.key=v, applied after the file, in
 * order). All keys live in one table in config.c, which also prints them
 * for --help, so a key cannot exist in one place and not the other. Any
 * unknown key or bad value is refused with a message naming the key.
 */
#ifndef SR_APP_CONFIG_H
#define SR_APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "midreg.h"
#include "net_flood.h"
#include "push.h"
#include "reg_config.h"
#include "repl_config.h"

enum sr_flood_action { SR_FLOOD_DROP, SR_FLOOD_503 };

/* registrar.role: the final registrar (today's behaviour) or a mid-registrar in front of one ([mid]). */
enum sr_reg_role { SR_ROLE_FINAL, SR_ROLE_MID };

/* async: answer at once (a crash loses at most one flush); sync: hold each answer until committed. */
enum sr_durability { SR_DURABILITY_ASYNC, SR_DURABILITY_SYNC };

struct sr_app_config {
	/* [eal] */
	char eal_args[1024];      /* extra EAL arguments, split on blanks */
	char eal_lcores[256];     /* --lcores value; empty: one lcore per worker plus control, generated */
	bool eal_prefault;        /* --no-huge: every page of EAL memory touched at start (eal_prefault.c) */
	char eal_file_prefix[64]; /* --file-prefix (each instance needs its own) */
	/* [port] */
	char port_vdev[256];      /* a virtual device (af_packet in development); empty: probed NICs */
	uint32_t rx_desc, tx_desc;
	uint32_t mbufs;           /* mbufs in the receive pool; 0: sized from queues and rings */
	uint32_t rx_data_room;    /* bytes of frame one receive mbuf holds */
	/* [net] */
	uint32_t ip;              /* network byte order */
	uint32_t sip_port;
	bool symmetric_responses; /* always answer to the source port (as if every Via had rport) */
	int udp_checksum;         /* enum sr_net_udp_csum */
	uint32_t reasm_flows;     /* datagrams in reassembly at once, per worker */
	uint32_t reasm_timeout_ms;
	uint32_t prefix_len;      /* our subnet (on-link addresses are resolved by ARP; worker_neigh.c) */
	uint32_t gateway;         /* next hop for other addresses, network byte order; 0: none */
	uint32_t neighbours;      /* neighbour table entries per worker */
	/* [workers] */
	uint32_t workers;         /* 0: every worker lcore the EAL gives us */
	uint32_t burst;
	uint32_t ring_size;
	uint32_t expire_budget;   /* bindings expired per loop at most */
	uint32_t idle_sleep_us;   /* sleep this long after an empty poll (0: pure busy polling) */
	/* [control] */
	char ctl_socket[256];     /* control socket path; empty: <EAL runtime dir>/sipreg_ctl.sock */
	char data_dir[256];       /* persistence directory (LMDB environment) */
	bool persistence;         /* keep bindings in data_dir and restore them at start */
	unsigned durability;      /* enum sr_durability */
	uint32_t flush_ms;        /* a batch of binding events is committed after at most this */
	uint32_t batch_events;    /* ... or when it holds this many */
	uint32_t event_ring;      /* event slots per worker */
	uint32_t event_slot_bytes;/* bytes of one event slot (a larger record takes a malloc'd buffer) */
	uint64_t map_size;        /* LMDB map size (address space; the file grows as used) */
	char metrics[64];         /* Prometheus HTTP address IPv4:port; empty: off */
	uint32_t query_timeout_ms;
	/* [registrar] */
	struct sr_reg_config reg;
	bool secret_set;
	unsigned role;            /* enum sr_reg_role */
	/* [mid]: the mid-registrar (worker_mid.c; docs/MID_REGISTRAR.md) */
	struct sr_midreg_options mid;
	/* [auth] */
	struct sr_auth_config auth;
	/* [policy] */
	char policy_rules[256];   /* operator rules file (lib/policy); empty: no policy */
	/* [flood] */
	struct sr_flood_params flood; /* per-source token buckets and auth-failure blocking */
	unsigned flood_action;    /* enum sr_flood_action */
	/* [push] */
	struct sr_push_config push; /* RFC 8599 decisions (lib/push) and the gateway client (lib/ctl/ctl_pushgw.h) */
	/* [replication] (lib/replication; validated, not yet acted on) */
	struct sr_repl_config repl;
	/* [routing] (lib/routing; wired by worker_route.c) */
	struct {
		unsigned mode;           /* enum sr_route_mode: off, redirect, proxy */
		bool record_route;       /* stay on the path of in-dialog requests */
		uint32_t transactions;   /* transaction slots per worker (server and client) */
		uint32_t contexts;       /* proxy contexts per worker */
		uint32_t buffer_bytes;   /* bytes of each kept-message buffer (one per transaction) */
		uint32_t large_buffers;  /* 64 KiB buffers per worker for the rare larger message */
		char user_agent_filter[256]; /* hyperscan pattern; empty: no filter (route_ua.c) */
		uint64_t secret[2];      /* keys branches and Record-Route tokens; random at start, shared by workers */
	} routing;
	/* [nat] keepalives from the registrar side (lib/location/nat_ping.h; wired by worker_nat.c) */
	struct {
		uint32_t ping_interval;  /* seconds between pings of a contact behind NAT; 0: off */
		uint32_t ping_timeout;   /* seconds of silence after which it is removed; 0: never */
	} nat;
	bool check_only;          /* --check: validate, print the EAL arguments, exit */
};

/* net.prefix_len as a mask, network byte order. */
uint32_t sr_app_config_netmask(const struct sr_app_config *c);

/*
 * Parses argv (--config FILE, --set k=v, --help, --version) into c.
 * Returns 0 to run, 1 when --help/--version was handled (exit 0), -1 on
 * error after printing a message to stderr (exit 2).
 */
int sr_app_config_load(struct sr_app_config *c, int argc, char **argv);

/* Sets one key; returns NULL or a message (in err) naming the key and the problem. */
const char *sr_app_config_set(struct sr_app_config *c, const char *section, const char *key,
			      const char *value, char *err, size_t err_len);

#endif
