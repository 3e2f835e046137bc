/*
 * midreg_record.c - the upstream records: a fixed pool, two intrusive hash
 * indexes, the lapse/retry timer, and the persisted encoding.
 *
 * Design decisions:
 * - Fixed memory: 'records' slots allocated at creation, each with a text
 *   slot of max_aor_len + 64 bytes (the AoR and the UA user part kept in a
 *   ct-param URI), and bucket arrays of the next power of two. No malloc
 *   after creation; an empty pool is the caller's 503.
 * - Two indexes, chained through the slots: by contact id (calls from the
 *   main registrar's side and its 2xx name our contacts by it) and by key:
 *   (AoR, binding id) in the contact modes, the AoR in AoR throttling. In
 *   AoR throttling the key hash is SipHash under the shard secret: AoRs are
 *   chosen by remote parties. In the contact modes it is a multiplicative
 *   mix of the binding id alone (the AoR is still compared on the chain):
 *   ids are the location store's own (a counter per shard, kept across a
 *   restore), never a remote party's choice, so they cannot be aimed at one
 *   bucket, and an absorbed refresh hashes 8 bytes instead of its AoR
 *   (bench/midreg). Contact ids are random under the secret, so the
 *   contact id index needs no keyed hash either.
 * - A record of the contact modes is found by its binding id, and its AoR
 *   is then compared: ids are unique in one store, but a restart with
 *   another number of workers brings AoRs (with their ids) from several
 *   stores into one. The AoR's bytes live in the text arena, one cache miss
 *   more per refresh at scale (bench/midreg), so a record keeps the
 *   request's 64-bit AoR hash (the registrar's owner hash) once its bytes
 *   matched, and is found by the hash from then on: a wrong match would
 *   need two AoRs with one binding id in one shard and one 64-bit hash.
 * - Contact id: the top 16 bits are the owner bits the caller gives (the
 *   low 16 bits of the data plane's AoR owner hash), so a request from the
 *   main registrar's side reaches the worker that owns the AoR from the
 *   Request-URI alone; the low 48 bits are random and unique in the shard.
 * - One timer per record on a wheel of seconds: a LIVE record lapses at its
 *   upstream expiry (so upstream_live stays true without a scan), a DEREG
 *   record retries its de-REGISTER. Records hold Unix seconds, so they mean
 *   the same after a restart.
 * - Our Call-ID is one per AoR, derived from the AoR with a fixed key: a
 *   registrar compares CSeq per binding (RFC 3261 10.3 step 7), so the
 *   records of one AoR can share it, a REGISTER with several contacts has
 *   one, and it is the same after a restart with a new secret.
 */
#include "midreg_internal.h"

#include <stdlib.h>
#include <string.h>

/* A fixed key: Call-IDs must not change with the shard secret (restarts). */
static const uint64_t call_id_key[2] = { 0x6d69647265672d31ull, 0x63616c6c2d69642dull };

/*
 * The one mixer of both unkeyed indexes (contact ids, binding ids): a
 * multiply between two xor-shifts, so that the low bits the bucket mask
 * keeps depend on every bit of the id.
 */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 29);
}

static uint32_t ctid_bucket(const struct sr_midreg_shard *m, uint64_t ctid)
{
	return (uint32_t)mix64(ctid) & m->buckets_mask;
}

static uint64_t key_hash(const struct sr_midreg_shard *m, struct sr_str aor, uint64_t binding_id)
{
	if (mr_contact_mode(m))
		return mix64(binding_id); /* the location store's id, not a remote party's choice */
	return sr_txn_hash(m->cfg.txn.secret, aor.p, aor.len);
}

int mr_records_init(struct sr_midreg_shard *m)
{
	uint32_t n = m->cfg.records, buckets = 1;
	while (buckets < n)
		buckets <<= 1;
	m->buckets_mask = buckets - 1;
	m->text_slot = m->cfg.max_aor_len + MR_USER_MAX;
	m->recs = calloc(n, sizeof(*m->recs));
	m->rec_free = malloc(sizeof(uint32_t) * n);
	m->text = malloc((size_t)n * m->text_slot);
	m->by_ctid = malloc(sizeof(uint32_t) * buckets);
	m->by_key = malloc(sizeof(uint32_t) * buckets);
	if (!m->recs || !m->rec_free || !m->text || !m->by_ctid || !m->by_key)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		m->recs[i].text = m->text + (size_t)i * m->text_slot;
		m->rec_free[i] = n - 1 - i;
	}
	m->rec_free_top = n;
	memset(m->by_ctid, 0xff, sizeof(uint32_t) * buckets);
	memset(m->by_key, 0xff, sizeof(uint32_t) * buckets);
	return 0;
}

void mr_records_fini(struct sr_midreg_shard *m)
{
	free(m->recs);
	free(m->rec_free);
	free(m->text);
	free(m->by_ctid);
	free(m->by_key);
}

uint32_t mr_rec_idx(const struct sr_midreg_shard *m, const struct mr_rec *r)
{
	return (uint32_t)(r - m->recs);
}

struct mr_rec *mr_rec_at(struct sr_midreg_shard *m, uint32_t idx)
{
	return idx == MR_NIL ? NULL : &m->recs[idx];
}

struct mr_rec *mr_rec_by_ctid(struct sr_midreg_shard *m, uint64_t ctid)
{
	for (uint32_t i = m->by_ctid[ctid_bucket(m, ctid)]; i != MR_NIL; i = m->recs[i].next_ctid)
		if (m->recs[i].ctid == ctid)
			return &m->recs[i];
	return NULL;
}

struct mr_rec *mr_rec_by_key_hashed(struct sr_midreg_shard *m, struct sr_str aor, uint64_t aor_hash,
				    uint64_t binding_id)
{
	if (!mr_contact_mode(m))
		binding_id = 0;
	uint64_t h = key_hash(m, aor, binding_id);
	for (uint32_t i = m->by_key[h & m->buckets_mask]; i != MR_NIL; i = m->recs[i].next_key) {
		struct mr_rec *r = &m->recs[i];
		if (r->key_hash != h || r->binding_id != binding_id)
			continue;
		if (aor_hash && r->aor_hash == aor_hash)
			return r; /* the AoR whose bytes matched this hash before: its text (a cache miss) stays unread */
		if (sr_str_eq(mr_rec_aor(r), aor)) {
			if (aor_hash)
				r->aor_hash = aor_hash;
			return r;
		}
	}
	return NULL;
}

struct mr_rec *mr_rec_by_key(struct sr_midreg_shard *m, struct sr_str aor, uint64_t binding_id)
{
	return mr_rec_by_key_hashed(m, aor, 0, binding_id);
}

/* Removes slot idx from the chain starting at *head (linked through the member at offset 'link'). */
static void chain_remove(struct sr_midreg_shard *m, uint32_t *head, uint32_t idx, bool by_key)
{
	for (uint32_t *p = head; *p != MR_NIL; p = by_key ? &m->recs[*p].next_key : &m->recs[*p].next_ctid)
		if (*p == idx) {
			*p = by_key ? m->recs[idx].next_key : m->recs[idx].next_ctid;
			return;
		}
}

/* True when r stands for one binding whose lease it publishes (contact throttling, io.lease given). */
static bool leases(const struct sr_midreg_shard *m, const struct mr_rec *r)
{
	return m->io.lease && m->cfg.mode == SR_MIDREG_CONTACT_THROTTLING && r->in_key && r->binding_id;
}

/*
 * The lease is a copy of what mr_covered_refresh (midreg_decide.c) reads of
 * the record, kept with the binding so that the registrar decides a
 * covered refresh without looking the record up. It must never say more
 * than the record: it is withdrawn (0) when a REGISTER of the record goes
 * upstream (pending), when the record lapses or is unlinked from its
 * binding, and republished when the record turns LIVE, is linked to a
 * binding, and when a request in flight ends (release, midreg_upstream.c),
 * which follows every change an upstream answer makes. A lapse needs no
 * withdrawal to be safe: the lease ends refresh_margin before the upstream
 * registration does.
 */
void mr_rec_lease(struct sr_midreg_shard *m, const struct mr_rec *r)
{
	if (!leases(m, r))
		return;
	uint32_t margin = m->cfg.refresh_margin_s;
	bool covers = r->state == SR_MIDREG_REC_LIVE && !r->pending && r->up_expires_at > margin;
	m->io.lease(m->io_ctx, mr_rec_aor(r), r->binding_id, covers ? r->up_expires_at - margin : 0);
}

void mr_rec_unlink(struct sr_midreg_shard *m, struct mr_rec *r)
{
	if (!r->in_key)
		return;
	if (leases(m, r))
		m->io.lease(m->io_ctx, mr_rec_aor(r), r->binding_id, 0); /* no longer its binding's */
	chain_remove(m, &m->by_key[r->key_hash & m->buckets_mask], mr_rec_idx(m, r), true);
	r->in_key = false;
}

void mr_rec_link(struct sr_midreg_shard *m, struct mr_rec *r, uint64_t binding_id)
{
	mr_rec_unlink(m, r);
	r->binding_id = mr_contact_mode(m) ? binding_id : 0;
	r->key_hash = key_hash(m, mr_rec_aor(r), r->binding_id);
	uint32_t *head = &m->by_key[r->key_hash & m->buckets_mask];
	r->next_key = *head;
	*head = mr_rec_idx(m, r);
	r->in_key = true;
}

/* A fresh, unique contact id carrying the owner bits. */
static uint64_t new_ctid(struct sr_midreg_shard *m, uint16_t owner)
{
	for (;;) {
		uint64_t c = ++m->counter;
		uint64_t low = sr_txn_hash(m->cfg.txn.secret, &c, sizeof(c)) & 0xffffffffffffull;
		uint64_t ctid = (uint64_t)owner << 48 | low;
		if (low && !mr_rec_by_ctid(m, ctid))
			return ctid;
	}
}

static struct mr_rec *rec_take(struct sr_midreg_shard *m, struct sr_str aor, struct sr_str user)
{
	if (m->rec_free_top == 0 || aor.len > m->cfg.max_aor_len || aor.len == 0)
		return NULL;
	struct mr_rec *r = &m->recs[m->rec_free[--m->rec_free_top]];
	char *text = r->text;
	memset(r, 0, sizeof(*r));
	r->text = text;
	sr_tw_node_init(&r->timer);
	memcpy(r->text, aor.p, aor.len);
	r->aor_len = (uint16_t)aor.len;
	if (user.len && user.len <= MR_USER_MAX) { /* a longer user part is left out of our URI */
		memcpy(r->text + aor.len, user.p, user.len);
		r->user_len = (uint8_t)user.len;
	}
	r->mode = (uint8_t)m->cfg.mode;
	m->stats.records++;
	return r;
}

static void ctid_link(struct sr_midreg_shard *m, struct mr_rec *r)
{
	uint32_t *head = &m->by_ctid[ctid_bucket(m, r->ctid)];
	r->next_ctid = *head;
	*head = mr_rec_idx(m, r);
}

struct mr_rec *mr_rec_new(struct sr_midreg_shard *m, struct sr_str aor, uint16_t owner, struct sr_str user)
{
	struct mr_rec *r = rec_take(m, aor, user);
	if (!r)
		return NULL;
	r->state = SR_MIDREG_REC_NEW;
	r->ctid = new_ctid(m, owner);
	ctid_link(m, r);
	return r;
}

void mr_rec_free(struct sr_midreg_shard *m, struct mr_rec *r)
{
	if (m->io.record)
		m->io.record(m->io_ctx, SR_MIDREG_REC_DEL, mr_rec_aor(r), r->ctid, NULL, 0);
	mr_rec_unlink(m, r);
	chain_remove(m, &m->by_ctid[ctid_bucket(m, r->ctid)], mr_rec_idx(m, r), false);
	sr_tw_cancel(&m->wheel, &r->timer);
	if (r->counted_live)
		m->stats.upstream_live--;
	r->state = 0;
	m->stats.records--;
	m->rec_free[m->rec_free_top++] = mr_rec_idx(m, r);
}

void mr_rec_arm(struct sr_midreg_shard *m, struct mr_rec *r, uint32_t at)
{
	sr_tw_arm(&m->wheel, &r->timer, at);
}

void mr_rec_set_live(struct sr_midreg_shard *m, struct mr_rec *r, uint32_t up_expires_at)
{
	r->state = SR_MIDREG_REC_LIVE;
	r->up_expires_at = up_expires_at;
	if (!r->counted_live) {
		r->counted_live = true;
		m->stats.upstream_live++;
	}
	mr_rec_arm(m, r, up_expires_at);
	mr_rec_lease(m, r);
}

void mr_rec_set_lapsed(struct sr_midreg_shard *m, struct mr_rec *r)
{
	r->state = SR_MIDREG_REC_LAPSED;
	if (r->counted_live) {
		r->counted_live = false;
		m->stats.upstream_live--;
	}
	sr_tw_cancel(&m->wheel, &r->timer);
	mr_rec_lease(m, r);
}

static void rec_export(const struct mr_rec *r, struct sr_midreg_record *out)
{
	*out = (struct sr_midreg_record){
		.ctid = r->ctid,
		.binding_id = r->binding_id,
		.up_expires_at = r->up_expires_at,
		.up_refreshed_at = r->up_refreshed_at,
		.cseq = r->cseq,
		.retry_at = r->retry_at,
		.mode = r->mode,
		.state = r->state,
		.attempts = r->attempts,
		.aor = mr_rec_aor(r),
		.user = mr_rec_user(r),
	};
}

void mr_rec_persist(struct sr_midreg_shard *m, const struct mr_rec *r)
{
	if (!m->io.record)
		return;
	uint8_t buf[SR_MIDREG_RECORD_FIXED + MR_AOR_MAX + MR_USER_MAX];
	struct sr_midreg_record rec;
	rec_export(r, &rec);
	size_t n = sr_midreg_record_encode(&rec, buf, sizeof(buf));
	if (n)
		m->io.record(m->io_ctx, SR_MIDREG_REC_PUT, mr_rec_aor(r), r->ctid, buf, n);
}

static void hex16(char *out, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 0xf];
}

void mr_call_id(struct sr_str aor, char out[MR_CALL_ID_LEN])
{
	memcpy(out, "mr-", 3);
	hex16(out + 3, sr_txn_hash(call_id_key, aor.p, aor.len));
}

void mr_from_tag(uint64_t ctid, char out[MR_TAG_LEN])
{
	memcpy(out, "mr", 2);
	hex16(out + 2, ctid);
}

uint32_t mr_backoff(const struct sr_midreg_shard *m, const struct mr_rec *r, unsigned n)
{
	uint64_t d = m->cfg.backoff_min_s;
	while (--n > 0 && d < m->cfg.backoff_max_s)
		d *= 2;
	if (d > m->cfg.backoff_max_s)
		d = m->cfg.backoff_max_s;
	/* Up to a quarter more, by record: retries after an outage of the main registrar do not come in one wave. */
	uint64_t j = r->ctid ^ (uint64_t)n * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(d + (j >> 40) % (d / 4 + 1));
}

/* ---------------------------------------------------------------- encoding */

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = bytes; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

size_t sr_midreg_record_encode(const struct sr_midreg_record *r, uint8_t *out, size_t cap)
{
	size_t n = SR_MIDREG_RECORD_FIXED + r->aor.len + r->user.len;
	if (r->aor.len > UINT16_MAX || r->user.len > UINT8_MAX || n > cap)
		return 0;
	out[0] = SR_MIDREG_RECORD_VERSION;
	out[1] = r->mode;
	out[2] = r->state;
	out[3] = r->attempts;
	put_le(out + 4, r->ctid, 8);
	put_le(out + 12, r->binding_id, 8);
	put_le(out + 20, r->up_expires_at, 4);
	put_le(out + 24, r->up_refreshed_at, 4);
	put_le(out + 28, r->cseq, 4);
	put_le(out + 32, r->retry_at, 4);
	put_le(out + 36, r->aor.len, 2);
	out[38] = (uint8_t)r->user.len;
	out[39] = 0;
	memcpy(out + SR_MIDREG_RECORD_FIXED, r->aor.p, r->aor.len);
	if (r->user.len) /* an AoR record has no user part, and may have no pointer for it */
		memcpy(out + SR_MIDREG_RECORD_FIXED + r->aor.len, r->user.p, r->user.len);
	return n;
}

int sr_midreg_record_decode(const uint8_t *in, size_t len, struct sr_midreg_record *r)
{
	if (len < SR_MIDREG_RECORD_FIXED || in[0] != SR_MIDREG_RECORD_VERSION)
		return -1;
	size_t aor_len = (size_t)get_le(in + 36, 2), user_len = in[38];
	if (SR_MIDREG_RECORD_FIXED + aor_len + user_len != len || aor_len == 0 || in[39] != 0 ||
	    in[1] > SR_MIDREG_AOR_THROTTLING || in[2] < SR_MIDREG_REC_NEW || in[2] > SR_MIDREG_REC_DEREG)
		return -1;
	*r = (struct sr_midreg_record){
		.mode = in[1],
		.state = in[2],
		.attempts = in[3],
		.ctid = get_le(in + 4, 8),
		.binding_id = get_le(in + 12, 8),
		.up_expires_at = (uint32_t)get_le(in + 20, 4),
		.up_refreshed_at = (uint32_t)get_le(in + 24, 4),
		.cseq = (uint32_t)get_le(in + 28, 4),
		.retry_at = (uint32_t)get_le(in + 32, 4),
		.aor = sr_str_make((const char *)in + SR_MIDREG_RECORD_FIXED, aor_len),
		.user = sr_str_make((const char *)in + SR_MIDREG_RECORD_FIXED + aor_len, user_len),
	};
	return 0;
}

/* Restore: a record as persisted, back in the pool and its indexes (checked against the store later). */
struct mr_rec *mr_rec_restore(struct sr_midreg_shard *m, const struct sr_midreg_record *in)
{
	if (in->ctid == 0 || mr_rec_by_ctid(m, in->ctid) || in->user.len > MR_USER_MAX)
		return NULL;
	struct mr_rec *r = rec_take(m, in->aor, in->user);
	if (!r)
		return NULL;
	r->ctid = in->ctid;
	r->up_expires_at = in->up_expires_at;
	r->up_refreshed_at = in->up_refreshed_at;
	r->cseq = in->cseq;
	r->retry_at = in->retry_at;
	r->attempts = in->attempts;
	r->mode = in->mode;
	r->state = in->state;
	ctid_link(m, r);
	if (in->mode == m->cfg.mode && (!mr_contact_mode(m) || in->binding_id))
		mr_rec_link(m, r, in->binding_id);
	return r;
}
