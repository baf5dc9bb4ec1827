// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard verify [--json] [--probe] [--saved FILE]: is this host
 * guarded, as configured, now? Exit 0 only when every check passes
 * (warnings do not fail it), 1 when one fails, 2 on bad usage, 4 when
 * the module is not loaded and the nftables fallback guards this network
 * namespace (port53guard fallback).
 *
 * The checks, each with its result and why:
 *   module      loaded; its version (against the tool's), taint and signer
 *   fallback    without the module, table inet port53guard guards (exit 4);
 *               with it, no such table beside it (it would refuse what the
 *               module exempts)
 *   enabled     1
 *   action      reject or drop (monitor refuses nothing)
 *   namespaces  every network namespace this process can see has the
 *               hooks (a warning with init_net_only=1, as configured)
 *   forward     1 (published ports are judged)
 *   fou         a warning for each FOU/GUE receive port (ip fou show):
 *               what it decapsulates reaches UDP and TCP past netfilter
 *   exemptions  none that exempts everything (0.0.0.0/0, ::/0, dev:+);
 *               a warning for one wider than /8 (IPv4) or /32 (IPv6), and
 *               for an interface that carries the default route
 *   list        entries, SHA-256 of the exempt file's text (what
 *               `sha256sum /sys/kernel/port53guard/exempt` prints),
 *               generation and time of the last change
 *   saved       restoring the saved file (/etc/port53guard/port53guard.conf,
 *               what the boot unit restores) would change nothing; a
 *               warning when there is none
 *   probe       (--probe, root) one real query on the wire per family:
 *               a temporary namespace and veth pair, fresh link-local
 *               and ULA addresses, a UDP query from there to the host's
 *               port 53; passes when the counter of the expected outcome
 *               moved by exactly one (rejected_unreach, or dropped_action
 *               under action drop) and nothing else did, and the answer
 *               is an ICMP port unreachable (silence under drop). Other
 *               traffic moving the counters at the same moment: tried
 *               again, up to three times. Everything it made is removed,
 *               and SIGINT/SIGTERM wait for that.
 *
 * --json prints an evidence record: when, where (host, kernel), what was
 * checked and each result, and the configuration's fingerprint.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p53g.h"

#define VERIFY_SAVED_DEFAULT	"/etc/port53guard/port53guard.conf"
#define VERIFY_MAX_CHECKS	24
#define PROBE_TRIES		3
#define PROBE_WAIT_MS		3000
#define PROBE_ERR_MAX		512

enum result { R_PASS, R_WARN, R_FAIL };
static const char *const result_name[] = { "pass", "warn", "fail" };

struct check {
	const char *name;
	enum result r;
	char detail[768];
};

struct verify {
	struct check c[VERIFY_MAX_CHECKS];
	size_t n;
	char version[64];
	char values[P53G_NR_SETTINGS][32];
	bool have_values;
	char gen[32], changed[32];
	size_t entries;
	char sha[65];
	struct p53g_list list;
	bool fallback;		/* guarded by the nftables fallback alone */
};

static void __attribute__((format(printf, 4, 5)))
add(struct verify *v, const char *name, enum result r, const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (v->n == VERIFY_MAX_CHECKS)
		return;
	c = &v->c[v->n++];
	c->name = name;
	c->r = r;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

/* ---- the module and its settings ---- */

static void check_module(struct verify *v)
{
	char taint[16] = "", signer[160] = "", q[P53G_QUOTE_MAX];
	char *modinfo[] = { "modinfo", "-F", "signer", "port53guard", NULL };
	enum result r = R_PASS;
	const char *sig;

	if (p53g_read_module_value("version", v->version, sizeof(v->version)))
		snprintf(v->version, sizeof(v->version), "unknown");
	p53g_read_module_value("taint", taint, sizeof(taint));
	if (p53g_run(modinfo, signer, sizeof(signer)) != 0)
		signer[0] = '\0';
	signer[strcspn(signer, "\n")] = '\0';
	if (strcmp(v->version, P53G_VERSION))
		r = R_WARN;
	if (strchr(taint, 'E'))
		r = R_WARN;
	sig = signer[0] ? p53g_quote(signer, strlen(signer), q) :
	      strchr(taint, 'E') ? "none (unsigned: taint E)" : "none found by modinfo";
	add(v, "module", r, "loaded, version %s%s%s, taint %s, signer %s", v->version,
	    strcmp(v->version, P53G_VERSION) ? ", but this tool is " : "",
	    strcmp(v->version, P53G_VERSION) ? P53G_VERSION : "",
	    taint[0] ? taint : "none", sig);
}

static void check_settings(struct verify *v)
{
	const char *en = v->values[P53G_SET_ENABLED], *act = v->values[P53G_SET_ACTION];
	const char *fwd = v->values[P53G_SET_FORWARD];

	if (!strcmp(en, "1"))
		add(v, "enabled", R_PASS, "1");
	else
		add(v, "enabled", R_FAIL, "%s: every query passes (port53guard set enabled 1)", en);
	if (!strcmp(act, "monitor"))
		add(v, "action", R_FAIL, "monitor: queries are counted, not refused "
		    "(port53guard set action reject)");
	else
		add(v, "action", R_PASS, "%s", act);
	if (!strcmp(fwd, "1"))
		add(v, "forward", R_PASS, "1: queries published (DNATed) from port 53 are judged");
	else
		add(v, "forward", R_FAIL, "%s: ports published from 53 to containers and VMs "
		    "are not judged (port53guard set forward 1)", fwd);
}

static void check_namespaces(struct verify *v)
{
	char netonly[8] = "", guarded[32] = "";
	size_t seen;
	long long g;

	p53g_read_module_value("parameters/init_net_only", netonly, sizeof(netonly));
	if (netonly[0] == 'Y' || netonly[0] == '1') {
		add(v, "namespaces", R_WARN, "init_net_only=1: only the initial namespace is "
		    "guarded, as configured; containers' own namespaces are not");
		return;
	}
	if (p53g_read_value("namespaces", guarded, sizeof(guarded))) {
		add(v, "namespaces", R_FAIL, "cannot read how many namespaces are guarded");
		return;
	}
	/*
	 * Read before and after counting, and the larger taken: a namespace
	 * made or gone while the tool counts is in one of the two reads.
	 */
	g = strtoll(guarded, NULL, 10);
	seen = p53g_netns_count();
	if (!p53g_read_value("namespaces", guarded, sizeof(guarded)) &&
	    strtoll(guarded, NULL, 10) > g)
		g = strtoll(guarded, NULL, 10);
	if (g < (long long)seen)
		add(v, "namespaces", R_FAIL, "%zu network namespaces, only %lld with the hooks",
		    seen, g);
	else
		add(v, "namespaces", R_PASS, "every namespace: %lld with the hooks, %zu seen here",
		    g, seen);
}

/* ---- the list ---- */

/* The interfaces of the default routes ("eth0 ens3"), for the dev: check. */
static void default_route_ifs(char *out, size_t size)
{
	char line[512], ifn[64], dst[64], mask[64], plen[8];
	size_t len = 0;
	FILE *f;

	out[0] = '\0';
	f = fopen(p53g_host_path("/proc/net/route"), "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %63s %*s %*s %*s %*s %*s %63s", ifn, dst, mask) == 3 &&
		    !strcmp(dst, "00000000") && !strcmp(mask, "00000000") && len < size)
			len += snprintf(out + len, size - len, " %s ", ifn);
	if (f)
		fclose(f);
	f = fopen(p53g_host_path("/proc/net/ipv6_route"), "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %7s %*s %*s %*s %*s %*s %*s %*s %63s", dst, plen, ifn) == 3 &&
		    strspn(dst, "0") == 32 && !strcmp(plen, "00") && strcmp(ifn, "lo") &&
		    len < size)
			len += snprintf(out + len, size - len, " %s ", ifn);
	if (f)
		fclose(f);
}

/* Whether dev entry @e names an interface in @ifs (" a  b "). */
static bool dev_covers_one(const struct p53g_entry *e, const char *ifs, char *which, size_t size)
{
	const char *p = ifs;
	size_t n;

	while (*p) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (!n)
			break;
		if ((e->wildcard ? n >= e->namelen : n == e->namelen) &&
		    !memcmp(p, e->dev, e->namelen)) {
			snprintf(which, size, "%.*s", (int)n, p);
			return true;
		}
		p += n;
	}
	return false;
}

/* Reads the list and its fingerprint, one generation (tried again if it moved). */
static int read_list(struct verify *v)
{
	struct p53g_buf text = { 0 };
	char gen2[32];
	int tries;

	for (tries = 0; tries < 5; tries++) {
		v->gen[0] = v->changed[0] = gen2[0] = '\0';
		p53g_read_value("generation", v->gen, sizeof(v->gen));
		text.len = 0;
		if (p53g_read_file("exempt", &text))
			return -1;
		p53g_read_value("changed", v->changed, sizeof(v->changed));
		p53g_read_value("generation", gen2, sizeof(gen2));
		if (!strcmp(v->gen, gen2))
			break;
	}
	p53g_sha256_hex(text.data ? text.data : "", text.len, v->sha);
	if (p53g_list_parse(&text, &v->list)) {
		p53g_buf_free(&text);
		return -1;
	}
	p53g_buf_free(&text);
	p53g_list_sort(&v->list);
	v->entries = v->list.n;
	return 0;
}

static void check_exemptions(struct verify *v)
{
	char ifs[256], text[P53G_ENTRY_MAXLEN], which[64];
	char fails[512] = "", warns[512] = "";
	size_t i, nf = 0, nw = 0, lf = 0, lw = 0;
	const struct p53g_entry *e;

	default_route_ifs(ifs, sizeof(ifs));
	for (i = 0; i < v->list.n; i++) {
		e = &v->list.v[i];
		p53g_entry_format(e, text, sizeof(text));
		if ((e->kind != P53G_ENTRY_DEV && e->plen == 0) ||
		    (e->kind == P53G_ENTRY_DEV && e->wildcard && !e->namelen)) {
			if (nf++ < 4 && lf < sizeof(fails))
				lf += snprintf(fails + lf, sizeof(fails) - lf, "%s%s exempts every %s",
					       lf ? "; " : "", text,
					       e->kind == P53G_ENTRY_V4 ? "IPv4 source" :
					       e->kind == P53G_ENTRY_V6 ? "IPv6 source" : "interface");
		} else if ((e->kind == P53G_ENTRY_V4 && e->plen < 8) ||
			   (e->kind == P53G_ENTRY_V6 && e->plen < 32)) {
			if (nw++ < 4 && lw < sizeof(warns))
				lw += snprintf(warns + lw, sizeof(warns) - lw, "%s%s is wider than /%d",
					       lw ? "; " : "", text,
					       e->kind == P53G_ENTRY_V4 ? 8 : 32);
		} else if (e->kind == P53G_ENTRY_DEV &&
			   dev_covers_one(e, ifs, which, sizeof(which))) {
			if (nw++ < 4 && lw < sizeof(warns))
				lw += snprintf(warns + lw, sizeof(warns) - lw,
					       "%s%s covers %s, which carries a default route",
					       lw ? "; " : "", text, p53g_name(which));
		}
	}
	if (nf)
		add(v, "exemptions", R_FAIL, "%s%s", fails, nf > 4 ? "; and more" : "");
	else if (nw)
		add(v, "exemptions", R_WARN, "%s%s", warns, nw > 4 ? "; and more" : "");
	else
		add(v, "exemptions", R_PASS, "none wider than /8 (IPv4) or /32 (IPv6), "
		    "none on a default route's interface");
}

static void when_text(const char *epoch, char *out, size_t size)
{
	time_t t = (time_t)strtoll(epoch, NULL, 10);
	struct tm tm;

	if (!epoch[0] || !gmtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, size, "unknown");
}

static void check_list(struct verify *v)
{
	char when[40];

	when_text(v->changed, when, sizeof(when));
	add(v, "list", R_PASS, "%zu %s, sha256 %s, generation %s, last change %s", v->entries,
	    v->entries == 1 ? "entry" : "entries", v->sha, v->gen[0] ? v->gen : "unknown", when);
}

/* ---- the saved file ---- */

static void check_saved(struct verify *v, const char *file)
{
	struct p53g_saved saved = { 0 };
	struct p53g_list after = { 0 };
	char diff[640] = "", a[P53G_ENTRY_MAXLEN], name[P53G_NAME_MAX];
	size_t i = 0, j = 0, nd = 0, len = 0;
	struct stat st;
	int rc, c, k;

	p53g_input_name(file, name);
	if (stat(file, &st) && errno == ENOENT) {
		add(v, "saved", R_WARN, "%s does not exist: after a reboot the guard starts "
		    "from its module options alone (port53guard save -o %s)", name, name);
		return;
	}
	rc = p53g_saved_read(file, &saved);
	if (rc) {
		add(v, "saved", R_FAIL, "%s cannot be restored (%s)", name,
		    rc > 0 ? "wrong lines, above" : "cannot be read");
		goto out;
	}
	/* the settings it sets, each against the running value (the last line wins) */
	for (k = (int)saved.nsets - 1; k >= 0; k--) {
		int s = saved.sets[k].s, m;

		for (m = k + 1; m < (int)saved.nsets && saved.sets[m].s != s; m++)
			;
		if (m < (int)saved.nsets || !strcmp(saved.sets[k].value, v->values[s]))
			continue;
		if (nd++ < 4 && len < sizeof(diff))
			len += snprintf(diff + len, sizeof(diff) - len, "%s%s %s there, %s running",
					len ? "; " : "", p53g_setting_name(s), saved.sets[k].value,
					v->values[s]);
	}
	if (p53g_list_result(saved.ops, saved.nops, &after)) {
		add(v, "saved", R_FAIL, "%s cannot be restored onto the running list", name);
		goto out;
	}
	while (i < after.n || j < v->list.n) {
		c = i == after.n ? 1 : j == v->list.n ? -1 :
		    p53g_entry_cmp(&after.v[i], &v->list.v[j]);
		if (!c) {
			i++, j++;
			continue;
		}
		p53g_entry_format(c < 0 ? &after.v[i] : &v->list.v[j], a, sizeof(a));
		if (nd++ < 4 && len < sizeof(diff))
			len += snprintf(diff + len, sizeof(diff) - len, "%s%s %s", len ? "; " : "",
					a, c < 0 ? "only there" : "only running");
		if (c < 0)
			i++;
		else
			j++;
	}
	if (nd)
		add(v, "saved", R_FAIL, "%s differs from the running configuration: %s%s", name,
		    diff, nd > 4 ? "; and more" : "");
	else
		add(v, "saved", R_PASS, "%s is the running configuration (%zu settings, "
		    "%zu entries)", name, saved.nsets, after.n);
out:
	p53g_list_free(&after);
	p53g_saved_free(&saved);
}

/* ---- the probe ---- */

#define MAX_COLS	32

/* The counters file: row "hook family", column outcome name. */
struct counters {
	char names[MAX_COLS][32];
	size_t ncols;
	long long v[4][MAX_COLS];
	char rows[4][24];
	size_t nrows;
};

static int counters_read(struct counters *c)
{
	struct p53g_buf b = { 0 };
	char *p, *end, *line, *w, *x;
	size_t len, wl, xl, col;
	bool header = true;

	memset(c, 0, sizeof(*c));
	if (p53g_read_file("counters", &b))
		return -1;
	for (p = b.data, end = b.data + b.len; p53g_next_line(&p, end, &line, &len);) {
		if (!p53g_next_word(&line, &len, &w, &wl) || !p53g_next_word(&line, &len, &x, &xl))
			continue;
		if (!header && c->nrows < 4)
			snprintf(c->rows[c->nrows], sizeof(c->rows[0]), "%.*s %.*s",
				 (int)wl, w, (int)xl, x);
		for (col = 0; col < MAX_COLS && p53g_next_word(&line, &len, &w, &wl); col++) {
			if (header)
				snprintf(c->names[col], sizeof(c->names[0]), "%.*s", (int)wl, w);
			else if (c->nrows < 4)
				c->v[c->nrows][col] = strtoll(w, NULL, 10);
		}
		if (header)
			c->ncols = col;
		else if (c->nrows < 4)
			c->nrows++;
		header = false;
	}
	p53g_buf_free(&b);
	return c->ncols && c->nrows ? 0 : -1;
}

struct probe {
	char ip[64];
	char ns[40], host_if[16], peer_if[16];
	char a4h[20], a4p[20], a6h[48], a6p[48];
	bool v6;
};

static const char *ip_path(void)
{
	static const char *const where[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip",
					     "/bin/ip", NULL };
	const char *env = getenv("P53G_IP");
	size_t i;

	if (env && *env)
		return env;
	for (i = 0; where[i]; i++)
		if (!access(where[i], X_OK))
			return where[i];
	return "ip";
}

/*
 * FOU/GUE receive ports: the kernel hands what they decapsulate to UDP
 * and TCP without a second pass through netfilter, so neither the guard
 * nor a LOCAL_IN rule sees the inner query. A warning for each, with the
 * remedy (the threat model's). Quiet when ip(8) or the fou module is not
 * there (no port can be configured then).
 */
static void check_fou(struct verify *v)
{
	char *argv[] = { (char *)ip_path(), "fou", "show", NULL };
	char out[2048], *line, *save = NULL, q[P53G_QUOTE_MAX];
	size_t n = 0;

	/* a test's fake module: the host's ip only when named */
	if (getenv("P53G_SYSFS") && !getenv("P53G_IP"))
		return;
	if (p53g_run(argv, out, sizeof(out)) != 0)
		return;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "port ", 5))
			continue;
		if (n++ < 4)
			add(v, "fou", R_WARN, "%s: a FOU/GUE port hands what it decapsulates to UDP "
			    "and TCP past netfilter, and past the guard: drop UDP to it from untrusted "
			    "sources (nftables), or remove it (ip fou del)",
			    p53g_quote(line, strlen(line), q));
	}
}

/*
 * ip ARGS... (NULL-terminated), its output in @out; when it fails and
 * @err is not NULL, "ip ARGS: its first line of output" in @err.
 */
static int ip(const struct probe *p, char *err, char *out, size_t size, ...)
{
	char *argv[16], shown[PROBE_ERR_MAX];
	size_t n = 0, i, len;
	va_list ap;
	int rc;

	argv[n++] = (char *)p->ip;
	va_start(ap, size);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	rc = p53g_run(argv, out, size);
	if (rc && err) {
		len = snprintf(err, PROBE_ERR_MAX, "%s", p->ip);
		for (i = 1; i < n && len < PROBE_ERR_MAX; i++)
			len += snprintf(err + len, PROBE_ERR_MAX - len, " %s", argv[i]);
		/* its first line, as ip(8) said it: escaped */
		if (len < PROBE_ERR_MAX)
			snprintf(err + len, PROBE_ERR_MAX - len, ": %s", rc < 0 ? "cannot run it" :
				 p53g_escape(out, strcspn(out, "\n"), shown, sizeof(shown)));
	}
	return rc;
}

static void probe_teardown(const struct probe *p)
{
	char out[256];

	if (!p->ns[0])
		return;
	ip(p, NULL, out, sizeof(out), "netns", "del", p->ns, NULL);
	ip(p, NULL, out, sizeof(out), "link", "del", p->host_if, NULL);
}

/* An IPv6 address in RFC 5952 text, as ip(8) prints it. */
static void canon6(char *a, size_t size)
{
	struct in6_addr in;

	if (inet_pton(AF_INET6, a, &in) == 1)
		inet_ntop(AF_INET6, &in, a, size);
}

/*
 * The namespace, the veth pair and the addresses; 0, or -1 with why in
 * @err (PROBE_ERR_MAX bytes).
 */
static int probe_setup(struct probe *p, char *err)
{
	unsigned int k, pid = (unsigned int)getpid();
	char out[4096], a[64], s4[32], s6[64];

	snprintf(p->ip, sizeof(p->ip), "%s", ip_path());
	if (ip(p, err, out, sizeof(out), "-o", "addr", "show", NULL))
		return -1;
	/* a /30 of 169.254.53.0/24 and a /64 of fd53:53:53::/48 no address here uses */
	for (k = 0; k < 63; k++) {
		unsigned int x = (pid + k) % 63;

		snprintf(p->a4h, sizeof(p->a4h), "169.254.53.%u", 4 * x + 1);
		snprintf(p->a4p, sizeof(p->a4p), "169.254.53.%u", 4 * x + 2);
		snprintf(p->a6h, sizeof(p->a6h), "fd53:53:53:%x::1", x);
		snprintf(p->a6p, sizeof(p->a6p), "fd53:53:53:%x::2", x);
		canon6(p->a6h, sizeof(p->a6h));
		canon6(p->a6p, sizeof(p->a6p));
		snprintf(s4, sizeof(s4), " %s/", p->a4h);
		snprintf(s6, sizeof(s6), " %s/", p->a6h);
		if (!strstr(out, s4) && !strstr(out, s6))
			break;
	}
	if (k == 63) {
		snprintf(err, PROBE_ERR_MAX, "no free /30 left in 169.254.53.0/24");
		return -1;
	}
	snprintf(p->host_if, sizeof(p->host_if), "p53gh%u", pid % 10000000);
	snprintf(p->peer_if, sizeof(p->peer_if), "p53gp%u", pid % 10000000);
	snprintf(p->ns, sizeof(p->ns), "p53g-probe-%u", pid);
	if (ip(p, err, out, sizeof(out), "netns", "add", p->ns, NULL) ||
	    ip(p, err, out, sizeof(out), "link", "add", p->host_if, "type", "veth", "peer", "name",
	       p->peer_if, "netns", p->ns, NULL))
		return -1;
	snprintf(a, sizeof(a), "%s/30", p->a4h);
	if (ip(p, err, out, sizeof(out), "addr", "add", a, "dev", p->host_if, NULL))
		return -1;
	snprintf(a, sizeof(a), "%s/30", p->a4p);
	if (ip(p, err, out, sizeof(out), "-n", p->ns, "addr", "add", a, "dev", p->peer_if, NULL) ||
	    ip(p, err, out, sizeof(out), "link", "set", p->host_if, "up", NULL) ||
	    ip(p, err, out, sizeof(out), "-n", p->ns, "link", "set", "lo", "up", NULL) ||
	    ip(p, err, out, sizeof(out), "-n", p->ns, "link", "set", p->peer_if, "up", NULL))
		return -1;
	/* IPv6 may be off: then that family is not probed */
	snprintf(a, sizeof(a), "%s/64", p->a6h);
	p->v6 = !ip(p, NULL, out, sizeof(out), "-6", "addr", "add", a, "dev", p->host_if,
		    "nodad", NULL);
	snprintf(a, sizeof(a), "%s/64", p->a6p);
	p->v6 = p->v6 && !ip(p, NULL, out, sizeof(out), "-n", p->ns, "-6", "addr", "add", a,
			     "dev", p->peer_if, "nodad", NULL);
	return 0;
}

/*
 * One query from the namespace: 'R' refused (ICMP port unreachable),
 * 'A' answered, 'T' nothing came back, 'E' another error (errno in @err).
 */
static char probe_send(const struct probe *p, int family, int *err)
{
	static const unsigned char query[] = {
		0x53, 0x47, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		5, 'p', 'r', 'o', 'b', 'e', 11, 'p', 'o', 'r', 't', '5', '3', 'g', 'u', 'a',
		'r', 'd', 7, 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0, 0x00, 0x01, 0x00, 0x01,
	};
	struct sockaddr_storage ss;
	socklen_t sl;
	int pfd[2], st;
	char res[2] = "E";
	pid_t pid;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		inet_pton(AF_INET, p->a4h, &s4->sin_addr);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		inet_pton(AF_INET6, p->a6h, &s6->sin6_addr);
		sl = sizeof(*s6);
	}
	*err = 0;
	if (pipe2(pfd, O_CLOEXEC))
		return 'E';
	pid = fork();
	if (pid == 0) {
		char path[80], buf[512];
		struct pollfd pf;
		int nsfd, s;
		ssize_t r;

		close(pfd[0]);
		snprintf(path, sizeof(path), "/run/netns/%s", p->ns);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
			goto out;
		s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0 || connect(s, (struct sockaddr *)&ss, sl) ||
		    send(s, query, sizeof(query), 0) != (ssize_t)sizeof(query))
			goto out;
		pf.fd = s;
		pf.events = POLLIN;
		if (poll(&pf, 1, PROBE_WAIT_MS) == 0) {
			res[0] = 'T';
			goto done;
		}
		r = recv(s, buf, sizeof(buf), 0);
		res[0] = r >= 0 ? 'A' : errno == ECONNREFUSED ? 'R' : 'E';
		if (r < 0 && errno != ECONNREFUSED)
			goto out;
		goto done;
out:
		res[1] = (char)errno;
done:
		if (write(pfd[1], res, 2) != 2)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], res, 2) != 2)
		res[0] = 'E';
	close(pfd[0]);
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	*err = (unsigned char)res[1];
	return res[0];
}

static const char *answer_text(char a, int err, char *buf, size_t size)
{
	switch (a) {
	case 'R':
		return "ICMP port unreachable came back";
	case 'A':
		return "a DNS answer came back";
	case 'T':
		return "nothing came back";
	}
	snprintf(buf, size, "error %s", strerror(err));
	return buf;
}

/* One family's probe, up to PROBE_TRIES times while other traffic interferes. */
static void probe_family(struct verify *v, const struct probe *p, int family)
{
	const char *name = family == AF_INET ? "probe ipv4" : "probe ipv6";
	const char *row = family == AF_INET ? "input ipv4" : "input ipv6";
	const char *act = v->values[P53G_SET_ACTION];
	const char *want = !strcmp(act, "drop") ? "dropped_action" :
			   !strcmp(act, "monitor") ? "monitored" : "rejected_unreach";
	const char *dst = family == AF_INET ? p->a4h : p->a6h;
	const char *src = family == AF_INET ? p->a4p : p->a6p;
	struct counters before, after;
	char moved[256], abuf[96];
	const char *atext;
	size_t r, c, nmoved, wr = 0, wc = 0;
	int tries, err;
	long long d;
	char a;

	for (tries = 1; tries <= PROBE_TRIES; tries++) {
		if (counters_read(&before)) {
			add(v, name, R_FAIL, "cannot read the counters");
			return;
		}
		a = probe_send(p, family, &err);
		if (counters_read(&after) || after.ncols != before.ncols) {
			add(v, name, R_FAIL, "cannot read the counters");
			return;
		}
		/* what moved, passed aside (any other packet: neighbour discovery, ...) */
		moved[0] = '\0';
		nmoved = 0;
		for (r = 0; r < after.nrows; r++)
			for (c = 0; c < after.ncols; c++) {
				d = after.v[r][c] - before.v[r][c];
				if (!d || !strcmp(after.names[c], "passed"))
					continue;
				nmoved++;
				wr = r;
				wc = c;
				snprintf(moved + strlen(moved), sizeof(moved) - strlen(moved),
					 "%s%s %s %+lld", moved[0] ? ", " : "", after.rows[r],
					 after.names[c], d);
			}
		if (nmoved == 1 && after.v[wr][wc] - before.v[wr][wc] == 1)
			break;
		if (nmoved == 0)
			break;
		/* something else moved them too: again, unless out of tries */
		if (tries == PROBE_TRIES) {
			add(v, name, R_FAIL, "the counters moved by more than this probe in %d "
			    "tries (%s); the host is busy: run it again", PROBE_TRIES, moved);
			return;
		}
		sleep(1);
	}
	atext = answer_text(a, err, abuf, sizeof(abuf));
	if (a == 'A') {
		add(v, name, R_FAIL, "a query from %s to %s port 53 was answered (%s)", src, dst,
		    nmoved ? moved : "the guard never saw it");
		return;
	}
	if (!nmoved) {
		add(v, name, R_FAIL, "a query from %s to %s port 53 never reached the guard "
		    "(a firewall rule before it?); %s", src, dst, atext);
		return;
	}
	if (strcmp(after.rows[wr], row) || strcmp(after.names[wc], want)) {
		const char *why = "";

		if (!strcmp(after.names[wc], "exempted_list"))
			why = ": an exemption covers the probe's source or interface";
		else if (!strcmp(after.names[wc], "dropped_ratelimit"))
			why = ": over the guard's rate limit";
		else if (!strcmp(after.names[wc], "disabled"))
			why = ": enabled is 0";
		add(v, name, R_FAIL, "%s port 53 from %s: %s%s; %s", dst, src, moved, why, atext);
		return;
	}
	if (!strcmp(want, "rejected_unreach") && a != 'R') {
		add(v, name, R_FAIL, "the guard refused the query (%s) but %s: "
		    "something drops the host's ICMP errors", moved, atext);
		return;
	}
	if (!strcmp(want, "dropped_action") && a != 'T') {
		add(v, name, R_FAIL, "the guard dropped the query (%s) but %s", moved, atext);
		return;
	}
	if (!strcmp(want, "monitored")) {
		add(v, name, R_FAIL, "action monitor: the query was let through (%s); %s",
		    moved, atext);
		return;
	}
	add(v, name, R_PASS, "%s port 53 from %s: %s, %s", dst, src, moved, atext);
}

static void check_probe(struct verify *v)
{
	struct probe p;
	sigset_t block, old;
	char err[PROBE_ERR_MAX];

	memset(&p, 0, sizeof(p));
	if (geteuid()) {
		add(v, "probe", R_FAIL, "--probe needs root (a namespace and a veth pair)");
		return;
	}
	/* the teardown runs whatever comes: hold the usual signals until then */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (probe_setup(&p, err)) {
		add(v, "probe", R_FAIL, "cannot set up the probe: %s", err);
	} else {
		probe_family(v, &p, AF_INET);
		if (p.v6)
			probe_family(v, &p, AF_INET6);
		else
			add(v, "probe ipv6", R_WARN, "not probed: IPv6 is off here");
	}
	probe_teardown(&p);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- report ---- */

/* No module: is the namespace guarded by the nftables fallback? */
static void check_fallback_alone(struct verify *v, const struct p53g_fallback_view *fv)
{
	char when[40] = "?";
	time_t t = (time_t)fv->st.time;

	add(v, "module", R_FAIL, "not loaded%s (sudo modprobe port53guard)",
	    fv->guards ? "" : ": nothing refuses DNS queries");
	if (!fv->present)
		return;
	if (fv->state)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (!fv->guards) {
		add(v, "fallback", R_FAIL, "table inet port53guard refuses nothing (%s)",
		    fv->table == 1 ? fv->comment : fv->st.settings);
		return;
	}
	v->fallback = true;
	add(v, "fallback", R_WARN, "table inet port53guard guards this network namespace%s, "
	    "applied %s from %s: %s", fv->table == 1 ? "" :
	    " (so says " P53G_FALLBACK_STATE_NAME "; reading nftables needs root)",
	    when, fv->state ? fv->st.file : "?", fv->state ? fv->st.why : "no state file");
}

static void report_json(const struct verify *v, const char *now, bool probe, const char *saved,
			enum result worst)
{
	struct utsname u;
	char host[256] = "", when[40];
	size_t i;
	int s;

	uname(&u);
	gethostname(host, sizeof(host) - 1);
	printf("{\n  \"record\": \"port53guard verify\",\n  \"time\": \"%s\",\n  \"host\": ", now);
	p53g_json_string(host, strlen(host));
	printf(",\n  \"kernel\": ");
	p53g_json_string(u.release, strlen(u.release));
	printf(",\n  \"kernel_version\": ");
	p53g_json_string(u.version, strlen(u.version));
	printf(",\n  \"machine\": ");
	p53g_json_string(u.machine, strlen(u.machine));
	printf(",\n  \"tool_version\": \"%s\",\n  \"probe\": %s,\n  \"saved_file\": ",
	       P53G_VERSION, probe ? "true" : "false");
	p53g_json_string(saved, strlen(saved));
	printf(",\n  \"result\": \"%s\",\n  \"fallback\": %s,\n  \"checks\": [",
	       result_name[worst], v->fallback ? "true" : "false");
	for (i = 0; i < v->n; i++) {
		printf("%s\n    {\"check\": \"%s\", \"result\": \"%s\", \"detail\": ",
		       i ? "," : "", v->c[i].name, result_name[v->c[i].r]);
		p53g_json_string(v->c[i].detail, strlen(v->c[i].detail));
		putchar('}');
	}
	printf("\n  ]");
	if (v->have_values) {
		when_text(v->changed, when, sizeof(when));
		printf(",\n  \"configuration\": {\n    \"module_version\": ");
		p53g_json_string(v->version, strlen(v->version));
		for (s = 0; s < P53G_NR_SETTINGS; s++) {
			printf(",\n    \"%s\": ", p53g_setting_name(s));
			p53g_json_string(v->values[s], strlen(v->values[s]));
		}
		printf(",\n    \"generation\": %s,\n    \"changed\": \"%s\",\n"
		       "    \"exempt_entries\": %zu,\n    \"exempt_sha256\": \"%s\"\n  }",
		       v->gen[0] ? v->gen : "null", when, v->entries, v->sha);
	}
	printf("\n}\n");
}

static void report_text(const struct verify *v, enum result worst)
{
	size_t i, nf = 0, nw = 0;

	for (i = 0; i < v->n; i++) {
		printf("%-4s  %-11s %s\n", v->c[i].r == R_PASS ? "ok" : result_name[v->c[i].r],
		       v->c[i].name, v->c[i].detail);
		nf += v->c[i].r == R_FAIL;
		nw += v->c[i].r == R_WARN;
	}
	if (v->fallback) {
		printf("verify: guarded only by the nftables fallback (table inet port53guard), "
		       "not by the module as configured\n");
	} else if (worst == R_FAIL) {
		printf("verify: NOT guarded as configured: %zu %s failed:", nf,
		       nf == 1 ? "check" : "checks");
		for (i = 0; i < v->n; i++)
			if (v->c[i].r == R_FAIL)
				printf(" %s", v->c[i].name);
		printf("\n");
	} else {
		printf("verify: guarded as configured (%zu checks, %zu %s)\n", v->n, nw,
		       nw == 1 ? "warning" : "warnings");
	}
}

static void verify_usage(FILE *f)
{
	fprintf(f, "Usage: %s verify [--json] [--probe] [--saved FILE]\n\n"
		   "Checks that this host is guarded as configured; exits 0 only then, 1 if\n"
		   "not (each failed check says why), 2 on bad usage, 4 when only the nftables\n"
		   "fallback guards this network namespace. Checks the module, its\n"
		   "settings, the namespaces, the exemptions and that the saved file\n"
		   "(" VERIFY_SAVED_DEFAULT ") is what runs.\n"
		   "  --json        an evidence record: time, host, kernel, each check\n"
		   "  --probe       also send one real query per family from a temporary\n"
		   "                namespace to this host's port 53 and require it refused\n"
		   "                (root; needs iproute2's ip, or $P53G_IP)\n"
		   "  --saved FILE  compare FILE instead of the default\n", PROG_NAME);
}

int verify_main(int argc, char *argv[])
{
	const char *saved = VERIFY_SAVED_DEFAULT;
	bool json = false, probe = false;
	enum result worst = R_PASS;
	char now[40], q[P53G_QUOTE_MAX];
	struct p53g_fallback_view fv;
	struct verify *v;
	struct stat st;
	time_t t;
	size_t i;
	int s, rc;

	p53g_json_args(argc, argv);
	for (i = 1; i < (size_t)argc; i++) {
		if (p53g_is_help(argv[i])) {
			verify_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--probe")) {
			probe = true;
		} else if (!strcmp(argv[i], "--saved")) {
			if (i + 1 == (size_t)argc || !*argv[i + 1]) {
				p53g_err("verify: option --saved needs a FILE");
				return p53g_json_fail(EXIT_USAGE);
			}
			saved = argv[++i];
		} else {
			p53g_err("verify: unexpected argument %s",
				 p53g_quote(argv[i], strlen(argv[i]), q));
			verify_usage(stderr);
			return p53g_json_fail(EXIT_USAGE);
		}
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		p53g_err("out of memory");
		return p53g_json_fail(EXIT_FAIL);
	}
	t = time(NULL);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	p53g_fallback_view(&fv);
	if (stat(p53g_root(), &st) || !S_ISDIR(st.st_mode)) {
		check_fallback_alone(v, &fv);
		goto report;
	}
	check_module(v);
	if (fv.present)
		add(v, "fallback", fv.table == 1 ? R_FAIL : R_WARN, "table inet port53guard %s "
		    "beside the module: it refuses what the module exempts "
		    "(port53guard fallback --remove)", fv.table == 1 ? "is loaded" :
		    "may be loaded (so says " P53G_FALLBACK_STATE_NAME "; reading nftables needs root)");
	for (s = 0; s < P53G_NR_SETTINGS; s++)
		if (p53g_opt_get(s, v->values[s], sizeof(v->values[s]))) {
			add(v, "settings", R_FAIL, "cannot read %s", p53g_setting_name(s));
			goto report;
		}
	v->have_values = true;
	check_settings(v);
	check_namespaces(v);
	if (read_list(v)) {
		add(v, "list", R_FAIL, "cannot read the exemption list");
		goto report;
	}
	check_exemptions(v);
	check_fou(v);
	check_list(v);
	check_saved(v, saved);
	if (probe)
		check_probe(v);
report:
	for (i = 0; i < v->n; i++)
		if (v->c[i].r > worst)
			worst = v->c[i].r;
	if (json)
		report_json(v, now, probe, saved, worst);
	else
		report_text(v, worst);
	rc = worst != R_FAIL ? EXIT_OK : v->fallback ? EXIT_FALLBACK : EXIT_FAIL;
	p53g_list_free(&v->list);
	free(v);
	return p53g_finish_stdout(rc);
}
