/*
 * test_reg_limits.c - the registrar's limits, through sr_reg_process.
 *
 * max_contacts in both modes, the length limits, the AoR table capacity,
 * the binding memory limit, the Contact count of one request, and a table
 * in which every AoR has the same hash. Each refusal is checked for its
 * status, its reason (which must name the limit) and for changing nothing.
 */
#include "reg_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALICE "sip:alice@example.com"

/* Replaces the test's environment (freed by th_teardown, even after a failed assertion). */
static struct th_env *use_env(void **state, const struct sr_reg_config *cfg, sr_aor_hash_fn *hash)
{
	th_env_free(*state);
	*state = th_env_new(cfg, hash);
	assert_non_null(*state);
	return *state;
}

static struct th_env *env_maxc(void **state, uint32_t max, enum sr_max_contacts_mode mode)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_contacts = max;
	cfg.max_contacts_mode = mode;
	cfg.retry_after = 45;
	return use_env(state, &cfg, NULL);
}

static void assert_contact(struct th_env *e, const char *aor, unsigned idx, const char *uri)
{
	const struct sr_binding *b = th_binding(e, aor, idx);
	assert_non_null(b);
	assert_string_equal(th_field(b, SR_BF_CONTACT), uri);
}

/* ---- max_contacts ---- */

static void maxc_reject_503_changes_nothing(void **state)
{
	struct th_env *e = env_maxc(state, 2, SR_MAXC_REJECT);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>, <sip:b@198.51.100.2>", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", "<sip:c@198.51.100.2>", "c1", 2), 503);
	assert_non_null(strstr(th_reason(e), "max_contacts"));
	assert_string_equal(th_header(e, "Retry-After", 0), "45");
	assert_int_equal(th_header_count(e, "Contact"), 0);
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_contact(e, ALICE, 0, "sip:a@198.51.100.2");
	assert_contact(e, ALICE, 1, "sip:b@198.51.100.2");
	assert_int_equal(th_binding(e, ALICE, 0)->cseq, 1);
	/* Another Call-ID gets the same answer; the limit is per AoR, not per UA. */
	assert_int_equal(th_register(e, "alice", "<sip:c@198.51.100.2>", "c2", 1), 503);
	/* Other AoRs are not affected. */
	assert_int_equal(th_register(e, "bob", "<sip:c@198.51.100.2>", "c3", 1), 200);
}

/* A request that removes one and adds one stays within the limit. */
static void maxc_reject_swap_in_one_request(void **state)
{
	struct th_env *e = env_maxc(state, 2, SR_MAXC_REJECT);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>, <sip:b@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=0, <sip:c@198.51.100.2>", "c1", 2), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_contact(e, ALICE, 0, "sip:b@198.51.100.2");
	assert_contact(e, ALICE, 1, "sip:c@198.51.100.2");
}

/* Retry-After is omitted when the operator set retry_after to 0. */
static void maxc_reject_without_retry_after(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_contacts = 1;
	cfg.retry_after = 0;
	struct th_env *e = use_env(state, &cfg, NULL);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>", "c1", 2), 503);
	assert_null(th_header(e, "Retry-After", 0));
	assert_int_equal(th_binding_count(e, ALICE), 1);
}

/* Force mode drops the binding expiring soonest (not the oldest) and adds the new one. */
static void maxc_force_drops_soonest(void **state)
{
	struct th_env *e = env_maxc(state, 2, SR_MAXC_FORCE);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=900", "c1", 1), 200);
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>;expires=300", "c2", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", "<sip:c@198.51.100.2>;expires=600", "c3", 1), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_contact(e, ALICE, 0, "sip:a@198.51.100.2");
	assert_contact(e, ALICE, 1, "sip:c@198.51.100.2");
	assert_int_equal(e->n_events, 2);
	unsigned added = 0, removed = 0;
	for (unsigned i = 0; i < e->n_events; i++) {
		if (e->events[i].type == SR_EV_ADDED) {
			added++;
			assert_string_equal(e->events[i].contact, "sip:c@198.51.100.2");
		} else {
			assert_int_equal(e->events[i].type, SR_EV_REMOVED);
			removed++;
			assert_string_equal(e->events[i].contact, "sip:b@198.51.100.2");
			assert_string_equal(e->events[i].aor, ALICE);
		}
	}
	assert_int_equal(added, 1);
	assert_int_equal(removed, 1);
	/* The 200 lists exactly the bindings that remain. */
	assert_int_equal(th_header_count(e, "Contact"), 2);
	assert_string_equal(th_header(e, "Contact", 0), "<sip:a@198.51.100.2>;expires=900");
	assert_string_equal(th_header(e, "Contact", 1), "<sip:c@198.51.100.2>;expires=600");
}

/* The bindings a request refreshes are never the victims of its own additions. */
static void maxc_force_spares_refreshed(void **state)
{
	struct th_env *e = env_maxc(state, 2, SR_MAXC_FORCE);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=100, <sip:b@198.51.100.2>;expires=900",
				     "c1", 1), 200);
	e->n_events = 0;
	/* a expires soonest, but this request refreshes it: b has to go. */
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=100, <sip:c@198.51.100.2>", "c1", 2), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_contact(e, ALICE, 0, "sip:a@198.51.100.2");
	assert_contact(e, ALICE, 1, "sip:c@198.51.100.2");
	assert_int_equal(e->n_events, 3); /* refreshed a, added c, removed b */
}

static void maxc_force_too_many_new_gets_503(void **state)
{
	struct th_env *e = env_maxc(state, 2, SR_MAXC_FORCE);
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice",
				     "<sip:b@198.51.100.2>, <sip:c@198.51.100.2>, <sip:d@198.51.100.2>", "c1", 2), 503);
	assert_non_null(strstr(th_reason(e), "max_contacts"));
	assert_string_equal(th_header(e, "Retry-After", 0), "45");
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_binding_count(e, ALICE), 1);
	assert_contact(e, ALICE, 0, "sip:a@198.51.100.2");
	/* Same for an AoR that has no binding yet. */
	assert_int_equal(th_register(e, "bob",
				     "<sip:b@198.51.100.2>, <sip:c@198.51.100.2>, <sip:d@198.51.100.2>", "c2", 1), 503);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 0);
	/* Exactly max_contacts new ones replace everything. */
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>, <sip:c@198.51.100.2>", "c1", 3), 200);
	assert_int_equal(th_binding_count(e, ALICE), 2);
	assert_contact(e, ALICE, 0, "sip:b@198.51.100.2");
	assert_contact(e, ALICE, 1, "sip:c@198.51.100.2");
}

/* At the limit, refreshing what exists is always allowed, in both modes. */
static void maxc_refresh_at_limit(void **state)
{
	for (int mode = SR_MAXC_REJECT; mode <= SR_MAXC_FORCE; mode++) {
		struct th_env *e = env_maxc(state, 2, (enum sr_max_contacts_mode)mode);
		assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>, <sip:b@198.51.100.2>", "c1", 1), 200);
		e->n_events = 0;
		e->now_ms += 10000;
		assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>;expires=120, <sip:b@198.51.100.2>",
					     "c1", 2), 200);
		assert_int_equal(th_binding_count(e, ALICE), 2);
		assert_int_equal(e->n_events, 2);
		assert_int_equal(e->events[0].type, SR_EV_REFRESHED);
		assert_int_equal(e->events[1].type, SR_EV_REFRESHED);
		assert_int_equal(th_binding(e, ALICE, 0)->cseq, 2);
		assert_int_equal(sr_binding_expires(th_binding(e, ALICE, 0)), e->now_ms / 1000 + 120);
		}
}

/* ---- length limits ---- */

static void user_too_long_gets_400(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_username_len = 8;
	struct th_env *e = use_env(state, &cfg, NULL);
	assert_int_equal(th_register(e, "abcdefgh", "<sip:a@198.51.100.2>", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "abcdefghi", "<sip:a@198.51.100.2>", "c2", 1), 400);
	assert_non_null(strstr(th_reason(e), "max_username_len"));
	assert_int_equal(th_binding_count(e, "sip:abcdefghi@example.com"), 0);
	assert_int_equal(e->n_events, 0);
	/* The limit is on the canonical user: an escaped spelling of 8 characters fits. */
	struct th_req r = { .to = "sip:%61bcdefgh@example.com", .call_id = "c3",
			    .contact = "<sip:b@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 200);
	assert_int_equal(th_binding_count(e, "sip:abcdefgh@example.com"), 2);
}

static void domain_too_long_gets_400(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_domain_len = 20;
	struct th_env *e = use_env(state, &cfg, NULL);
	/* Longer than the limit: 400 naming it (before the served-domain check gives 404). */
	struct th_req r = { .to = "sip:alice@a-rather-long-domain.example.org", .contact = "<sip:a@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 400);
	assert_non_null(strstr(th_reason(e), "max_domain_len"));
	assert_int_equal(e->n_events, 0);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, 0);
	/* Within the limit and served: accepted. */
	assert_int_equal(th_register(e, "alice", "<sip:a@198.51.100.2>", "c1", 1), 200);
}

/*
 * max_aor_len must hold "sips:" user "@" domain at their own limits and
 * may not exceed SR_REG_MAX_AOR_LEN (registrar.max_aor_len checks), so the
 * longest AoR a configuration admits is accepted, and a longer one is
 * refused with a 400 naming a limit, never a crash or a 5xx.
 */
static void aor_too_long_gets_400(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_username_len = 1000;
	cfg.max_domain_len = 128;
	cfg.max_aor_len = 1000 + 128 + 6; /* more than the core can hold */
	assert_string_equal(sr_reg_config_check(&cfg), "registrar.max_aor_len: must not exceed 1024");
	cfg.max_username_len = SR_REG_MAX_AOR_LEN - 128 - 6;
	cfg.max_aor_len = SR_REG_MAX_AOR_LEN;
	char domain[129];
	memset(domain, 'd', 116);
	strcpy(domain + 116, ".example.com");
	assert_int_equal(strlen(domain), 128);
	assert_int_equal(sr_reg_config_add_domain(&cfg, domain), 0);
	struct th_env *e = use_env(state, &cfg, NULL);
	static char user[2100], to[2400], aor[2400];
	/* At every limit at once: the longest AoR this configuration admits. */
	memset(user, 'u', cfg.max_username_len);
	user[cfg.max_username_len] = '\0';
	snprintf(to, sizeof(to), "sips:%s@%s", user, domain);
	static char ruri[200];
	snprintf(ruri, sizeof(ruri), "sip:%s", domain); /* the AoR's domain (RFC 3261 10.3 step 5) */
	struct th_req r = { .ruri = ruri, .to = to, .contact = "<sip:a@198.51.100.2>" };
	assert_int_equal(th_send(e, &r), 200);
	snprintf(aor, sizeof(aor), "sips:%s@%s", user, domain);
	assert_int_equal(strlen(aor), SR_REG_MAX_AOR_LEN);
	assert_int_equal(th_binding_count(e, aor), 1);
	e->n_events = 0;
	/* One byte more of user (in a shorter domain): refused, naming the limit crossed. */
	strcat(user, "u");
	snprintf(to, sizeof(to), "sips:%s@example.com", user);
	struct th_req r2 = { .to = to, .call_id = "c2", .contact = "<sip:a@198.51.100.2>" };
	assert_int_equal(th_send(e, &r2), 400);
	assert_string_equal(th_reason(e), "Username Too Long (max_username_len)");
	assert_int_equal(e->n_events, 0);

	/* Default limits: an AoR too long for max_aor_len (and for the core) is a clean 400. */
	e = use_env(state, NULL, NULL);
	memset(user, 'u', 1500);
	user[1500] = '\0';
	snprintf(to, sizeof(to), "sip:%s@example.com", user);
	struct th_req r3 = { .to = to, .contact = "<sip:a@198.51.100.2>" };
	assert_int_equal(th_send(e, &r3), 400);
	assert_string_equal(th_reason(e), "Address-of-Record Too Long (max_aor_len)");
	assert_int_equal(e->n_events, 0);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, 0);
}

static void contact_too_long_gets_400(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_contact_len = 40;
	struct th_env *e = use_env(state, &cfg, NULL);
	/* "sip:" + 22 + "@198.51.100.2" = 39; with the port 44. */
	assert_int_equal(th_register(e, "alice", "<sip:aaaaaaaaaaaaaaaaaaaaaaa@198.51.100.2>", "c1", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "alice", "<sip:b@198.51.100.2>, <sip:aaaaaaaaaaaaaaaaaaaaaaa@198.51.100.2:5062>",
				     "c1", 2), 400);
	assert_string_equal(th_reason(e), "Contact Too Long (max_contact_len)");
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_binding_count(e, ALICE), 1); /* sip:b was not added either */
	assert_contact(e, ALICE, 0, "sip:aaaaaaaaaaaaaaaaaaaaaaa@198.51.100.2");
}

/* ---- capacity ---- */

static void max_aors_table_full(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_aors = 2;
	cfg.retry_after = 10;
	struct th_env *e = use_env(state, &cfg, NULL);
	assert_int_equal(th_register(e, "u1", "<sip:a@198.51.100.2>", "c1", 1), 200);
	assert_int_equal(th_register(e, "u2", "<sip:a@198.51.100.2>", "c2", 1), 200);
	e->n_events = 0;
	assert_int_equal(th_register(e, "u3", "<sip:a@198.51.100.2>", "c3", 1), 503);
	assert_string_equal(th_reason(e), "Location Table Full");
	assert_string_equal(th_header(e, "Retry-After", 0), "10");
	assert_int_equal(e->n_events, 0);
	assert_int_equal(th_binding_count(e, "sip:u3@example.com"), 0);
	/* A fetch of an unknown AoR does not need room. */
	assert_int_equal(th_register(e, "u3", NULL, "c3", 2), 200);
	/* AoRs that exist can still add bindings. */
	assert_int_equal(th_register(e, "u1", "<sip:b@198.51.100.2>", "c1", 2), 200);
	assert_int_equal(th_binding_count(e, "sip:u1@example.com"), 2);
	/* Once an AoR is gone there is room again. */
	struct th_req star = { .to = "sip:u2@example.com", .call_id = "c2", .cseq = 2, .contact = "*",
			       .extra = "Expires: 0\r\n" };
	assert_int_equal(th_send(e, &star), 200);
	assert_int_equal(th_register(e, "u3", "<sip:a@198.51.100.2>", "c3", 3), 200);
	assert_int_equal(th_binding_count(e, "sip:u3@example.com"), 1);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, 2);
}

static int send_with_agent(struct th_env *e, unsigned i, const char *contact, const char *call_id,
			   uint32_t cseq)
{
	static char agent[1024];
	if (!agent[0]) {
		memcpy(agent, "User-Agent: ", 12);
		memset(agent + 12, 'x', 800);
		memcpy(agent + 812, "\r\n", 3);
	}
	char to[64], cid[32], ct[64];
	snprintf(to, sizeof(to), "sip:u%04u@example.com", i);
	snprintf(cid, sizeof(cid), "c%04u", i);
	snprintf(ct, sizeof(ct), "<sip:u%04u@198.51.100.9>", i);
	struct th_req r = { .to = to, .call_id = call_id ? call_id : cid, .cseq = cseq,
			    .contact = contact ? contact : ct, .extra = agent };
	return th_send(e, &r);
}

static void memory_limit_503_and_recovery(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.memory_limit = 1u << 20; /* one slab chunk */
	cfg.max_aors = 100000;
	struct th_env *e = use_env(state, &cfg, NULL);
	unsigned n = 0;
	int status = 200;
	while (n < 5000 && (status = send_with_agent(e, n, NULL, NULL, 1)) == 200)
		n++;
	assert_int_equal(status, 503);
	assert_true(n > 100); /* ~1 KB bindings in 1 MB */
	assert_string_equal(th_reason(e), "Binding Memory Exhausted");
	assert_string_equal(th_header(e, "Retry-After", 0), "30");
	char aor[64];
	snprintf(aor, sizeof(aor), "sip:u%04u@example.com", n);
	assert_int_equal(th_binding_count(e, aor), 0);
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, n);
	assert_int_equal(st.bindings, n);
	assert_true(st.binding_bytes <= cfg.memory_limit);

	/* A refresh that needs a new object (new Call-ID) fails too, and keeps the old binding. */
	e->n_events = 0;
	assert_int_equal(send_with_agent(e, 0, NULL, "d0000", 1), 503);
	assert_int_equal(e->n_events, 0);
	assert_string_equal(th_field(th_binding(e, "sip:u0000@example.com", 0), SR_BF_CALL_ID), "c0000");
	/* A refresh in place (same strings) needs no memory. */
	assert_int_equal(send_with_agent(e, 0, NULL, NULL, 2), 200);
	assert_int_equal(e->n_events, 1);
	assert_int_equal(e->events[0].type, SR_EV_REFRESHED);

	/* Removals give memory back: the refused AoR now registers. */
	assert_int_equal(send_with_agent(e, 1, "<sip:u0001@198.51.100.9>;expires=0", NULL, 2), 200);
	assert_int_equal(th_binding_count(e, "sip:u0001@example.com"), 0);
	assert_int_equal(send_with_agent(e, n, NULL, NULL, 2), 200);
	assert_int_equal(th_binding_count(e, aor), 1);
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, n);
}

/* A limit below the slab's chunk size still admits what fits in it. */
static void memory_limit_small(void **state)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.memory_limit = 64u << 10;
	struct th_env *e = use_env(state, &cfg, NULL);
	unsigned n = 0;
	int status = 200;
	while (n < 1000 && (status = send_with_agent(e, n, NULL, NULL, 1)) == 200)
		n++;
	assert_int_equal(status, 503);
	assert_string_equal(th_reason(e), "Binding Memory Exhausted");
	assert_true(n >= 32); /* ~1 KB bindings in 64 KB */
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.bindings, n);
	assert_true(st.binding_bytes <= cfg.memory_limit);
}

/* ---- Contact count ---- */

static void contact_count_limit(void **state)
{
	struct th_env *e = *state;
	char list[2048];
	size_t len = 0;
	for (int i = 0; i < SR_SIP_MAX_CONTACTS + 1; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s<sip:c%d@198.51.100.2>", i ? ", " : "", i);
	assert_int_equal(th_register(e, "alice", list, "c1", 1), 400);
	assert_non_null(strstr(th_reason(e), "Contact"));
	assert_int_equal(th_binding_count(e, ALICE), 0);
	assert_int_equal(e->n_events, 0);
	/* The same 17 as separate header lines. */
	char extra[2048];
	len = 0;
	for (int i = 0; i < SR_SIP_MAX_CONTACTS + 1; i++)
		len += (size_t)snprintf(extra + len, sizeof(extra) - len, "Contact: <sip:c%d@198.51.100.2>\r\n", i);
	struct th_req r = { .extra = extra, .call_id = "c2" };
	assert_int_equal(th_send(e, &r), 400);
	assert_int_equal(th_binding_count(e, ALICE), 0);
	/* Exactly SR_SIP_MAX_CONTACTS is fine. */
	*strrchr(list, ',') = '\0';
	assert_int_equal(th_register(e, "alice", list, "c3", 1), 200);
	assert_int_equal(th_binding_count(e, ALICE), SR_SIP_MAX_CONTACTS);
	assert_int_equal(th_header_count(e, "Contact"), SR_SIP_MAX_CONTACTS);
}

/* ---- forced hash collisions ---- */

static uint64_t constant_hash(const char *aor, size_t len)
{
	(void)aor;
	(void)len;
	return 0x4242424242424242ull;
}

#define N_COLL 50

/* Fetches AoR i and checks it lists exactly its own contact, or nothing when 'alive' is false. */
static void check_own(struct th_env *e, unsigned i, bool alive, uint32_t cseq)
{
	char user[16], cid[32], aor[64], uri[64], hdr[96];
	snprintf(user, sizeof(user), "u%02u", i);
	snprintf(cid, sizeof(cid), "fetch-%u", i);
	snprintf(aor, sizeof(aor), "sip:%s@example.com", user);
	snprintf(uri, sizeof(uri), "sip:%s@10.0.%u.%u:%u", user, i / 10, i % 10, 5060 + i);
	assert_int_equal(th_register(e, user, NULL, cid, cseq), 200);
	if (!alive) {
		assert_int_equal(th_header_count(e, "Contact"), 0);
		assert_int_equal(th_binding_count(e, aor), 0);
		return;
	}
	assert_int_equal(th_header_count(e, "Contact"), 1);
	snprintf(hdr, sizeof(hdr), "<%s>;expires=", uri);
	assert_memory_equal(th_header(e, "Contact", 0), hdr, strlen(hdr));
	assert_int_equal(th_binding_count(e, aor), 1);
	assert_contact(e, aor, 0, uri);
	struct sr_str name = sr_aor_name(th_binding(e, aor, 0)->aor);
	assert_int_equal(name.len, strlen(aor));
	assert_memory_equal(name.p, aor, name.len);
}

static void collisions_through_process(void **state)
{
	struct th_env *e = use_env(state, NULL, constant_hash);
	bool alive[N_COLL];
	for (unsigned i = 0; i < N_COLL; i++) {
		char user[16], cid[32], ct[96];
		snprintf(user, sizeof(user), "u%02u", i);
		snprintf(cid, sizeof(cid), "c%u", i);
		/* Every fifth AoR registers for 120 s, the rest for an hour. */
		snprintf(ct, sizeof(ct), "<sip:%s@10.0.%u.%u:%u>;expires=%u", user, i / 10, i % 10, 5060 + i,
			 i % 5 == 0 ? 120 : 3600);
		assert_int_equal(th_register(e, user, ct, cid, 1), 200);
		assert_int_equal(th_header_count(e, "Contact"), 1);
		alive[i] = true;
	}
	struct sr_reg_stats st;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, N_COLL);
	assert_int_equal(st.bindings, N_COLL);
	for (unsigned i = 0; i < N_COLL; i++)
		check_own(e, i, true, 1);

	/* Remove some by expires=0 (including the head of the chain, u00) and some by '*'. */
	e->n_events = 0;
	unsigned removed = 0;
	for (unsigned i = 0; i < N_COLL; i++) {
		char user[16], cid[32], ct[96], to[64];
		snprintf(user, sizeof(user), "u%02u", i);
		snprintf(cid, sizeof(cid), "c%u", i);
		if (i % 7 == 0) {
			snprintf(ct, sizeof(ct), "<sip:%s@10.0.%u.%u:%u>;expires=0", user, i / 10, i % 10, 5060 + i);
			assert_int_equal(th_register(e, user, ct, cid, 2), 200);
		} else if (i % 7 == 3) {
			snprintf(to, sizeof(to), "sip:%s@example.com", user);
			struct th_req r = { .to = to, .call_id = cid, .cseq = 2, .contact = "*",
					    .extra = "Expires: 0\r\n" };
			assert_int_equal(th_send(e, &r), 200);
		} else {
			continue;
		}
		assert_int_equal(th_header_count(e, "Contact"), 0);
		alive[i] = false;
		removed++;
	}
	assert_int_equal(e->n_events, removed);
	for (unsigned i = 0; i < e->n_events; i++)
		assert_int_equal(e->events[i].type, SR_EV_REMOVED);
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, N_COLL - removed);
	for (unsigned i = 0; i < N_COLL; i++)
		check_own(e, i, alive[i], 2);

	/* Let the short ones expire. */
	e->n_events = 0;
	unsigned expiring = 0;
	for (unsigned i = 0; i < N_COLL; i++)
		expiring += alive[i] && i % 5 == 0;
	assert_true(expiring > 0);
	assert_int_equal(th_advance(e, 121), expiring);
	assert_int_equal(e->n_events, expiring);
	for (unsigned i = 0; i < e->n_events; i++) {
		assert_int_equal(e->events[i].type, SR_EV_EXPIRED);
		unsigned u;
		assert_int_equal(sscanf(e->events[i].aor, "sip:u%u@example.com", &u), 1);
		assert_int_equal(u % 5, 0);
		assert_true(alive[u]);
	}
	for (unsigned i = 0; i < N_COLL; i++)
		if (i % 5 == 0)
			alive[i] = false;
	sr_reg_get_stats(e->shard, &st);
	assert_int_equal(st.aors, N_COLL - removed - expiring);
	for (unsigned i = 0; i < N_COLL; i++)
		check_own(e, i, alive[i], 3);

	/* A removed AoR re-registers into the shared chain without disturbing the others. */
	assert_int_equal(th_register(e, "u00", "<sip:u00@10.0.0.0:5060>", "c0", 3), 200);
	alive[0] = true;
	for (unsigned i = 0; i < N_COLL; i++)
		check_own(e, i, alive[i], 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, th_setup, th_teardown)
		T(maxc_reject_503_changes_nothing),
		T(maxc_reject_swap_in_one_request),
		T(maxc_reject_without_retry_after),
		T(maxc_force_drops_soonest),
		T(maxc_force_spares_refreshed),
		T(maxc_force_too_many_new_gets_503),
		T(maxc_refresh_at_limit),
		T(user_too_long_gets_400),
		T(domain_too_long_gets_400),
		T(aor_too_long_gets_400),
		T(contact_too_long_gets_400),
		T(max_aors_table_full),
		T(memory_limit_503_and_recovery),
		T(memory_limit_small),
		T(contact_count_limit),
		T(collisions_through_process),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
