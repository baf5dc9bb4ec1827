// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard set NAME VALUE: change one setting. The value is checked
 * here and written in the one spelling the module reads back.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "p53g.h"

static void set_usage(FILE *f)
{
	int i;

	fprintf(f, "Usage: %s set [-w [SECONDS]] NAME VALUE\n\n", PROG_NAME);
	for (i = 0; i < P53G_NR_SETTINGS; i++)
		fprintf(f, "  %-13s %s\n", p53g_setting_name(i), p53g_opt_help(i));
	fprintf(f, "\nenabled, tcp, loopback, log, forward and authoritative take 1 or 0 (also\n"
		   "y/n, yes/no, on/off, true/false); action takes reject, drop or monitor;\n"
		   "rate a number 0-1000000.\n" P53G_WAIT_HELP "\n");
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
	p53g_fallback_after_commit();
	return EXIT_OK;
}

/*
 * port53guard reset-counters: "0" to the stats file, which zeroes every
 * counter (the gauges of the list stay); the module records it like
 * every change.
 */
int reset_counters_main(int argc, char *argv[])
{
	const char *path = p53g_path("stats");
	char q[P53G_QUOTE_MAX];
	int fd, rc;

	if (argc == 2 && p53g_is_help(argv[1])) {
		printf("Usage: %s reset-counters [-w [SECONDS]]\n\n"
		       "Zeroes every counter of the module (writes 0 to %s);\n"
		       "the module records the reset like every change.\n" P53G_WAIT_HELP "\n",
		       PROG_NAME, path);
		return p53g_finish_stdout(EXIT_OK);
	}
	if (p53g_take_wait(&argc, argv, "reset-counters"))
		return EXIT_USAGE;
	if (argc > 1) {
		p53g_err("reset-counters: unexpected argument %s",
			 p53g_quote(argv[1], strlen(argv[1]), q));
		return EXIT_USAGE;
	}
	if (p53g_require_module())
		return EXIT_FAIL;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		p53g_err("%s: %s%s", path, strerror(rc), rc == EACCES ? " (run as root)" : "");
		return EXIT_FAIL;
	}
	rc = p53g_write_wait(fd, "0\n", 2);
	close(fd);
	if (rc == EBUSY)
		p53g_busy_err(path);
	else if (rc == -1)
		p53g_err("%s: short write", path);
	else if (rc)
		p53g_err("%s: %s%s", path, strerror(rc), rc == EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return rc ? EXIT_FAIL : EXIT_OK;
}
