// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard fallback FILE | --print FILE | --remove | --unit FILE
 *
 * When the module cannot load, the saved configuration as one nftables
 * table, inet port53guard, that refuses what the module would:
 *
 *   input    UDP and UDP-Lite (TCP SYNs with tcp 1) to port 53, or that
 *            conntrack translated from port 53 (ct original proto-dst)
 *   forward  (forward 1) what conntrack DNATed from port 53
 *   query    loopback passes (loopback 1), then the reply direction of a
 *            flow this host started (TCP, or a DNS response: QR set),
 *            then the exemptions (named sets exempt4, exempt6 and
 *            exemptif; NAME+ as iifname "NAME*"), then the action: a
 *            limit of rate/s in front of the replies, reject (ICMP or
 *            ICMPv6 port unreachable, a RST for TCP), drop, or monitor
 *            (counted, let through); log 1 adds a rate-limited log line;
 *            authoritative 1 lets a query with QR and RD clear pass
 *            before the action (TCP with tcp 1: every segment with a
 *            payload is read as beginning a message, SYNs pass)
 *
 * Its named counters carry the module's totals' names (rejected, dropped,
 * monitored, exempted, replies, iterative). enabled 0 renders a table with no chain:
 * it refuses nothing, and verify says so. The table is replaced in one
 * nft transaction, and guards the network namespace nft runs in.
 *
 * Who applies it leaves a state file (/run/port53guard/fallback, or
 * $P53G_RUN/fallback) for status and the metrics, which read nftables
 * only with CAP_NET_ADMIN. The tool removes the table after any change it
 * commits to a guarding module (p53g_fallback_after_commit()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "p53g.h"

#define FB_TABLE	"inet port53guard"
#define FB_RUN_DEFAULT	"/run/port53guard"
#define FB_LOG_RATE	"10/second"

/* The nft binary, or NULL when none may be run (a test's fake sysfs). */
const char *p53g_nft(void)
{
	const char *nft = getenv("P53G_NFT");

	if (nft && *nft)
		return nft;
	return getenv("P53G_SYSFS") ? NULL : "nft";
}

static const char *fb_run_dir(void)
{
	const char *d = getenv("P53G_RUN");

	return d && *d ? d : FB_RUN_DEFAULT;
}

const char *p53g_fallback_state_path(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/fallback", fb_run_dir());
	return path;
}

/* This process's network namespace, as the inode of /proc/self/ns/net. */
static unsigned long long fb_netns(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (unsigned long long)st.st_ino;
}

/* ---- rendering ---- */

/* An interface name nft takes between double quotes, as it is. */
static bool fb_ifname_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("-_.@%", s[i])))
			return false;
	return len > 0;
}

static int fb_set(struct p53g_buf *b, const struct p53g_list *l, const char *name,
		  const char *type, int kind, bool interval)
{
	char text[P53G_ENTRY_MAXLEN];
	size_t i, n = 0;
	int rc;

	rc = p53g_buf_printf(b, "\tset %s {\n\t\ttype %s\n%s", name, type,
			     interval ? "\t\tflags interval\n\t\tauto-merge\n" : "");
	for (i = 0; !rc && i < l->n; i++) {
		const struct p53g_entry *e = &l->v[i];

		if (e->kind != kind || (kind == P53G_ENTRY_DEV && (e->wildcard ||
		    !fb_ifname_ok(e->dev, e->namelen))))
			continue;
		if (kind == P53G_ENTRY_DEV)
			rc = p53g_buf_printf(b, "%s\"%.*s\"", n ? ",\n\t\t\t" :
					     "\t\telements = {\n\t\t\t", e->namelen, e->dev);
		else if (p53g_entry_format(e, text, sizeof(text)) < 0)
			rc = -1;
		else
			rc = p53g_buf_printf(b, "%s%s", n ? ",\n\t\t\t" :
					     "\t\telements = {\n\t\t\t", text);
		n++;
	}
	if (!rc && n)
		rc = p53g_buf_printf(b, "\n\t\t}\n");
	return rc ? rc : p53g_buf_printf(b, "\t}\n");
}

/* The protocol matches of a query, on input and on forward. */
static int fb_entry_chain(struct p53g_buf *b, const struct p53g_settings *c, bool forward)
{
	/*
	 * TCP: a SYN, or with authoritative 1 (a SYN shows no DNS header)
	 * every segment but a RST that carries a payload, read in the query
	 * chain as beginning a DNS message; a load past the packet's end
	 * does not match, so "{ 0-255 }" asks that the byte be there.
	 */
	const char *syn = c->authoritative ? "tcp flags & rst == 0 @ih,0,8 { 0-255 }" :
			  "tcp flags & (fin | syn | rst | ack) == syn";
	int rc;

	if (forward) {
		rc = p53g_buf_printf(b, "\tchain forward {\n"
				     "\t\ttype filter hook forward priority filter + 1; policy accept;\n"
				     "\t\tct status dnat meta l4proto { udp, udplite } "
				     "ct original proto-dst 53 goto query\n");
		if (!rc && c->tcp)
			rc = p53g_buf_printf(b, "\t\tct status dnat meta l4proto tcp "
					     "ct original proto-dst 53 %s goto query\n", syn);
		return rc ? rc : p53g_buf_printf(b, "\t}\n");
	}
	rc = p53g_buf_printf(b, "\tchain input {\n"
			     "\t\ttype filter hook input priority filter + 1; policy accept;\n"
			     "\t\tmeta l4proto { udp, udplite } th dport 53 goto query\n"
			     "\t\tmeta l4proto { udp, udplite } ct original proto-dst 53 goto query\n");
	if (!rc && c->tcp)
		rc = p53g_buf_printf(b, "\t\ttcp dport 53 %s goto query\n"
				     "\t\tmeta l4proto tcp ct original proto-dst 53 %s goto query\n",
				     syn, syn);
	return rc ? rc : p53g_buf_printf(b, "\t}\n");
}

static int fb_query_chain(struct p53g_buf *b, const struct p53g_settings *c,
			  const struct p53g_list *l)
{
	size_t i;
	int rc;

	rc = p53g_buf_printf(b, "\tchain query {\n");
	if (!rc && c->loopback)
		rc = p53g_buf_printf(b, "\t\tmeta iiftype loopback counter name \"exempted\" accept\n");
	if (!rc)
		rc = p53g_buf_printf(b, "\t\tct direction reply meta l4proto tcp "
				     "counter name \"replies\" accept\n"
				     "\t\tct direction reply meta l4proto { udp, udplite } @th,80,1 1 "
				     "counter name \"replies\" accept\n"
				     "\t\tip saddr @exempt4 counter name \"exempted\" accept\n"
				     "\t\tip6 saddr @exempt6 counter name \"exempted\" accept\n"
				     "\t\tiifname @exemptif counter name \"exempted\" accept\n");
	for (i = 0; !rc && i < l->n; i++)
		if (l->v[i].kind == P53G_ENTRY_DEV && l->v[i].wildcard &&
		    fb_ifname_ok(l->v[i].dev, l->v[i].namelen))
			rc = p53g_buf_printf(b, "\t\tiifname \"%.*s*\" counter name \"exempted\" accept\n",
					     l->v[i].namelen, l->v[i].dev);
	/*
	 * authoritative 1: a query whose DNS header is whole and has QR and
	 * RD clear passes (UDP: within its length; TCP: after the 2-byte
	 * length, payload bytes 2-13)
	 */
	if (!rc && c->authoritative)
		rc = p53g_buf_printf(b, "\t\tmeta l4proto udp udp length >= 20 @th,80,1 0 @th,87,1 0 "
				     "counter name \"iterative\" accept\n"
				     "\t\tmeta l4proto udplite @th,152,8 { 0-255 } @th,80,1 0 @th,87,1 0 "
				     "counter name \"iterative\" accept\n");
	if (!rc && c->authoritative && c->tcp)
		rc = p53g_buf_printf(b, "\t\tmeta l4proto tcp @ih,104,8 { 0-255 } @ih,32,1 0 @ih,39,1 0 "
				     "counter name \"iterative\" accept\n");
	if (!rc && c->log)
		rc = p53g_buf_printf(b, "\t\tlimit rate " FB_LOG_RATE " log prefix \"port53guard: \" "
				     "level info\n");
	if (rc)
		return rc;
	switch (c->action) {
	case P53G_ACTION_MONITOR:
		rc = p53g_buf_printf(b, "\t\tcounter name \"monitored\" accept\n");
		break;
	case P53G_ACTION_DROP:
		rc = p53g_buf_printf(b, "\t\tcounter name \"dropped\" drop\n");
		break;
	default:
		if (c->rate)
			rc = p53g_buf_printf(b, "\t\tlimit rate over %u/second burst %u packets "
					     "counter name \"dropped\" drop\n", c->rate, c->rate);
		if (!rc)
			rc = p53g_buf_printf(b, "\t\tmeta l4proto tcp counter name \"rejected\" "
					     "reject with tcp reset\n"
					     "\t\tcounter name \"rejected\" reject\n");
		break;
	}
	return rc ? rc : p53g_buf_printf(b, "\t}\n");
}

/* Whether a table of these settings refuses anything. */
static bool fb_guards(const struct p53g_settings *c)
{
	return c->enabled && c->action != P53G_ACTION_MONITOR;
}

/**
 * p53g_fallback_render() - the nft script of a configuration
 * @c: its settings
 * @l: its exemption list
 * @from: where it was read, for a comment (escaped)
 * @b: where to put it
 *
 * One transaction: create the table if absent, delete it, make it anew.
 *
 * Return: 0, or -1 (out of memory).
 */
static int p53g_fallback_render(const struct p53g_settings *c, const struct p53g_list *l,
				const char *from, struct p53g_buf *b)
{
	static const char *const counters[] = {
		"rejected", "dropped", "monitored", "exempted", "replies", "iterative",
	};
	char what[160];
	size_t i;
	int rc;

	if (!c->enabled)
		snprintf(what, sizeof(what), "refuses nothing (enabled 0)");
	else if (c->action == P53G_ACTION_MONITOR)
		snprintf(what, sizeof(what), "refuses nothing (action monitor)");
	else
		snprintf(what, sizeof(what), "guards (action %s)", p53g_action_name(c->action));
	rc = p53g_buf_printf(b, "# port53guard %s: the nftables fallback, from %s\n"
			     "table " FB_TABLE " {}\n"
			     "delete table " FB_TABLE "\n"
			     "table " FB_TABLE " {\n"
			     "\tcomment \"port53guard fallback: %s\"\n",
			     P53G_VERSION, from, what);
	for (i = 0; !rc && i < sizeof(counters) / sizeof(counters[0]); i++)
		rc = p53g_buf_printf(b, "\tcounter %s {\n\t}\n", counters[i]);
	if (!rc)
		rc = fb_set(b, l, "exempt4", "ipv4_addr", P53G_ENTRY_V4, true);
	if (!rc)
		rc = fb_set(b, l, "exempt6", "ipv6_addr", P53G_ENTRY_V6, true);
	if (!rc)
		rc = fb_set(b, l, "exemptif", "ifname", P53G_ENTRY_DEV, false);
	if (!rc && c->enabled)
		rc = fb_entry_chain(b, c, false);
	if (!rc && c->enabled && c->forward)
		rc = fb_entry_chain(b, c, true);
	if (!rc && c->enabled)
		rc = fb_query_chain(b, c, l);
	return rc ? rc : p53g_buf_printf(b, "}\n");
}

/* ---- reading the configuration ---- */

/*
 * The settings and list a saved file gives a freshly loaded module: the
 * defaults, then its set lines, then its exempt lines played from empty.
 */
static int fb_read(const char *file, struct p53g_settings *c, struct p53g_list *l,
		   char *name, size_t nsize)
{
	struct p53g_saved r = { 0 };
	struct p53g_op *ops = NULL;
	const char *why;
	size_t i;
	int rc;
	u32 v;

	*c = (struct p53g_settings)P53G_SETTINGS_DEFAULT;
	rc = p53g_saved_read(file, &r);
	snprintf(name, nsize, "%s", r.name);
	if (rc) {
		p53g_saved_free(&r);
		return -1;
	}
	for (i = 0; i < r.nsets; i++) {
		if (p53g_setting_parse(r.sets[i].s, r.sets[i].value, strlen(r.sets[i].value),
				       &v, &why)) {
			rc = -1;
			break;
		}
		p53g_setting_put(c, r.sets[i].s, v);
	}
	ops = calloc(r.nops + 1, sizeof(*ops));
	if (!rc && !ops) {
		p53g_err("out of memory");
		rc = -1;
	}
	if (!rc) {
		/* from empty: a module just loaded, whatever runs now */
		ops[0].cmd.op = P53G_CMD_FLUSH;
		if (r.nops)
			memcpy(ops + 1, r.ops, r.nops * sizeof(*ops));
		rc = p53g_list_result(ops, r.nops + 1, l) ? -1 : 0;
	}
	free(ops);
	p53g_saved_free(&r);
	return rc;
}

static void fb_warn_skipped(const struct p53g_list *l, const char *name)
{
	char q[P53G_QUOTE_MAX];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].kind == P53G_ENTRY_DEV && !fb_ifname_ok(l->v[i].dev, l->v[i].namelen))
			p53g_warn("%s: dev:%s%s cannot be written as an nftables interface "
				  "name: not exempt in the fallback", name,
				  p53g_quote(l->v[i].dev, l->v[i].namelen, q),
				  l->v[i].wildcard ? "+" : "");
}

/* ---- nftables ---- */

/* nft -f -, @script on its standard input. Return: nft's status, or -1. */
static int fb_nft_apply(const char *script, size_t len, char *out, size_t size)
{
	char tmpl[] = "/tmp/port53guard-fallback.XXXXXX";
	const char *nft = p53g_nft();
	char *argv[] = { (char *)nft, "-f", tmpl, NULL };
	int fd, rc;

	if (!nft) {
		snprintf(out, size, "no nft may be run here ($P53G_SYSFS without $P53G_NFT)");
		return -1;
	}
	/* a file, not a pipe: nft reads its input whole before it commits */
	fd = mkstemp(tmpl);
	if (fd < 0) {
		snprintf(out, size, "%s: %s", tmpl, strerror(errno));
		return -1;
	}
	if (p53g_write_whole(fd, script, len)) {
		snprintf(out, size, "%s: cannot write", tmpl);
		close(fd);
		unlink(tmpl);
		return -1;
	}
	close(fd);
	rc = p53g_run(argv, out, size);
	unlink(tmpl);
	if (rc < 0)
		snprintf(out, size, "cannot run %s", nft);
	return rc;
}

/**
 * p53g_fallback_table() - is the fallback table in this namespace?
 * @comment: its comment, or "" (may be NULL)
 * @size: the room there
 *
 * Return: 1 present, 0 absent, -1 cannot tell (no CAP_NET_ADMIN, no nft).
 */
int p53g_fallback_table(char *comment, size_t size)
{
	const char *nft = p53g_nft();
	char *argv[] = { (char *)nft, "-t", "list", "table", "inet", "port53guard", NULL };
	char out[2048], *p, *q;
	struct stat st;
	int rc;

	if (comment && size)
		comment[0] = '\0';
	if (!nft)
		return 0;
	/*
	 * No nf_tables module loaded: no table, and no nft to spawn. This
	 * assumes nf_tables is a module, as Debian and OpenWrt build it; a
	 * kernel with it built in would need this check gone.
	 */
	if (!getenv("P53G_NFT") && stat("/sys/module/nf_tables", &st))
		return 0;
	rc = p53g_run(argv, out, sizeof(out));
	if (rc < 0 || rc == 127)
		return -1;
	if (rc) {
		if (strstr(out, "No such file or directory"))
			return 0;
		return -1;
	}
	p = strstr(out, "comment \"");
	if (comment && size && p) {
		p += 9;
		q = strchr(p, '"');
		snprintf(comment, size, "%.*s", q ? (int)(q - p) : 0, p);
	}
	return 1;
}

static int fb_remove_table(bool quiet)
{
	static const char script[] = "table " FB_TABLE " {}\ndelete table " FB_TABLE "\n";
	char out[2048];
	int rc;

	rc = fb_nft_apply(script, sizeof(script) - 1, out, sizeof(out));
	if (rc) {
		p53g_err("fallback: could not remove table " FB_TABLE ": %s", p53g_name(out));
		return -1;
	}
	if (unlink(p53g_fallback_state_path()) && errno != ENOENT && !quiet)
		p53g_warn("%s: %s", p53g_name(p53g_fallback_state_path()), strerror(errno));
	return 0;
}

/* ---- the state file ---- */

static int fb_state_write(const struct p53g_settings *c, const char *from, const char *why)
{
	struct p53g_buf b = { 0 };
	char esc[P53G_NAME_MAX], setting[32];
	int rc, s;

	if (mkdir(fb_run_dir(), 0755) && errno != EEXIST) {
		p53g_warn("%s: %s: status and the metrics will not see the fallback",
			  p53g_name(fb_run_dir()), strerror(errno));
		return -1;
	}
	rc = p53g_buf_printf(&b, "# port53guard: the nftables fallback, table " FB_TABLE "\n"
			     "netns %llu\ntime %lld\nguards %d\nfile %s\nwhy %s\n",
			     fb_netns(), (long long)time(NULL), fb_guards(c),
			     from, p53g_escape(why, strlen(why), esc, sizeof(esc)));
	for (s = 0; !rc && s < P53G_NR_SETTINGS; s++) {
		if (p53g_setting_format(s, p53g_setting_get(c, s), setting, sizeof(setting)) < 0)
			rc = -1;
		else
			rc = p53g_buf_printf(&b, "set %s %s\n", p53g_setting_name(s), setting);
	}
	if (!rc)
		rc = p53g_write_file_atomic(p53g_fallback_state_path(), b.data, b.len);
	p53g_buf_free(&b);
	return rc;
}

/**
 * p53g_fallback_state() - what the state file says of this namespace
 * @st: filled in when it speaks of this network namespace
 *
 * Return: 1 when it does, 0 when there is none (or it is another
 * namespace's).
 */
int p53g_fallback_state(struct p53g_fallback *st)
{
	struct p53g_buf b = { 0 };
	char *p, *end, *line, *w;
	size_t len, wlen;
	int fd, rc = 0;

	memset(st, 0, sizeof(*st));
	fd = open(p53g_fallback_state_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (p53g_read_fd(fd, &b) || b.len > 65536) {
		close(fd);
		p53g_buf_free(&b);
		return 0;
	}
	close(fd);
	for (p = b.data, end = b.data + b.len; p53g_next_line(&p, end, &line, &len);) {
		if (!p53g_next_word(&line, &len, &w, &wlen))
			continue;
		p53g_trim(&line, &len);
		if (wlen == 5 && !memcmp(w, "netns", 5))
			rc = strtoull(line, NULL, 10) == fb_netns() && fb_netns();
		else if (wlen == 4 && !memcmp(w, "time", 4))
			st->time = strtoll(line, NULL, 10);
		else if (wlen == 6 && !memcmp(w, "guards", 6))
			st->guards = len && line[0] == '1';
		else if (wlen == 4 && !memcmp(w, "file", 4))
			snprintf(st->file, sizeof(st->file), "%.*s", (int)len, line);
		else if (wlen == 3 && !memcmp(w, "why", 3))
			snprintf(st->why, sizeof(st->why), "%.*s", (int)len, line);
		else if (wlen == 3 && !memcmp(w, "set", 3))
			snprintf(st->settings + strlen(st->settings),
				 sizeof(st->settings) - strlen(st->settings), "%s%.*s",
				 st->settings[0] ? ", " : "", (int)len, line);
	}
	p53g_buf_free(&b);
	return rc;
}

/* The table's named counters, as "name packets" lines (root). Return: 0 or -1. */
int p53g_fallback_counters(struct p53g_buf *b)
{
	const char *nft = p53g_nft();
	char *argv[] = { (char *)nft, "list", "counters", "table", "inet", "port53guard", NULL };
	char out[4096], *p, *name, *end;
	int rc = 0;

	if (!nft || p53g_run(argv, out, sizeof(out)))
		return -1;
	for (p = out; !rc && (p = strstr(p, "counter ")); p = end) {
		name = p + 8;
		end = name + strcspn(name, " \n");
		if (*end != ' ' || !(p = strstr(end, "packets ")))
			break;
		rc = p53g_buf_printf(b, "%.*s %lld\n", (int)(end - name), name,
				     strtoll(p + 8, NULL, 10));
		end = p + 8;
	}
	return rc;
}

/**
 * p53g_fallback_view() - what guards this network namespace besides the module
 * @v: filled in
 *
 * The table itself when it can be read (root), else the state file the
 * one who applied it left.
 */
void p53g_fallback_view(struct p53g_fallback_view *v)
{
	memset(v, 0, sizeof(*v));
	v->table = p53g_fallback_table(v->comment, sizeof(v->comment));
	v->state = p53g_fallback_state(&v->st) == 1;
	if (v->table == 1)
		v->guards = strstr(v->comment, "fallback: guards") != NULL;
	else if (v->table < 0)
		v->guards = v->state && v->st.guards;
	v->present = v->table == 1 || (v->table < 0 && v->state);
}

/*
 * After a change committed to the module: a fallback table beside a
 * module that guards would refuse what the module now exempts. Remove it
 * (and say so). Quiet when there is none, or nftables cannot be asked.
 */
void p53g_fallback_after_commit(void)
{
	char en[8], act[16];

	if (p53g_read_value("enabled", en, sizeof(en)) ||
	    p53g_read_value("action", act, sizeof(act)) ||
	    strcmp(en, "1") || !strcmp(act, "monitor"))
		return;
	if (p53g_fallback_table(NULL, 0) != 1)
		return;
	if (!fb_remove_table(true))
		fprintf(stderr, "%s: removed the nftables fallback table " FB_TABLE
			": the module guards this host\n", PROG_NAME);
}

/* ---- the subcommand ---- */

static void fallback_usage(FILE *f)
{
	fprintf(f, "Usage: %s fallback FILE\n"
		   "       %s fallback --print FILE\n"
		   "       %s fallback --remove\n"
		   "       %s fallback --unit FILE\n\n"
		   "When the module cannot load: FILE (the save format) as the nftables table\n"
		   "inet port53guard, which refuses what the module would, in this network\n"
		   "namespace, applied in one nft transaction (root, and nft).\n"
		   "  --print    print the table instead of applying it\n"
		   "  --remove   delete the table\n"
		   "  --unit     what port53guard.service runs after it stops: when it failed\n"
		   "             and the module is not loaded, apply FILE (or, if FILE cannot\n"
		   "             be read, the defaults) and say why in one line\n"
		   "Exit status: 0 done, 1 failed (nothing changed), 2 usage.\n",
		PROG_NAME, PROG_NAME, PROG_NAME, PROG_NAME);
}

/* Why the module is not loaded: what a second modprobe says, on one line. */
static void fb_why(char *out, size_t size)
{
	char *argv[] = { "modprobe", "port53guard", NULL };
	const char *p = getenv("P53G_MODPROBE");
	char *nl;
	int rc;

	if (p && *p)
		argv[0] = (char *)p;
	rc = p53g_run(argv, out, size);
	if (rc == 0 && !access(p53g_root(), F_OK)) {
		snprintf(out, size, "loaded on a second try");
		return;
	}
	if (rc < 0)
		snprintf(out, size, "modprobe could not be run");
	/* every line it wrote, on one line */
	while ((nl = strchr(out, '\n'))) {
		if (strlen(out) + 2 >= size) {
			*nl = '\0';
			break;
		}
		memmove(nl + 2, nl + 1, strlen(nl + 1) + 1);
		nl[0] = ';';
		nl[1] = ' ';
	}
	if (!out[0])
		snprintf(out, size, "modprobe port53guard: exit status %d", rc);
}

static int fb_apply(const struct p53g_settings *c, const struct p53g_list *l,
		    const char *name, const char *why)
{
	struct p53g_buf b = { 0 };
	char out[4096];
	int rc;

	if (p53g_fallback_render(c, l, name, &b)) {
		p53g_err("out of memory");
		p53g_buf_free(&b);
		return -1;
	}
	rc = fb_nft_apply(b.data, b.len, out, sizeof(out));
	p53g_buf_free(&b);
	if (rc) {
		p53g_err("fallback: nft could not apply table " FB_TABLE " (nothing changed): %s",
			 p53g_name(out));
		return -1;
	}
	fb_state_write(c, name, why);
	return 0;
}

int fallback_main(int argc, char *argv[])
{
	bool print = false, remove = false, unit = false;
	struct p53g_list l = { 0 };
	struct p53g_settings c;
	const char *file = NULL, *res;
	char name[P53G_NAME_MAX], q[P53G_QUOTE_MAX], why[1024];
	int i, rc = EXIT_FAIL;

	for (i = 1; i < argc; i++) {
		if (p53g_is_help(argv[i])) {
			fallback_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		} else if (!strcmp(argv[i], "--print")) {
			print = true;
		} else if (!strcmp(argv[i], "--remove")) {
			remove = true;
		} else if (!strcmp(argv[i], "--unit")) {
			unit = true;
		} else if (!file && (!strcmp(argv[i], "-") || argv[i][0] != '-')) {
			file = argv[i];
		} else {
			p53g_err("fallback: unexpected argument %s",
				 p53g_quote(argv[i], strlen(argv[i]), q));
			fallback_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (print + remove + unit > 1) {
		p53g_err("fallback: give one of --print, --remove and --unit");
		return EXIT_USAGE;
	}
	if (remove != !file) {
		p53g_err(remove ? "fallback: --remove takes no FILE" :
			 "fallback: expected one FILE (or - for standard input)");
		fallback_usage(stderr);
		return EXIT_USAGE;
	}
	if (remove)
		return fb_remove_table(false) ? EXIT_FAIL : EXIT_OK;
	if (unit) {
		/* systemd's ExecStopPost: after a stop that was no failure, nothing */
		res = getenv("SERVICE_RESULT");
		if ((res && !strcmp(res, "success")) || !access(p53g_root(), F_OK))
			return EXIT_OK;
		fb_why(why, sizeof(why));
		if (!access(p53g_root(), F_OK)) {
			fprintf(stderr, "%s: the module is loaded now (%s): no fallback\n",
				PROG_NAME, why);
			return EXIT_OK;
		}
		if (fb_read(file, &c, &l, name, sizeof(name))) {
			p53g_list_free(&l);
			c = (struct p53g_settings)P53G_SETTINGS_DEFAULT;
			p53g_warn("fallback: %s cannot be used: the defaults instead, with no exemption",
				  name);
		}
		fb_warn_skipped(&l, name);
		if (fb_apply(&c, &l, name, why)) {
			fprintf(stderr, "%s: the module could not be loaded (%s) and the nftables "
				"fallback failed: this host is NOT guarded\n", PROG_NAME,
				p53g_name(why));
		} else {
			fprintf(stderr, "%s: the module could not be loaded (%s): this host is %s "
				"by the nftables fallback, table " FB_TABLE " (port53guard status)\n",
				PROG_NAME, p53g_name(why),
				fb_guards(&c) ? "guarded" : "NOT guarded (the configuration "
				"refuses nothing)");
			rc = EXIT_OK;
		}
		p53g_list_free(&l);
		return rc;
	}
	if (fb_read(file, &c, &l, name, sizeof(name))) {
		p53g_err("%s: nothing applied", name);
		goto out;
	}
	fb_warn_skipped(&l, name);
	if (print) {
		struct p53g_buf b = { 0 };

		if (p53g_fallback_render(&c, &l, name, &b)) {
			p53g_err("out of memory");
		} else {
			fwrite(b.data, 1, b.len, stdout);
			rc = p53g_finish_stdout(EXIT_OK);
		}
		p53g_buf_free(&b);
		goto out;
	}
	snprintf(why, sizeof(why), "port53guard fallback %.900s", name);
	if (!fb_apply(&c, &l, name, why)) {
		if (!access(p53g_root(), F_OK))
			p53g_warn("fallback: the module is loaded: the table refuses what it "
				  "exempts until 'port53guard fallback --remove'");
		rc = EXIT_OK;
	}
out:
	p53g_list_free(&l);
	return rc;
}
