/*
 * auth_store.h - the live credential table, replaced under traffic.
 *
 * Readers (workers) load the current table pointer without a lock and use
 * it while they process one burst; they report a quiescent state
 * (rte_rcu_qsbr_quiescent) between bursts, when they hold no table
 * pointer. A reload (control core) parses the new file off to the side,
 * publishes it with one atomic exchange, then waits until every registered
 * reader has passed a quiescent state (rte_rcu_qsbr_check, bounded) before
 * freeing the old table. If the wait times out (a worker stalled) the old
 * table is kept as "retired" and freed by the next reload once it is safe,
 * never early. A file that does not parse changes nothing.
 *
 * Without readers registered (unit tests, the single-threaded bench) the
 * old table is freed at once.
 */
#ifndef SR_AUTH_STORE_H
#define SR_AUTH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "auth_creds.h"

struct sr_auth_store;

/* Loads path; max_readers is the number of reader thread ids (0..max_readers-1). NULL + err on failure. */
struct sr_auth_store *sr_auth_store_new(const char *path, unsigned max_readers, char *err, size_t err_len);
void sr_auth_store_free(struct sr_auth_store *st);

/* Reader side: register once on the reader's thread, then report quiescence between bursts. */
int sr_auth_store_reader_online(struct sr_auth_store *st, unsigned reader_id);
void sr_auth_store_reader_offline(struct sr_auth_store *st, unsigned reader_id);
void sr_auth_store_quiescent(struct sr_auth_store *st, unsigned reader_id);
/* The current table; valid until the reader's next quiescent report. */
const struct sr_creds *sr_auth_store_get(const struct sr_auth_store *st);

/*
 * Re-reads the file and swaps the new table in. Returns 0 (*count set to
 * the number of subscribers), or -1 with the reason in err (old table kept).
 */
int sr_auth_store_reload(struct sr_auth_store *st, size_t *count, char *err, size_t err_len);

/*
 * Waits (bounded, like a reload) until every registered reader has passed
 * a quiescent state, so that an object unpublished before the call can be
 * freed: 1 when they did (or none is registered), 0 on time-out. Used for
 * the nonce secrets (auth_secret.h), swapped with the same scheme.
 */
int sr_auth_store_synchronize(struct sr_auth_store *st);

#endif
