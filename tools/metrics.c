// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard status --format prometheus: every counter and gauge in the
 * Prometheus text exposition format (version 0.0.4), for node_exporter's
 * textfile collector or any scraper. Reads only world-readable files, so
 * it needs no root. Without the module it still prints, and succeeds:
 * port53guard_up 0 is what an alert wants to see.
 *
 *   port53guard_up                         1 loaded, 0 not
 *   port53guard_info{version}              1
 *   port53guard_enabled, _tcp, _loopback, _log, _forward, _authoritative   the settings
 *   port53guard_rate                       replies per second allowed (0: no limit)
 *   port53guard_action{action}             1 for the action in force, 0 for the others
 *   port53guard_init_net_only, port53guard_max_entries     load-time parameters
 *   port53guard_namespaces                 network namespaces with the hooks
 *   port53guard_packets_total{hook,family,outcome,reason}
 *       every packet that reached a hook, once: outcome is the total the
 *       stats file leads with (rejected, dropped, monitored, exempted,
 *       replies, passed, disabled), reason the finer one (rejected_unreach,
 *       dropped_ratelimit, ...)
 *   port53guard_exempt_entries, port53guard_exempt_prefixes{family},
 *   port53guard_exempt_interfaces, port53guard_exempt_bytes
 *   port53guard_config_generation          committed changes since load
 *   port53guard_config_changed_timestamp_seconds   the last one (or the load)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p53g.h"

static int gauge(struct p53g_buf *b, const char *name, const char *help, long long v)
{
	return p53g_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n",
			       name, help, name, name, v);
}

/* A label value: backslash, double quote and newline escaped. */
static int label(struct p53g_buf *b, const char *v, size_t len)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && !rc; i++) {
		if (v[i] == '\\' || v[i] == '"')
			rc = p53g_buf_printf(b, "\\%c", v[i]);
		else if (v[i] == '\n')
			rc = p53g_buf_append(b, "\\n", 2);
		else
			rc = p53g_buf_append(b, &v[i], 1);
	}
	return rc;
}

/* The outcome named @name, or -1 (a newer module's: counted as "other"). */
static int outcome_find(const char *name, size_t len)
{
	int o;

	for (o = 0; o < P53G_NR_OUTCOMES; o++)
		if (strlen(p53g_outcome_name(o)) == len &&
		    !memcmp(p53g_outcome_name(o), name, len))
			return o;
	return -1;
}

static bool safe_word(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') || w[i] == '_'))
			return false;
	return len > 0;
}

/*
 * The counters file: "hook family NAME..." then "HOOK FAMILY N..." lines,
 * one sample per cell.
 */
static int packets(struct p53g_buf *b)
{
	struct p53g_buf c = { 0 };
	char *p, *end, *line, *w, *hdr = NULL, *h, *hw;
	size_t len, wl, hlen = 0, hl, col;
	bool first = true;
	int rc = 0;

	if (p53g_read_file("counters", &c))
		return 1;	/* said */
	rc = p53g_buf_printf(b, "# HELP port53guard_packets_total Packets that reached a hook, each "
				"counted once, by outcome (reason: the finer outcome).\n"
				"# TYPE port53guard_packets_total counter\n");
	for (p = c.data, end = c.data + c.len; !rc && p53g_next_line(&p, end, &line, &len);) {
		char *hook, *fam;
		size_t hookl, faml;

		if (first) {
			hdr = line;
			hlen = len;
			first = false;
			continue;
		}
		if (!p53g_next_word(&line, &len, &hook, &hookl) ||
		    !p53g_next_word(&line, &len, &fam, &faml) ||
		    !safe_word(hook, hookl) || !safe_word(fam, faml))
			continue;
		h = hdr;
		hl = hlen;
		/* skip "hook family" in the header */
		p53g_next_word(&h, &hl, &hw, &wl);
		p53g_next_word(&h, &hl, &hw, &wl);
		for (col = 0; !rc && p53g_next_word(&line, &len, &w, &wl); col++) {
			char *name;
			size_t nl;
			int o;

			if (!p53g_next_word(&h, &hl, &name, &nl))
				break;
			o = outcome_find(name, nl);
			rc = p53g_buf_printf(b, "port53guard_packets_total{hook=\"%.*s\",family=\"%.*s\","
					     "outcome=\"%s\",reason=\"", (int)hookl, hook, (int)faml,
					     fam, o < 0 ? "other" : p53g_total_name(p53g_outcome_total(o)));
			if (!rc)
				rc = label(b, name, nl);
			if (!rc)
				rc = p53g_buf_printf(b, "\"} %.*s\n", (int)wl, w);
		}
	}
	p53g_buf_free(&c);
	return rc;
}

static long long value_ll(const char *name)
{
	char v[32];

	return p53g_read_value(name, v, sizeof(v)) ? -1 : strtoll(v, NULL, 10);
}

/**
 * p53g_metrics() - the metrics, as text
 * @b: where to put them
 *
 * Return: 0, or -1 (said).
 */
#define FALLBACK_HELP \
	"1 when the module is not loaded and the nftables fallback refuses queries here."

int p53g_metrics(struct p53g_buf *b)
{
	char version[64], v[32], values[P53G_NR_SETTINGS][32];
	struct p53g_buf stats = { 0 };
	long long x;
	int s, a, rc;

	if (access(p53g_root(), F_OK)) {
		struct p53g_fallback_view fv;

		/* documented: port53guard_up 0 and port53guard_fallback, nothing else */
		p53g_fallback_view(&fv);
		rc = gauge(b, "port53guard_up", "Whether the port53guard module is loaded.", 0);
		return rc ? rc : gauge(b, "port53guard_fallback", FALLBACK_HELP, fv.guards);
	}
	for (s = 0; s < P53G_NR_SETTINGS; s++)
		if (p53g_opt_get(s, values[s], sizeof(values[s])))
			return -1;
	if (p53g_read_file("stats", &stats))
		return -1;
	rc = gauge(b, "port53guard_up", "Whether the port53guard module is loaded.", 1);
	if (!rc)
		rc = gauge(b, "port53guard_fallback", FALLBACK_HELP, 0);
	if (p53g_read_module_value("version", version, sizeof(version)))
		snprintf(version, sizeof(version), "unknown");
	if (!rc)
		rc = p53g_buf_printf(b, "# HELP port53guard_info The loaded module's version.\n"
					"# TYPE port53guard_info gauge\nport53guard_info{version=\"");
	if (!rc)
		rc = label(b, version, strlen(version));
	if (!rc)
		rc = p53g_buf_printf(b, "\"} 1\n");
	for (s = 0; s < P53G_NR_SETTINGS && !rc; s++) {
		char name[64], help[128];

		if (p53g_setting_kind(s) == P53G_KIND_ACTION)
			continue;
		snprintf(name, sizeof(name), "port53guard_%s", p53g_setting_name(s));
		snprintf(help, sizeof(help), "The setting %s: %s.", p53g_setting_name(s),
			 p53g_opt_help(s));
		rc = gauge(b, name, help, strtoll(values[s], NULL, 10));
	}
	if (!rc)
		rc = p53g_buf_printf(b, "# HELP port53guard_action The action for a refused query: "
					"1 for the one in force.\n# TYPE port53guard_action gauge\n");
	for (a = 0; a < P53G_NR_ACTIONS && !rc; a++)
		rc = p53g_buf_printf(b, "port53guard_action{action=\"%s\"} %d\n", p53g_action_name(a),
				     !strcmp(values[P53G_SET_ACTION], p53g_action_name(a)));
	if (!rc && !p53g_read_module_value("parameters/init_net_only", v, sizeof(v)))
		rc = gauge(b, "port53guard_init_net_only",
			   "1 when only the initial network namespace is guarded (load-time).",
			   v[0] == 'Y' || v[0] == '1');
	if (!rc && !p53g_read_module_value("parameters/max_entries", v, sizeof(v)))
		rc = gauge(b, "port53guard_max_entries",
			   "The largest exemption list allowed (load-time).", strtoll(v, NULL, 10));
	x = value_ll("namespaces");
	if (!rc && x >= 0)
		rc = gauge(b, "port53guard_namespaces",
			   "Network namespaces whose packets the hooks see.", x);
	if (!rc)
		rc = packets(b);
	if (!rc)
		rc = gauge(b, "port53guard_exempt_entries", "Entries in the exemption list.",
			   p53g_stat(&stats, "exempt_entries"));
	if (!rc)
		rc = p53g_buf_printf(b, "# HELP port53guard_exempt_prefixes Exempt prefixes, by family.\n"
					"# TYPE port53guard_exempt_prefixes gauge\n"
					"port53guard_exempt_prefixes{family=\"ipv4\"} %lld\n"
					"port53guard_exempt_prefixes{family=\"ipv6\"} %lld\n",
				     p53g_stat(&stats, "exempt_ipv4"), p53g_stat(&stats, "exempt_ipv6"));
	if (!rc)
		rc = gauge(b, "port53guard_exempt_interfaces", "Exempt interfaces (dev: entries).",
			   p53g_stat(&stats, "exempt_dev"));
	if (!rc)
		rc = gauge(b, "port53guard_exempt_bytes",
			   "Memory of the exemption table the packet path reads, in bytes.",
			   p53g_stat(&stats, "exempt_bytes"));
	x = value_ll("generation");
	if (!rc && x >= 0)
		rc = gauge(b, "port53guard_config_generation",
			   "Committed configuration changes since the module was loaded.", x);
	x = value_ll("changed");
	if (!rc && x >= 0)
		rc = gauge(b, "port53guard_config_changed_timestamp_seconds",
			   "When the configuration last changed (or the module was loaded).", x);
	p53g_buf_free(&stats);
	if (rc < 0)
		p53g_err("out of memory");
	return rc ? -1 : 0;
}
