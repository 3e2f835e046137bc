/*
 * rf_track.c - matching and accounting of one sender thread (see rf_track.h).
 *
 * Verdicts: a response is OK when its Call-ID names an AoR of this thread and this
 * run, that AoR has a request outstanding with the same CSeq, and the status is 200.
 * Same request but another status: BAD_STATUS. The answer to a request that already
 * timed out: LATE. Anything else (foreign run or AoR, no request outstanding, an older
 * CSeq, a duplicate, unreadable bytes): UNEXPECTED. Every verdict but OK is a failure,
 * and CHALLENGED, which is the first half of a digest flow (rf_track.h).
 */
#include "rf_track.h"

#include <stdlib.h>
#include <string.h>

int sr_rf_track_init(struct sr_rf_track *t, uint32_t thread, uint32_t nthreads, uint32_t first_aor, uint32_t n_aors,
		     uint32_t run, uint64_t timeout_ns, uint32_t fifo_min)
{
	memset(t, 0, sizeof *t);
	if (nthreads == 0 || thread >= nthreads || n_aors == 0 || timeout_ns == 0 || fifo_min == 0 ||
	    fifo_min > (1u << 30) || (uint64_t)first_aor + n_aors > UINT32_MAX)
		return -1;
	t->thread = thread;
	t->nthreads = nthreads;
	t->first_aor = first_aor;
	t->n_local = n_aors / nthreads + (thread < n_aors % nthreads ? 1 : 0);
	t->run = run;
	t->timeout_ns = timeout_ns;
	uint32_t cap = 1;
	while (cap < fifo_min)
		cap <<= 1;
	t->fifo_mask = cap - 1;
	t->slots = calloc(t->n_local ? t->n_local : 1, sizeof *t->slots);
	t->fifo = calloc(cap, sizeof *t->fifo);
	if (!t->slots || !t->fifo) {
		sr_rf_track_free(t);
		return -1;
	}
	return 0;
}

void sr_rf_track_free(struct sr_rf_track *t)
{
	free(t->slots);
	free(t->fifo);
	t->slots = NULL;
	t->fifo = NULL;
}

uint32_t sr_rf_track_aor(const struct sr_rf_track *t, uint32_t local)
{
	return t->first_aor + local * t->nthreads + t->thread;
}

int64_t sr_rf_track_local(const struct sr_rf_track *t, uint32_t aor)
{
	if (aor < t->first_aor)
		return -1;
	uint32_t off = aor - t->first_aor;
	if (off % t->nthreads != t->thread || off / t->nthreads >= t->n_local)
		return -1;
	return off / t->nthreads;
}

int sr_rf_track_send(struct sr_rf_track *t, uint32_t local, enum sr_rf_op op, uint64_t now, struct sr_rf_req *out)
{
	struct sr_rf_slot *s = &t->slots[local];
	if (s->pending)
		return -1;
	if (t->fifo_tail - t->fifo_head > t->fifo_mask) {
		if (op == SR_RF_OP_AUTH)
			t->st.send_errors++;
		return -2;
	}
	s->cseq++;
	s->pending = 1;
	s->op = (uint8_t)op;
	s->sent_ns = now;
	if (op != SR_RF_OP_AUTH)
		s->flow_ns = now;
	t->fifo[t->fifo_tail++ & t->fifo_mask] = (struct sr_rf_fifo_ent){now, local, s->cseq};
	t->outstanding++;
	t->st.sent++;
	t->st.sent_op[op]++;
	*out = (struct sr_rf_req){.op = op, .aor = sr_rf_track_aor(t, local), .cseq = s->cseq};
	return 0;
}

void sr_rf_track_send_failed(struct sr_rf_track *t, uint32_t local)
{
	struct sr_rf_slot *s = &t->slots[local];
	if (!s->pending)
		return;
	s->pending = 0;
	t->outstanding--;
	t->st.sent--;
	t->st.sent_op[s->op]--;
	t->st.send_errors++;
}

enum sr_rf_verdict sr_rf_track_response(struct sr_rf_track *t, const struct sr_rf_resp *r, uint64_t now)
{
	int64_t local = r && r->run == t->run ? sr_rf_track_local(t, r->aor) : -1;
	if (local < 0) {
		t->st.unexpected++;
		return SR_RF_UNEXPECTED;
	}
	struct sr_rf_slot *s = &t->slots[local];
	if (!s->pending || r->cseq != s->cseq) {
		if (r->cseq != 0 && r->cseq == s->timeout_cseq) {
			s->timeout_cseq = 0; /* a second copy is unexpected */
			t->st.late++;
			return SR_RF_LATE;
		}
		t->st.unexpected++;
		return SR_RF_UNEXPECTED;
	}
	if (r->status >= 100 && r->status < 200)
		return SR_RF_OK; /* provisional: the request stays outstanding (not counted) */
	s->pending = 0;
	t->outstanding--;
	bool first = s->op != SR_RF_OP_AUTH; /* the flow's first request (NEW, REFRESH, ...) */
	if (t->expect_challenge && first && r->status == 401) {
		if (!r->challenge) {
			t->st.bad_challenge++;
			return SR_RF_BAD_CHALLENGE;
		}
		t->st.challenged++;
		sr_rf_hist_record(&t->st.lat_challenge, now >= s->sent_ns ? now - s->sent_ns : 0);
		return SR_RF_CHALLENGED;
	}
	if (r->status != 200 || (t->expect_challenge && first)) {
		t->st.bad_status++;
		t->st.last_bad_status = r->status;
		return SR_RF_BAD_STATUS;
	}
	t->st.ok++;
	sr_rf_hist_record(&t->st.lat, now >= s->flow_ns ? now - s->flow_ns : 0);
	if (s->op == SR_RF_OP_DEREG) {
		s->registered = 0;
		s->removed = 1;
	} else if (s->op != SR_RF_OP_FETCH) {
		s->registered = 1;
	}
	return SR_RF_OK;
}

uint32_t sr_rf_track_expire(struct sr_rf_track *t, uint64_t now)
{
	uint32_t n = 0;
	while (t->fifo_head != t->fifo_tail) {
		const struct sr_rf_fifo_ent *e = &t->fifo[t->fifo_head & t->fifo_mask];
		struct sr_rf_slot *s = &t->slots[e->local];
		bool live = s->pending && s->cseq == e->cseq;
		if (live && now - e->sent_ns < t->timeout_ns)
			break;
		t->fifo_head++;
		if (live) {
			s->pending = 0;
			s->timeout_cseq = e->cseq;
			t->outstanding--;
			t->st.timeouts++;
			n++;
		}
	}
	return n;
}

void sr_rf_stats_merge(struct sr_rf_stats *dst, const struct sr_rf_stats *src)
{
	dst->sent += src->sent;
	dst->ok += src->ok;
	dst->bad_status += src->bad_status;
	dst->unexpected += src->unexpected;
	dst->late += src->late;
	dst->timeouts += src->timeouts;
	dst->send_errors += src->send_errors;
	dst->challenged += src->challenged;
	dst->bad_challenge += src->bad_challenge;
	for (int i = 0; i < SR_RF_OP_COUNT; i++)
		dst->sent_op[i] += src->sent_op[i];
	if (src->last_bad_status)
		dst->last_bad_status = src->last_bad_status;
	sr_rf_hist_merge(&dst->lat, &src->lat);
	sr_rf_hist_merge(&dst->lat_challenge, &src->lat_challenge);
}

uint64_t sr_rf_stats_failures(const struct sr_rf_stats *s)
{
	return s->bad_status + s->unexpected + s->late + s->timeouts + s->send_errors + s->bad_challenge;
}

uint64_t sr_rf_stats_started(const struct sr_rf_stats *s)
{
	return s->sent - s->sent_op[SR_RF_OP_AUTH];
}
