// SPDX-License-Identifier: GPL-2.0
/*
 * Files: the module's under /sys/kernel/port53guard (where they are,
 * reading them whole, writing one command per write()), and the tool's
 * own input files, read a line at a time and taken apart into words.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p53g.h"

extern char **environ;

const char *p53g_root(void)
{
	const char *root = getenv("P53G_SYSFS");

	return root && *root ? root : P53G_SYSFS_DEFAULT;
}

/* "ROOT/name" in one of a few static buffers, so that messages can hold two. */
const char *p53g_path(const char *name)
{
	static char paths[4][PATH_MAX];
	static unsigned int next;
	char *p = paths[next++ % 4];

	if (snprintf(p, PATH_MAX, "%s/%s", p53g_root(), name) >= PATH_MAX)
		p[0] = '\0';	/* open("") fails with ENOENT, and says so */
	return p;
}

/*
 * The module's own directory, /sys/module/port53guard: beside the root's
 * parent ("/sys/kernel/port53guard" -> "/sys/module/port53guard/NAME").
 */
const char *p53g_modpath(const char *name)
{
	static char path[PATH_MAX];
	const char *root = p53g_root();
	const char *slash = strrchr(root, '/');
	size_t n = slash ? (size_t)(slash - root) : 0;

	while (n && root[n - 1] == '/')
		n--;
	slash = n ? memrchr(root, '/', n) : NULL;
	n = slash ? (size_t)(slash - root) : 0;
	if (snprintf(path, sizeof(path), "%.*s/module/port53guard/%s", (int)n, root, name) >=
	    (int)sizeof(path))
		path[0] = '\0';
	return path;
}

/* A one-line file of the module's own directory, without its newline. */
int p53g_read_module_value(const char *name, char *out, size_t size)
{
	ssize_t r;
	int fd;

	fd = open(p53g_modpath(name), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, out, size - 1);
	close(fd);
	if (r <= 0)
		return -1;
	out[r] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int p53g_require_module(void)
{
	struct stat st;

	if (strlen(p53g_root()) > PATH_MAX - 32) {
		p53g_err("%s: path too long", p53g_root());
		return -1;
	}
	if (stat(p53g_root(), &st)) {
		if (errno != ENOENT && errno != ENOTDIR) {
			p53g_err("%s: %s", p53g_root(), strerror(errno));
			return -1;
		}
	} else if (S_ISDIR(st.st_mode)) {
		return 0;
	}
	p53g_err("module not loaded (try: sudo modprobe port53guard)");
	return -1;
}

void p53g_buf_free(struct p53g_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int p53g_buf_append(struct p53g_buf *b, const char *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			p53g_err("out of memory");
			return -1;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* Until EOF, whatever the size: the list is not cut at a page. */
int p53g_read_fd(int fd, struct p53g_buf *b)
{
	char chunk[65536];
	ssize_t r;

	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		if (p53g_buf_append(b, chunk, r))
			return -1;
	}
	return p53g_buf_append(b, "", 0);
}

/*
 * A read of the list that spans several read() calls fails with EAGAIN
 * when the list changed between two of them (the module never hands out
 * old text up to one offset and new text past it): read it again from the
 * start, a bounded number of times, with a growing pause.
 */
#define P53G_READ_TRIES 50

bool p53g_read_again(int fd, int err, unsigned int *tries)
{
	struct timespec ts = { 0, 0 };

	if (err != EAGAIN || ++*tries >= P53G_READ_TRIES || lseek(fd, 0, SEEK_SET))
		return false;
	ts.tv_nsec = *tries * 1000000L;
	nanosleep(&ts, NULL);
	return true;
}

const char *p53g_read_why(int err)
{
	return err == EAGAIN ? " (the list kept changing while it was read)" : "";
}

/* On failure, @b is as it was (freed, if it was empty). */
int p53g_read_file(const char *name, struct p53g_buf *b)
{
	const char *path = p53g_path(name);
	size_t base = b->len;
	unsigned int tries = 0;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		p53g_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (p53g_read_fd(fd, b)) {
		saved = errno;
		b->len = base;
		if (p53g_read_again(fd, saved, &tries))
			continue;
		close(fd);
		if (!base)
			p53g_buf_free(b);
		p53g_err("%s: %s%s", path, strerror(saved), p53g_read_why(saved));
		return -1;
	}
	close(fd);
	return 0;
}

/* A one-line file, without its newline. */
int p53g_read_value(const char *name, char *out, size_t size)
{
	struct p53g_buf b = { 0 };
	size_t len;

	if (p53g_read_file(name, &b))
		return -1;
	len = b.len;
	if (len && b.data[len - 1] == '\n')
		len--;
	if (len >= size || memchr(b.data, '\n', len) || memchr(b.data, '\0', len)) {
		p53g_err("%s: unexpected content", p53g_path(name));
		p53g_buf_free(&b);
		return -1;
	}
	memcpy(out, b.data, len);
	out[len] = '\0';
	p53g_buf_free(&b);
	return 0;
}

/*
 * One write() holding whole commands. The module applies a write entirely
 * or not at all, so a short write is a failure (-1), never continued.
 * Returns 0, an errno value, or -1 for a short write.
 */
int p53g_write_whole(int fd, const char *data, size_t len)
{
	ssize_t r;

	do
		r = write(fd, data, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno ? errno : EIO;
	return (size_t)r == len ? 0 : -1;
}

/* -w: how long a writer waits for another's staged list; -1 forever */
static long p53g_wait_limit;

/**
 * p53g_take_wait() - take -w/--wait [SECONDS] out of a writer's arguments
 * @argc: the arguments' count, lowered by what is taken
 * @argv: the arguments (argv[0] the command), -w and its SECONDS removed
 * @cmd: the command, for messages
 *
 * SECONDS is the next argument when it is a number (or --wait=SECONDS);
 * without one, the writer waits as long as it takes.
 *
 * Return: 0, or -1 on a bad SECONDS (said).
 */
int p53g_take_wait(int *argc, char *argv[], const char *cmd)
{
	char q[P53G_QUOTE_MAX], *end;
	const char *v;
	unsigned long n;
	int i, k, take;

	for (i = 1; i < *argc; i++) {
		v = NULL;
		if (!strcmp(argv[i], "-w") || !strcmp(argv[i], "--wait")) {
			take = 1;
			if (i + 1 < *argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') {
				v = argv[i + 1];
				take = 2;
			}
		} else if (!strncmp(argv[i], "--wait=", 7)) {
			v = argv[i] + 7;
			take = 1;
		} else {
			continue;
		}
		p53g_wait_limit = -1;
		if (v) {
			errno = 0;
			n = strtoul(v, &end, 10);
			if (errno || *end || !*v || *v < '0' || *v > '9' || n > 31536000) {
				p53g_err("%s: -w: %s: expected SECONDS, 0 to 31536000", cmd,
					 p53g_quote(v, strlen(v), q));
				return -1;
			}
			p53g_wait_limit = n;
		}
		for (k = i; k + take <= *argc; k++)
			argv[k] = argv[k + take];
		*argc -= take;
		i--;
	}
	return 0;
}

static double p53g_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * p53g_write_whole(), tried again while the module answers EBUSY (another
 * process holds a staged list, so nothing was applied), as long as -w
 * allows: not at all without it.
 */
int p53g_write_wait(int fd, const char *data, size_t len)
{
	const struct timespec pause = { .tv_nsec = 100 * 1000 * 1000 };
	double deadline = p53g_now() + p53g_wait_limit;
	int rc;

	while ((rc = p53g_write_whole(fd, data, len)) == EBUSY &&
	       (p53g_wait_limit < 0 || p53g_now() < deadline))
		nanosleep(&pause, NULL);
	return rc;
}

/* What to say when p53g_write_wait() gave up on EBUSY. */
void p53g_busy_err(const char *path)
{
	if (!p53g_wait_limit)
		p53g_err("%s: another process is replacing the list (begin ... commit); "
			 "-w [SECONDS] waits for it", path);
	else
		p53g_err("%s: another process is replacing the list (begin ... commit); "
			 "gave up after %ld s (-w %ld)", path, p53g_wait_limit, p53g_wait_limit);
}

/**
 * p53g_input_open() - FILE, or standard input for "-", to be read a line at a time
 * @file: its name
 * @in: its state (p53g_input_close() it)
 *
 * Input is never read whole: a line at a time through a fixed buffer, each
 * at most P53G_LINE_MAX bytes, so that memory stays bounded whatever comes.
 *
 * Return: 0, or -1 (said).
 */
int p53g_input_open(const char *file, struct p53g_input *in)
{
	memset(in, 0, sizeof(*in));
	p53g_input_name(file, in->name);
	if (strcmp(file, "-")) {
		in->fd = open(file, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			p53g_err("%s: %s", in->name, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void p53g_input_close(struct p53g_input *in)
{
	if (in->fd > 0)
		close(in->fd);
	in->fd = -1;
}

/**
 * p53g_input_line() - the next line of an input, without its newline
 * @in: the input
 * @line: set to it (valid until the next call)
 * @len: set to its length
 *
 * Return: 1 with a line (in->lineno its number), 0 at the end, -1 on an
 * error or a line over P53G_LINE_MAX bytes (said).
 */
int p53g_input_line(struct p53g_input *in, char **line, size_t *len)
{
	char *nl;
	ssize_t r;

	for (;;) {
		nl = memchr(in->buf + in->start, '\n', in->end - in->start);
		if (nl || in->eof || in->end - in->start > P53G_LINE_MAX)
			break;
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
		do
			r = read(in->fd, in->buf + in->end, sizeof(in->buf) - in->end);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			p53g_err("%s: %s", in->name, strerror(errno));
			return -1;
		}
		in->end += r;
		in->eof = !r;
	}
	if (!nl && in->start == in->end)
		return 0;
	/* up to the newline, or the last bytes, or more than a line may hold */
	*line = in->buf + in->start;
	*len = (nl ? nl : in->buf + in->end) - *line;
	in->lineno++;
	if (*len > P53G_LINE_MAX) {
		p53g_err("%s:%zu: line longer than %d bytes", in->name, in->lineno, P53G_LINE_MAX);
		return -1;
	}
	in->start += *len + !!nl;
	return 1;
}

/**
 * p53g_input_entries_max() - the most entries an input may hold
 * @why: set to where the number comes from, for messages
 *
 * The module's max_entries (its default when it is not loaded): a list
 * cannot be longer, and the entries read stay bounded.
 */
size_t p53g_input_entries_max(const char **why)
{
	char v[24], *end;
	unsigned long n;

	*why = "the module's max_entries";
	if (!p53g_read_module_value("parameters/max_entries", v, sizeof(v))) {
		errno = 0;
		n = strtoul(v, &end, 10);
		if (!errno && !*end && end != v && n <= P53G_ENTRIES_LIMIT)
			return n;
	}
	*why = "the default max_entries: the module is not loaded";
	return P53G_ENTRIES_DEFAULT;
}

/* FILE for messages, escaped into @out (P53G_NAME_MAX bytes): "-" is stdin. */
const char *p53g_input_name(const char *file, char *out)
{
	if (!strcmp(file, "-"))
		return strcpy(out, "stdin");
	return p53g_escape(file, strlen(file), out, P53G_NAME_MAX);
}

/*
 * A path of the host's /proc or /run, in one of a few static buffers:
 * under $P53G_ROOTFS when it is set (for tests, a directory standing for
 * "/"), else as it is.
 */
const char *p53g_host_path(const char *fmt, ...)
{
	static char paths[4][PATH_MAX];
	static unsigned int next;
	const char *root = getenv("P53G_ROOTFS");
	char *p = paths[next++ % 4];
	size_t n;
	va_list ap;

	n = snprintf(p, PATH_MAX, "%s", root ? root : "");
	va_start(ap, fmt);
	if (n >= PATH_MAX || (size_t)vsnprintf(p + n, PATH_MAX - n, fmt, ap) >= PATH_MAX - n)
		p[0] = '\0';	/* fails with ENOENT */
	va_end(ap);
	return p;
}

/* The next line of [*p, end), without its newline; false at the end. */
bool p53g_next_line(char **p, char *end, char **line, size_t *len)
{
	char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', end - *p);
	if (!nl)
		nl = end;
	*line = *p;
	*len = nl - *p;
	*p = nl + 1;
	return true;
}

static bool p53g_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Strip blanks (and a DOS line end) around a line of an input file. */
void p53g_trim(char **s, size_t *len)
{
	while (*len && p53g_isspace(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && p53g_isspace((*s)[*len - 1]))
		(*len)--;
}

/* The next blank-separated word of [*s, *s + *len); false when none is left. */
bool p53g_next_word(char **s, size_t *len, char **word, size_t *wlen)
{
	p53g_trim(s, len);
	if (!*len)
		return false;
	*word = *s;
	for (*wlen = 0; *wlen < *len && !p53g_isspace((*s)[*wlen]); (*wlen)++)
		;
	*s += *wlen;
	*len -= *wlen;
	return true;
}

/* printf into a buffer. */
int p53g_buf_printf(struct p53g_buf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return p53g_buf_append(b, small, n);
	big = malloc(n + 1);
	if (!big) {
		p53g_err("out of memory");
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(big, n + 1, fmt, ap);
	va_end(ap);
	rc = p53g_buf_append(b, big, n);
	free(big);
	return rc;
}

static int p53g_write_all(int fd, const char *data, size_t len)
{
	ssize_t r;

	while (len) {
		r = write(fd, data, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		data += r;
		len -= r;
	}
	return 0;
}

/**
 * p53g_write_file_atomic() - replace @path with @data, whole or not at all
 * @path: the file
 * @data: its new content
 * @len: its length
 *
 * A temporary file in the same directory, written, synced, made 0644 and
 * renamed over @path, then the directory synced: a reader sees the old
 * file or the new one, and a crash leaves one of them too.
 *
 * Return: 0, or -1 with the reason said and @path untouched.
 */
int p53g_write_file_atomic(const char *path, const char *data, size_t len)
{
	char *dir, *tmp, *slash;
	int fd, dfd, saved;
	struct stat st;

	dir = strdup(path);
	tmp = malloc(strlen(path) + 16);
	if (!dir || !tmp) {
		free(dir);
		free(tmp);
		p53g_err("out of memory");
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	/* rename() would put a file in the place of a device or a directory */
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		p53g_err("%s: not a regular file: not replaced", p53g_name(path));
		goto err_free;
	}
	sprintf(tmp, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		saved = errno;
		/* a directory that exists but takes no new file (/proc, /sys): ENOENT */
		if (saved == ENOENT && !stat(dir, &st) && S_ISDIR(st.st_mode))
			p53g_err("%s: cannot be written: %s takes no new file (one is written beside "
				 "it, then renamed over it)", p53g_name(path), p53g_name(dir));
		else
			p53g_err("%s: %s", p53g_name(path), strerror(saved));
		goto err_free;
	}
	if (p53g_write_all(fd, data, len) || fsync(fd) || fchmod(fd, 0644)) {
		saved = errno;
		close(fd);
		unlink(tmp);
		p53g_err("%s: %s", p53g_name(tmp), strerror(saved));
		goto err_free;
	}
	if (close(fd) || rename(tmp, path)) {
		saved = errno;
		unlink(tmp);
		p53g_err("%s: %s", p53g_name(path), strerror(saved));
		goto err_free;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
	free(tmp);
	return 0;
err_free:
	free(dir);
	free(tmp);
	return -1;
}

/*
 * Run argv (argv[0] a path, or a name looked up in PATH), its output and
 * errors into @out. Return: its exit status, or -1 if it could not run.
 */
int p53g_run(char *const argv[], char *out, size_t size)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	size_t len = 0;
	int p[2], st, rc;
	ssize_t r;
	pid_t pid;

	if (size)
		out[0] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(p[1]);
	if (rc) {
		close(p[0]);
		return -1;
	}
	for (;;) {
		char junk[256];

		if (len + 1 < size)
			r = read(p[0], out + len, size - len - 1);
		else
			r = read(p[0], junk, sizeof(junk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (len + 1 < size)
			len += r;
	}
	if (size) {
		out[len] = '\0';
		while (len && out[len - 1] == '\n')
			out[--len] = '\0';
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
