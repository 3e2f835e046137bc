/*
 * worker.h - the per-lcore poll loop (worker.c) and the AoR query it answers.
 */
#ifndef SR_WORKER_H
#define SR_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "app.h"

/*
 * What travels with a SIP datagram from the worker that received it to the
 * worker that owns it, in the mbuf's dynamic field: what the owner pre-scan
 * found, so the owner resumes the parse instead of restarting it. At most
 * 24 bytes: the mbuf's dynamic area is 36 bytes and PMDs register fields of
 * their own in it (the pcap PMD's 8-byte rx timestamp leaves 24 or 28
 * contiguous bytes, and a 32-byte field failed to register beside it). The
 * source address and the SIP length are read from the IP and UDP headers,
 * whose offsets the receiving worker set once (l2_len, l3_len).
 */
struct sr_pkt_meta {
	struct sr_sip_scan scan;
};
_Static_assert(sizeof(struct sr_pkt_meta) <= 24, "struct sr_pkt_meta must fit beside other dynamic fields");

/* Registers the dynamic field (after rte_eal_init, before any packet); its offset, or -1. */
int sr_worker_meta_register(void);

/* The shard's ownership hook (ctx = struct sr_worker): the AoR's bucket is this worker's. */
bool sr_worker_owns(void *ctx, uint64_t aor_hash);

/*
 * One /sipreg/aor question, written by control, answered by the owner
 * worker. The answer is complete: every binding with every field, encoded
 * by lib/ctl/ctl_answer.h into the control core's buffer; when it does not
 * fit, len says how much is needed and control asks again.
 */
struct sr_aor_query {
	char aor[512];        /* canonical AoR */
	size_t aor_len;
	bool remove;          /* /sipreg/rm: remove first (emits removed events), then answer what is left */
	char contact[512];    /* remove only bindings with this contact URI; empty: all of the AoR */
	size_t contact_len;
	uint8_t *buf;         /* control's buffer for the answer */
	size_t cap;
	/* answer */
	unsigned removed;     /* bindings removed */
	bool busy;            /* removal refused: persistence had no room for its events (try again) */
	unsigned total;       /* bindings the AoR has */
	size_t len;           /* bytes of the answer; more than cap: nothing was written, ask with len */
	int done;             /* set (release) by the worker when the answer is complete */
};

/* rte_eal_remote_launch entry; arg is the struct sr_worker. Returns 0 after stop. */
int sr_worker_main(void *arg);

/* The binding-event callback given to sr_reg_create (ctx = struct sr_worker). */
void sr_worker_on_event(void *ctx, const struct sr_loc_event *ev);

#endif
