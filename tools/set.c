// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard set NAME VALUE: change one setting. The value is checked
 * here and written in the one spelling the module reads back.
 */
#include <string.h>

#include "p53g.h"

static void set_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s set NAME VALUE\n\n", PROG_NAME);
	for (i = 0; i < p53g_nsettings; i++)
		fprintf(f, "  %-9s %s\n", p53g_settings[i].name, p53g_settings[i].help);
	fprintf(f, "\nenabled, tcp, loopback, log and forward take 1 or 0 (also y/n, yes/no,\n"
		   "on/off, true/false); action takes reject, drop or monitor; rate a number\n"
		   "0-1000000.\n");
}

int set_main(int argc, char *argv[])
{
	const struct p53g_setting *s;
	const char *why;
	char value[32];
	int i;

	for (i = 1; i < argc; i++)
		if (p53g_is_help(argv[i])) {
			set_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		}
	if (argc != 3) {
		p53g_err("set: expected NAME VALUE");
		set_usage(stderr);
		return EXIT_USAGE;
	}
	s = p53g_setting_find(argv[1]);
	if (!s) {
		p53g_err("set: unknown setting '%s' (enabled, action, tcp, loopback, log, rate, forward)",
			 argv[1]);
		return EXIT_USAGE;
	}
	if (p53g_setting_normalize(s, argv[2], value, sizeof(value), &why)) {
		p53g_err("%s: %s: %s", s->name, argv[2], why);
		return EXIT_FAIL;
	}
	if (p53g_require_module() || p53g_setting_set(s, value))
		return EXIT_FAIL;
	return EXIT_OK;
}
