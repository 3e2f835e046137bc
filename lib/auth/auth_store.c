/*
 * auth_store.c - RCU-swapped credential table (see auth_store.h).
 *
 * The QSBR variable is allocated with aligned_alloc instead of rte_zmalloc
 * so that the store works without hugepages and before the EAL memory is
 * needed; it is only ever touched through the rte_rcu_qsbr API. Reloads are
 * serialised by the caller (the single control thread runs them).
 */
#include "auth_store.h"

#include <rte_common.h>
#include <rte_rcu_qsbr.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GRACE_WAIT_MS 1000

struct sr_auth_store {
	_Atomic(struct sr_creds *) cur;
	struct rte_rcu_qsbr *qs;
	unsigned max_readers;
	unsigned online; /* readers registered: 0 means free at once */
	struct sr_creds *retired; /* waiting for a grace period that timed out */
	uint64_t retired_token;
	char path[4096];
};

struct sr_auth_store *sr_auth_store_new(const char *path, unsigned max_readers, char *err, size_t err_len)
{
	if (strlen(path) >= sizeof(((struct sr_auth_store *)0)->path)) {
		snprintf(err, err_len, "%s: path too long", path);
		return NULL;
	}
	struct sr_auth_store *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	snprintf(st->path, sizeof(st->path), "%s", path);
	st->max_readers = max_readers ? max_readers : 1;
	size_t sz = rte_rcu_qsbr_get_memsize(st->max_readers);
	sz = RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE);
	st->qs = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);
	if (!st->qs || rte_rcu_qsbr_init(st->qs, st->max_readers) != 0) {
		snprintf(err, err_len, "cannot create the RCU variable");
		sr_auth_store_free(st);
		return NULL;
	}
	struct sr_creds *c = sr_creds_load(path, err, err_len);
	if (!c) {
		sr_auth_store_free(st);
		return NULL;
	}
	atomic_store_explicit(&st->cur, c, memory_order_release);
	return st;
}

void sr_auth_store_free(struct sr_auth_store *st)
{
	if (!st)
		return;
	sr_creds_free(atomic_load_explicit(&st->cur, memory_order_relaxed));
	sr_creds_free(st->retired);
	free(st->qs);
	free(st);
}

int sr_auth_store_reader_online(struct sr_auth_store *st, unsigned reader_id)
{
	if (reader_id >= st->max_readers || rte_rcu_qsbr_thread_register(st->qs, reader_id) != 0)
		return -1;
	rte_rcu_qsbr_thread_online(st->qs, reader_id);
	__atomic_add_fetch(&st->online, 1, __ATOMIC_SEQ_CST);
	return 0;
}

void sr_auth_store_reader_offline(struct sr_auth_store *st, unsigned reader_id)
{
	rte_rcu_qsbr_thread_offline(st->qs, reader_id);
	rte_rcu_qsbr_thread_unregister(st->qs, reader_id);
	__atomic_sub_fetch(&st->online, 1, __ATOMIC_SEQ_CST);
}

void sr_auth_store_quiescent(struct sr_auth_store *st, unsigned reader_id)
{
	rte_rcu_qsbr_quiescent(st->qs, reader_id);
}

const struct sr_creds *sr_auth_store_get(const struct sr_auth_store *st)
{
	return atomic_load_explicit(&((struct sr_auth_store *)st)->cur, memory_order_acquire);
}

/* Waits (bounded) for every reader to pass a quiescent state after token; 1 when they did. */
static int grace_period(struct sr_auth_store *st, uint64_t token)
{
	const struct timespec ms = { 0, 1000000 };
	for (int i = 0; i < GRACE_WAIT_MS; i++) {
		if (rte_rcu_qsbr_check(st->qs, token, false) == 1)
			return 1;
		nanosleep(&ms, NULL);
	}
	return rte_rcu_qsbr_check(st->qs, token, false) == 1;
}

int sr_auth_store_reload(struct sr_auth_store *st, size_t *count, char *err, size_t err_len)
{
	if (st->retired) {
		if (!grace_period(st, st->retired_token)) {
			snprintf(err, err_len, "a worker has not passed a quiescent state since the last reload");
			return -1;
		}
		sr_creds_free(st->retired);
		st->retired = NULL;
	}
	struct sr_creds *c = sr_creds_load(st->path, err, err_len);
	if (!c)
		return -1;
	*count = sr_creds_count(c);
	/* seq_cst on both sides: a reader counted after this load already sees the new table */
	struct sr_creds *old = atomic_exchange_explicit(&st->cur, c, memory_order_seq_cst);
	if (__atomic_load_n(&st->online, __ATOMIC_SEQ_CST) == 0) {
		sr_creds_free(old);
		return 0;
	}
	uint64_t token = rte_rcu_qsbr_start(st->qs);
	if (grace_period(st, token)) {
		sr_creds_free(old);
	} else {
		st->retired = old;
		st->retired_token = token;
	}
	return 0;
}

int sr_auth_store_synchronize(struct sr_auth_store *st)
{
	if (__atomic_load_n(&st->online, __ATOMIC_SEQ_CST) == 0)
		return 1;
	return grace_period(st, rte_rcu_qsbr_start(st->qs));
}
