// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard save [--modprobe] and port53guard restore FILE|-.
 *
 * The save format is a list of port53guard commands, one a line, that
 * restore plays back:
 *
 *	set NAME VALUE			one per setting
 *	exempt flush			then the list, one entry a line
 *	exempt add ENTRY...
 *	exempt del ENTRY...		(accepted, never written by save)
 *
 * Blank lines and lines starting with # are skipped. restore checks the
 * whole file first and changes nothing if a line is wrong; then it applies
 * the settings and the exempt lines as one transaction (one write, or a
 * staged one): packets see the old configuration or the new one, never a
 * mix, and a failure part-way changes nothing. A file with no exempt line
 * leaves the list as it is; one with no line at all is refused, unless
 * --allow-empty. --check only checks, and needs no module. The file is
 * read a line at a time, its lines and entries bounded (io.c).
 *
 * save -o FILE writes the file atomically: a temporary file beside it,
 * synced, then renamed over it, so that FILE is whole, old or new, even
 * when save fails or the machine stops.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "p53g.h"

/* A kernel string parameter holds at most 1023 bytes (param_set_charp). */
#define P53G_PARAM_MAX 1023

static void save_usage(FILE *f)
{
	fprintf(f, "Usage: %s save [--modprobe] [-o FILE]\n\n"
		   "Prints the running configuration as lines that 'restore' applies:\n"
		   "  set NAME VALUE      each setting\n"
		   "  exempt flush        then the list, one 'exempt add ENTRY' a line\n"
		   "  --modprobe   instead, one 'options port53guard ...' line for\n"
		   "               /etc/modprobe.d, giving the same configuration at load\n"
		   "  -o FILE      write it to FILE atomically (a temporary file, synced,\n"
		   "               renamed over FILE), not to standard output\n",
		PROG_NAME);
}

static void restore_usage(FILE *f)
{
	fprintf(f, "Usage: %s restore [--check [--strict]] [--allow-empty] [-w [SECONDS]] FILE|-\n\n"
		   "Applies a file written by 'save' (or standard input): lines\n"
		   "'set NAME VALUE', 'exempt flush', 'exempt add ENTRY...' and\n"
		   "'exempt del ENTRY...'; # starts a comment line. The whole file is\n"
		   "checked first; then settings and list change in one transaction.\n"
		   "A line over 4096 bytes, or more distinct entries than the module's\n"
		   "max_entries (65536 when it is not loaded), is refused.\n"
		   "  --check        only check the file (no module needed), and warn of\n"
		   "                 what verify would: 0.0.0.0/0, ::/0, dev:+, IPv4-mapped\n"
		   "                 prefixes\n"
		   "  --strict       with --check: a warning fails it (exit 1)\n"
		   P53G_WAIT_HELP "\n"
		   "  --allow-empty  accept a file with no line (it changes nothing)\n",
		PROG_NAME);
}

static int save_modprobe(char values[][32], const struct p53g_list *l,
			 struct p53g_buf *out)
{
	char text[P53G_ENTRY_MAXLEN];
	struct p53g_buf ex = { 0 };
	size_t i;
	int n;

	for (i = 0; i < l->n; i++) {
		n = p53g_entry_format(&l->v[i], text, sizeof(text));
		/* ',' separates entries; '"' and '\\' mean something to the parsers */
		if (strpbrk(text, ",\"\\")) {
			p53g_err("%s: cannot be written as a module parameter (it holds '%c')",
				 text, *strpbrk(text, ",\"\\"));
			goto err;
		}
		if ((i && p53g_buf_append(&ex, ",", 1)) || p53g_buf_append(&ex, text, n))
			goto err;
	}
	if (ex.len > P53G_PARAM_MAX) {
		p53g_err("save --modprobe: the exempt list needs %zu bytes as a module parameter, "
			 "more than the kernel's %d; use 'port53guard save' and restore it at boot",
			 ex.len, P53G_PARAM_MAX);
		goto err;
	}
	if (p53g_buf_append(out, "options port53guard", 19))
		goto err;
	for (i = 0; i < P53G_NR_SETTINGS; i++)
		if (p53g_buf_printf(out, " %s=%s", p53g_setting_name(i), values[i]))
			goto err;
	/* an empty list is the module's default: no exempt= at all */
	if ((ex.len && p53g_buf_printf(out, " exempt=%s", ex.data)) ||
	    p53g_buf_append(out, "\n", 1))
		goto err;
	p53g_buf_free(&ex);
	return 0;
err:
	p53g_buf_free(&ex);
	return -1;
}

int save_main(int argc, char *argv[])
{
	char values[P53G_NR_SETTINGS][32], text[P53G_ENTRY_MAXLEN], q[P53G_QUOTE_MAX];
	struct p53g_buf out = { 0 };
	struct p53g_list l = { 0 };
	const char *file = NULL;
	bool modprobe = false;
	int i, rc = 0;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (p53g_is_help(argv[i])) {
			save_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		} else if (!strcmp(argv[i], "--modprobe")) {
			modprobe = true;
		} else if (!strcmp(argv[i], "-o") && !file) {
			if (i + 1 == argc || !*argv[i + 1]) {
				p53g_err("save: option -o needs a FILE");
				return EXIT_USAGE;
			}
			file = argv[++i];
		} else {
			p53g_err("save: unexpected argument %s",
				 p53g_quote(argv[i], strlen(argv[i]), q));
			save_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (p53g_require_module())
		return EXIT_FAIL;
	for (k = 0; k < P53G_NR_SETTINGS; k++)
		if (p53g_opt_get(k, values[k], sizeof(values[k])))
			return EXIT_FAIL;
	if (p53g_list_load(&l))
		return EXIT_FAIL;
	if (modprobe) {
		rc = save_modprobe(values, &l, &out);
	} else {
		for (k = 0; !rc && k < P53G_NR_SETTINGS; k++)
			rc = p53g_buf_printf(&out, "set %s %s\n", p53g_setting_name(k), values[k]);
		if (!rc)
			rc = p53g_buf_append(&out, "exempt flush\n", 13);
		for (k = 0; !rc && k < l.n; k++) {
			p53g_entry_format(&l.v[k], text, sizeof(text));
			rc = p53g_buf_printf(&out, "exempt add %s\n", text);
		}
	}
	p53g_list_free(&l);
	if (!rc && file)
		rc = p53g_write_file_atomic(file, out.data, out.len);
	else if (!rc)
		fwrite(out.data, 1, out.len, stdout);
	p53g_buf_free(&out);
	return p53g_finish_stdout(rc ? EXIT_FAIL : EXIT_OK);
}

static void __attribute__((format(printf, 3, 4)))
restore_bad(struct p53g_saved *r, size_t lineno, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->bad++ >= 10)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p53g_err("%s:%zu: %s", r->name, lineno, msg);
}

static int restore_push_op(struct p53g_saved *r, const struct p53g_op *op)
{
	if (r->nops == r->capops) {
		size_t cap = r->capops ? 2 * r->capops : 256;
		struct p53g_op *o = realloc(r->ops, cap * sizeof(*o));

		if (!o) {
			p53g_err("out of memory");
			return -1;
		}
		r->ops = o;
		r->capops = cap;
	}
	r->ops[r->nops++] = *op;
	return 0;
}

static bool word_is(const char *w, size_t len, const char *s)
{
	return len == strlen(s) && !memcmp(w, s, len);
}

/* One line of a save file; a wrong one is reported and counted. */
static int restore_line(struct p53g_saved *r, char *line, size_t len, size_t lineno)
{
	char q[P53G_QUOTE_MAX];
	char *w[3], name[32], val[64];
	size_t wl[3], nw = 0, i;
	struct p53g_op op;
	unsigned int notes;
	const char *why;

	while (nw < 2 && p53g_next_word(&line, &len, &w[nw], &wl[nw]))
		nw++;
	if (nw == 2 && word_is(w[0], wl[0], "set")) {
		int s;

		snprintf(name, sizeof(name), "%.*s", (int)wl[1], w[1]);
		s = wl[1] < sizeof(name) ? p53g_opt_find(name) : -1;
		if (s < 0) {
			restore_bad(r, lineno, "unknown setting %s", p53g_quote(w[1], wl[1], q));
			return 0;
		}
		if (!p53g_next_word(&line, &len, &w[2], &wl[2]) || (p53g_trim(&line, &len), len)) {
			restore_bad(r, lineno, "expected 'set %s VALUE'", p53g_setting_name(s));
			return 0;
		}
		snprintf(val, sizeof(val), "%.*s", (int)wl[2], w[2]);
		/* only the last value of a setting counts: kept once */
		for (i = 0; i < r->nsets && r->sets[i].s != s; i++)
			;
		if (i < r->nsets) {
			if (wl[2] >= sizeof(val) ||
			    p53g_opt_normalize(s, val, r->sets[i].value, sizeof(r->sets[0].value), &why))
				restore_bad(r, lineno, "%s: %s: %s", p53g_setting_name(s),
					    p53g_quote(w[2], wl[2], q),
					    wl[2] >= sizeof(val) ? "value too long" : why);
			return 0;
		}
		if (r->nsets == r->capsets) {
			size_t cap = r->capsets ? 2 * r->capsets : 8;
			struct p53g_set_op *n = realloc(r->sets, cap * sizeof(*n));

			if (!n) {
				p53g_err("out of memory");
				return -1;
			}
			r->sets = n;
			r->capsets = cap;
		}
		if (wl[2] >= sizeof(val) ||
		    p53g_opt_normalize(s, val, r->sets[r->nsets].value,
				       sizeof(r->sets[0].value), &why)) {
			restore_bad(r, lineno, "%s: %s: %s", p53g_setting_name(s), p53g_quote(w[2], wl[2], q),
				    wl[2] >= sizeof(val) ? "value too long" : why);
			return 0;
		}
		r->sets[r->nsets++].s = s;
		return 0;
	}
	if (nw == 2 && word_is(w[0], wl[0], "exempt") && word_is(w[1], wl[1], "flush")) {
		p53g_trim(&line, &len);
		if (len) {
			restore_bad(r, lineno, "exempt flush takes no argument");
			return 0;
		}
		/* a flush after a flush changes nothing: kept once (memory stays bounded) */
		if (r->nops && r->ops[r->nops - 1].cmd.op == P53G_CMD_FLUSH)
			return 0;
		p53g_set_free(&r->added);
		memset(&op, 0, sizeof(op));
		op.cmd.op = P53G_CMD_FLUSH;
		return restore_push_op(r, &op);
	}
	if (nw == 2 && word_is(w[0], wl[0], "exempt") &&
	    (word_is(w[1], wl[1], "add") || word_is(w[1], wl[1], "del"))) {
		int kind = word_is(w[1], wl[1], "add") ? P53G_CMD_ADD : P53G_CMD_DEL;
		bool any = false;

		while (p53g_next_word(&line, &len, &w[2], &wl[2])) {
			any = true;
			memset(&op, 0, sizeof(op));
			if (p53g_entry_parse_notes(w[2], wl[2], &op.cmd.entry, &notes, &why)) {
				restore_bad(r, lineno, "%s: %s", p53g_quote(w[2], wl[2], q), why);
				continue;
			}
			p53g_warn_stored(w[2], wl[2], &op.cmd.entry, notes, r->name, lineno);
			if (r->check && kind == P53G_CMD_ADD)
				r->warned += p53g_warn_entry(&op.cmd.entry, notes, r->name, lineno);
			/* an entry repeated is one entry, as the module counts */
			if (!p53g_set_has(&r->named, &op.cmd.entry)) {
				if (r->named.live == r->max_entries) {
					p53g_err("%s:%zu: more than %zu entries (%s): nothing changed",
						 r->name, lineno, r->max_entries, r->max_why);
					return -1;
				}
				if (p53g_set_add(&r->named, &op.cmd.entry))
					return -1;
			}
			/* an add repeated with no del or flush between changes nothing */
			if (kind == P53G_CMD_ADD) {
				if (p53g_set_has(&r->added, &op.cmd.entry))
					continue;
				if (p53g_set_add(&r->added, &op.cmd.entry))
					return -1;
			} else {
				p53g_set_del(&r->added, &op.cmd.entry);
			}
			/* add X, del X, add X...: bounded all the same */
			if (r->nops > 2 * r->max_entries + 1) {
				p53g_err("%s:%zu: more than %zu exempt commands: nothing changed",
					 r->name, lineno, 2 * r->max_entries + 1);
				return -1;
			}
			op.cmd.op = kind;
			op.file = r->name;
			op.line = lineno;
			if (restore_push_op(r, &op))
				return -1;
		}
		if (!any)
			restore_bad(r, lineno, "exempt %s needs an entry",
				    word_is(w[1], wl[1], "add") ? "add" : "del");
		return 0;
	}
	restore_bad(r, lineno, "expected 'set NAME VALUE' or 'exempt flush|add|del'");
	return 0;
}

/**
 * p53g_saved_read() - read and check a file in the save format
 * @file: its name, or - for standard input
 * @r: its lines, for p53g_apply() (zeroed on entry; p53g_saved_free() it)
 *
 * Return: 0; 1 when some lines are wrong (each said, up to ten); -1 on
 * another error (said).
 */
int p53g_saved_read(const char *file, struct p53g_saved *r)
{
	struct p53g_input in;
	char *line;
	size_t len;
	int rc;

	p53g_input_name(file, r->name);
	r->max_entries = p53g_input_entries_max(&r->max_why);
	if (p53g_input_open(file, &in))
		return -1;
	while ((rc = p53g_input_line(&in, &line, &len)) > 0) {
		p53g_trim(&line, &len);
		if (!len || line[0] == '#')
			continue;
		if (restore_line(r, line, len, in.lineno)) {
			rc = -1;
			break;
		}
	}
	p53g_input_close(&in);
	if (!rc && r->bad > 10)
		p53g_err("%s: %lu more bad lines", r->name, r->bad - 10);
	return rc ? rc : r->bad ? 1 : 0;
}

void p53g_saved_free(struct p53g_saved *r)
{
	p53g_set_free(&r->named);
	p53g_set_free(&r->added);
	free(r->ops);
	free(r->sets);
	memset(r, 0, sizeof(*r));
}

int restore_main(int argc, char *argv[])
{
	bool check = false, strict = false, allow_empty = false;
	struct p53g_saved r = { 0 };
	const char *file = NULL;
	int rc = EXIT_FAIL, bad;
	size_t i;

	if (p53g_take_wait(&argc, argv, "restore")) {
		restore_usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 1; i < (size_t)argc; i++) {
		if (p53g_is_help(argv[i])) {
			restore_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		} else if (!strcmp(argv[i], "--check")) {
			check = true;
		} else if (!strcmp(argv[i], "--strict")) {
			strict = true;
		} else if (!strcmp(argv[i], "--allow-empty")) {
			allow_empty = true;
		} else if (!file && (strcmp(argv[i], "-") == 0 || argv[i][0] != '-')) {
			file = argv[i];
		} else {
			char q[P53G_QUOTE_MAX];

			p53g_err("restore: unexpected argument %s",
				 p53g_quote(argv[i], strlen(argv[i]), q));
			restore_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!file) {
		p53g_err("restore: expected one FILE (or - for standard input)");
		restore_usage(stderr);
		return EXIT_USAGE;
	}
	if (strict && !check) {
		p53g_err("restore: --strict goes with --check");
		restore_usage(stderr);
		return EXIT_USAGE;
	}
	if (!check && p53g_require_module())
		return EXIT_FAIL;
	r.check = check;
	bad = p53g_saved_read(file, &r);
	if (bad < 0)
		goto out;
	if (bad) {
		p53g_err("%s: nothing changed", r.name);
		goto out;
	}
	if (!r.nops && !r.nsets && !allow_empty) {
		p53g_err("%s: no setting and no exempt line: nothing changed "
			 "(--allow-empty accepts that; 'exempt flush' empties the list)", r.name);
		goto out;
	}
	if (check) {
		printf("%s: valid: %zu settings, %zu exempt lines%s\n", r.name, r.nsets, r.nops,
		       !r.warned ? "" : strict ? " (warnings: failed by --strict)" :
		       " (with warnings)");
		rc = p53g_finish_stdout(r.warned && strict ? EXIT_FAIL : EXIT_OK);
		goto out;
	}
	if (!p53g_apply(r.ops, r.nops, r.sets, r.nsets))
		rc = EXIT_OK;
out:
	p53g_saved_free(&r);
	return rc;
}
