// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard: read and set the port53guard module's settings and
 * exemption list through sysfs. The dispatcher: a table of subcommands,
 * each its own function (in its own file) with its own --help.
 */
#include <string.h>

#include "p53g.h"

static const struct {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *description;
} subcommands[] = {
	{ "status", status_main, "Show the settings, the counters and the size of the exemption list" },
	{ "exempt", exempt_main, "List, change, replace or check the exemption list" },
	{ "set", set_main, "Change one setting" },
	{ "save", save_main, "Print the running configuration, for restore or modprobe.d" },
	{ "restore", restore_main, "Apply a configuration printed by save, in one transaction" },
	{ "listeners", listeners_main, "Every socket on port 53 in every namespace, and its verdict" },
	{ "verify", verify_main, "Check that the host is guarded as configured; exit 0 only then" },
	{ "reset-counters", reset_counters_main, "Zero the counters (recorded like every change)" },
	{ "fallback", fallback_main, "When the module cannot load: the saved configuration as nftables" },
};

#define NR_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void show_usage(FILE *f)
{
	int width = 0;
	size_t i;

	for (i = 0; i < NR_SUBCOMMANDS; i++)
		if ((int)strlen(subcommands[i].name) > width)
			width = strlen(subcommands[i].name);
	fprintf(f, "Usage: %s <cmd> [<args>]\n\n", PROG_NAME);
	fprintf(f, "Available subcommands:\n");
	for (i = 0; i < NR_SUBCOMMANDS; i++)
		fprintf(f, "  %-*s  %s\n", width, subcommands[i].name, subcommands[i].description);
	fprintf(f, "\nWith no subcommand, runs 'status'. Pass --help to any subcommand, or\n"
		   "run '%s help SUBCOMMAND', for its usage.\n"
		   "The module's files are under %s (or $P53G_SYSFS).\n", PROG_NAME,
		   P53G_SYSFS_DEFAULT);
}

/* help SUBCOMMAND [COMMAND]: SUBCOMMAND [COMMAND] --help */
static int help_of(int argc, char *argv[])
{
	char *args[4] = { argv[2], NULL, NULL, NULL };
	char q[P53G_QUOTE_MAX];
	size_t i;

	if (argc > 4 || (argc == 4 && strcmp(argv[2], "exempt"))) {
		p53g_err("help: too many arguments");
		show_usage(stderr);
		return EXIT_USAGE;
	}
	args[1] = argc == 4 ? argv[3] : "--help";
	args[2] = argc == 4 ? "--help" : NULL;
	for (i = 0; i < NR_SUBCOMMANDS; i++)
		if (!strcmp(argv[2], subcommands[i].name))
			return subcommands[i].main(argc == 4 ? 3 : 2, args);
	p53g_err("help: unknown subcommand %s", p53g_quote(argv[2], strlen(argv[2]), q));
	show_usage(stderr);
	return EXIT_USAGE;
}

int main(int argc, char *argv[])
{
	static char *status_argv[] = { "status", NULL };
	char q[P53G_QUOTE_MAX];
	size_t i;

	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
			  !strcmp(argv[1], "version"))) {
		printf("%s %s\n", PROG_NAME, P53G_VERSION);
		return p53g_finish_stdout(EXIT_OK);
	}
	if (argc == 2 && p53g_is_help(argv[1])) {
		show_usage(stdout);
		return p53g_finish_stdout(EXIT_OK);
	}
	if (argc > 2 && p53g_is_help(argv[1]))
		return help_of(argc, argv);
	if (argc < 2)
		return status_main(1, status_argv);
	for (i = 0; i < NR_SUBCOMMANDS; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].main(argc - 1, argv + 1);
	p53g_err("unknown subcommand %s", p53g_quote(argv[1], strlen(argv[1]), q));
	show_usage(stderr);
	return EXIT_USAGE;
}
