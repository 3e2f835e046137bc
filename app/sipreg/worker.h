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

/* An mbuf for a SIP datagram and the room for SIP bytes behind its 42 bytes of headers; NULL when none. */
struct rte_mbuf *sr_worker_sip_mbuf(struct sr_worker *w, char **out, size_t *cap);
/* Queues a SIP frame (headers written, r->port set) for the tx burst, fragmented above the MTU. */
void sr_worker_tx_sip(struct sr_worker *w, struct rte_mbuf *r);

/* The binding-event callback given to sr_reg_create (ctx = struct sr_worker). */
void sr_worker_on_event(void *ctx, const struct sr_loc_event *ev);

#endif
