/*
 * test_reg_rule.c - the registrar acting on the mid-registrar's per-AoR
 * rules (lib/registrar/reg_rule.c; docs/MID_REGISTRAR.md, "Per domain or
 * per AoR"): max-contacts, force-registration, matching-mode 0 / 1 /
 * <param>, path-received, aor=, memory-only (over the binding_flags hook)
 * and only-request-contacts (the registrar's own 200: an absorbed
 * REGISTER), each from a real `aor mid` line of lib/policy, looked up
 * through the registrar's settings hook as the worker does
 * (sr_policy_mid_settings), with real bytes through sr_reg_process.
 *
 * The stand-in for lib/midreg absorbs every REGISTER (the registrar then
 * answers as a final registrar and stores the change) unless a test asks
 * it to take one; it records the AoR and the settings it was offered. For
 * each flag an AoR the rule does not match shows the configuration's
 * behaviour beside it. Also: one lookup per REGISTER; a policy reload
 * changes the rule the next REGISTER of the same AoR gets, a refresh
 * absorbed on its bindings' leases included; io.apply's
 * second pass applies the rule the offer was made under, not a new lookup;
 * the lookup gets the hooks' settings_ctx and the others their ctx.
 */
#include "reg_harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "midreg.h"
#include "policy.h"
#include "siphash.h"

static struct sr_policy_reader reader;

static struct {
	bool take;            /* what the stand-in answers */
	unsigned lookups;     /* settings hook calls */
	uint32_t tag_in, tag_out; /* the last call's tag as the registrar handed it, and as the lookup left it */
	unsigned offers;
	unsigned leased;      /* absorbed hook calls */
	char aor[256];
	bool had_settings;
	uint32_t outgoing_expires;
	char msg[4096];
	size_t msg_len;
	char host_state[1024];
	size_t hs_len;
} st;

/*
 * The hooks' two contexts differ, as in the app (worker_mid.c: ctx is the
 * worker, settings_ctx its policy reader): the lookup reads the reader from
 * the context it was given, so a registrar handing it ctx instead fails here.
 */
static int take_ctx; /* the take / absorbs / absorbed context: only its address counts */

static const struct sr_midreg_settings *rule_of(void *ctx, struct sr_str aor, uint32_t *tag)
{
	assert_ptr_equal(ctx, &reader);
	st.lookups++;
	st.tag_in = *tag;
	const struct sr_midreg_settings *s = sr_policy_mid_settings(ctx, aor, tag);
	st.tag_out = *tag;
	return s;
}

static bool take(void *ctx, struct sr_midreg_req *rq)
{
	assert_ptr_equal(ctx, &take_ctx);
	st.offers++;
	snprintf(st.aor, sizeof(st.aor), "%.*s", (int)rq->aor.len, rq->aor.p);
	st.had_settings = rq->settings != NULL;
	st.outgoing_expires = rq->settings ? rq->settings->outgoing_expires : 0;
	st.msg_len = rq->msg.len < sizeof(st.msg) ? rq->msg.len : 0;
	memcpy(st.msg, rq->msg.p, st.msg_len);
	st.hs_len = rq->host_state.len < sizeof(st.host_state) ? rq->host_state.len : 0;
	memcpy(st.host_state, rq->host_state.p, st.hs_len);
	return st.take;
}

/* A refresh absorbed on its bindings' leases (none unless a test sets them: sr_loc_set_lease). */
static void leased(void *ctx)
{
	assert_ptr_equal(ctx, &take_ctx);
	st.leased++;
}

/* An environment (configuration cfg, NULL: defaults) whose mid rules are 'rules'. */
static struct th_env *env_rules(const char *rules, const struct sr_reg_config *cfg)
{
	memset(&st, 0, sizeof(st));
	char err[512] = "";
	reader.p = sr_policy_create(1, "198.51.100.1", rules, strlen(rules), err, sizeof(err));
	reader.id = 0;
	if (!reader.p)
		fail_msg("rules refused: %s", err);
	struct sr_reg_mid_hooks h = { .take = take, .ctx = &take_ctx, .settings = rule_of, .settings_ctx = &reader,
				      .absorbed = leased };
	struct th_env *e = th_env_new_mid_cfg(&h, cfg);
	assert_non_null(e);
	return e;
}

static void env_done(struct th_env *e)
{
	th_env_free(e);
	sr_policy_free(reader.p);
	reader.p = NULL;
}

static int reg(struct th_env *e, const char *user, const char *contact, const char *call_id, uint32_t cseq)
{
	return th_register(e, user, contact, call_id, cseq);
}

/* max-contacts=N: the rule's limit replaces registrar.max_contacts (16) for its AoRs only. */
static void max_contacts(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid max-contacts=2 /^sip:alice@/\n", NULL);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5063>;expires=300", "a-3", 1), 503);
	assert_string_equal(th_reason(e), "Too Many Contacts for This Address-of-Record (max_contacts)");
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 2);
	/* a refresh of a binding she has is never refused */
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 2), 200);
	/* bob matches no line: the configuration's 16 */
	for (unsigned i = 0; i < 3; i++) {
		char ct[64], cid[16];
		snprintf(ct, sizeof(ct), "<sip:bob@198.51.100.3:%u>;expires=300", 5061 + i);
		snprintf(cid, sizeof(cid), "b-%u", i);
		assert_int_equal(reg(e, "bob", ct, cid, 1), 200);
	}
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 3);
	env_done(e);
}

/* max-contacts=0: unlimited (the store's cap) although registrar.max_contacts is 1. */
static void max_contacts_zero_unlimited(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_contacts = 1;
	struct th_env *e = env_rules("aor mid max-contacts=0 /^sip:alice@/\n", &cfg);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5063>;expires=300", "a-3", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 3);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5061>;expires=300", "b-1", 1), 200);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5062>;expires=300", "b-2", 1), 503);
	env_done(e);
}

/* force-registration: the binding expiring soonest makes room; no-force-registration refuses. */
static void force_registration(void **state)
{
	(void)state;
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_contacts_mode = SR_MAXC_FORCE; /* the configuration forces: carol's rule says otherwise */
	struct th_env *e = env_rules("aor mid max-contacts=1,force-registration /^sip:alice@/\n"
				     "aor mid max-contacts=1,no-force-registration /^sip:carol@/\n",
				     &cfg);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 1);
	assert_string_equal(th_field(th_binding(e, "sip:alice@example.com", 0), SR_BF_CONTACT),
			    "sip:alice@198.51.100.2:5062");
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.2:5061>;expires=300", "c-1", 1), 200);
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.2:5062>;expires=300", "c-2", 1), 503);
	assert_int_equal(th_binding_count(e, "sip:carol@example.com"), 1);
	env_done(e);

	/* force-registration alone with registrar.max_contacts_mode = reject: the configured 1 is forced */
	th_default_config(&cfg);
	cfg.max_contacts = 1;
	e = env_rules("aor mid force-registration /^sip:alice@/\n", &cfg);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 1);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5061>;expires=300", "b-1", 1), 200);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5062>;expires=300", "b-2", 1), 503);
	env_done(e);
}

#define INST1 ";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000001>\""

/* matching-mode=0: the contact URI alone; an instance no longer names a binding at another URI. */
static void matching_uri_only(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid matching-mode=0 /^sip:alice@/\n", NULL);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300" INST1, "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.9:5061>;expires=300" INST1, "a-1", 2), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 2);
	/* the same URI is still the same binding */
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.9:5061>;expires=600" INST1, "a-1", 3), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 2);
	/* bob: the store's rule, the instance names his binding wherever it moves */
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.2:5061>;expires=300" INST1, "b-1", 1), 200);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.9:5061>;expires=300" INST1, "b-1", 2), 200);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 1);
	env_done(e);
}

/* matching-mode=1: URI and Call-ID; the same URI from another Call-ID is another binding. */
static void matching_uri_callid(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid matching-mode=1 /^sip:alice@/\n", NULL);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-2", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 2);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-2", 2), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 2);
	/* a removal names the binding of its own Call-ID only */
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=0", "a-1", 2), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 1);
	assert_string_equal(th_field(th_binding(e, "sip:alice@example.com", 0), SR_BF_CALL_ID), "a-2");
	/* bob: the URI alone (RFC 3261), a new Call-ID updates his binding */
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.2:5061>;expires=300", "b-1", 1), 200);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.2:5061>;expires=300", "b-2", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 1);
	env_done(e);
}

/* matching-mode=<param>: one URI parameter's value names the binding, wherever the URI moved. */
static void matching_param(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid matching-mode=rinstance /^sip:alice@/\n", NULL);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061;rinstance=x1>;expires=300", "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.9:7000;rinstance=x1>;expires=300", "a-2", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 1);
	assert_string_equal(th_field(th_binding(e, "sip:alice@example.com", 0), SR_BF_CONTACT),
			    "sip:alice@198.51.100.9:7000;rinstance=x1");
	/* another value at the same address is another binding */
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.9:7000;rinstance=x2>;expires=300", "a-3", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 2);
	/* two contacts of one request with one value: the later wins */
	assert_int_equal(reg(e, "alice",
			     "<sip:alice@198.51.100.5:1;rinstance=x3>;expires=300, <sip:alice@198.51.100.6:2;rinstance=x3>;expires=300",
			     "a-4", 1),
			 200);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 3);
	/* bob: by URI, the moved contact is a second binding */
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.2:5061;rinstance=x1>;expires=300", "b-1", 1), 200);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.9:7000;rinstance=x1>;expires=300", "b-2", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:bob@example.com"), 2);
	env_done(e);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static int reg_path(struct th_env *e, const char *user, const char *path)
{
	char to[64], ct[96], extra[256];
	snprintf(to, sizeof(to), "sip:%s@example.com", user);
	snprintf(ct, sizeof(ct), "<sip:%s@10.0.0.7:5060>;expires=300", user);
	snprintf(extra, sizeof(extra), "Supported: path\r\nPath: %s\r\n", path);
	struct th_req r = { .to = to, .contact = ct, .call_id = user, .cseq = 1, .extra = extra };
	return th_send(e, &r);
}

/* path-received: the first Path URI's received parameter is the binding's source, behind NAT. */
static void path_received(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid path-received /^sip:(alice|carol)@/\n", NULL);
	assert_int_equal(reg_path(e, "alice", "<sip:lb.example.com;lr;received=sip:203.0.113.7:5099>"), 200);
	const struct sr_binding *b = th_binding(e, "sip:alice@example.com", 0);
	assert_non_null(b);
	assert_int_equal(b->src_ip, ip4("203.0.113.7"));
	assert_int_equal(b->src_port, 5099);
	assert_true(b->flags & SR_BFLAG_NAT);
	/* %-escaped with the balancer's own parameters, behind a second hop */
	assert_int_equal(reg_path(e, "carol", "<sip:lb.example.com;lr;received=sip:203.0.113.8%3A5070%3Btransport%3Dudp>, "
					      "<sip:edge.example.com;lr>"),
			 200);
	b = th_binding(e, "sip:carol@example.com", 0);
	assert_int_equal(b->src_ip, ip4("203.0.113.8"));
	assert_int_equal(b->src_port, 5070);
	/* bob: the packet's source, as ever */
	assert_int_equal(reg_path(e, "bob", "<sip:lb.example.com;lr;received=sip:203.0.113.7:5099>"), 200);
	b = th_binding(e, "sip:bob@example.com", 0);
	assert_int_equal(b->src_ip, e->src.ip);
	assert_int_equal(b->src_port, e->src.port);
	env_done(e);
}

static uint64_t custom_hash;
static bool owns_custom(struct th_env *e, uint64_t h)
{
	(void)e;
	return h == custom_hash;
}

/* aor=: the bindings live under the custom AoR, which also decides the owner and what take() is offered. */
static void custom_aor(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid aor=sip:$user@tenant.$domain,outgoing-expires=7200 /^sip:carol@/\n", NULL);
	e->owner_moves = true;
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 200);
	assert_int_equal(th_binding_count(e, "sip:carol@tenant.example.com"), 1);
	assert_int_equal(th_binding_count(e, "sip:carol@example.com"), 0);
	assert_string_equal(st.aor, "sip:carol@tenant.example.com");
	assert_int_equal(st.outgoing_expires, 7200);
	assert_int_equal(st.lookups, 1); /* once per REGISTER, for the To AoR */
	/* a fetch lists the custom AoR's binding */
	struct th_req q = { .to = "sip:carol@example.com", .call_id = "c-1", .cseq = 2 };
	assert_int_equal(th_send(e, &q), 200);
	assert_non_null(strstr(th_header(e, "Contact", 0), "sip:carol@198.51.100.9:5060"));
	assert_int_equal(st.lookups, 2);
	/* the owner is the custom AoR's: the To AoR's owner hands it on */
	custom_hash = sr_hash64("sip:carol@tenant.example.com", strlen("sip:carol@tenant.example.com"));
	e->owns = owns_custom;
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 3), 200);
	custom_hash = 1;
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 4), 0);
	assert_int_equal(e->res.drop, SR_DROP_NOT_OWNER);
	assert_true(e->res.aor_hash == sr_hash64("sip:carol@tenant.example.com", strlen("sip:carol@tenant.example.com")));
	e->owns = NULL;
	/* bob is stored under his To AoR */
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5060>;expires=300", "b-1", 1), 200);
	assert_string_equal(st.aor, "sip:bob@example.com");
	env_done(e);

	/* a custom AoR beyond registrar.max_aor_len is refused, nothing stored */
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_username_len = 10;
	cfg.max_domain_len = 20;
	cfg.max_aor_len = 40; /* sip:carol@a-very-long-tenant-name.example.com is 45 */
	e = env_rules("aor mid aor=sip:$user@a-very-long-tenant-name.$domain /^sip:carol@/\n", &cfg);
	e->owner_moves = true;
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 400);
	assert_int_equal(st.offers, 0);
	env_done(e);
}

/* memory-only through the settings hook: the flag on the binding, none on another AoR's. */
static void memory_only_from_rule(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid memory-only /^sip:carol@/\n", NULL);
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 200);
	assert_true(th_binding(e, "sip:carol@example.com", 0)->flags & SR_BFLAG_MEMORY_ONLY);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5060>;expires=300", "b-1", 1), 200);
	assert_false(th_binding(e, "sip:bob@example.com", 0)->flags & SR_BFLAG_MEMORY_ONLY);
	assert_int_equal(st.lookups, 2); /* one per REGISTER: memory-only needs no lookup of its own */
	env_done(e);
}

static unsigned flag_calls;

/* A binding_flags hook that says the opposite of the rules below: memory-only for all but carol. */
static uint16_t flags_against_rules(struct th_env *e, struct sr_str aor)
{
	(void)e;
	flag_calls++;
	return sr_str_eq(aor, SR_STR_LIT("sip:carol@example.com")) ? 0 : SR_BFLAG_MEMORY_ONLY;
}

/*
 * An AoR with a mid rule takes memory-only from its rule, whatever the
 * binding_flags hook would say, and the hook is not asked; an AoR without
 * one gets the hook's answer (reg_save.c; docs/MID_REGISTRAR.md).
 */
static void rule_memory_only_overrides_the_hook(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid memory-only /^sip:carol@/\n"
				     "aor mid max-contacts=5 /^sip:alice@/\n", NULL);
	e->binding_flags = flags_against_rules;
	flag_calls = 0;
	/* carol's rule says memory-only, the hook would not */
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 200);
	assert_true(th_binding(e, "sip:carol@example.com", 0)->flags & SR_BFLAG_MEMORY_ONLY);
	/* alice's rule does not, the hook would */
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5060>;expires=300", "a-1", 1), 200);
	assert_false(th_binding(e, "sip:alice@example.com", 0)->flags & SR_BFLAG_MEMORY_ONLY);
	/* a refresh keeps the rule's answer */
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5060>;expires=300", "a-1", 2), 200);
	assert_false(th_binding(e, "sip:alice@example.com", 0)->flags & SR_BFLAG_MEMORY_ONLY);
	assert_int_equal(flag_calls, 0);
	/* bob has no rule: the hook decides */
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5060>;expires=300", "b-1", 1), 200);
	assert_true(th_binding(e, "sip:bob@example.com", 0)->flags & SR_BFLAG_MEMORY_ONLY);
	assert_int_equal(flag_calls, 1);
	env_done(e);
}

/* only-request-contacts: the registrar's 200 (an absorbed REGISTER) lists the request's contacts only. */
static void only_request_contacts(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid only-request-contacts /^sip:alice@/\n", NULL);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 200);
	assert_int_equal(th_header_count(e, "Contact"), 1);
	assert_non_null(strstr(th_header(e, "Contact", 0), "sip:alice@198.51.100.2:5062"));
	/* a fetch asks for the list: every binding */
	struct th_req q = { .to = "sip:alice@example.com", .call_id = "a-3", .cseq = 1 };
	assert_int_equal(th_send(e, &q), 200);
	assert_int_equal(th_header_count(e, "Contact"), 2);
	/* bob: RFC 3261, every binding */
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5061>;expires=300", "b-1", 1), 200);
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5062>;expires=300", "b-2", 1), 200);
	assert_int_equal(th_header_count(e, "Contact"), 2);
	env_done(e);
}

/* A reload changes the rule the next REGISTER of the same AoR gets: nothing keeps the old one. */
static void reload_changes_rule(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid max-contacts=1,outgoing-expires=7200 /^sip:alice@/\n", NULL);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(st.outgoing_expires, 7200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 503);
	uint32_t kept = st.tag_in; /* the 503 came from the rule her record kept */
	assert_int_not_equal(kept, 0);
	const char *rules = "aor mid max-contacts=3,outgoing-expires=9000 /^sip:alice@/\n";
	char err[256] = "";
	assert_true(sr_policy_reload(reader.p, rules, strlen(rules), 1000, err, sizeof(err)) >= 0);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 200);
	assert_int_equal(st.tag_in, kept); /* the kept tag came back, stale: the new rules were scanned */
	assert_int_not_equal(st.tag_out, kept);
	assert_int_equal(st.outgoing_expires, 9000);
	assert_int_equal(th_binding_count(e, "sip:alice@example.com"), 2);
	/* a reload that drops the line: the configuration again for the very next REGISTER */
	rules = "# nothing for alice\n";
	assert_true(sr_policy_reload(reader.p, rules, strlen(rules), 1000, err, sizeof(err)) >= 0);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5063>;expires=300", "a-3", 1), 200);
	assert_int_equal(st.outgoing_expires, 0);
	env_done(e);
}

/*
 * A refresh absorbed on its bindings' leases (the mid-registrar never asked)
 * still gets the AoR's rule as it stands: after a reload that adds
 * only-request-contacts, the very next leased refresh scans the new rules
 * and its 200 lists only the request's contact.
 */
static void leased_refresh_after_reload(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid outgoing-expires=7200 /^sip:alice@/\n", NULL);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 200);
	uint32_t until = (uint32_t)(e->now_ms / 1000) + 3600;
	struct sr_loc *loc = sr_reg_location(e->shard);
	for (unsigned i = 0; i < 2; i++)
		assert_true(sr_loc_set_lease(loc, SR_STR_LIT("sip:alice@example.com"),
					     th_binding(e, "sip:alice@example.com", i)->id, until));
	unsigned offers = st.offers;
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 2), 200);
	assert_int_equal(st.leased, 1);
	assert_int_equal(st.offers, offers); /* leased: never offered */
	assert_int_equal(th_header_count(e, "Contact"), 2);
	const char *rules = "aor mid only-request-contacts /^sip:alice@/\n";
	char err[256] = "";
	assert_true(sr_policy_reload(reader.p, rules, strlen(rules), 1000, err, sizeof(err)) >= 0);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 3), 200);
	assert_int_equal(st.leased, 2);
	assert_int_equal(st.offers, offers);
	assert_int_not_equal(st.tag_out, st.tag_in); /* the kept tag was stale: the new rules were scanned */
	assert_int_equal(th_header_count(e, "Contact"), 1);
	assert_non_null(strstr(th_header(e, "Contact", 0), "sip:alice@198.51.100.2:5061"));
	env_done(e);
}

/*
 * The AoR's record keeps its rule's tag: the next REGISTER hands it back, so
 * the lookup answers without a scan while the rules stand (test_policy_mid
 * shows a kept tag is not rescanned, and reload_changes_rule that a reload
 * still applies). A custom AoR's To AoR has no record: nothing is kept.
 */
static void rule_tag_kept_with_aor(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid max-contacts=2 /^sip:alice@/\n"
				     "aor mid aor=sip:$user@tenant.$domain /^sip:carol@/\n", NULL);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 1), 200);
	assert_int_equal(st.tag_in, 0); /* a new AoR: nothing kept yet */
	uint32_t alice = st.tag_out;
	assert_int_not_equal(alice, 0);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5061>;expires=300", "a-1", 2), 200);
	assert_int_equal(st.tag_in, alice); /* her record kept it (written when the first change was prepared) */
	assert_int_equal(st.tag_out, alice);
	/*
	 * A refused REGISTER (over max-contacts) leaves the kept tag as it was:
	 * after a reload to another line, which still refuses her third contact,
	 * the lookup finds a new tag, and her record still holds the old one.
	 */
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5062>;expires=300", "a-2", 1), 200);
	const char *rules = "aor mid max-contacts=2,outgoing-expires=600 /^sip:alice@/\n"
			    "aor mid aor=sip:$user@tenant.$domain /^sip:carol@/\n";
	char err[256] = "";
	assert_true(sr_policy_reload(reader.p, rules, strlen(rules), 1000, err, sizeof(err)) >= 0);
	assert_int_equal(reg(e, "alice", "<sip:alice@198.51.100.2:5063>;expires=300", "a-3", 1), 503);
	assert_int_equal(st.tag_in, alice);
	assert_int_not_equal(st.tag_out, alice); /* the new rules were scanned */
	assert_int_equal(sr_loc_aor_tag(th_aor(e, "sip:alice@example.com")), alice);
	/* bob matches no line: "no rule" is kept the same way, and is not alice's answer */
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5061>;expires=300", "b-1", 1), 200);
	uint32_t bob = st.tag_out;
	assert_int_equal(reg(e, "bob", "<sip:bob@198.51.100.3:5061>;expires=300", "b-1", 2), 200);
	assert_int_equal(st.tag_in, bob);
	assert_int_not_equal(bob, alice);
	/* carol's bindings live under the custom AoR: every REGISTER of hers looks up afresh */
	e->owner_moves = true;
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 200);
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 2), 200);
	assert_int_equal(st.tag_in, 0);
	assert_int_equal(th_binding_count(e, "sip:carol@tenant.example.com"), 1);
	assert_int_equal(th_binding_count(e, "sip:carol@example.com"), 0);
	env_done(e);
}

/* io.apply's second pass: the rule the offer was made under (custom AoR), even after a reload. */
static void second_pass_keeps_rule(void **state)
{
	(void)state;
	struct th_env *e = env_rules("aor mid aor=sip:$user@tenant.$domain,matching-mode=1 /^sip:carol@/\n", NULL);
	e->owner_moves = true;
	st.take = true;
	assert_int_equal(reg(e, "carol", "<sip:carol@198.51.100.9:5060>;expires=300", "c-1", 1), 0);
	assert_true(e->res.mid_taken);
	assert_string_equal(st.aor, "sip:carol@tenant.example.com");
	unsigned lookups = st.lookups;
	const char *rules = "# carol's line is gone\n";
	char err[256] = "";
	assert_true(sr_policy_reload(reader.p, rules, strlen(rules), 1000, err, sizeof(err)) >= 0);
	struct sr_midreg_apply a = { .aor = SR_STR_LIT("sip:carol@tenant.example.com"),
				     .msg = sr_str_make(st.msg, st.msg_len),
				     .host_state = sr_str_make(st.host_state, st.hs_len), .n = 1 };
	a.expires[0] = 3600;
	uint64_t ids[SR_MIDREG_MAX_CONTACTS];
	assert_int_equal(sr_reg_mid_apply(e->shard, &a, e->now_ms, ids), 0);
	assert_int_equal(st.lookups, lookups); /* no second lookup */
	assert_int_equal(th_binding_count(e, "sip:carol@tenant.example.com"), 1);
	assert_int_equal(th_binding_count(e, "sip:carol@example.com"), 0);
	assert_true(ids[0] == th_binding(e, "sip:carol@tenant.example.com", 0)->id);
	env_done(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(max_contacts),
		cmocka_unit_test(max_contacts_zero_unlimited),
		cmocka_unit_test(force_registration),
		cmocka_unit_test(matching_uri_only),
		cmocka_unit_test(matching_uri_callid),
		cmocka_unit_test(matching_param),
		cmocka_unit_test(path_received),
		cmocka_unit_test(custom_aor),
		cmocka_unit_test(memory_only_from_rule),
		cmocka_unit_test(rule_memory_only_overrides_the_hook),
		cmocka_unit_test(only_request_contacts),
		cmocka_unit_test(reload_changes_rule),
		cmocka_unit_test(leased_refresh_after_reload),
		cmocka_unit_test(rule_tag_kept_with_aor),
		cmocka_unit_test(second_pass_keeps_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
