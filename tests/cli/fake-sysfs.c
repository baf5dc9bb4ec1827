// SPDX-License-Identifier: GPL-2.0
/*
 * A fake port53guard module for the CLI tests, preloaded into the tool
 * (LD_PRELOAD). A plain directory cannot play the kernel's side of sysfs:
 * a write to "exempt" is a command that succeeds or fails with an errno.
 * This library intercepts the files under $P53G_SYSFS opened for writing
 * and plays the module's part on plain files in that directory:
 *
 *   exempt    the module's own write protocol (module/edit.c, built here
 *             with tests/include/p53g_kernel.h) over the list and settings
 *             the files hold; .max_entries (default 65536) is its size
 *             limit, .eperm makes every write fail with EPERM. A staged
 *             transaction lives in this process; .staged_owner names the
 *             process that holds one, so that another process (a test's
 *             stand-in) can hold it: EBUSY until that process exits
 *   settings  the value checked as the module does, stored as it reads back
 *   stats     "0" zeroes every counter but the list's gauges (exempt_*)
 *
 * Reads are not intercepted, but for one case: the files hold what the
 * module would print. A read of "exempt" past offset 0 fails with EAGAIN
 * (the module's answer when the list changed since the read at offset 0)
 * while .eagain holds a count above 0, which each such read decrements.
 * Every write is logged as one line of .writes ("file length result
 * bytes", bytes escaped), and every breach of the protocol the tool must
 * keep (whole lines, at most 4095 bytes, begin/commit/abort alone, only
 * "add" while staged) is appended to .violations, which the tests require
 * to stay absent. Control files: .eacces (open for writing fails), .short
 * (the next write is short), .inject ("ERRNO [N]": the Nth write from now,
 * the next by default, fails with EINVAL, or else EIO, having changed
 * nothing).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edit.h"
#include "entry.h"
#include "names.h"
#include "pset.h"

#define MAXFD 1024

static int (*real_open)(const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_close)(int);

static char fd_name[MAXFD][16];	/* the sysfs file an fd writes to, or "" */
static char fd_list[MAXFD];	/* the fd reads "exempt" */

static const char *const known[] = {
	"exempt", "enabled", "action", "tcp", "loopback", "log", "rate", "forward", "authoritative",
	"stats", NULL
};

static void init(void)
{
	if (!real_open) {
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
		real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
		real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
		real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	}
}

static const char *root(void)
{
	const char *r = getenv("P53G_SYSFS");

	return r && *r ? r : NULL;
}

static const char *ctl(const char *name)
{
	static char paths[4][4096];
	static int k;
	char *p = paths[k++ & 3];

	snprintf(p, sizeof(paths[0]), "%s/%s", root(), name);
	return p;
}

static int exists(const char *name)
{
	return !access(ctl(name), F_OK);
}

/* The sysfs file a path names, if it is one of ours. */
static const char *ours(const char *path)
{
	const char *r = root();
	size_t n, i;

	if (!r || !path)
		return NULL;
	n = strlen(r);
	if (strncmp(path, r, n) || path[n] != '/')
		return NULL;
	for (i = 0; known[i]; i++)
		if (!strcmp(path + n + 1, known[i]))
			return known[i];
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	ssize_t r;
	int fd;

	*len = 0;
	fd = real_open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		b[0] = '\0';
		return b;
	}
	while ((r = real_read(fd, b + n, cap - n)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
	}
	real_close(fd);
	b[n] = '\0';
	*len = n;
	return b;
}

static void spit(const char *name, const char *data, size_t len, int append)
{
	char tmp[4200];
	int fd;

	if (append) {
		fd = real_open(ctl(name), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		real_write(fd, data, len);
		real_close(fd);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", ctl(name));
	fd = real_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	real_write(fd, data, len);
	real_close(fd);
	rename(tmp, ctl(name));
}

static void logf_(const char *name, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	spit(name, line, n, 1);
}

static void violation(const char *file, const char *what, size_t len)
{
	logf_(".violations", "pid %d: %s: %s (%zu bytes)\n", getpid(), file, what, len);
}

static void log_write(const char *file, const void *buf, size_t len, const char *result)
{
	const unsigned char *p = buf;
	size_t cap = 64 + 4 * len, n, i;
	char *line = malloc(cap);

	n = snprintf(line, cap, "%s %zu %s ", file, len, result);
	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			n += snprintf(line + n, cap - n, "\\n");
		else if (p[i] == '\\')
			n += snprintf(line + n, cap - n, "\\\\");
		else if (p[i] < 0x20 || p[i] > 0x7e)
			n += snprintf(line + n, cap - n, "\\x%02x", p[i]);
		else
			line[n++] = p[i];
	}
	line[n++] = '\n';
	spit(".writes", line, n, 1);
	free(line);
}

static size_t max_entries(void)
{
	size_t len;
	char *b = slurp(ctl(".max_entries"), &len);
	size_t v = len ? strtoul(b, NULL, 10) : 65536;

	free(b);
	return v;
}

/* The writer token of a process: its pid. */
static void *fake_hold(void *who)
{
	return who;
}

static bool fake_alive(void *owner)
{
	return !kill((pid_t)(intptr_t)owner, 0) || errno == EPERM;
}

static void fake_put(void *owner)
{
	(void)owner;
}

static const struct p53g_owner_ops fake_owner_ops = {
	.hold = fake_hold,
	.alive = fake_alive,
	.put = fake_put,
};

static struct p53g_editor fake_ed;
static bool fake_ed_ready;

static pid_t file_owner(void)
{
	size_t len;
	char *b = slurp(ctl(".staged_owner"), &len);
	pid_t pid = len ? atoi(b) : 0;

	free(b);
	return pid;
}

/* The live list, from the exempt file (canonical lines). */
static struct p53g_pset *load_list(void)
{
	size_t len, i, start = 0, n = 0, cap = 64;
	char *b = slurp(ctl("exempt"), &len);
	struct p53g_entry *e = malloc(cap * sizeof(*e));
	struct p53g_pset *ps = NULL;

	for (i = 0; i <= len; i++) {
		if (i < len && b[i] != '\n')
			continue;
		if (n == cap)
			e = realloc(e, (cap *= 2) * sizeof(*e));
		if (i > start && !p53g_entry_parse(b + start, i - start, &e[n], NULL))
			n++;
		start = i + 1;
	}
	if (n)
		ps = p53g_pset_build(e, n);
	free(e);
	free(b);
	return ps;
}

static void store_list(const struct p53g_pset *ps)
{
	struct p53g_entry e;
	size_t i, n = 0, cap = 4096;
	char *out = malloc(cap);

	for (i = 0; p53g_pset_entry(ps, i, &e); i++) {
		if (n + P53G_ENTRY_MAXLEN + 1 > cap)
			out = realloc(out, cap *= 2);
		n += p53g_entry_format(&e, out + n, P53G_ENTRY_MAXLEN);
		out[n++] = '\n';
	}
	spit("exempt", out, n, 0);
	free(out);
}

/* The settings, from their files; one that does not parse keeps its default. */
static void load_settings(struct p53g_settings *set)
{
	struct p53g_settings d = P53G_SETTINGS_DEFAULT;
	size_t len;
	u32 v;
	int i;

	*set = d;
	for (i = 0; i < P53G_NR_SETTINGS; i++) {
		char *b = slurp(ctl(p53g_setting_name(i)), &len);

		if (len && !p53g_setting_parse(i, b, len, &v, NULL))
			p53g_setting_put(set, i, v);
		free(b);
	}
}

static void store_settings(const struct p53g_settings *set, u32 mask)
{
	char text[32];
	int i, n;

	for (i = 0; i < P53G_NR_SETTINGS; i++) {
		if (!(mask & BIT(i)))
			continue;
		n = p53g_setting_format(i, p53g_setting_get(set, i), text,
					sizeof(text) - 1);
		text[n++] = '\n';
		spit(p53g_setting_name(i), text, n, 0);
	}
}

/*
 * What the tool must keep to, whatever the module accepts: whole lines;
 * begin alone; commit or abort alone, or commit after set lines (the
 * settings of a staged transaction go with its commit); only add (and
 * set) lines while staged.
 */
static void tool_rules(const char *buf, size_t len)
{
	struct p53g_cmd cmd;
	size_t i, start, n = 0, adds = 0, sets = 0, ctl_lines = 0;
	u8 last = 0;

	if (!len || buf[len - 1] != '\n')
		violation("exempt", "write not made of whole lines", len);
	for (i = 0, start = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (p53g_cmd_parse(buf + start, i - start, &cmd, NULL)) {
			violation("exempt", "line the module refuses", len);
			return;
		}
		n++;
		adds += cmd.op == P53G_CMD_ADD;
		sets += cmd.op == P53G_CMD_SET;
		ctl_lines += cmd.op >= P53G_CMD_BEGIN && cmd.op <= P53G_CMD_ABORT;
		last = cmd.op;
		start = i + 1;
	}
	if (ctl_lines && n != 1 && !(ctl_lines == 1 && last == P53G_CMD_COMMIT && sets == n - 1))
		violation("exempt", "begin/commit/abort not alone in its write", len);
	if (fake_ed.owner == (void *)(intptr_t)getpid() && !ctl_lines && adds + sets != n)
		violation("exempt", "not an add line while staged", len);
}

static int exempt_write(const char *buf, size_t len)
{
	void *me = (void *)(intptr_t)getpid();
	struct p53g_config live;
	struct p53g_change chg;
	struct p53g_cmd *cmds;
	struct p53g_pset *list;
	pid_t holder;
	size_t n;
	int err;

	if (len > P53G_CMD_WRITE_MAX)
		violation("exempt", "write of a page (4096 bytes) or more", len);
	if (exists(".eperm"))
		return EPERM;
	if (!fake_ed_ready) {
		p53g_editor_init(&fake_ed, 0, &fake_owner_ops);
		fake_ed_ready = true;
	}
	tool_rules(buf, len);
	fake_ed.max_entries = max_entries();
	/* another process's staged transaction, as far as this one can tell */
	holder = file_owner();
	if (holder && (void *)(intptr_t)holder != me && !fake_ed.owner)
		fake_ed.owner = (void *)(intptr_t)holder;
	load_settings(&live.s);
	list = load_list();
	live.list = list;
	err = p53g_edit_parse(buf, len, &cmds, &n);
	if (!err) {
		err = p53g_editor_apply(&fake_ed, &live, cmds, n, me, &chg);
		free(cmds);
	}
	if (!fake_ed.owner)
		unlink(ctl(".staged_owner"));
	if (!err && chg.begin) {
		char line[32];

		snprintf(line, sizeof(line), "%d\n", (int)getpid());
		spit(".staged_owner", line, strlen(line), 0);
	}
	if (!err && chg.op != P53G_CHANGE_STAGED) {
		if (chg.list_changed) {
			store_list(chg.list);
			p53g_pset_free(chg.list);
		}
		store_settings(&chg.s, chg.set_mask);
	}
	p53g_pset_free(list);
	return -err;
}

/* stats: "0" zeroes every counter; the list's gauges (exempt_*) stay. */
static int stats_write(const char *buf, size_t len)
{
	size_t n, i, start = 0, o = 0;
	char *b, *out;

	if (exists(".eperm"))
		return EPERM;
	if (!((len == 1 || (len == 2 && buf[1] == '\n')) && buf[0] == '0'))
		return EINVAL;
	b = slurp(ctl("stats"), &n);
	out = malloc(2 * n + 2);
	for (i = 0; i < n; i++) {
		if (b[i] != '\n')
			continue;
		if (!strncmp(b + start, "exempt_", 7) || !memchr(b + start, ' ', i - start)) {
			memcpy(out + o, b + start, i - start + 1);
			o += i - start + 1;
		} else {
			size_t k = (char *)memchr(b + start, ' ', i - start) - (b + start);

			memcpy(out + o, b + start, k);
			o += k;
			memcpy(out + o, " 0\n", 3);
			o += 3;
		}
		start = i + 1;
	}
	spit("stats", out, o, 0);
	free(out);
	free(b);
	return 0;
}

/* A setting's file: the value checked and stored as the module does. */
static int setting_write(const char *name, const char *buf, size_t len)
{
	int set = p53g_setting_find(name, strlen(name));
	char out[32];
	u32 v;
	int n;

	if (exists(".eperm"))
		return EPERM;
	if (set < 0 || memchr(buf, '\0', len) ||
	    p53g_setting_parse(set, buf, len, &v, NULL))
		return EINVAL;
	n = p53g_setting_format(set, v, out, sizeof(out) - 1);
	out[n++] = '\n';
	spit(name, out, n, 0);
	return 0;
}

static int fake_open(const char *path, int flags, mode_t mode)
{
	const char *name = ours(path);
	int fd;

	init();
	if (name && (flags & O_ACCMODE) == O_RDONLY) {
		fd = real_open(path, flags, mode);
		if (fd >= 0 && fd < MAXFD)
			fd_list[fd] = !strcmp(name, "exempt");
		return fd;
	}
	if (!name)
		return real_open(path, flags, mode);
	if (exists(".eacces")) {
		errno = EACCES;
		return -1;
	}
	/* a real fd to hand back; the file itself changes only by writes */
	fd = real_open(path, O_RDONLY | (flags & O_CLOEXEC));
	if (fd >= 0 && fd < MAXFD)
		snprintf(fd_name[fd], sizeof(fd_name[fd]), "%s", name);
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return fake_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return fake_open(path, flags, mode);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	const char *name;
	char inject[32];
	size_t ilen;
	int rc, lock;

	init();
	if (fd < 0 || fd >= MAXFD || !fd_name[fd][0])
		return real_write(fd, buf, len);
	name = fd_name[fd];
	lock = real_open(ctl(".lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	flock(lock, LOCK_EX);
	if (exists(".short") && len > 0) {
		unlink(ctl(".short"));
		log_write(name, buf, len, "SHORT");
		real_close(lock);
		return len - 1;
	}
	{
		char *b = slurp(ctl(".inject"), &ilen);

		snprintf(inject, sizeof(inject), "%s", b);
		free(b);
		inject[strcspn(inject, "\n")] = '\0';
	}
	if (ilen && strchr(inject, ' ') && atoi(strchr(inject, ' ') + 1) > 1) {
		/* not this write yet: one fewer to go */
		char next[64];
		int n = atoi(strchr(inject, ' ') + 1) - 1;

		*strchr(inject, ' ') = '\0';
		snprintf(next, sizeof(next), "%s %d\n", inject, n);
		spit(".inject", next, strlen(next), 0);
		ilen = 0;
	}
	if (ilen) {
		unlink(ctl(".inject"));
		inject[strcspn(inject, " ")] = '\0';
		rc = !strcmp(inject, "EINVAL") ? EINVAL : EIO;
	} else if (!strcmp(name, "exempt")) {
		rc = exempt_write(buf, len);
	} else if (!strcmp(name, "stats")) {
		rc = stats_write(buf, len);
	} else {
		rc = setting_write(name, buf, len);
	}
	log_write(name, buf, len, rc ? strerrorname_np(rc) : "ok");
	real_close(lock);
	if (rc) {
		errno = rc;
		return -1;
	}
	return len;
}

ssize_t read(int fd, void *buf, size_t len)
{
	size_t clen;
	char *c;
	long n;

	init();
	if (fd < 0 || fd >= MAXFD || !fd_list[fd] || lseek(fd, 0, SEEK_CUR) <= 0)
		return real_read(fd, buf, len);
	c = slurp(ctl(".eagain"), &clen);
	n = clen ? strtol(c, NULL, 10) : 0;
	free(c);
	if (n <= 0)
		return real_read(fd, buf, len);
	c = NULL;
	if (asprintf(&c, "%ld\n", n - 1) > 0)
		spit(".eagain", c, strlen(c), 0);
	free(c);
	errno = EAGAIN;
	return -1;
}

int close(int fd)
{
	init();
	if (fd >= 0 && fd < MAXFD) {
		fd_name[fd][0] = '\0';
		fd_list[fd] = 0;
	}
	return real_close(fd);
}
