/*
 * route_ua.c - the User-Agent filter of routed lookups (route_ua.h).
 *
 * Design decisions:
 * - Hyperscan, as lib/policy: one pattern in a block-mode database with
 *   HS_FLAG_SINGLEMATCH (the first match ends the scan, we only need yes or
 *   no) and its own scratch. Each worker compiles its own filter at start
 *   (a database and a scratch per worker: no sharing, no RCU, nothing to
 *   reload; the pattern is a start-time setting).
 * - Kept out of lib/routing, which stays free of hyperscan: the routing
 *   sees a predicate (cfg.ua_filter) and nothing else.
 * - An empty User-Agent is scanned as an empty buffer: a pattern that
 *   needs text skips bindings registered without one.
 */
#include "route_ua.h"

#include <stdio.h>
#include <stdlib.h>

#include <hs.h>

struct sr_route_ua {
	hs_database_t *db;
	hs_scratch_t *scratch;
};

struct sr_route_ua *sr_route_ua_create(const char *pattern, char *err, size_t errcap)
{
	struct sr_route_ua *u = calloc(1, sizeof(*u));
	hs_compile_error_t *ce = NULL;
	if (u == NULL) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	if (hs_compile(pattern, HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK, NULL, &u->db, &ce) != HS_SUCCESS) {
		snprintf(err, errcap, "%s", ce && ce->message ? ce->message : "hyperscan refused the pattern");
		hs_free_compile_error(ce);
		free(u);
		return NULL;
	}
	if (hs_alloc_scratch(u->db, &u->scratch) != HS_SUCCESS) {
		snprintf(err, errcap, "hyperscan scratch space cannot be allocated");
		sr_route_ua_free(u);
		return NULL;
	}
	return u;
}

void sr_route_ua_free(struct sr_route_ua *u)
{
	if (u == NULL)
		return;
	hs_free_scratch(u->scratch);
	hs_free_database(u->db);
	free(u);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	*(bool *)ctx = true;
	return 1; /* stop: a match is all we need */
}

bool sr_route_ua_match(void *arg, struct sr_str user_agent)
{
	struct sr_route_ua *u = arg;
	bool matched = false;
	hs_scan(u->db, user_agent.p ? user_agent.p : "", (unsigned)user_agent.len, 0, u->scratch, on_match, &matched);
	return matched;
}
