/*
 * reg_harness.c - shared helpers of the registrar tests (see reg_harness.h).
 *
 * Every request goes through the data plane's two steps: the owner pre-scan
 * (sr_reg_prescan_carry), then sr_reg_process_carried resuming from it and
 * taking the To and AoR it carried (test_reg_carry checks that equals
 * reading them again). Each time,
 * the invariant "the pre-scan's owner is the parsed AoR's owner" is checked
 * (issue 15: otherwise one AoR's bindings split across workers). The parse
 * path comes from SR_TEST_PARSE ("fast", the default, or "libosip2":
 * registrar.fast_parse off); meson runs every registrar suite both ways.
 */
#include "reg_harness.h"

#include "test_eal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned next_shard_id; /* rte_hash names are process-global */

static void record_event(void *ctx, const struct sr_loc_event *ev)
{
	struct th_env *e = ctx;
	if (e->on_event)
		e->on_event(e->on_event_ctx, ev);
	if (e->n_events == TH_MAX_EVENTS)
		return;
	struct th_event *t = &e->events[e->n_events++];
	t->type = ev->type;
	snprintf(t->aor, sizeof(t->aor), "%.*s", (int)ev->b->aor.len, ev->b->aor.p);
	struct sr_str c = ev->b->f[SR_BF_CONTACT];
	snprintf(t->contact, sizeof(t->contact), "%.*s", (int)c.len, c.p);
	t->expires = ev->b->st.expires;
	t->cseq = ev->b->st.cseq;
	t->id = ev->b->st.id;
}

void th_default_config(struct sr_reg_config *cfg)
{
	sr_reg_config_defaults(cfg);
	sr_reg_config_add_domain(cfg, "example.com");
	cfg->secret = 0x1234567890abcdefull;
	cfg->max_aors = 4096;
}

struct th_env *th_env_new(const struct sr_reg_config *cfg, sr_aor_hash_fn *hash)
{
	return th_env_new_policy(cfg, hash, NULL);
}

struct th_env *th_env_new_policy(const struct sr_reg_config *cfg, sr_aor_hash_fn *hash,
				 const struct sr_policy_hooks *policy)
{
	return th_env_new_hooks(cfg, hash, policy, NULL);
}

bool th_libosip2_only(void)
{
	const char *v = getenv("SR_TEST_PARSE");
	return v && strcmp(v, "libosip2") == 0;
}

/* The shard's ownership hook: the test's, if it set one. */
static bool th_owns(void *ctx, uint64_t aor_hash)
{
	struct th_env *e = ctx;
	return !e->owns || e->owns(e, aor_hash);
}

/* The shard's binding flags hook: the test's, if it set one. */
static uint16_t th_binding_flags(void *ctx, struct sr_str aor)
{
	struct th_env *e = ctx;
	return e->binding_flags ? e->binding_flags(e, aor) : 0;
}

static bool th_claim(void *ctx, enum sr_event_type type, const struct sr_loc_binding *b);
static void th_release(void *ctx);
static struct sr_reg_mid_hooks next_mid; /* th_env_new_mid's hook for the shard being made */

/* Every environment: the shard parameters the callers vary (room: claims granted, or -1 for none). */
static struct th_env *env_new(const struct sr_reg_config *cfg, sr_aor_hash_fn *hash,
			      const struct sr_policy_hooks *policy, const struct sr_auth_hooks *auth, long room,
			      unsigned retractions)
{
	if (sr_test_eal_init() != 0)
		return NULL;
	struct th_env *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (cfg)
		e->cfg = *cfg;
	else
		th_default_config(&e->cfg);
	if (th_libosip2_only())
		e->cfg.fast_parse = false;
	e->now_ms = TH_T0_MS;
	e->src.ip = __builtin_bswap32(0xC6336402); /* 198.51.100.2 */
	e->src.port = 5060;
	if (sr_arena_init(&e->prescan_arena, 64 * 1024) != 0) {
		free(e);
		return NULL;
	}
	struct sr_reg_params p = { .cfg = &e->cfg, .shard_id = next_shard_id++, .now_ms = e->now_ms,
				     .on_event = record_event, .event_ctx = e, .hash = hash, .retraction = retractions > 0,
				     .retraction_replica = retractions > 1,
				     .owns = th_owns, .owns_ctx = e, .binding_flags = th_binding_flags,
				     .binding_flags_ctx = e };
	if (policy)
		p.policy = *policy;
	if (auth)
		p.auth = *auth;
	p.mid = next_mid;
	if (room >= 0) {
		e->room = (unsigned)room;
		p.room = (struct sr_loc_room){ th_claim, th_release, e };
	}
	const char *err = NULL;
	e->shard = sr_reg_create(&p, &err);
	if (!e->shard) {
		fprintf(stderr, "sr_reg_create: %s\n", err);
		sr_arena_fini(&e->prescan_arena);
		free(e);
		return NULL;
	}
	return e;
}

struct th_env *th_env_new_hooks(const struct sr_reg_config *cfg, sr_aor_hash_fn *hash,
				const struct sr_policy_hooks *policy, const struct sr_auth_hooks *auth)
{
	return env_new(cfg, hash, policy, auth, -1, 0);
}

struct th_env *th_env_new_mid(const struct sr_reg_mid_hooks *mid)
{
	return th_env_new_mid_cfg(mid, NULL);
}

struct th_env *th_env_new_mid_cfg(const struct sr_reg_mid_hooks *mid, const struct sr_reg_config *cfg)
{
	next_mid = *mid;
	struct th_env *e = env_new(cfg, NULL, NULL, NULL, -1, false);
	next_mid = (struct sr_reg_mid_hooks){ 0 };
	return e;
}

static bool th_claim(void *ctx, enum sr_event_type type, const struct sr_loc_binding *b)
{
	struct th_env *e = ctx;
	(void)type;
	(void)b;
	if (e->room == 0)
		return false;
	e->room--;
	e->claims++;
	return true;
}

static void th_release(void *ctx)
{
	((struct th_env *)ctx)->releases++;
}

struct th_env *th_env_durable(unsigned room, bool retraction)
{
	return env_new(NULL, NULL, NULL, NULL, room, retraction ? 1 : 0);
}

struct th_env *th_env_durable_replica(unsigned room)
{
	return env_new(NULL, NULL, NULL, NULL, room, 2);
}

struct th_env *th_env_contacts(uint32_t max_contacts, enum sr_max_contacts_mode mode)
{
	struct sr_reg_config cfg;
	th_default_config(&cfg);
	cfg.max_contacts = max_contacts;
	cfg.max_contacts_mode = mode;
	struct th_env *e = th_env_new(&cfg, NULL);
	assert_non_null(e);
	return e;
}

void th_env_free(struct th_env *e)
{
	if (!e)
		return;
	sr_reg_free(e->shard);
	sr_arena_fini(&e->prescan_arena);
	free(e);
}

int th_setup(void **state)
{
	*state = th_env_new(NULL, NULL);
	return *state ? 0 : -1;
}

int th_teardown(void **state)
{
	th_env_free(*state);
	return 0;
}

int th_raw(struct th_env *e, const char *bytes, size_t len)
{
	memset(e->resp, 0, sizeof(e->resp));
	size_t cap = e->resp_cap && e->resp_cap < sizeof(e->resp) ? e->resp_cap : sizeof(e->resp) - 1;
	struct sr_reg_owner o;
	struct sr_reg_carry carry; /* as a worker does: the owner takes the To and AoR the pre-scan read */
	int pre = sr_reg_prescan_carry(bytes, len, &e->cfg, &e->prescan_arena, &e->scan, &o, &carry);
	uint64_t hash = o.hash;
	sr_reg_process_carried(e->shard, bytes, len, &e->scan, &carry, &e->src, e->now_ms, e->resp, cap, &e->res);
	/* the retraction follows the response: keep a copy before the response is made a string */
	size_t rl = e->res.retraction_len < sizeof(e->retraction) ? e->res.retraction_len : 0;
	memcpy(e->retraction, e->resp + e->res.len, rl);
	e->retraction[rl] = '\0';
	size_t rr = e->res.retraction_replica_len < sizeof(e->retraction_replica) ? e->res.retraction_replica_len : 0;
	memcpy(e->retraction_replica, e->resp + e->res.len + e->res.retraction_len, rr);
	e->retraction_replica[rr] = '\0';
	e->resp[e->res.len] = '\0';
	/* A REGISTER whose AoR the parse found must have had that owner in the pre-scan. */
	if (e->res.has_aor && (pre != 0 || (hash != e->res.aor_hash && !e->owner_moves)))
		fail_msg("the pre-scan's owner (%s, %016llx) is not the parsed AoR's (%016llx)",
			 pre ? "none" : "found", (unsigned long long)hash, (unsigned long long)e->res.aor_hash);
	return e->res.len ? e->res.status : 0;
}

int th_send(struct th_env *e, const struct th_req *r)
{
	static char buf[65536];
	const char *method = r->method ? r->method : "REGISTER";
	const char *call_id = r->call_id ? r->call_id : "call-1@client";
	uint32_t cseq = r->cseq ? r->cseq : 1;
	char branch[96];
	if (r->branch)
		snprintf(branch, sizeof(branch), "%s", r->branch);
	else
		snprintf(branch, sizeof(branch), "z9hG4bK-%u-%08x", cseq,
			 (unsigned)sr_hash64(call_id, strlen(call_id)));
	int n = snprintf(buf, sizeof(buf),
			 "%s %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.2:5060;branch=%s\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <%s>;tag=from-tag-1\r\n"
			 "To: <%s>\r\n"
			 "Call-ID: %s\r\n"
			 "CSeq: %u %s\r\n"
			 "%s%s%s"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 method, r->ruri ? r->ruri : "sip:example.com", branch,
			 r->to ? r->to : "sip:alice@example.com", r->to ? r->to : "sip:alice@example.com",
			 call_id, cseq, method, r->contact ? "Contact: " : "",
			 r->contact ? r->contact : "", r->contact ? "\r\n" : "", r->extra ? r->extra : "");
	return th_raw(e, buf, (size_t)n);
}

int th_register(struct th_env *e, const char *user, const char *contact, const char *call_id,
		uint32_t cseq)
{
	char to[256];
	snprintf(to, sizeof(to), "sip:%s@example.com", user);
	struct th_req r = { .to = to, .contact = contact, .call_id = call_id, .cseq = cseq };
	return th_send(e, &r);
}

/* Finds the idx-th "name:" line of the response; returns its value (static copy). */
const char *th_header(struct th_env *e, const char *name, unsigned idx)
{
	static char out[4096];
	size_t nl = strlen(name);
	const char *p = strstr(e->resp, "\r\n");
	while (p && p[2] != '\r' && p[2] != '\0') {
		const char *line = p + 2;
		const char *end = strstr(line, "\r\n");
		if (!end)
			break;
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':' && idx-- == 0) {
			const char *v = line + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(out, sizeof(out), "%.*s", (int)(end - v), v);
			return out;
		}
		p = end;
	}
	return NULL;
}

unsigned th_header_count(struct th_env *e, const char *name)
{
	unsigned n = 0;
	while (th_header(e, name, n))
		n++;
	return n;
}

const char *th_reason(struct th_env *e)
{
	static char out[256];
	const char *sp = strchr(e->resp, ' ');
	const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
	const char *end = strstr(e->resp, "\r\n");
	if (!sp2 || !end || end < sp2)
		return "";
	snprintf(out, sizeof(out), "%.*s", (int)(end - sp2 - 1), sp2 + 1);
	return out;
}

struct sr_loc *th_loc(struct th_env *e)
{
	return sr_reg_location(e->shard);
}

const struct sr_aor *th_aor(struct th_env *e, const char *aor)
{
	return sr_loc_find(th_loc(e), sr_str_cstr(aor));
}

unsigned th_binding_count(struct th_env *e, const char *aor)
{
	const struct sr_aor *a = th_aor(e, aor);
	return a ? a->n_bindings : 0;
}

const struct sr_binding *th_binding(struct th_env *e, const char *aor, unsigned idx)
{
	const struct sr_binding *b = sr_loc_first(th_aor(e, aor));
	while (b && idx--)
		b = b->next;
	return b;
}

const char *th_field(const struct sr_binding *b, enum sr_bfield f)
{
	static char out[4096];
	struct sr_str s = sr_binding_field(b, f);
	snprintf(out, sizeof(out), "%.*s", (int)s.len, s.p);
	return out;
}

unsigned th_advance(struct th_env *e, uint32_t seconds)
{
	e->now_ms += (uint64_t)seconds * 1000;
	unsigned total = 0, n;
	while ((n = sr_reg_expire(e->shard, e->now_ms, 64)) > 0)
		total += n;
	return total;
}
