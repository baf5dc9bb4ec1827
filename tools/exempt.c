// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard exempt list|add|del|flush|replace|check: the exemption list.
 * Every entry is checked with the module's own parser before anything is
 * written, and the bad ones are named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p53g.h"

#define P53G_MAX_REPORTED 10	/* bad lines named before the rest are counted */

struct exempt_cmd {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *args;
	const char *help;
	bool writer;	/* takes -w [SECONDS] */
};

static const struct exempt_cmd *exempt_find(const char *name);

static int exempt_usage_of(const char *name, FILE *f, int ret)
{
	const struct exempt_cmd *c = exempt_find(name);

	fprintf(f, "Usage: %s exempt %s%s%s\n\n%s\n", PROG_NAME, c->name, *c->args ? " " : "",
		c->args, c->help);
	return f == stdout ? p53g_finish_stdout(ret) : ret;
}

/*
 * --help anywhere, or a wrong number of arguments: the exit status to
 * return at once. -1: go on.
 */
static int exempt_args(int argc, char *argv[], int min, int max)
{
	int i;

	for (i = 1; i < argc; i++)
		if (p53g_is_help(argv[i]))
			return exempt_usage_of(argv[0], stdout, EXIT_OK);
	if (argc - 1 < min || (max >= 0 && argc - 1 > max)) {
		p53g_err("exempt %s: %s arguments", argv[0], argc - 1 < min ? "missing" : "too many");
		return exempt_usage_of(argv[0], stderr, EXIT_USAGE);
	}
	return -1;
}

/* The list as a JSON array of its canonical entries, one a line. */
static void exempt_list_json(const struct p53g_list *l)
{
	char text[P53G_ENTRY_MAXLEN];
	size_t i;
	int n;

	printf("[");
	for (i = 0; i < l->n; i++) {
		n = p53g_entry_format(&l->v[i], text, sizeof(text));
		printf("%s\n  ", i ? "," : "");
		p53g_json_string(text, n < 0 ? 0 : n);
	}
	printf("%s]\n", l->n ? "\n" : "");
}

static int exempt_list(int argc, char *argv[])
{
	struct p53g_list l = { 0 };
	struct p53g_buf b = { 0 };
	bool json = false;
	int rc, k;

	p53g_json_args(argc, argv);
	for (k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--json")) {
			json = true;
			memmove(&argv[k], &argv[k + 1], (argc - k) * sizeof(*argv));
			argc--;
			k--;
		}
	rc = exempt_args(argc, argv, 0, 0);
	if (rc >= 0)
		return rc ? p53g_json_fail(rc) : rc;
	if (p53g_require_module())
		return p53g_json_fail(EXIT_FAIL);
	/* whole before any of it is printed: a read can fail half-way */
	if (p53g_read_file("exempt", &b))
		return p53g_json_fail(EXIT_FAIL);
	if (json) {
		rc = p53g_list_parse(&b, &l);
		p53g_buf_free(&b);
		if (rc) {
			p53g_list_free(&l);
			return p53g_json_fail(EXIT_FAIL);
		}
		exempt_list_json(&l);
		p53g_list_free(&l);
		return p53g_finish_stdout(EXIT_OK);
	}
	if (b.len)
		fwrite(b.data, 1, b.len, stdout);
	p53g_buf_free(&b);
	return p53g_finish_stdout(EXIT_OK);
}

/* add and del: every entry valid, duplicates merged, one atomic change. */
static int exempt_change(int argc, char *argv[], int op)
{
	struct p53g_list l = { 0 };
	struct p53g_op *ops;
	struct p53g_list cur = { 0 };
	struct p53g_set have = { 0 };
	struct p53g_entry e;
	bool exist = false;
	unsigned int notes;
	size_t i, n = 0;
	int bad = 0, rc, k;

	/* --exist, as ipset's -exist: no error for an entry already gone */
	for (k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--exist")) {
			exist = true;
			memmove(&argv[k], &argv[k + 1], (argc - k) * sizeof(*argv));
			argc--;
			k--;
		}
	rc = exempt_args(argc, argv, 1, -1);
	if (rc >= 0)
		return rc;
	/* every entry first: a bad one is named, module or not */
	for (i = 1; i < (size_t)argc; i++) {
		if (p53g_parse_arg_entry(argv[i], &e, &notes)) {
			bad = 1;
			continue;
		}
		p53g_warn_stored(argv[i], strlen(argv[i]), &e, notes, NULL, 0);
		if (p53g_list_push(&l, &e))
			return EXIT_FAIL;
	}
	if (bad || p53g_require_module()) {
		p53g_list_free(&l);
		return EXIT_FAIL;
	}
	/* a repeated del would fail the batch: send each entry once */
	p53g_list_sort(&l);
	ops = calloc(l.n, sizeof(*ops));
	if (!ops) {
		p53g_err("out of memory");
		p53g_list_free(&l);
		return EXIT_FAIL;
	}
	if (exist && op == P53G_CMD_DEL) {
		rc = p53g_list_load(&cur);
		for (i = 0; !rc && i < cur.n; i++)
			rc = p53g_set_add(&have, &cur.v[i]);
		p53g_list_free(&cur);
		if (rc) {
			p53g_set_free(&have);
			free(ops);
			p53g_list_free(&l);
			return EXIT_FAIL;
		}
	}
	for (i = 0; i < l.n; i++) {
		if (n && !p53g_entry_cmp(&ops[n - 1].cmd.entry, &l.v[i]))
			continue;
		if (exist && op == P53G_CMD_DEL && !p53g_set_has(&have, &l.v[i]))
			continue;
		ops[n].cmd.op = op;
		ops[n].cmd.entry = l.v[i];
		n++;
	}
	p53g_set_free(&have);
	rc = n ? p53g_exempt_apply(ops, n) : 0;
	free(ops);
	p53g_list_free(&l);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static int exempt_add(int argc, char *argv[])
{
	return exempt_change(argc, argv, P53G_CMD_ADD);
}

static int exempt_del(int argc, char *argv[])
{
	return exempt_change(argc, argv, P53G_CMD_DEL);
}

static int exempt_flush(int argc, char *argv[])
{
	struct p53g_op op = { .cmd.op = P53G_CMD_FLUSH };
	int rc;

	rc = exempt_args(argc, argv, 0, 0);
	if (rc >= 0)
		return rc;
	if (p53g_require_module())
		return EXIT_FAIL;
	return p53g_exempt_apply(&op, 1) ? EXIT_FAIL : EXIT_OK;
}

static int op_cmp(const void *a, const void *b)
{
	return p53g_entry_cmp(&((const struct p53g_op *)a)->cmd.entry,
			      &((const struct p53g_op *)b)->cmd.entry);
}

/*
 * exempt replace [--check [--strict]] [--allow-empty] FILE|-: the entries
 * of FILE, one a line (blank lines and # comments skipped; a line "flush"
 * says that an empty list is meant), replace the whole list at once. An
 * input with no entry and no flush is refused (a failed download piped in
 * must not empty a gateway's list); --allow-empty takes it as an empty
 * list. An entry repeated is one entry, as in the module: the cap is on
 * distinct entries, and a repeat is not kept.
 */
static int exempt_replace(int argc, char *argv[])
{
	bool check = false, strict = false, allow_empty = false, flush = false;
	const char *file = NULL, *why, *max_why;
	struct p53g_set seen = { 0 };
	struct p53g_input in;
	struct p53g_op *ops = NULL;
	size_t n = 0, cap = 0, len, max;
	char *line, q[P53G_QUOTE_MAX];
	unsigned long bad = 0, warned = 0;
	unsigned int notes;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (p53g_is_help(argv[i]))
			return exempt_usage_of("replace", stdout, EXIT_OK);
		if (!strcmp(argv[i], "--check")) {
			check = true;
		} else if (!strcmp(argv[i], "--strict")) {
			strict = true;
		} else if (!strcmp(argv[i], "--allow-empty")) {
			allow_empty = true;
		} else if (!file && (!strcmp(argv[i], "-") || argv[i][0] != '-')) {
			file = argv[i];
		} else {
			p53g_err("exempt replace: unexpected argument %s",
				 p53g_quote(argv[i], strlen(argv[i]), q));
			return exempt_usage_of("replace", stderr, EXIT_USAGE);
		}
	}
	if (!file) {
		p53g_err("exempt replace: missing FILE (or - for standard input)");
		return exempt_usage_of("replace", stderr, EXIT_USAGE);
	}
	if (strict && !check) {
		p53g_err("exempt replace: --strict goes with --check");
		return exempt_usage_of("replace", stderr, EXIT_USAGE);
	}
	if (!check && p53g_require_module())
		return EXIT_FAIL;
	max = p53g_input_entries_max(&max_why);
	if (p53g_input_open(file, &in))
		return EXIT_FAIL;
	while ((rc = p53g_input_line(&in, &line, &len)) > 0) {
		p53g_trim(&line, &len);
		if (!len || line[0] == '#')
			continue;
		if (len == 5 && !memcmp(line, "flush", 5)) {
			flush = true;
			continue;
		}
		if (n + 1 >= cap) {
			struct p53g_op *o;

			cap = cap ? 2 * cap : 1024;
			o = realloc(ops, cap * sizeof(*ops));
			if (!o) {
				p53g_err("out of memory");
				goto err;
			}
			ops = o;
		}
		if (!n) {
			memset(&ops[n], 0, sizeof(ops[n]));
			ops[n++].cmd.op = P53G_CMD_FLUSH;
		}
		memset(&ops[n], 0, sizeof(ops[n]));
		if (p53g_entry_parse_notes(line, len, &ops[n].cmd.entry, &notes, &why)) {
			if (bad++ < P53G_MAX_REPORTED)
				p53g_err("%s:%zu: %s: %s", in.name, in.lineno,
					 p53g_quote(line, len, q), why);
			continue;
		}
		p53g_warn_stored(line, len, &ops[n].cmd.entry, notes, in.name, in.lineno);
		if (check)
			warned += p53g_warn_entry(&ops[n].cmd.entry, notes, in.name, in.lineno);
		if (p53g_set_has(&seen, &ops[n].cmd.entry))
			continue;
		if (seen.live == max) {
			p53g_err("%s:%zu: more than %zu entries (%s): nothing changed", in.name,
				 in.lineno, max, max_why);
			goto err;
		}
		if (p53g_set_add(&seen, &ops[n].cmd.entry))
			goto err;
		ops[n].cmd.op = P53G_CMD_ADD;
		ops[n].file = in.name;
		ops[n].line = in.lineno;
		n++;
	}
	p53g_set_free(&seen);
	if (rc < 0)
		goto err;
	if (bad) {
		if (bad > P53G_MAX_REPORTED)
			p53g_err("%s: %lu more bad lines", in.name, bad - P53G_MAX_REPORTED);
		p53g_err("%s: nothing changed", in.name);
		goto err;
	}
	if (!n && !flush && !allow_empty) {
		p53g_err("%s: no entry: nothing changed (a line 'flush', or --allow-empty, "
			 "empties the list)", in.name);
		goto err;
	}
	/* sorted, each entry once (repeats were not kept): as the module prints them */
	if (n > 1)
		qsort(ops + 1, n - 1, sizeof(*ops), op_cmp);
	p53g_input_close(&in);
	if (check) {
		printf("%s: valid: %zu entries%s\n", in.name, n ? n - 1 : 0,
		       !warned ? "" : strict ? " (warnings: failed by --strict)" : " (with warnings)");
		free(ops);
		return p53g_finish_stdout(warned && strict ? EXIT_FAIL : EXIT_OK);
	}
	if (!n) {
		/* an empty list, asked for */
		struct p53g_op none = { .cmd.op = P53G_CMD_FLUSH };

		rc = p53g_exempt_apply(&none, 1);
	} else {
		rc = p53g_exempt_apply(ops, n);
	}
	free(ops);
	return rc ? EXIT_FAIL : EXIT_OK;
err:
	p53g_set_free(&seen);
	p53g_input_close(&in);
	free(ops);
	return EXIT_FAIL;
}

/* From the device's flags when it exists here, else by its usual name. */
static bool is_loopback(const char *dev)
{
	char path[64], buf[32];
	unsigned long flags;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/flags", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return !strcmp(dev, "lo");
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return !strcmp(dev, "lo");
	buf[r] = '\0';
	flags = strtoul(buf, NULL, 0);
	return flags & 0x8;	/* IFF_LOOPBACK */
}

static int exempt_check(int argc, char *argv[])
{
	const struct p53g_entry *by_addr = NULL, *by_dev = NULL;
	char enabled[8], action[16], loopback[8], auth[8], who[80], text[P53G_ENTRY_MAXLEN];
	bool judged = false;
	char q[P53G_QUOTE_MAX];
	struct p53g_entry addr, dev = { 0 }, probe;
	struct p53g_list l = { 0 };
	const char *ifname = NULL, *why;
	unsigned int notes;
	size_t i;
	int rc;

	rc = exempt_args(argc, argv, 1, 3);
	if (rc >= 0)
		return rc;
	if (argc == 3 || (argc == 4 && strcmp(argv[2], "dev"))) {
		p53g_err("exempt check: expected 'dev IF' after the address");
		return exempt_usage_of("check", stderr, EXIT_USAGE);
	}
	/*
	 * A bad argument is a usage error (2), not a verdict (1). A prefix
	 * is asked whole, as ipset test asks of a net; host bits past its
	 * length are cleared, an IPv4-mapped one is asked as IPv4.
	 */
	if (p53g_parse_arg_entry(argv[1], &addr, &notes))
		return EXIT_USAGE;
	if (addr.kind == P53G_ENTRY_DEV) {
		p53g_err("%s: check takes an IPv4 or IPv6 address or prefix; give the interface "
			 "as 'dev IF'", p53g_quote(argv[1], strlen(argv[1]), q));
		return EXIT_USAGE;
	}
	if (argc == 4) {
		char spec[IFNAMSIZ + 8];

		ifname = argv[3];
		if (strlen(ifname) > IFNAMSIZ - 1) {
			p53g_err("%s: interface name longer than 15 bytes",
				 p53g_quote(ifname, strlen(ifname), q));
			return EXIT_USAGE;
		}
		/* the name as it is, a trailing '+' included, but valid as a name */
		snprintf(spec, sizeof(spec), "dev:%s", ifname);
		if (p53g_entry_parse(spec, strlen(spec), &probe, &why)) {
			p53g_err("%s: %s", p53g_quote(ifname, strlen(ifname), q), why);
			return EXIT_USAGE;
		}
		dev.kind = P53G_ENTRY_DEV;
		dev.namelen = strlen(ifname);
		memcpy(dev.dev, ifname, dev.namelen);
	}
	/* Module absent or unreadable: no verdict at all (3), never "blocked". */
	if (p53g_require_module() ||
	    p53g_opt_get(P53G_SET_ENABLED, enabled, sizeof(enabled)) ||
	    p53g_opt_get(P53G_SET_ACTION, action, sizeof(action)) ||
	    p53g_opt_get(P53G_SET_LOOPBACK, loopback, sizeof(loopback)) ||
	    p53g_opt_get(P53G_SET_AUTHORITATIVE, auth, sizeof(auth)) ||
	    p53g_list_load(&l))
		return EXIT_UNKNOWN;

	/* an address as it is, a prefix with its length */
	p53g_entry_format(&addr, text, sizeof(text));
	if (!strchr(argv[1], '/'))
		*strchr(text, '/') = '\0';
	snprintf(who, sizeof(who), "%s%s%s", text, ifname ? " on " : "", ifname ? ifname : "");
	/* only an exempt prefix that holds all of a prefix asked exempts it */
	for (i = 0; i < l.n; i++) {
		if (p53g_entry_covers(&l.v[i], &addr) &&
		    (!by_addr || l.v[i].plen > by_addr->plen))
			by_addr = &l.v[i];
		if (ifname && !by_dev && p53g_entry_covers(&l.v[i], &dev))
			by_dev = &l.v[i];
	}
	rc = EXIT_OK;
	if (!strcmp(enabled, "0")) {
		printf("%s: passes (the guard is disabled)\n", who);
	} else if (ifname && !strcmp(loopback, "1") && is_loopback(ifname)) {
		printf("%s: passes (arrived on a loopback device)\n", who);
	} else if (by_addr || by_dev) {
		p53g_entry_format(by_addr ? by_addr : by_dev, text, sizeof(text));
		printf("%s: passes (exempt by %s)\n", who, text);
	} else if (!strcmp(action, "monitor")) {
		judged = true;
		printf("%s: passes (action monitor: counted and logged, not blocked)\n", who);
	} else if (!strcmp(action, "drop")) {
		judged = true;
		printf("%s: blocked (action drop: dropped silently)\n", who);
		rc = EXIT_FAIL;
	} else {
		judged = true;
		printf("%s: blocked (action reject: answered with %s port unreachable)\n", who,
		       addr.kind == P53G_ENTRY_V4 ? "ICMP" : "ICMPv6");
		rc = EXIT_FAIL;
	}
	/* No packet is read here: the worst case, a query asking for recursion. */
	if (judged && !strcmp(auth, "1"))
		printf("%s: judged as a query with RD set; with authoritative 1 one with RD "
		       "clear passes (iterative)\n", who);
	p53g_list_free(&l);
	return p53g_finish_stdout(rc);
}

static const struct exempt_cmd exempt_cmds[] = {
	{ "list", exempt_list, "[--json]",
	  "Prints the exemption list, canonical, one entry a line (IPv4, IPv6,\n"
	  "then interfaces, each sorted).\n"
	  "  --json  the same as a JSON array of strings; an error as\n"
	  "          {\"error\": \"...\"} on standard output too", false },
	{ "add", exempt_add, "[--exist] [-w [SECONDS]] ENTRY...",
	  "Adds entries, all or none. An entry already there is not an error\n"
	  "(--exist, as ipset's -exist, is accepted and changes nothing).\n"
	  "ENTRY: A.B.C.D[/LEN], an IPv6 address [/LEN], dev:NAME or dev:NAME+.\n"
	  P53G_WAIT_HELP, true },
	{ "del", exempt_del, "[--exist] [-w [SECONDS]] ENTRY...",
	  "Deletes entries, all or none: fails if one of them is not in the list,\n"
	  "unless --exist (as ipset's -exist): then an entry already gone is skipped.\n"
	  P53G_WAIT_HELP, true },
	{ "flush", exempt_flush, "[-w [SECONDS]]",
	  "Empties the exemption list.\n" P53G_WAIT_HELP, true },
	{ "replace", exempt_replace, "[--check [--strict]] [--allow-empty] [-w [SECONDS]] FILE|-",
	  "Replaces the whole list with the entries of FILE (or standard input),\n"
	  "one a line; blank lines and lines starting with # are skipped.\n"
	  "Atomic whatever the size: packets see the old list or the new one.\n"
	  "An input with no entry is refused unless it has a line 'flush' or\n"
	  "--allow-empty is given (then the list is emptied).\n"
	  "Read a line at a time: a line over 4096 bytes, or more distinct entries\n"
	  "than the module's max_entries (65536 when it is not loaded), is refused.\n"
	  "  --check   only check FILE (no module needed), and warn of what verify\n"
	  "            would: 0.0.0.0/0, ::/0, dev:+, IPv4-mapped prefixes\n"
	  "  --strict  with --check: a warning fails it (exit 1)\n"
	  P53G_WAIT_HELP, true },
	{ "check", exempt_check, "ADDR[/LEN] [dev IF]",
	  "Says whether a UDP query to port 53 from ADDR (arriving on IF) would pass\n"
	  "and why. Given a prefix ADDR/LEN, as ipset test takes a net, it passes\n"
	  "only if every address in it would pass: the guard is disabled, or action\n"
	  "is monitor, or one exempt prefix of the same family holds the whole\n"
	  "prefix (its length at most LEN), or IF is exempt, or IF is a loopback\n"
	  "device and loopback is 1. An exempt prefix that holds only part of it\n"
	  "does not make it pass.\n"
	  "Exit status: 0 it would pass, 1 it would be blocked, 2 usage (a bad\n"
	  "address, prefix or interface), 3 cannot tell (module not loaded, or its\n"
	  "files unreadable).", false },
};

static const struct exempt_cmd *exempt_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(exempt_cmds) / sizeof(exempt_cmds[0]); i++)
		if (!strcmp(exempt_cmds[i].name, name))
			return &exempt_cmds[i];
	return NULL;
}

static void exempt_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s exempt <cmd> [<args>]\n\n", PROG_NAME);
	for (i = 0; i < sizeof(exempt_cmds) / sizeof(exempt_cmds[0]); i++)
		fprintf(f, "  %s exempt %s %s\n", PROG_NAME, exempt_cmds[i].name, exempt_cmds[i].args);
	fprintf(f, "\nENTRY: A.B.C.D[/LEN], an IPv6 address[/LEN], dev:NAME or dev:NAME+\n"
		   "(every interface whose name starts with NAME). A bare address is /32 or /128.\n"
		   "Pass --help after a command for more.\n");
}

int exempt_main(int argc, char *argv[])
{
	const struct exempt_cmd *c;

	if (argc == 2 && p53g_is_help(argv[1])) {
		exempt_usage(stdout);
		return p53g_finish_stdout(EXIT_OK);
	}
	if (argc < 2) {
		p53g_err("exempt: missing command");
		exempt_usage(stderr);
		return EXIT_USAGE;
	}
	c = exempt_find(argv[1]);
	if (!c) {
		char q[P53G_QUOTE_MAX];

		p53g_err("exempt: unknown command %s", p53g_quote(argv[1], strlen(argv[1]), q));
		exempt_usage(stderr);
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	if (c->writer && p53g_take_wait(&argc, argv, c->name)) {
		exempt_usage_of(c->name, stderr, EXIT_USAGE);
		return EXIT_USAGE;
	}
	return c->main(argc, argv);
}
