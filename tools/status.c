// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard status [--json]: the settings, the size of the exemption
 * list and every counter the module has (whatever names its stats file
 * holds, in its order).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p53g.h"

static void status_usage(FILE *f)
{
	fprintf(f, "Usage: %s status [--json | --format text|json]\n"
		   "       %s status --format prometheus [-o FILE]\n\n"
		   "Shows the settings, the number of exemption entries and the counters.\n"
		   "  --json                the same as one JSON object (--format json)\n"
		   "  --format prometheus   every counter and gauge in the Prometheus text\n"
		   "                        format; without the module, port53guard_up 0\n"
		   "  -o FILE               (prometheus only) write it to FILE atomically\n"
		   "                        (a temporary file, renamed over FILE), e.g.\n"
		   "                        for node_exporter's textfile collector\n",
		PROG_NAME, PROG_NAME);
}

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	if (!len || len > 20)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* One "name value" line of the stats file, printed as text or JSON. */
static void print_counter(const char *line, size_t len, bool json, bool first)
{
	const char *sp = memchr(line, ' ', len);
	size_t nlen = sp ? (size_t)(sp - line) : len;
	const char *val = sp ? sp + 1 : "";
	size_t vlen = sp ? len - nlen - 1 : 0;

	if (!json) {
		printf("  %.*s: %.*s\n", (int)nlen, line, (int)vlen, val);
		return;
	}
	printf("%s\n    ", first ? "" : ",");
	p53g_json_string(line, nlen);
	printf(": ");
	if (all_digits(val, vlen) && (vlen == 1 || val[0] != '0'))
		printf("%.*s", (int)vlen, val);
	else
		p53g_json_string(val, vlen);
}

/* The value of the line "NAME value" in a stats file, or -1. */
long long p53g_stat(const struct p53g_buf *stats, const char *name)
{
	size_t n = strlen(name);
	const char *p = stats->data, *end = stats->data + stats->len;

	while (p && p < end) {
		if ((size_t)(end - p) > n + 1 && !memcmp(p, name, n) && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p = memchr(p, '\n', end - p);
		if (p)
			p++;
	}
	return -1;
}

/* What only the module's own directory says: version and load-time parameters. */
static void module_info(char *version, size_t vsize, char *max, size_t msize,
			char *netonly, size_t nsize)
{
	if (p53g_read_module_value("version", version, vsize))
		snprintf(version, vsize, "?");
	if (p53g_read_module_value("parameters/max_entries", max, msize))
		snprintf(max, msize, "?");
	if (p53g_read_module_value("parameters/init_net_only", netonly, nsize))
		snprintf(netonly, nsize, "?");
	/* a bool parameter reads Y or N */
	if (!strcmp(netonly, "Y"))
		snprintf(netonly, nsize, "1");
	else if (!strcmp(netonly, "N"))
		snprintf(netonly, nsize, "0");
}

static int status_prometheus(const char *file)
{
	struct p53g_buf out = { 0 };
	int rc;

	rc = p53g_metrics(&out);
	if (!rc && file)
		rc = p53g_write_file_atomic(file, out.data, out.len);
	else if (!rc)
		fwrite(out.data, 1, out.len, stdout);
	p53g_buf_free(&out);
	return rc ? EXIT_FAIL : p53g_finish_stdout(EXIT_OK);
}

/* "generation 5, last 2026-12-02 04:30:00 UTC", or "" for an older module. */
static void status_changes(char *out, size_t size)
{
	char gen[32], changed[32], when[40];
	time_t t;

	out[0] = '\0';
	if (p53g_read_value("generation", gen, sizeof(gen)) ||
	    p53g_read_value("changed", changed, sizeof(changed)))
		return;
	t = (time_t)strtoll(changed, NULL, 10);
	if (!strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t)))
		snprintf(when, sizeof(when), "%s", changed);
	snprintf(out, size, "%s %s", gen, when);
}

/*
 * No module, but the nftables fallback in this namespace: what guards
 * it, from where and why, and its counters (those with root).
 * Return: 0 when it refuses queries, 1 when it refuses nothing.
 */
static int status_fallback(const struct p53g_fallback_view *fv, bool json)
{
	struct p53g_buf c = { 0 };
	char when[40] = "";
	time_t t = (time_t)fv->st.time;
	bool first = true;
	char *p, *end, *nl;

	if (fv->state)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (fv->table == 1)
		p53g_fallback_counters(&c);
	if (json) {
		printf("{\n  \"module\": false,\n  \"fallback\": true,\n  \"guards\": %s,"
		       "\n  \"table\": \"inet port53guard\",\n  \"table_seen\": %s",
		       fv->guards ? "true" : "false", fv->table == 1 ? "true" : "false");
		if (fv->state) {
			printf(",\n  \"applied\": \"%s\",\n  \"file\": ", when);
			p53g_json_string(fv->st.file, strlen(fv->st.file));
			printf(",\n  \"why\": ");
			p53g_json_string(fv->st.why, strlen(fv->st.why));
			printf(",\n  \"settings\": ");
			p53g_json_string(fv->st.settings, strlen(fv->st.settings));
		}
		printf(",\n  \"counters\": {");
	} else {
		printf("module: not loaded\n"
		       "fallback: %s by the nftables fallback, table inet port53guard, in this "
		       "network namespace%s\n",
		       fv->guards ? "guarded" : "NOT guarded: it refuses nothing, though applied",
		       fv->table == 1 ? "" : " (from the state file: reading nftables needs root)");
		if (fv->state)
			printf("applied: %s from %s\nwhy: %s\nsettings: %s\n", when, fv->st.file,
			       fv->st.why, fv->st.settings);
		if (c.len)
			printf("counters:\n");
	}
	for (p = c.data, end = c.data + c.len; p && p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			break;
		print_counter(p, nl - p, json, first);
		first = false;
	}
	if (json)
		printf("%s}\n}\n", first ? "" : "\n  ");
	p53g_buf_free(&c);
	return p53g_finish_stdout(fv->guards ? EXIT_OK : EXIT_FAIL);
}

int status_main(int argc, char *argv[])
{
	char values[P53G_NR_SETTINGS][32], version[32], max[24], netonly[8], changes[80];
	struct p53g_buf stats = { 0 };
	bool json = false, first = true, prom = false;
	const char *file = NULL, *format = NULL, *f;
	char q[P53G_QUOTE_MAX];
	long long count;
	char *p, *end, *nl;
	size_t i;

	p53g_json_args(argc, argv);
	for (i = 1; i < (size_t)argc; i++) {
		if (p53g_is_help(argv[i])) {
			status_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		} else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--format")) {
			if (!strcmp(argv[i], "--format") && i + 1 == (size_t)argc) {
				p53g_err("status: option --format needs text, json or prometheus");
				return p53g_json_fail(EXIT_USAGE);
			}
			f = !strcmp(argv[i], "--json") ? "json" : argv[++i];
			if (strcmp(f, "text") && strcmp(f, "json") && strcmp(f, "prometheus")) {
				p53g_err("status: unknown format %s (text, json or prometheus)",
					 p53g_quote(f, strlen(f), q));
				return p53g_json_fail(EXIT_USAGE);
			}
			if (format && strcmp(format, f)) {
				p53g_err("status: formats %s and %s conflict: give one", format, f);
				return p53g_json_fail(EXIT_USAGE);
			}
			format = f;
			json = !strcmp(f, "json");
			prom = !strcmp(f, "prometheus");
		} else if (!strcmp(argv[i], "-o") && !file) {
			if (i + 1 == (size_t)argc || !*argv[i + 1]) {
				p53g_err("status: option -o needs a FILE");
				return p53g_json_fail(EXIT_USAGE);
			}
			file = argv[++i];
		} else {
			p53g_err("status: unexpected argument %s",
				 p53g_quote(argv[i], strlen(argv[i]), q));
			status_usage(stderr);
			return p53g_json_fail(EXIT_USAGE);
		}
	}
	if (file && !prom) {
		p53g_err("status: -o goes with --format prometheus");
		return p53g_json_fail(EXIT_USAGE);
	}
	if (prom)
		return status_prometheus(file);
	if (access(p53g_root(), F_OK)) {
		struct p53g_fallback_view fv;

		p53g_fallback_view(&fv);
		if (fv.present)
			return status_fallback(&fv, json);
	}
	if (p53g_require_module())
		return p53g_json_fail(EXIT_FAIL);
	for (i = 0; i < P53G_NR_SETTINGS; i++)
		if (p53g_opt_get(i, values[i], sizeof(values[i])))
			return p53g_json_fail(EXIT_FAIL);
	if (p53g_read_file("stats", &stats))
		return p53g_json_fail(EXIT_FAIL);
	/* the count the module keeps: no need to read a list of millions */
	count = p53g_stat(&stats, "exempt_entries");
	module_info(version, sizeof(version), max, sizeof(max), netonly, sizeof(netonly));
	status_changes(changes, sizeof(changes));

	if (json) {
		printf("{\n  \"version\": ");
		p53g_json_string(version, strlen(version));
		printf(",\n  \"max_entries\": %s,\n  \"init_net_only\": %s,",
		       all_digits(max, strlen(max)) ? max : "null",
		       !strcmp(netonly, "1") ? "true" : !strcmp(netonly, "0") ? "false" : "null");
		if (changes[0])
			printf("\n  \"generation\": %.*s,\n  \"changed\": \"%s\",",
			       (int)strcspn(changes, " "), changes, strchr(changes, ' ') + 1);
	} else {
		printf("module: version %s, max_entries %s, %s\n", version, max,
		       !strcmp(netonly, "1") ? "the initial namespace only (init_net_only 1)" :
		       !strcmp(netonly, "0") ? "every namespace (init_net_only 0)" :
		       "namespaces unknown (init_net_only ?)");
		if (changes[0])
			printf("changes: %.*s since load, the last at %s\n",
			       (int)strcspn(changes, " "), changes, strchr(changes, ' ') + 1);
		printf("settings:\n");
	}
	for (i = 0; i < P53G_NR_SETTINGS; i++) {
		const char *name = p53g_setting_name(i);

		if (!json)
			printf("  %s: %s\n", name, values[i]);
		else if (p53g_setting_kind(i) == P53G_KIND_BOOL)
			printf("%s\n  \"%s\": %s", i ? "," : "", name,
			       strcmp(values[i], "1") ? "false" : "true");
		else if (p53g_setting_kind(i) == P53G_KIND_RATE)
			printf("%s\n  \"%s\": %s", i ? "," : "", name, values[i]);
		else
			printf("%s\n  \"%s\": \"%s\"", i ? "," : "", name, values[i]);
	}
	if (json)
		printf(",\n  \"exempt\": %lld,\n  \"counters\": {", count);
	else
		printf("exempt: %lld %s\ncounters:\n", count, count == 1 ? "entry" : "entries");
	for (p = stats.data, end = stats.data + stats.len; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		if (nl == p)
			continue;
		print_counter(p, nl - p, json, first);
		first = false;
	}
	if (json)
		printf("%s}\n}\n", first ? "" : "\n  ");
	p53g_buf_free(&stats);
	return p53g_finish_stdout(EXIT_OK);
}
