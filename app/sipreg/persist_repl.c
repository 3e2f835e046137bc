/*
 * persist_repl.c - sync durability with replication: a held 200 goes
 * only once its change is in the node's store AND settled durable in
 * Redis (replication.durability=sync, which needs control.durability=sync).
 *
 * Design decisions:
 * - The same hold as the store's sync mode (persist.c): the workers hold
 *   each change's 200 and its retraction behind the change's event number
 *   and send one of them once the control core publishes that number as
 *   decided. Here the control core publishes a batch's events as decided
 *   only after lib/replication settles the batch's changes; so the hold
 *   machinery, the retraction and their tests stay one.
 * - A batch that Redis does not take (its changes settled not durable, or
 *   refused at once because the node is not the active or Redis is
 *   unavailable: sr_repl_add's 0) fails as a whole: every event it carried
 *   is noted failed with the replica as the cause, and each held 200 is
 *   replaced by its replica retraction (a 503 with Retry-After, written by
 *   the registrar with the 200: the node is fine, the shared store is not;
 *   counted in sipreg_persist_retracted_total and
 *   sipreg_persist_retracted_replica_total). A failure of the node's own
 *   disk keeps its 500 (persist.c's fail_batch notes it with its cause). The change stays in the
 *   node's store and memory, where it is harmless: it was not
 *   acknowledged, and the UA's retry refreshes it.
 * - Batches are queued in commit order and released in that order, so a
 *   worker's watermark never passes an event still waiting for Redis.
 *   When Redis becomes unavailable (sr_repl_available false: away,
 *   resynchronising, backlog full), every batch still waiting fails at
 *   once rather than blocking the ones behind it until Redis returns: a
 *   change that later reaches Redis anyway was merely not acknowledged,
 *   which is always safe.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "persist_internal.h"
#include "replicate.h"

void persist_repl_batch(struct sr_persist *p, unsigned n_workers, bool committed)
{
	struct repl_wait *r = calloc(1, sizeof(*r));
	if (!r) {
		/* cannot wait for Redis: fail the batch rather than acknowledge it unreplicated */
		for (unsigned i = 0; i < n_workers; i++) {
			struct persist_worker *pw = &p->w[i];
			if (pw->last_seq > pw->decided_seq)
				sr_ctl_verdict_note(&pw->verdict, pw->decided_seq + 1, pw->last_seq);
		}
		fprintf(stderr, "sipreg: replication: out of memory: a batch is answered 500\n");
		return;
	}
	if (committed && sr_replicate_committed(p->app, &p->batch, &r->first, &r->last) > 0)
		r->failed = true;
	for (unsigned i = 0; i < n_workers; i++)
		r->last_seq[i] = p->w[i].last_seq;
	*p->repl_tail = r;
	p->repl_tail = &r->next;
}

void persist_repl_decide(struct sr_persist *p, unsigned n_workers)
{
	struct repl_wait *r;
	/* Redis away (or resynchronising): what waits for it is answered now, not when it returns */
	bool give_up = p->repl_head && !sr_replicate_available(p->app);
	while ((r = p->repl_head) != NULL) {
		bool durable = true;
		if (r->last && !sr_replicate_settled(p->app, r->first, r->last, &durable)) {
			if (!give_up)
				break;
			durable = false;
		}
		for (unsigned i = 0; i < n_workers; i++) {
			struct persist_worker *pw = &p->w[i];
			if ((r->failed || !durable) && r->last_seq[i] > pw->decided_seq &&
			    sr_ctl_verdict_note_cause(&pw->verdict, pw->decided_seq + 1, r->last_seq[i],
						      SR_CTL_FAIL_REPLICA) != 0)
				fprintf(stderr, "sipreg: persistence: out of memory noting failed events\n");
			if (r->last_seq[i] > pw->decided_seq)
				pw->decided_seq = r->last_seq[i];
		}
		if (!(p->repl_head = r->next))
			p->repl_tail = &p->repl_head;
		free(r);
	}
	if (!p->repl_head) /* nothing waits: what was drained without a batch (markers, drops) is decided too */
		for (unsigned i = 0; i < n_workers; i++)
			p->w[i].decided_seq = p->w[i].last_seq;
}

void persist_repl_fini(struct sr_persist *p)
{
	while (p->repl_head) {
		struct repl_wait *r = p->repl_head;
		p->repl_head = r->next;
		free(r);
	}
	p->repl_tail = &p->repl_head;
}

uint64_t persist_repl_queued_seq(const struct sr_persist *p, unsigned i)
{
	if (!p->repl_sync || !p->repl_head)
		return p->w[i].decided_seq;
	const struct repl_wait *tail = (const struct repl_wait *)((const char *)p->repl_tail -
								  offsetof(struct repl_wait, next));
	return tail->last_seq[i];
}
