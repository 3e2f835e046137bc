/*
 * bench_memchr.c - the floor bench/pipeline compares the worker against: one
 * memchr pass over each REGISTER (finding every CRLF line end), the least any
 * SIP parser must do to look at the whole message once.
 *
 * Reads the frames bench/pipeline/gen_pcap.py wrote (a classic pcap file),
 * keeps their UDP payloads in memory and times COUNT passes over them.
 * The last line of output is one JSON object:
 *   {"memchr_ns": N, "payload_bytes": B, "lines": L}
 *
 *   bench_memchr FILE.pcap [PASSES]     (default 20)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCAP_HDR 24
#define REC_HDR 16
#define SIP_OFF 42 /* Ethernet 14 + IPv4 20 + UDP 8, as gen_pcap.py writes them */
#define MAX_MSGS 1000000

struct sr_msgs {
	char *buf;
	size_t *off;
	size_t *len;
	size_t n;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Loads the UDP payloads of FILE; 0 on success, -1 with a message on stderr. */
static int sr_load(const char *path, struct sr_msgs *m)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	m->buf = malloc(size > 0 ? (size_t)size : 1);
	m->off = calloc(MAX_MSGS, sizeof(*m->off));
	m->len = calloc(MAX_MSGS, sizeof(*m->len));
	int ok = size > PCAP_HDR && m->buf && m->off && m->len && fread(m->buf, 1, (size_t)size, f) == (size_t)size;
	fclose(f);
	uint32_t magic;
	if (ok)
		memcpy(&magic, m->buf, 4);
	if (!ok || magic != 0xa1b2c3d4) {
		fprintf(stderr, "bench_memchr: %s: not a little-endian classic pcap file\n", path);
		return -1;
	}
	size_t pos = PCAP_HDR;
	m->n = 0;
	while (pos + REC_HDR <= (size_t)size && m->n < MAX_MSGS) {
		uint32_t caplen;
		memcpy(&caplen, m->buf + pos + 8, 4);
		pos += REC_HDR;
		if (caplen <= SIP_OFF || pos + caplen > (size_t)size) {
			fprintf(stderr, "bench_memchr: %s: truncated or runt record %zu\n", path, m->n);
			return -1;
		}
		m->off[m->n] = pos + SIP_OFF;
		m->len[m->n] = caplen - SIP_OFF;
		m->n++;
		pos += caplen;
	}
	if (m->n == 0) {
		fprintf(stderr, "bench_memchr: %s: no frames\n", path);
		return -1;
	}
	return 0;
}

/* Lines (CRLF-terminated) in one message, found with memchr. */
static size_t sr_lines(const char *p, size_t len)
{
	const char *end = p + len;
	size_t lines = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		lines++;
		p = nl + 1;
	}
	return lines;
}

int main(int argc, char **argv)
{
	struct sr_msgs m;
	char *endp = NULL;
	long passes = argc > 2 ? strtol(argv[2], &endp, 10) : 20;
	if (argc < 2 || argc > 3 || (argc > 2 && (*endp != '\0' || passes < 1 || passes > 1000))) {
		fprintf(stderr, "usage: bench_memchr FILE.pcap [PASSES 1..1000]\n");
		return 2;
	}
	if (sr_load(argv[1], &m) != 0)
		return 1;
	size_t lines = 0, bytes = 0;
	double t0 = now_s();
	for (long r = 0; r < passes; r++)
		for (size_t i = 0; i < m.n; i++)
			lines += sr_lines(m.buf + m.off[i], m.len[i]);
	double dt = now_s() - t0;
	for (size_t i = 0; i < m.n; i++)
		bytes += m.len[i];
	double ns = dt * 1e9 / ((double)m.n * (double)passes);
	printf("memchr pass: %.1f ns per message (%zu messages, %.0f bytes average, %zu lines each)\n", ns, m.n,
	       (double)bytes / (double)m.n, lines / m.n / (size_t)passes);
	printf("{\"memchr_ns\": %.1f, \"payload_bytes\": %.0f, \"lines\": %zu}\n", ns, (double)bytes / (double)m.n,
	       lines / m.n / (size_t)passes);
	free(m.buf);
	free(m.off);
	free(m.len);
	return 0;
}
