// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard status [--json]: the settings, the size of the exemption
 * list and every counter the module has (whatever names its stats file
 * holds, in its order).
 */
#include <string.h>

#include "p53g.h"

static void status_usage(FILE *f)
{
	fprintf(f, "Usage: %s status [--json]\n\n"
		   "Shows the settings, the number of exemption entries and the counters.\n"
		   "  --json   the same as one JSON object\n", PROG_NAME);
}

static void json_string(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
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
	json_string(line, nlen);
	printf(": ");
	if (all_digits(val, vlen) && (vlen == 1 || val[0] != '0'))
		printf("%.*s", (int)vlen, val);
	else
		json_string(val, vlen);
}

int status_main(int argc, char *argv[])
{
	char values[P53G_NR_SETTINGS][32];
	struct p53g_buf stats = { 0 };
	bool json = false, first = true;
	size_t i, count;
	char *p, *end, *nl;

	for (i = 1; i < (size_t)argc; i++) {
		if (p53g_is_help(argv[i])) {
			status_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			char q[P53G_QUOTE_MAX];

			p53g_err("status: unexpected argument %s",
				 p53g_quote(argv[i], strlen(argv[i]), q));
			status_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (p53g_require_module())
		return EXIT_FAIL;
	for (i = 0; i < P53G_NR_SETTINGS; i++)
		if (p53g_opt_get(i, values[i], sizeof(values[i])))
			return EXIT_FAIL;
	if (p53g_list_count(&count) || p53g_read_file("stats", &stats))
		return EXIT_FAIL;

	if (json)
		printf("{");
	else
		printf("settings:\n");
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
		printf(",\n  \"exempt\": %zu,\n  \"counters\": {", count);
	else
		printf("exempt: %zu %s\ncounters:\n", count, count == 1 ? "entry" : "entries");
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
