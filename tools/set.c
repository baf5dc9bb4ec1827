// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard set NAME VALUE: change one setting. The value is checked
 * here and written in the one spelling the module reads back.
 */
#include <string.h>

#include "p53g.h"

static void set_usage(FILE *f)
{
	int i;

	fprintf(f, "Usage: %s set [-w [SECONDS]] NAME VALUE\n\n", PROG_NAME);
	for (i = 0; i < P53G_NR_SETTINGS; i++)
		fprintf(f, "  %-9s %s\n", p53g_setting_name(i), p53g_opt_help(i));
	fprintf(f, "\nenabled, tcp, loopback, log and forward take 1 or 0 (also y/n, yes/no,\n"
		   "on/off, true/false); action takes reject, drop or monitor; rate a number\n"
		   "0-1000000.\n" P53G_WAIT_HELP "\n");
}

int set_main(int argc, char *argv[])
{
	char value[32], q[P53G_QUOTE_MAX];
	const char *why;
	int i, s;

	for (i = 1; i < argc; i++)
		if (p53g_is_help(argv[i])) {
			set_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		}
	if (p53g_take_wait(&argc, argv, "set")) {
		set_usage(stderr);
		return EXIT_USAGE;
	}
	if (argc != 3) {
		p53g_err("set: expected NAME VALUE");
		set_usage(stderr);
		return EXIT_USAGE;
	}
	s = p53g_opt_find(argv[1]);
	if (s < 0) {
		p53g_err("set: unknown setting %s (%s)",
			 p53g_quote(argv[1], strlen(argv[1]), q), p53g_opt_names());
		return EXIT_USAGE;
	}
	if (p53g_opt_normalize(s, argv[2], value, sizeof(value), &why)) {
		p53g_err("%s: %s: %s", p53g_setting_name(s),
			 p53g_quote(argv[2], strlen(argv[2]), q), why);
		return EXIT_FAIL;
	}
	if (p53g_require_module() || p53g_opt_set(s, value))
		return EXIT_FAIL;
	return EXIT_OK;
}
