// SPDX-License-Identifier: GPL-2.0
/*
 * port53guard listeners [--json]: every UDP, UDP-Lite and TCP socket bound
 * to port 53, in every network namespace of the host, with its processes
 * and what the guard does to a query for it: from the Internet, and from
 * each exemption that lets one through.
 *
 * Namespaces are found from every process's /proc/PID/ns/net and from the
 * names under /run/netns (ip netns) and /run/docker/netns; a namespace's
 * sockets are read from /proc/PID/net of a process in it, or, for a named
 * namespace no process is in, by a child that joins it (setns) and reads
 * /proc/thread-self/net. Sockets are tied to processes by their inode in
 * /proc/PID/fd. Run as root to see them all.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p53g.h"

#define DNS_PORT	53

struct ns {
	unsigned long long ino;
	pid_t pid;		/* a process in it, or 0 */
	char name[300];		/* how to call it */
	char path[300];		/* a file to setns() to, when no process */
	bool init;		/* the namespace of pid 1 */
	bool unknown;		/* whether it is pid 1's cannot be told */
	bool rootless;		/* owned by a user namespace other than pid 1's */
};

struct sock {
	size_t ns;
	const char *proto;	/* udp, udplite, tcp */
	int family;
	unsigned char addr[16];
	unsigned long long ino;
	char procs[160];	/* "comm[pid] ..." */
};

struct state {
	struct ns *ns;
	size_t nns, capns;
	struct sock *socks;
	size_t nsocks, capsocks;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 16;
	p = realloc(p, *cap * size);
	if (!p) {
		p53g_err("out of memory");
		exit(p53g_json_fail(EXIT_FAIL));
	}
	return p;
}

static unsigned long long ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (unsigned long long)st.st_ino;
}

/*
 * Whether the network namespace at @path is owned by a user namespace other
 * than @init_user (pid 1's): there its own root can rename an interface, so
 * the guard does not take dev: entries as credentials. False when it cannot
 * be told (not root, or no nsfs): the listing then reads as before.
 */
static bool ns_rootless(const char *path, unsigned long long init_user)
{
	struct stat st;
	int fd, ufd;
	bool child = false;

	if (!init_user)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ufd = ioctl(fd, NS_GET_USERNS);
	if (ufd >= 0) {
		child = !fstat(ufd, &st) && (unsigned long long)st.st_ino != init_user;
		close(ufd);
	}
	close(fd);
	return child;
}

static struct ns *ns_find(struct state *s, unsigned long long ino)
{
	size_t i;

	for (i = 0; i < s->nns; i++)
		if (s->ns[i].ino == ino)
			return &s->ns[i];
	return NULL;
}

static struct ns *ns_add(struct state *s, unsigned long long ino)
{
	struct ns *n = ns_find(s, ino);

	if (n)
		return n;
	s->ns = grow(s->ns, &s->capns, s->nns, sizeof(*s->ns));
	n = &s->ns[s->nns++];
	memset(n, 0, sizeof(*n));
	n->ino = ino;
	return n;
}

static bool is_pid(const char *name)
{
	return *name && strspn(name, "0123456789") == strlen(name);
}

static void comm_of(pid_t pid, char *out, size_t size)
{
	ssize_t r;
	int fd;

	fd = open(p53g_host_path("/proc/%d/comm", (int)pid), O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -1 : read(fd, out, size - 1);
	if (fd >= 0)
		close(fd);
	if (r <= 0)
		r = snprintf(out, size, "?");
	out[r] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* Every namespace: those processes are in, and those with a name. */
static void find_namespaces(struct state *s)
{
	static const char *const named[] = { "/run/netns", "/run/docker/netns", NULL };
	unsigned long long init_ino = ns_inode(p53g_host_path("/proc/1/ns/net"));
	/*
	 * Not root, pid 1's ns/net cannot be read; any user can stat the
	 * files of its /proc/1/net, and each namespace has its own.
	 */
	unsigned long long init_dev = ns_inode(p53g_host_path("/proc/1/net/dev"));
	unsigned long long init_user = ns_inode(p53g_host_path("/proc/1/ns/user"));
	char path[300], comm[32];
	struct dirent *d;
	struct ns *n;
	size_t i;
	DIR *dir;

	dir = opendir(p53g_host_path("/proc"));
	while (dir && (d = readdir(dir))) {
		unsigned long long ino;

		if (!is_pid(d->d_name))
			continue;
		ino = ns_inode(p53g_host_path("/proc/%s/ns/net", d->d_name));
		if (!ino)
			continue;
		n = ns_add(s, ino);
		if (!n->pid) {
			n->pid = atoi(d->d_name);
			n->rootless = ns_rootless(p53g_host_path("/proc/%s/ns/net", d->d_name),
						  init_user);
			if (init_ino) {
				n->init = ino == init_ino;
			} else {
				ino = init_dev ? ns_inode(p53g_host_path("/proc/%s/net/dev",
									 d->d_name)) : 0;
				n->init = ino && ino == init_dev;
				n->unknown = !ino;
			}
		}
	}
	if (dir)
		closedir(dir);
	for (i = 0; named[i]; i++) {
		dir = opendir(p53g_host_path("%s", named[i]));
		while (dir && (d = readdir(dir))) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s", p53g_host_path("%s/%s", named[i], d->d_name));
			n = ns_inode(path) ? ns_add(s, ns_inode(path)) : NULL;
			if (!n || n->name[0])
				continue;
			memcpy(n->name, d->d_name, strlen(d->d_name));
			memcpy(n->path, path, strlen(path));
			if (!n->pid)
				n->rootless = ns_rootless(path, init_user);
		}
		if (dir)
			closedir(dir);
	}
	for (i = 0; i < s->nns; i++) {
		n = &s->ns[i];
		if (n->init)
			snprintf(n->name, sizeof(n->name), "host");
		else if (n->unknown && !n->name[0])
			snprintf(n->name, sizeof(n->name), "unknown");
		else if (!n->name[0] && n->pid) {
			comm_of(n->pid, comm, sizeof(comm));
			snprintf(n->name, sizeof(n->name), "pid %d (%s)", (int)n->pid, comm);
		}
	}
}

/* How many network namespaces this process can see (verify). */
size_t p53g_netns_count(void)
{
	struct state s = { 0 };

	find_namespaces(&s);
	free(s.ns);
	return s.nns;
}

/* "0100007F:0035" or 32 hex digits: the address as /proc/net prints it. */
static bool parse_addr(const char *hex, int family, unsigned char *addr, int *port)
{
	unsigned int words = family == AF_INET ? 1 : 4, i, w;
	const char *colon = strchr(hex, ':');
	char part[9];

	if (!colon || (size_t)(colon - hex) != 8 * words)
		return false;
	for (i = 0; i < words; i++) {
		memcpy(part, hex + 8 * i, 8);
		part[8] = '\0';
		/* a word as the kernel holds it, printed as a number */
		w = (unsigned int)strtoul(part, NULL, 16);
		memcpy(addr + 4 * i, &w, 4);
	}
	*port = (int)strtol(colon + 1, NULL, 16);
	return true;
}

/* The port-53 sockets of one /proc/net table, read from @fd. */
static void read_table(struct state *s, size_t nsi, int fd, const char *proto,
		       int family, bool tcp)
{
	struct p53g_buf b = { 0 };
	char *p, *end, *line, local[64], st[8];
	unsigned long long ino;
	int port;
	size_t len;

	if (p53g_read_fd(fd, &b))
		return;
	p = b.data;
	end = b.data + b.len;
	p53g_next_line(&p, end, &line, &len);	/* the header */
	while (p53g_next_line(&p, end, &line, &len)) {
		struct sock *k;

		line[len] = '\0';
		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, "%*s %63s %*s %7s %*s %*s %*s %*s %*s %llu",
			   local, st, &ino) != 3)
			continue;
		s->socks = grow(s->socks, &s->capsocks, s->nsocks, sizeof(*s->socks));
		k = &s->socks[s->nsocks];
		memset(k, 0, sizeof(*k));
		if (!parse_addr(local, family, k->addr, &port) || port != DNS_PORT)
			continue;
		/* TCP: listening sockets only (state 0A) */
		if (tcp && strcmp(st, "0A"))
			continue;
		k->ns = nsi;
		k->proto = proto;
		k->family = family;
		k->ino = ino;
		s->nsocks++;
	}
	p53g_buf_free(&b);
}

static const struct {
	const char *file;
	const char *proto;
	int family;
	bool tcp;
} tables[] = {
	{ "udp", "udp", AF_INET, false },
	{ "udp6", "udp", AF_INET6, false },
	{ "udplite", "udplite", AF_INET, false },
	{ "udplite6", "udplite", AF_INET6, false },
	{ "tcp", "tcp", AF_INET, true },
	{ "tcp6", "tcp", AF_INET6, true },
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* The tables of @dir (/proc/PID/net or /proc/thread-self/net) into @out fds. */
static void open_tables(const char *dir, int *fds)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < NTABLES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, tables[i].file);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
}

/*
 * A named namespace that no process is in: a child joins it and copies
 * its tables down pipes (the parent's own namespace stays).
 */
static bool read_joined(struct state *s, size_t nsi)
{
	int pipes[NTABLES][2], fds[NTABLES], nsfd;
	size_t i;
	pid_t child;

	for (i = 0; i < NTABLES; i++)
		if (pipe(pipes[i]))
			return false;
	child = fork();
	if (child < 0)
		return false;
	if (!child) {
		nsfd = open(s->ns[nsi].path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
			_exit(1);
		open_tables("/proc/thread-self/net", fds);
		for (i = 0; i < NTABLES; i++) {
			struct p53g_buf b = { 0 };

			close(pipes[i][0]);
			if (fds[i] >= 0 && !p53g_read_fd(fds[i], &b) && b.len &&
			    write(pipes[i][1], b.data, b.len) < 0)
				_exit(1);
			close(pipes[i][1]);
		}
		_exit(0);
	}
	for (i = 0; i < NTABLES; i++)
		close(pipes[i][1]);
	for (i = 0; i < NTABLES; i++) {
		read_table(s, nsi, pipes[i][0], tables[i].proto, tables[i].family,
			   tables[i].tcp);
		close(pipes[i][0]);
	}
	waitpid(child, NULL, 0);
	return true;
}

static void find_sockets(struct state *s)
{
	int fds[NTABLES];
	size_t nsi, i;

	for (nsi = 0; nsi < s->nns; nsi++) {
		if (!s->ns[nsi].pid) {
			read_joined(s, nsi);
			continue;
		}
		open_tables(p53g_host_path("/proc/%d/net", (int)s->ns[nsi].pid), fds);
		for (i = 0; i < NTABLES; i++) {
			if (fds[i] < 0)
				continue;
			read_table(s, nsi, fds[i], tables[i].proto, tables[i].family,
				   tables[i].tcp);
			close(fds[i]);
		}
	}
}

/* Which processes hold the sockets: their fds name "socket:[INODE]". */
static void find_owners(struct state *s)
{
	char link[64], comm[32], who[64];
	struct dirent *d, *f;
	DIR *dir, *fdir;
	size_t i;

	if (!s->nsocks)
		return;
	dir = opendir(p53g_host_path("/proc"));
	while (dir && (d = readdir(dir))) {
		if (!is_pid(d->d_name))
			continue;
		fdir = opendir(p53g_host_path("/proc/%s/fd", d->d_name));
		comm[0] = '\0';
		while (fdir && (f = readdir(fdir))) {
			unsigned long long ino;
			ssize_t r;

			r = readlink(p53g_host_path("/proc/%.20s/fd/%.20s", d->d_name, f->d_name),
				     link, sizeof(link) - 1);
			if (r <= 0)
				continue;
			link[r] = '\0';
			if (sscanf(link, "socket:[%llu]", &ino) != 1)
				continue;
			for (i = 0; i < s->nsocks; i++) {
				size_t used = strlen(s->socks[i].procs);

				if (s->socks[i].ino != ino)
					continue;
				if (!comm[0])
					comm_of(atoi(d->d_name), comm, sizeof(comm));
				snprintf(who, sizeof(who), "%.31s[%.20s]", comm, d->d_name);
				if (strstr(s->socks[i].procs, who))
					continue;
				snprintf(s->socks[i].procs + used, sizeof(s->socks[i].procs) - used,
					 "%s%s", used ? " " : "", who);
			}
		}
		if (fdir)
			closedir(fdir);
	}
	if (dir)
		closedir(dir);
}

/* The guard as it stands: loaded or not, its settings and list. */
struct guard {
	bool loaded;
	bool netonly;
	char enabled[8], action[16], tcp[8], loopback[8];
	struct p53g_list list;
};

static void guard_read(struct guard *g)
{
	char v[8];

	memset(g, 0, sizeof(*g));
	if (access(p53g_root(), F_OK))
		return;
	g->loaded = !p53g_opt_get(P53G_SET_ENABLED, g->enabled, sizeof(g->enabled)) &&
		    !p53g_opt_get(P53G_SET_ACTION, g->action, sizeof(g->action)) &&
		    !p53g_opt_get(P53G_SET_TCP, g->tcp, sizeof(g->tcp)) &&
		    !p53g_opt_get(P53G_SET_LOOPBACK, g->loopback, sizeof(g->loopback)) &&
		    !p53g_list_load(&g->list);
	g->netonly = !p53g_read_module_value("parameters/init_net_only", v, sizeof(v)) &&
		     (v[0] == 'Y' || v[0] == '1');
}

static bool loopback_only(const struct sock *k)
{
	static const unsigned char v6lo[16] = { [15] = 1 };

	if (k->family == AF_INET)
		return k->addr[0] == 127;
	return !memcmp(k->addr, v6lo, 16);
}

/* What a query from the Internet gets, in words, and whether it is answered. */
static const char *verdict(const struct guard *g, const struct ns *n,
			   const struct sock *k, bool *answered)
{
	*answered = true;
	if (loopback_only(k)) {
		*answered = false;
		return "not reachable from the network (loopback address)";
	}
	if (!g->loaded)
		return "answered: the guard is not loaded";
	if (g->netonly && n->unknown)
		return "answered unless this is the host's namespace (init_net_only 1)";
	if (g->netonly && !n->init)
		return "answered: this namespace is not guarded (init_net_only 1)";
	if (!strcmp(g->enabled, "0"))
		return "answered: the guard is disabled (enabled 0)";
	if (!strcmp(k->proto, "tcp") && !strcmp(g->tcp, "0"))
		return "answered: TCP is not judged (tcp 0)";
	if (!strcmp(g->action, "monitor"))
		return "answered: action monitor (counted, not blocked)";
	*answered = false;
	if (!strcmp(g->action, "drop"))
		return "dropped (action drop)";
	return !strcmp(k->proto, "tcp") ? "refused: TCP RST" : "refused: port unreachable";
}

/*
 * Whether an exemption can apply to queries for @k in @n: an interface
 * unless the namespace is a rootless one (the guard matches dev: entries
 * only where renaming an interface needs the host's CAP_NET_ADMIN); a
 * prefix of the socket's family, and IPv4 prefixes too for an IPv6
 * wildcard socket (it may take IPv4).
 */
static bool exempt_applies(const struct p53g_entry *e, const struct sock *k,
			   const struct ns *n)
{
	static const unsigned char any[16];

	if (e->kind == P53G_ENTRY_DEV)
		return !n->rootless;
	if (k->family == AF_INET)
		return e->kind == P53G_ENTRY_V4;
	return e->kind == P53G_ENTRY_V6 || !memcmp(k->addr, any, 16);
}

static void addr_text(const struct sock *k, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(k->family, k->addr, a, sizeof(a));
	snprintf(out, size, k->family == AF_INET6 ? "[%s]:%d" : "%s:%d", a, DNS_PORT);
}

static void listeners_usage(FILE *f)
{
	fprintf(f, "Usage: %s listeners [--json]\n\n"
		   "Lists every UDP, UDP-Lite and TCP socket bound to port 53, in every\n"
		   "network namespace, with its processes and what the guard does to a\n"
		   "query for it from the Internet, and which exemptions let one through.\n"
		   "Run as root to see every namespace and process.\n", PROG_NAME);
}

int listeners_main(int argc, char *argv[])
{
	char text[P53G_ENTRY_MAXLEN], addr[64], q[P53G_QUOTE_MAX];
	struct state s = { 0 };
	struct guard g;
	bool json = false, answered, first = true;
	size_t i, j, nex;
	const char *v;

	p53g_json_args(argc, argv);
	for (i = 1; i < (size_t)argc; i++) {
		if (p53g_is_help(argv[i])) {
			listeners_usage(stdout);
			return p53g_finish_stdout(EXIT_OK);
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			p53g_err("listeners: unexpected argument %s",
				 p53g_quote(argv[i], strlen(argv[i]), q));
			listeners_usage(stderr);
			return p53g_json_fail(EXIT_USAGE);
		}
	}
	guard_read(&g);
	find_namespaces(&s);
	find_sockets(&s);
	find_owners(&s);
	if (!json && !g.loaded)
		printf("The guard is not loaded (sudo modprobe port53guard): nothing is refused.\n");
	if (json)
		printf("{\n  \"guard_loaded\": %s,\n  \"listeners\": [", g.loaded ? "true" : "false");
	else if (!s.nsocks)
		printf("No socket is bound to port 53.\n");
	for (i = 0; i < s.nsocks; i++) {
		const struct sock *k = &s.socks[i];
		const struct ns *n = &s.ns[k->ns];

		addr_text(k, addr, sizeof(addr));
		v = verdict(&g, n, k, &answered);
		if (json) {
			printf("%s\n    {\"namespace\": ", first ? "" : ",");
			p53g_json_string(n->name, strlen(n->name));
			printf(", \"netns_inode\": %llu, \"protocol\": \"%s\", \"address\": ",
			       n->ino, k->proto);
			p53g_json_string(addr, strlen(addr));
			printf(", \"processes\": ");
			p53g_json_string(k->procs, strlen(k->procs));
			printf(", \"from_internet\": ");
			p53g_json_string(v, strlen(v));
			printf(", \"answered\": %s, \"exempt_answered\": [", answered ? "true" : "false");
		} else {
			/* names any local user can choose: escaped */
			printf("%s %s %s, namespace %s: %s\n", k->proto, addr,
			       k->procs[0] ? p53g_name(k->procs) : "(process unknown)",
			       p53g_name(n->name), v);
		}
		first = false;
		/* exemptions let a query through where the guard would block it */
		for (j = 0, nex = 0; !answered && g.loaded && j < g.list.n; j++) {
			if (!exempt_applies(&g.list.v[j], k, n))
				continue;
			p53g_entry_format(&g.list.v[j], text, sizeof(text));
			if (json) {
				printf("%s", nex ? ", " : "");
				p53g_json_string(text, strlen(text));
			} else {
				printf("    answered from %s (exempt)\n", text);
			}
			nex++;
		}
		if (json)
			printf("]}");
	}
	if (json)
		printf("%s]\n}\n", first ? "" : "\n  ");
	p53g_list_free(&g.list);
	free(s.ns);
	free(s.socks);
	return p53g_finish_stdout(EXIT_OK);
}
