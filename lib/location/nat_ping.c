/*
 * nat_ping.c - NAT keepalives from the registrar side (see nat_ping.h).
 *
 * The OPTIONS is written by hand with a bounded appender: it is a fixed
 * shape (Request-URI = the contact, To = the AoR, branch, Call-ID and From
 * tag from the branch) and the cost per ping matters at 333,000 pings/s
 * (bench/nat).
 */
#include "nat_ping.h"

#include <stdlib.h>
#include <string.h>

#include "keepalive.h"
#include "siphash.h"

#define BRANCH_PREFIX "z9hG4bKsn"
#define BRANCH_PREFIX_LEN 9
#define WALK_STEP 32   /* AoRs per table walk call: removals are applied between calls */
#define DEAD_MAX 64    /* removals gathered by one walk call (more wait for the next round) */
#define PING_MAX 2048  /* the OPTIONS buffer: a contact URI over ~1.7 KB is not pinged */
#define SELF_MAX 64

struct dead {
	uint64_t aor_hash, id;
};

struct sr_nat_ping {
	struct sr_nat_ping_config cfg;
	char self[SELF_MAX];
	struct sr_siphash_key key;
	sr_nat_send_fn *send;
	void *send_ctx;
	uint32_t seq;             /* pings written (each branch is a new transaction) */
	uint32_t limit;           /* unanswered pings that mean ping_timeout of silence; 0: never remove */
	uint64_t interval_ms;
	uint64_t round_start_ms;
	uint64_t round_aors;      /* AoRs when the round began: the rate's numerator */
	uint64_t visited;         /* AoRs visited this round */
	uint32_t cursor;
	bool round_done;
	bool first;               /* no round yet: the first began at creation, its AoRs are counted at the first call */
	/* the walk in progress */
	struct sr_loc *loc;
	uint32_t now_s;
	struct dead dead[DEAD_MAX];
	unsigned n_dead;
	struct sr_nat_ping_stats st;
	char buf[PING_MAX];
};

/*
 * --- the branch: prefix, worker (2 hex), AoR hash (16), binding id (16),
 * ping number (8), MAC (12). The ping number makes each ping a new
 * transaction (RFC 3261 17.2.3): the same branch again would be taken for a
 * retransmission of the last ping and absorbed, not answered. ---
 */

static const char hexd[] = "0123456789abcdef";

static void put_hex(char *out, uint64_t v, unsigned digits)
{
	for (unsigned i = digits; i-- > 0; v >>= 4)
		out[i] = hexd[v & 15];
}

static bool get_hex(const char *p, unsigned digits, uint64_t *v)
{
	return sr_str_hex_lower(sr_str_make(p, digits), v);
}

#define AT_WORKER 9
#define AT_HASH 11
#define AT_ID 27
#define AT_SEQ 43
#define AT_MAC 51

static uint64_t branch_mac(const struct sr_nat_ping *np, uint64_t worker, uint64_t aor_hash, uint64_t id, uint64_t seq)
{
	uint64_t w[4] = { worker, aor_hash, id, seq };
	return sr_siphash(&np->key, w, sizeof(w)) & 0xffffffffffffull;
}

static void write_branch(struct sr_nat_ping *np, uint64_t aor_hash, uint64_t id, char out[SR_NAT_BRANCH_LEN])
{
	uint32_t seq = ++np->seq;
	memcpy(out, BRANCH_PREFIX, BRANCH_PREFIX_LEN);
	put_hex(out + AT_WORKER, np->cfg.worker, 2);
	put_hex(out + AT_HASH, aor_hash, 16);
	put_hex(out + AT_ID, id, 16);
	put_hex(out + AT_SEQ, seq, 8);
	put_hex(out + AT_MAC, branch_mac(np, np->cfg.worker, aor_hash, id, seq), 12);
}

bool sr_nat_ping_branch_owner(struct sr_str branch, unsigned *worker)
{
	uint64_t w;
	if (branch.len != SR_NAT_BRANCH_LEN || memcmp(branch.p, BRANCH_PREFIX, BRANCH_PREFIX_LEN) != 0 ||
	    !get_hex(branch.p + AT_WORKER, 2, &w))
		return false;
	*worker = (unsigned)w;
	return true;
}

/* --- the OPTIONS --- */

struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}
#define PUT_LIT(o, s) put((o), (s), sizeof(s) - 1)

static size_t options(struct sr_nat_ping *np, struct sr_str aor, uint64_t aor_hash, const struct sr_binding *b,
		      char *buf, size_t cap)
{
	char br[SR_NAT_BRANCH_LEN];
	write_branch(np, aor_hash, b->id, br);
	struct sr_str contact = sr_binding_field(b, SR_BF_CONTACT);
	struct sr_str self = sr_str_cstr(np->self);
	struct out o = { buf, 0, cap, false };
	PUT_LIT(&o, "OPTIONS ");
	put(&o, contact.p, contact.len);
	PUT_LIT(&o, " SIP/2.0\r\nVia: SIP/2.0/UDP ");
	put(&o, self.p, self.len);
	PUT_LIT(&o, ";branch=");
	put(&o, br, sizeof(br));
	PUT_LIT(&o, ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:");
	put(&o, self.p, self.len);
	PUT_LIT(&o, ">;tag=");
	put(&o, br + AT_MAC, 12); /* the MAC: unique enough per ping, and no second random number */
	PUT_LIT(&o, "\r\nTo: <");
	put(&o, aor.p, aor.len);
	PUT_LIT(&o, ">\r\nCall-ID: ");
	put(&o, br + BRANCH_PREFIX_LEN, SR_NAT_BRANCH_LEN - BRANCH_PREFIX_LEN);
	PUT_LIT(&o, "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	return o.overflow ? 0 : o.len;
}

size_t sr_nat_ping_options(struct sr_nat_ping *np, struct sr_loc *loc, const struct sr_aor *a,
			   const struct sr_binding *b, char *out, size_t cap)
{
	struct sr_str aor = sr_aor_name(a);
	return options(np, aor, sr_loc_aor_hash(loc, aor), b, out, cap);
}

/* --- the schedule --- */

static void visit(void *ctx, const struct sr_aor *a, const struct sr_binding *b)
{
	struct sr_nat_ping *np = ctx;
	if (!(b->flags & (SR_BFLAG_NAT | SR_BFLAG_OUTBOUND)) || b->len[SR_BF_PATH] || !b->src_ip || !b->src_port ||
	    sr_binding_expires(b) <= np->now_s)
		return;
	uint16_t port = b->src_port;
	if (b->flags & SR_BFLAG_OUTBOUND) { /* RFC 5626 section 4.4.1: the double CRLF keepalive */
		np->send(np->send_ctx, b->src_ip, port, "\r\n\r\n", 4);
		np->st.sent++;
		np->st.crlf++;
		return;
	}
	struct sr_str aor = sr_aor_name(a);
	uint64_t h = sr_loc_aor_hash(np->loc, aor);
	if (np->limit && sr_loc_ka_missed(b) >= np->limit) {
		if (np->n_dead < DEAD_MAX)
			np->dead[np->n_dead++] = (struct dead){ h, b->id };
		return;
	}
	size_t len = options(np, aor, h, b, np->buf, sizeof(np->buf));
	if (len == 0)
		return; /* a contact too long to ping; it is still removed by its expiry */
	np->send(np->send_ctx, b->src_ip, port, np->buf, len);
	sr_loc_ka_pinged(np->loc, b);
	np->st.sent++;
}

/* The silent bindings the last walk call found leave through the store. */
static void bury(struct sr_nat_ping *np)
{
	for (unsigned i = 0; i < np->n_dead; i++)
		if (sr_loc_ka_remove(np->loc, np->dead[i].aor_hash, np->dead[i].id) == 1)
			np->st.failed++;
	np->n_dead = 0; /* refused (no room for the event): found again next round */
}

static void round_begin(struct sr_nat_ping *np, struct sr_loc *loc, uint64_t now_ms)
{
	/* keep the rhythm, unless the last round ended more than an interval late */
	if (np->first)
		; /* the first round began when the pinger was created */
	else if (now_ms - np->round_start_ms >= 2 * np->interval_ms)
		np->round_start_ms = now_ms;
	else
		np->round_start_ms += np->interval_ms;
	np->first = false;
	struct sr_loc_stats s;
	sr_loc_get_stats(loc, &s);
	np->round_aors = s.aors;
	np->visited = 0;
	np->cursor = 0;
	np->round_done = false;
}

unsigned sr_nat_ping_advance(struct sr_nat_ping *np, struct sr_loc *loc, uint64_t now_ms, unsigned budget)
{
	if (np == NULL || np->interval_ms == 0)
		return 0;
	if (np->round_done) {
		if (!np->first && now_ms < np->round_start_ms + np->interval_ms)
			return 0;
		round_begin(np, loc, now_ms);
	}
	uint64_t elapsed = now_ms > np->round_start_ms ? now_ms - np->round_start_ms : 0;
	uint64_t want;
	if (elapsed >= np->interval_ms)
		want = budget; /* the interval is over: finish the round (AoRs added since) */
	else {
		uint64_t due = np->round_aors * elapsed / np->interval_ms;
		want = due > np->visited ? due - np->visited : 0;
	}
	if (want > budget)
		want = budget;
	np->loc = loc;
	np->now_s = (uint32_t)(now_ms / 1000);
	unsigned done = 0;
	while (done < want) {
		unsigned step = want - done < WALK_STEP ? (unsigned)(want - done) : WALK_STEP;
		unsigned n = sr_loc_ka_walk(loc, &np->cursor, step, visit, np);
		bury(np);
		done += n;
		np->visited += n;
		if (np->cursor == 0) { /* walked to the end of the table */
			np->round_done = true;
			np->st.rounds++;
			break;
		}
		if (n == 0)
			break;
	}
	return done;
}

bool sr_nat_ping_answer(struct sr_nat_ping *np, struct sr_loc *loc, struct sr_str branch)
{
	uint64_t w, h, id, seq, mac;
	if (branch.len != SR_NAT_BRANCH_LEN || memcmp(branch.p, BRANCH_PREFIX, BRANCH_PREFIX_LEN) != 0 ||
	    !get_hex(branch.p + AT_WORKER, 2, &w) || !get_hex(branch.p + AT_HASH, 16, &h) ||
	    !get_hex(branch.p + AT_ID, 16, &id) || !get_hex(branch.p + AT_SEQ, 8, &seq) ||
	    !get_hex(branch.p + AT_MAC, 12, &mac) || mac != branch_mac(np, w, h, id, seq) || w != np->cfg.worker ||
	    !sr_loc_ka_answered(loc, h, id)) {
		np->st.stray++;
		return false;
	}
	np->st.answered++;
	return true;
}

const struct sr_nat_ping_stats *sr_nat_ping_stats(const struct sr_nat_ping *np)
{
	return &np->st;
}

struct sr_nat_ping *sr_nat_ping_create(const struct sr_nat_ping_config *cfg, sr_nat_send_fn *send, void *send_ctx,
				       uint64_t now_ms)
{
	if (cfg->self.len == 0 || cfg->self.len >= SELF_MAX || send == NULL ||
	    (cfg->interval_s && cfg->timeout_s > (uint64_t)cfg->interval_s * SR_NAT_MAX_MISSED))
		return NULL;
	struct sr_nat_ping *np = calloc(1, sizeof(*np));
	if (np == NULL)
		return NULL;
	np->cfg = *cfg;
	memcpy(np->self, cfg->self.p, cfg->self.len);
	np->cfg.self = sr_str_make(np->self, cfg->self.len);
	np->key = (struct sr_siphash_key){ cfg->secret[0], cfg->secret[1] };
	np->send = send;
	np->send_ctx = send_ctx;
	np->interval_ms = (uint64_t)cfg->interval_s * 1000;
	np->limit = cfg->interval_s && cfg->timeout_s ? (cfg->timeout_s + cfg->interval_s - 1) / cfg->interval_s : 0;
	np->round_start_ms = now_ms;
	np->round_done = true;
	np->first = true;
	return np;
}

void sr_nat_ping_free(struct sr_nat_ping *np)
{
	free(np);
}
