/*
 * push_config.c - the [push] settings: defaults, the parsed rules, checks.
 *
 * Defaults are the OpenSIPS mid_registrar manual's (pn_pnsreg_interval 130,
 * pn_trigger_interval 120, pn_skip_pn_interval 0, pn_refresh_timeout 6,
 * pn_ct_match_params "pn-provider, pn-prid, pn-param"). As in the manual,
 * enabling push needs a provider list: there is no sensible default.
 *
 * One rule the manual leaves implicit is enforced: pnsreg_interval must be
 * larger than trigger_interval, otherwise a UA that refreshes by itself
 * (+sip.pnsreg) would be told to do so later than the point where we push it
 * anyway, and every such UA would get a needless push per registration.
 */
#include "push.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void sr_push_config_defaults(struct sr_push_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->match_params, sizeof(c->match_params), "pn-provider,pn-prid,pn-param");
	c->pnsreg_interval = 130;
	c->trigger_interval = 120;
	c->skip_interval = 0;
	c->refresh_timeout = 6;
	c->held = 1024;
	c->gateway.queue = 1024;
	c->gateway.parallel = 16;
	c->gateway.timeout_ms = 2000;
	c->gateway.retries = 2;
	c->gateway.backoff_ms = 250;
	c->gateway.body_max = SR_PUSH_EVENT_MAX;
}

/* RFC 3261 token characters: what a provider or URI parameter name may hold. */
static bool token_char(unsigned char ch)
{
	return isalnum(ch) || strchr("-.!%*_+`'~", ch) != NULL;
}

/*
 * Splits a comma/blank separated list into names (lower-cased when asked).
 * Returns NULL or a message naming the key.
 */
static const char *parse_list(const char *key, const char *list, char names[][SR_PUSH_NAME_MAX], unsigned max,
			      unsigned *n, bool lower, char *err, size_t err_len)
{
	*n = 0;
	for (const char *p = list; *p;) {
		if (*p == ',' || *p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		size_t len = 0;
		while (p[len] && p[len] != ',' && p[len] != ' ' && p[len] != '\t') {
			if (!token_char((unsigned char)p[len]))
				return snprintf(err, err_len, "%s: '%c' is not allowed in a name", key, p[len]), err;
			len++;
		}
		if (len >= SR_PUSH_NAME_MAX)
			return snprintf(err, err_len, "%s: '%.*s' is longer than %d characters", key, (int)len, p,
					SR_PUSH_NAME_MAX - 1),
			       err;
		if (*n == max)
			return snprintf(err, err_len, "%s: more than %u names", key, max), err;
		for (unsigned i = 0; i < *n; i++)
			if (strncasecmp(names[i], p, len) == 0 && names[i][len] == '\0')
				return snprintf(err, err_len, "%s: '%.*s' is listed twice", key, (int)len, p), err;
		for (size_t i = 0; i < len; i++)
			names[*n][i] = lower ? (char)tolower((unsigned char)p[i]) : p[i];
		names[*n][len] = '\0';
		(*n)++;
		p += len;
	}
	return NULL;
}

const char *sr_push_rules_init(struct sr_push_rules *r, const struct sr_push_config *c, char *err, size_t err_len)
{
	memset(r, 0, sizeof(*r));
	r->enable = c->enable;
	r->purr = c->purr;
	r->pnsreg_interval = c->pnsreg_interval;
	r->trigger_interval = c->trigger_interval;
	r->skip_interval = c->skip_interval;
	r->refresh_timeout = c->refresh_timeout;
	const char *m = parse_list("push.providers", c->providers, r->provider, SR_PUSH_MAX_PROVIDERS,
				   &r->n_providers, false, err, err_len);
	if (!m)
		m = parse_list("push.match_params", c->match_params, r->match, SR_PUSH_MAX_MATCH, &r->n_match, true,
			       err, err_len);
	if (m)
		return m;
	if (c->purr && !c->enable)
		return snprintf(err, err_len, "push.purr: needs push.enable"), err;
	if (!c->enable)
		return NULL;
	if (r->n_providers == 0)
		return snprintf(err, err_len, "push.providers: needed when push.enable is true (e.g. apns,fcm)"), err;
	if (r->n_match == 0)
		return snprintf(err, err_len, "push.match_params: name at least one parameter"), err;
	if (c->pnsreg_interval <= c->trigger_interval)
		return snprintf(err, err_len,
				"push.pnsreg_interval: must be larger than push.trigger_interval (%u), or UAs that "
				"refresh by themselves are pushed first",
				c->trigger_interval),
		       err;
	if (c->refresh_timeout == 0)
		return snprintf(err, err_len, "push.refresh_timeout: must be at least 1 second"), err;
	if (c->held == 0)
		return snprintf(err, err_len, "push.held: must be at least 1"), err;
	return NULL;
}

static const char *check_gateway(const struct sr_pushgw_config *g, char *err, size_t err_len)
{
	if (g->url[0] && strncasecmp(g->url, "http://", 7) != 0 && strncasecmp(g->url, "https://", 8) != 0)
		return snprintf(err, err_len, "push.gateway_url: '%s' is not an http:// or https:// URL", g->url), err;
	if (g->queue == 0)
		return snprintf(err, err_len, "push.gateway_queue: must be at least 1"), err;
	if (g->parallel == 0 || g->parallel > g->queue)
		return snprintf(err, err_len, "push.gateway_parallel: must be between 1 and push.gateway_queue (%u)",
				g->queue),
		       err;
	if (g->timeout_ms == 0)
		return snprintf(err, err_len, "push.gateway_timeout_ms: must be at least 1"), err;
	if (g->body_max < 64)
		return snprintf(err, err_len, "push gateway: largest body under 64 bytes"), err;
	return NULL;
}

const char *sr_push_config_check(const struct sr_push_config *c, char *err, size_t err_len)
{
	struct sr_push_rules r;
	const char *m = sr_push_rules_init(&r, c, err, err_len);
	return m ? m : check_gateway(&c->gateway, err, err_len);
}
