// SPDX-License-Identifier: GPL-2.0
/*
 * A fake port53guard module for the CLI tests, preloaded into the tool
 * (LD_PRELOAD). A plain directory cannot play the kernel's side of sysfs:
 * a write to "exempt" is a command that succeeds or fails with an errno.
 * This library intercepts the files under $P53G_SYSFS opened for writing
 * and plays the module's protocol on plain files in that directory:
 *
 *   exempt    add/del/flush lines, one write atomic (all lines or none);
 *             EINVAL malformed, ENOENT del of an absent entry, ENOSPC over
 *             .max_entries (default 65536), E2BIG from 4096 bytes (a
 *             page) up, EPERM if .eperm exists; begin/commit/abort, a
 *             staged list owned by one process (EBUSY for another live
 *             one, dropped when its owner is gone), ENOSPC at commit
 *   settings  the value checked as the module does, stored as it reads back
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
 * (the next write is short), .inject (the next write fails with the errno
 * named in it).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entry.h"

#define MAXFD 1024

static int (*real_open)(const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_close)(int);

static char fd_name[MAXFD][16];	/* the sysfs file an fd writes to, or "" */
static char fd_list[MAXFD];	/* the fd reads "exempt" */

static const char *const known[] = {
	"exempt", "enabled", "action", "tcp", "loopback", "log", "rate", "forward", NULL
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

struct list {
	struct p53g_entry *v;
	size_t n, cap;
};

static void push(struct list *l, const struct p53g_entry *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *e;
}

static int qcmp(const void *a, const void *b)
{
	return p53g_entry_cmp(a, b);
}

/* Sorted, each entry once: the module's table. */
static void normalize(struct list *l)
{
	size_t i, n = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(l->v[0]), qcmp);
	for (i = 0; i < l->n; i++)
		if (!n || p53g_entry_cmp(&l->v[n - 1], &l->v[i]))
			l->v[n++] = l->v[i];
	l->n = n;
}

static void load(const char *name, struct list *l)
{
	size_t len, i, start = 0;
	char *b = slurp(ctl(name), &len);
	struct p53g_entry e;

	for (i = 0; i <= len; i++) {
		if (i < len && b[i] != '\n')
			continue;
		if (i > start && !p53g_entry_parse(b + start, i - start, &e, NULL))
			push(l, &e);
		start = i + 1;
	}
	free(b);
}

static void store(const char *name, const struct list *l)
{
	char *out = malloc(l->n * P53G_ENTRY_MAXLEN + 1);
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		n += p53g_entry_format(&l->v[i], out + n, P53G_ENTRY_MAXLEN);
		out[n++] = '\n';
	}
	spit(name, out, n, 0);
	free(out);
}

static size_t max_entries(void)
{
	size_t len;
	char *b = slurp(ctl(".max_entries"), &len);
	size_t v = len ? strtoul(b, NULL, 10) : 65536;

	free(b);
	return v;
}

static pid_t staged_owner(void)
{
	size_t len;
	char *b = slurp(ctl(".staged_owner"), &len);
	pid_t pid = len ? atoi(b) : 0;

	free(b);
	/* the staged list goes with its owner */
	if (pid > 0 && kill(pid, 0) && errno == ESRCH) {
		unlink(ctl(".staged"));
		unlink(ctl(".staged_owner"));
		pid = 0;
	}
	return pid;
}

static int exempt_write(const char *buf, size_t len)
{
	struct p53g_cmd *cmds;
	struct list l = { 0 };
	size_t i, start, n = 0;
	pid_t owner, me = getpid();
	char line[32];
	int rc = 0;

	if (len > P53G_CMD_WRITE_MAX) {
		violation("exempt", "write of a page (4096 bytes) or more", len);
		return E2BIG;
	}
	if (exists(".eperm"))
		return EPERM;
	if (!len || buf[len - 1] != '\n') {
		violation("exempt", "write not made of whole lines", len);
		return EINVAL;
	}
	cmds = calloc(len, sizeof(*cmds));
	for (i = 0, start = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (p53g_cmd_parse(buf + start, i - start, &cmds[n++], NULL)) {
			violation("exempt", "line the module refuses", len);
			free(cmds);
			return EINVAL;
		}
		start = i + 1;
	}
	owner = staged_owner();
	if (cmds[0].op >= P53G_CMD_BEGIN && n != 1) {
		violation("exempt", "begin/commit/abort not alone in its write", len);
		rc = EINVAL;
	} else if (cmds[0].op == P53G_CMD_BEGIN) {
		if (owner) {
			rc = EBUSY;
		} else {
			spit(".staged", "", 0, 0);
			snprintf(line, sizeof(line), "%d\n", me);
			spit(".staged_owner", line, strlen(line), 0);
		}
	} else if (cmds[0].op == P53G_CMD_COMMIT || cmds[0].op == P53G_CMD_ABORT) {
		if (owner != me) {
			violation("exempt", "commit/abort without begin", len);
			rc = EINVAL;
		} else if (cmds[0].op == P53G_CMD_COMMIT) {
			load(".staged", &l);
			normalize(&l);
			if (l.n > max_entries()) {
				rc = ENOSPC;
			} else {
				store("exempt", &l);
				unlink(ctl(".staged"));
				unlink(ctl(".staged_owner"));
			}
		} else {
			unlink(ctl(".staged"));
			unlink(ctl(".staged_owner"));
		}
	} else if (owner == me) {
		for (i = 0; i < n && !rc; i++)
			if (cmds[i].op != P53G_CMD_ADD) {
				violation("exempt", "not an add line while staged", len);
				rc = EINVAL;
			}
		for (i = 0; i < n && !rc; i++) {
			char text[P53G_ENTRY_MAXLEN + 1];
			int k = p53g_entry_format(&cmds[i].entry, text, P53G_ENTRY_MAXLEN);

			text[k] = '\n';
			spit(".staged", text, k + 1, 1);
		}
	} else {
		load("exempt", &l);
		for (i = 0; i < n && !rc; i++) {
			struct p53g_entry *hit;

			normalize(&l);
			hit = l.n ? bsearch(&cmds[i].entry, l.v, l.n, sizeof(l.v[0]), qcmp) : NULL;
			if (cmds[i].op == P53G_CMD_FLUSH) {
				l.n = 0;
			} else if (cmds[i].op == P53G_CMD_ADD) {
				if (!hit)
					push(&l, &cmds[i].entry);
			} else if (!hit) {
				rc = ENOENT;
			} else {
				memmove(hit, hit + 1, (l.v + l.n - hit - 1) * sizeof(*hit));
				l.n--;
			}
		}
		normalize(&l);
		if (!rc && l.n > max_entries())
			rc = ENOSPC;
		if (!rc)
			store("exempt", &l);
	}
	free(l.v);
	free(cmds);
	return rc;
}

static int setting_write(const char *name, const char *buf, size_t len)
{
	static const char *const actions[] = { "reject", "drop", "monitor", NULL };
	char v[64], out[80];
	size_t i;

	if (exists(".eperm"))
		return EPERM;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len >= sizeof(v) || memchr(buf, '\0', len))
		return EINVAL;
	memcpy(v, buf, len);
	v[len] = '\0';
	if (!strcmp(name, "action")) {
		for (i = 0; actions[i] && strcmp(v, actions[i]); i++)
			;
		if (!actions[i])
			return EINVAL;
	} else if (!strcmp(name, "rate")) {
		if (!*v || strspn(v, "0123456789") != len || len > 9)
			return EINVAL;
		snprintf(v, sizeof(v), "%lu", strtoul(v, NULL, 10));
	} else if (!strcmp(v, "1") || !strcmp(v, "y") || !strcmp(v, "Y")) {
		strcpy(v, "1");
	} else if (!strcmp(v, "0") || !strcmp(v, "n") || !strcmp(v, "N")) {
		strcpy(v, "0");
	} else {
		return EINVAL;
	}
	snprintf(out, sizeof(out), "%s\n", v);
	spit(name, out, strlen(out), 0);
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
	if (ilen) {
		unlink(ctl(".inject"));
		rc = !strcmp(inject, "EINVAL") ? EINVAL : EIO;
	} else if (!strcmp(name, "exempt")) {
		rc = exempt_write(buf, len);
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
