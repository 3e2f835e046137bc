/*
 * ctl_pushgw.c - the push gateway client over libcurl's multi interface
 * (see ctl_pushgw.h for the contract).
 *
 * Jobs: 'queue' slots, each with its body buffer allocated at creation, in
 * one of three lists: the ready FIFO (new events, in order), the retry list
 * (sorted by the time the back-off ends) and in flight (attached to one of
 * 'parallel' easy handles). Easy handles are created once with every fixed
 * option set and only get the body per attempt, so their connections stay
 * in the multi handle's cache and a busy gateway is not re-dialled per
 * event. Retries go before new events: they are older.
 */
#include "ctl_pushgw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define NIL UINT32_MAX
#define MAX_BACKOFF_SHIFT 16

enum job_state { JOB_FREE, JOB_READY, JOB_RETRY, JOB_ACTIVE };

struct job {
	char *body;
	uint32_t len;
	uint32_t next;       /* ready FIFO or retry list */
	uint64_t ready_ms;   /* JOB_RETRY: when the back-off ends */
	uint8_t state;
	uint8_t attempts;    /* attempts made */
};

struct sr_pushgw {
	struct sr_pushgw_config cfg;
	CURLM *multi;
	struct curl_slist *headers;
	CURL **easy;
	uint32_t *easy_job;          /* job of each busy handle */
	uint32_t *easy_free, easy_free_top;
	struct job *jobs;
	char *bodies;
	uint32_t *job_free, job_free_top;
	uint32_t ready_head, ready_tail;
	uint32_t retry_head;
	struct sr_pushgw_stats stats;
};

static const char *const cause_names[SR_PUSHGW_F_COUNT] = { "connect", "timeout", "http_4xx", "http_5xx",
							     "other" };

const char *sr_pushgw_cause_name(enum sr_pushgw_cause c)
{
	return (unsigned)c < SR_PUSHGW_F_COUNT ? cause_names[c] : "unknown";
}

/* The gateway's answer body is not ours to read. */
static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static CURL *easy_new(const struct sr_pushgw *gw)
{
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	bool ok = curl_easy_setopt(e, CURLOPT_URL, gw->cfg.url) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_HTTPHEADER, gw->headers) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)gw->cfg.timeout_ms) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)gw->cfg.timeout_ms) == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK && /* no SIGALRM: we are not alone */
		  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
		  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK;
	if (!ok) {
		curl_easy_cleanup(e);
		return NULL;
	}
	return e;
}

struct sr_pushgw *sr_pushgw_create(const struct sr_pushgw_config *c, char *err, size_t err_len)
{
	if (!c->url[0] || c->queue == 0 || c->parallel == 0 || c->parallel > c->queue || c->body_max == 0) {
		snprintf(err, err_len, "push gateway: needs a URL, a queue and 1..queue parallel POSTs");
		return NULL;
	}
	/* thread-safe and reference-counted in the curl we build against (>= 7.84) */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, err_len, "push gateway: libcurl did not initialise");
		return NULL;
	}
	struct sr_pushgw *gw = calloc(1, sizeof(*gw));
	if (!gw) {
		curl_global_cleanup();
		snprintf(err, err_len, "push gateway: out of memory");
		return NULL;
	}
	gw->cfg = *c;
	gw->ready_head = gw->ready_tail = gw->retry_head = NIL;
	gw->multi = curl_multi_init();
	/* "Expect:" off: curl would otherwise wait for a 100 Continue before bodies over 1 KiB */
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	gw->headers = h ? curl_slist_append(h, "Expect:") : NULL;
	if (!gw->headers)
		curl_slist_free_all(h);
	gw->easy = calloc(c->parallel, sizeof(*gw->easy));
	gw->easy_job = calloc(c->parallel, sizeof(*gw->easy_job));
	gw->easy_free = calloc(c->parallel, sizeof(*gw->easy_free));
	gw->jobs = calloc(c->queue, sizeof(*gw->jobs));
	gw->bodies = malloc((size_t)c->queue * c->body_max);
	gw->job_free = calloc(c->queue, sizeof(*gw->job_free));
	bool ok = gw->multi && gw->headers && gw->easy && gw->easy_job && gw->easy_free && gw->jobs && gw->bodies &&
		  gw->job_free;
	for (uint32_t i = 0; ok && i < c->parallel; i++) {
		gw->easy[i] = easy_new(gw);
		ok = gw->easy[i] != NULL;
		gw->easy_free[gw->easy_free_top++] = c->parallel - 1 - i;
	}
	if (!ok) {
		sr_pushgw_free(gw);
		snprintf(err, err_len, "push gateway: out of memory or libcurl refused an option");
		return NULL;
	}
	for (uint32_t i = 0; i < c->queue; i++) {
		gw->jobs[i].body = gw->bodies + (size_t)i * c->body_max;
		gw->job_free[gw->job_free_top++] = c->queue - 1 - i;
	}
	return gw;
}

void sr_pushgw_free(struct sr_pushgw *gw)
{
	if (!gw)
		return;
	for (uint32_t i = 0; gw->easy && i < gw->cfg.parallel; i++) {
		if (!gw->easy[i])
			continue;
		if (gw->multi)
			curl_multi_remove_handle(gw->multi, gw->easy[i]); /* harmless when not attached */
		curl_easy_cleanup(gw->easy[i]);
	}
	if (gw->multi)
		curl_multi_cleanup(gw->multi);
	curl_slist_free_all(gw->headers);
	free(gw->easy);
	free(gw->easy_job);
	free(gw->easy_free);
	free(gw->jobs);
	free(gw->bodies);
	free(gw->job_free);
	free(gw);
	curl_global_cleanup();
}

const struct sr_pushgw_stats *sr_pushgw_stats(const struct sr_pushgw *gw)
{
	return &gw->stats;
}

static void ready_push(struct sr_pushgw *gw, uint32_t j)
{
	gw->jobs[j].state = JOB_READY;
	gw->jobs[j].next = NIL;
	if (gw->ready_tail == NIL)
		gw->ready_head = j;
	else
		gw->jobs[gw->ready_tail].next = j;
	gw->ready_tail = j;
}

/* Into the retry list, which is kept sorted by the end of each back-off. */
static void retry_insert(struct sr_pushgw *gw, uint32_t j)
{
	struct job *x = &gw->jobs[j];
	x->state = JOB_RETRY;
	uint32_t *p = &gw->retry_head;
	while (*p != NIL && gw->jobs[*p].ready_ms <= x->ready_ms)
		p = &gw->jobs[*p].next;
	x->next = *p;
	*p = j;
}

static void job_release(struct sr_pushgw *gw, uint32_t j)
{
	gw->jobs[j].state = JOB_FREE;
	gw->job_free[gw->job_free_top++] = j;
	gw->stats.queued--;
}

bool sr_pushgw_submit(struct sr_pushgw *gw, const char *body, size_t len, uint64_t now_ms)
{
	(void)now_ms; /* a new event is ready at once; the clock matters to retries */
	if (len == 0 || len > gw->cfg.body_max) {
		gw->stats.dropped_large++;
		return false;
	}
	if (gw->job_free_top == 0) {
		gw->stats.dropped_full++;
		return false;
	}
	uint32_t j = gw->job_free[--gw->job_free_top];
	struct job *x = &gw->jobs[j];
	memcpy(x->body, body, len);
	x->len = (uint32_t)len;
	x->attempts = 0;
	ready_push(gw, j);
	gw->stats.submitted++;
	gw->stats.queued++;
	return true;
}

/* The next job that may start now (a due retry first), taken off its list; NIL when none. */
static uint32_t next_job(struct sr_pushgw *gw, uint64_t now_ms)
{
	uint32_t j = gw->retry_head;
	if (j != NIL && gw->jobs[j].ready_ms <= now_ms) {
		gw->retry_head = gw->jobs[j].next;
		return j;
	}
	j = gw->ready_head;
	if (j != NIL) {
		gw->ready_head = gw->jobs[j].next;
		if (gw->ready_head == NIL)
			gw->ready_tail = NIL;
	}
	return j;
}

/* Attaches due jobs to free handles; returns how many started. */
static unsigned start_due(struct sr_pushgw *gw, uint64_t now_ms)
{
	unsigned started = 0;
	while (gw->easy_free_top) {
		uint32_t j = next_job(gw, now_ms);
		if (j == NIL)
			break;
		uint32_t e = gw->easy_free[--gw->easy_free_top];
		struct job *x = &gw->jobs[j];
		CURL *c = gw->easy[e];
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)x->len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body); /* not copied: the slot outlives the attempt */
		curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)(uintptr_t)e);
		if (x->attempts)
			gw->stats.retries++;
		x->attempts++;
		x->state = JOB_ACTIVE;
		gw->easy_job[e] = j;
		if (curl_multi_add_handle(gw->multi, c) != CURLM_OK) {
			/* counts as a failed attempt of cause "other"; never stalls the queue */
			gw->easy_free[gw->easy_free_top++] = e;
			gw->stats.errors[SR_PUSHGW_F_OTHER]++;
			gw->stats.failed[SR_PUSHGW_F_OTHER]++;
			job_release(gw, j);
			continue;
		}
		gw->stats.in_flight++;
		started++;
	}
	return started;
}

/* What a finished attempt means: delivered (-1), or a failure cause and whether to try again. */
static int outcome(CURLcode rc, long status, bool *retry)
{
	*retry = false;
	switch (rc) {
	case CURLE_OK:
		if (status >= 200 && status < 300)
			return -1;
		if (status >= 500 && status < 600) {
			*retry = true;
			return SR_PUSHGW_F_HTTP_5XX;
		}
		if (status >= 400 && status < 500) {
			*retry = status == 408 || status == 429; /* timeout, too many requests: later may work */
			return SR_PUSHGW_F_HTTP_4XX;
		}
		return SR_PUSHGW_F_OTHER;
	case CURLE_OPERATION_TIMEDOUT:
		*retry = true;
		return SR_PUSHGW_F_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		*retry = true;
		return SR_PUSHGW_F_CONNECT;
	default:
		return SR_PUSHGW_F_OTHER;
	}
}

static void settle(struct sr_pushgw *gw, CURL *c, CURLcode rc, uint64_t now_ms)
{
	void *priv = NULL;
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_PRIVATE, &priv);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(gw->multi, c);
	uint32_t e = (uint32_t)(uintptr_t)priv, j = gw->easy_job[e];
	gw->easy_free[gw->easy_free_top++] = e;
	gw->stats.in_flight--;
	bool retry;
	int cause = outcome(rc, status, &retry);
	if (cause < 0) {
		gw->stats.delivered++;
		job_release(gw, j);
		return;
	}
	gw->stats.errors[cause]++;
	struct job *x = &gw->jobs[j];
	if (retry && x->attempts <= gw->cfg.retries) {
		unsigned shift = x->attempts - 1u < MAX_BACKOFF_SHIFT ? x->attempts - 1u : MAX_BACKOFF_SHIFT;
		x->ready_ms = now_ms + ((uint64_t)gw->cfg.backoff_ms << shift);
		retry_insert(gw, j);
		return;
	}
	gw->stats.failed[cause]++;
	job_release(gw, j);
}

void sr_pushgw_poll(struct sr_pushgw *gw, uint64_t now_ms)
{
	int running = 0;
	start_due(gw, now_ms);
	curl_multi_perform(gw->multi, &running);
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(gw->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
			settle(gw, m->easy_handle, m->data.result, now_ms);
	/* handles freed just now take the next jobs at once, not one loop later */
	if (start_due(gw, now_ms))
		curl_multi_perform(gw->multi, &running);
}
