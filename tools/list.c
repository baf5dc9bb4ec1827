// SPDX-License-Identifier: GPL-2.0
/*
 * The exemption list: reading it from the module, and changing it, with
 * settings too, so that packets see the old configuration or the new one,
 * never a mix.
 *
 * A change that fits one write() (4095 bytes) is sent as one write of
 * set/add/del/flush lines, which the module applies entirely or not at
 * all. A bigger one is a staged transaction: "begin", the whole new list
 * in writes of whole "add" lines, then the set lines and "commit" in one
 * last write, which swaps settings and list in at once. The new list is
 * computed here from the current one, read after "begin".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p53g.h"

int p53g_list_push(struct p53g_list *l, const struct p53g_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct p53g_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			p53g_err("out of memory");
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

void p53g_list_free(struct p53g_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int p53g_qcmp(const void *a, const void *b)
{
	return p53g_entry_cmp(a, b);
}

void p53g_list_sort(struct p53g_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(l->v[0]), p53g_qcmp);
}

int p53g_parse_arg_entry(const char *arg, struct p53g_entry *e, unsigned int *notes)
{
	char q[P53G_QUOTE_MAX];
	const char *why = "";

	if (p53g_entry_parse_notes(arg, strlen(arg), e, notes, &why)) {
		p53g_err("%s: %s", p53g_quote(arg, strlen(arg), q), why);
		return -1;
	}
	return 0;
}

/*
 * What the module stores for @s, when it is not what @s says (@notes, from
 * p53g_entry_parse_notes()): "'192.0.2.7/24' is stored as 192.0.2.0/24",
 * "'::ffff:10.0.0.0/104' is IPv4-mapped: stored as 10.0.0.0/8".
 */
void p53g_warn_stored(const char *s, size_t len, const struct p53g_entry *e,
		      unsigned int notes, const char *file, size_t line)
{
	char text[P53G_ENTRY_MAXLEN], q[P53G_QUOTE_MAX], where[P53G_NAME_MAX + 24] = "";
	const char *how = notes & P53G_NOTE_MAPPED ? " is IPv4-mapped:" : " is";

	if (!notes)
		return;
	p53g_entry_format(e, text, sizeof(text));
	if (file)
		snprintf(where, sizeof(where), "%s:%zu: ", file, line);
	p53g_warn("%s%s%s stored as %s", where, p53g_quote(s, len, q), how, text);
}

/*
 * What verify would say of an entry read from an input file (--check):
 * one that exempts everything. An IPv4-mapped prefix counts too, as a
 * warning p53g_warn_stored() gave. Returns 1 when it warned, else 0.
 */
int p53g_warn_entry(const struct p53g_entry *e, unsigned int notes,
		    const char *file, size_t line)
{
	char text[P53G_ENTRY_MAXLEN];

	p53g_entry_format(e, text, sizeof(text));
	if ((e->kind != P53G_ENTRY_DEV && !e->plen) ||
	    (e->kind == P53G_ENTRY_DEV && e->wildcard && !e->namelen)) {
		p53g_warn("%s:%zu: %s exempts every %s (verify fails such a list)", file, line,
			  text, e->kind == P53G_ENTRY_V4 ? "IPv4 source" :
			  e->kind == P53G_ENTRY_V6 ? "IPv6 source" : "interface");
		return 1;
	}
	return !!(notes & P53G_NOTE_MAPPED);
}

/* The list as the module prints it: canonical, one entry a line. */
/* The exempt file's text (@b) as entries, appended to @l. */
int p53g_list_parse(const struct p53g_buf *b, struct p53g_list *l)
{
	struct p53g_entry e;
	const char *why;
	size_t lineno = 0;
	char *p, *end, *nl;
	int rc = 0;

	for (p = b->data, end = b->data + b->len; p < end && !rc; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		lineno++;
		if (nl == p)
			continue;
		if (p53g_entry_parse(p, nl - p, &e, &why)) {
			p53g_err("%s:%zu: unexpected line from the module: %s",
				 p53g_path("exempt"), lineno, why);
			rc = -1;
		} else {
			rc = p53g_list_push(l, &e);
		}
	}
	return rc;
}

int p53g_list_load(struct p53g_list *l)
{
	struct p53g_buf b = { 0 };
	int rc;

	if (p53g_read_file("exempt", &b))
		return -1;
	rc = p53g_list_parse(&b, l);
	p53g_buf_free(&b);
	return rc;
}

/* Lines of the list, counted as they stream by: it can be many MB. */
int p53g_list_count(size_t *count)
{
	const char *path = p53g_path("exempt");
	char chunk[65536], last = '\n';
	unsigned int tries = 0;
	ssize_t r, i;
	int fd;

	*count = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		p53g_err("%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && p53g_read_again(fd, errno, &tries)) {
			*count = 0;
			last = '\n';
			continue;
		}
		if (r <= 0)
			break;
		for (i = 0; i < r; i++) {
			if (chunk[i] == '\n' && last != '\n')
				(*count)++;
			last = chunk[i];
		}
	}
	if (r < 0) {
		p53g_err("%s: %s%s", path, strerror(errno), p53g_read_why(errno));
		close(fd);
		return -1;
	}
	if (last != '\n')
		(*count)++;
	close(fd);
	return 0;
}

static uint64_t p53g_hash(const struct p53g_entry *e)
{
	const unsigned char *p = (const unsigned char *)e;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	/* entries are zeroed before they are filled: every byte is defined */
	for (i = 0; i < sizeof(*e); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static size_t p53g_set_find(const struct p53g_set *s, const struct p53g_entry *e)
{
	size_t i;

	if (!s->cap)
		return SIZE_MAX;
	for (i = p53g_hash(e) & (s->cap - 1); s->state[i]; i = (i + 1) & (s->cap - 1))
		if (s->state[i] == 1 && !memcmp(&s->slot[i], e, sizeof(*e)))
			return i;
	return SIZE_MAX;
}

bool p53g_set_has(const struct p53g_set *s, const struct p53g_entry *e)
{
	return p53g_set_find(s, e) != SIZE_MAX;
}

static int p53g_set_grow(struct p53g_set *s)
{
	struct p53g_set n = { 0 };
	size_t i;

	n.cap = 64;
	while (n.cap < 4 * (s->live + 1))
		n.cap *= 2;
	n.slot = malloc(n.cap * sizeof(*n.slot));
	n.state = calloc(n.cap, 1);
	if (!n.slot || !n.state) {
		free(n.slot);
		free(n.state);
		p53g_err("out of memory");
		return -1;
	}
	for (i = 0; i < s->cap; i++)
		if (s->state[i] == 1)
			p53g_set_add(&n, &s->slot[i]);
	free(s->slot);
	free(s->state);
	*s = n;
	return 0;
}

int p53g_set_add(struct p53g_set *s, const struct p53g_entry *e)
{
	size_t i;

	if (p53g_set_find(s, e) != SIZE_MAX)
		return 0;
	if (4 * (s->used + 1) > 3 * s->cap && p53g_set_grow(s))
		return -1;
	for (i = p53g_hash(e) & (s->cap - 1); s->state[i] == 1; i = (i + 1) & (s->cap - 1))
		;
	if (!s->state[i])
		s->used++;
	s->state[i] = 1;
	s->slot[i] = *e;
	s->live++;
	return 0;
}

int p53g_set_del(struct p53g_set *s, const struct p53g_entry *e)
{
	size_t i = p53g_set_find(s, e);

	if (i == SIZE_MAX)
		return -1;
	s->state[i] = 2;
	s->live--;
	return 0;
}

void p53g_set_free(struct p53g_set *s)
{
	free(s->slot);
	free(s->state);
	memset(s, 0, sizeof(*s));
}

static void p53g_op_err(const struct p53g_op *op, const char *what)
{
	char text[P53G_ENTRY_MAXLEN];

	p53g_entry_format(&op->cmd.entry, text, sizeof(text));
	if (op->file)
		p53g_err("%s:%zu: %s: %s", op->file, op->line, text, what);
	else
		p53g_err("%s: %s", text, what);
}

/*
 * Play ops on the current list (read only when an add or del comes before
 * the first flush) into set. On a del of an absent entry, names it and
 * returns 1.
 */
static int p53g_play(const struct p53g_op *ops, size_t n, struct p53g_set *set)
{
	struct p53g_list cur = { 0 };
	size_t i;

	for (i = 0; i < n && ops[i].cmd.op != P53G_CMD_FLUSH; i++)
		;
	if (i) {
		if (p53g_list_load(&cur))
			return -1;
		for (i = 0; i < cur.n; i++)
			if (p53g_set_add(set, &cur.v[i])) {
				p53g_list_free(&cur);
				return -1;
			}
		p53g_list_free(&cur);
	}
	for (i = 0; i < n; i++) {
		switch (ops[i].cmd.op) {
		case P53G_CMD_FLUSH:
			if (set->cap)
				memset(set->state, 0, set->cap);
			set->used = 0;
			set->live = 0;
			break;
		case P53G_CMD_ADD:
			if (p53g_set_add(set, &ops[i].cmd.entry))
				return -1;
			break;
		case P53G_CMD_DEL:
			if (p53g_set_del(set, &ops[i].cmd.entry)) {
				p53g_op_err(&ops[i], "not in the exempt list");
				return 1;
			}
			break;
		}
	}
	return 0;
}

/**
 * p53g_list_result() - the list that ops would leave
 * @ops: add, del and flush, in order
 * @n: how many
 * @out: the list they leave, sorted (empty on entry)
 *
 * Reads the running list when an add or del comes before the first flush.
 *
 * Return: 0; 1 when a del names an absent entry (said); -1 on error.
 */
int p53g_list_result(const struct p53g_op *ops, size_t n, struct p53g_list *out)
{
	struct p53g_set set = { 0 };
	size_t i;
	int rc;

	rc = p53g_play(ops, n, &set);
	for (i = 0; !rc && i < set.cap; i++)
		if (set.state[i] == 1)
			rc = p53g_list_push(out, &set.slot[i]);
	p53g_set_free(&set);
	p53g_list_sort(out);
	return rc;
}

static int p53g_append_cmd(struct p53g_buf *b, int op, const struct p53g_entry *e)
{
	char text[P53G_ENTRY_MAXLEN];
	int n;

	switch (op) {
	case P53G_CMD_FLUSH:
		return p53g_buf_append(b, "flush\n", 6);
	case P53G_CMD_ADD:
		if (p53g_buf_append(b, "add ", 4))
			return -1;
		break;
	case P53G_CMD_DEL:
		if (p53g_buf_append(b, "del ", 4))
			return -1;
		break;
	}
	n = p53g_entry_format(e, text, sizeof(text));
	if (n < 0 || p53g_buf_append(b, text, n))
		return -1;
	return p53g_buf_append(b, "\n", 1);
}

static void p53g_exempt_write_err(int rc)
{
	const char *path = p53g_path("exempt");

	switch (rc) {
	case -1:
		p53g_err("%s: short write: the module took part of a command", path);
		break;
	case EINVAL:
		p53g_err("%s: %s (the module refused a command this tool accepts: are they the same version?)",
			 path, strerror(rc));
		break;
	case ENOSPC:
		p53g_err("%s: %s (the list would exceed the module's max_entries)", path, strerror(rc));
		break;
	case EPERM:
		p53g_err("%s: %s (needs CAP_NET_ADMIN in the initial user namespace)", path,
			 strerror(rc));
		break;
	case EBUSY:
		p53g_busy_err(path);
		break;
	default:
		p53g_err("%s: %s", path, strerror(rc));
		break;
	}
}

static int p53g_open_exempt(void)
{
	const char *path = p53g_path("exempt");
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		p53g_err("%s: %s%s", path, strerror(errno), errno == EACCES ? " (run as root)" : "");
	return fd;
}

static int p53g_apply_write(const struct p53g_op *ops, size_t n, const struct p53g_buf *b)
{
	struct p53g_set set = { 0 };
	int fd, rc;

	fd = p53g_open_exempt();
	if (fd < 0)
		return -1;
	rc = p53g_write_wait(fd, b->data, b->len);
	close(fd);
	if (!rc)
		return 0;
	if (rc != ENOENT) {
		p53g_exempt_write_err(rc);
		return -1;
	}
	/* which del was it: play the batch on the list as it is now */
	rc = p53g_play(ops, n, &set);
	p53g_set_free(&set);
	if (!rc)
		p53g_err("%s: an entry to delete is not in the list (changed meanwhile?)",
			 p53g_path("exempt"));
	return -1;
}

static void p53g_abort(int fd)
{
	/* best effort: the module also drops the staged list when we exit */
	if (p53g_write_whole(fd, "abort\n", 6))
		p53g_err("%s: abort failed; the staged list goes when this process exits",
			 p53g_path("exempt"));
}

/* "set NAME VALUE" lines for the settings in @sets. */
static int p53g_append_sets(struct p53g_buf *b, const struct p53g_set_op *sets,
			    size_t nsets)
{
	char line[96];
	size_t i;
	int n;

	for (i = 0; i < nsets; i++) {
		n = snprintf(line, sizeof(line), "set %s %s\n",
			     p53g_setting_name(sets[i].s), sets[i].value);
		if (n < 0 || (size_t)n >= sizeof(line) || p53g_buf_append(b, line, n))
			return -1;
	}
	return 0;
}

static int p53g_apply_staged(const struct p53g_op *ops, size_t n,
			     const struct p53g_set_op *sets, size_t nsets)
{
	struct p53g_list next = { 0 };
	struct p53g_buf chunk = { 0 };
	size_t i, before;
	int fd, rc;

	fd = p53g_open_exempt();
	if (fd < 0)
		return -1;
	rc = p53g_write_wait(fd, "begin\n", 6);
	if (rc) {
		p53g_exempt_write_err(rc);
		close(fd);
		return -1;
	}
	rc = p53g_list_result(ops, n, &next);
	for (i = 0; !rc && i < next.n; i++) {
		before = chunk.len;
		rc = p53g_append_cmd(&chunk, P53G_CMD_ADD, &next.v[i]);
		if (rc || chunk.len <= P53G_CMD_WRITE_MAX)
			continue;
		/* full: send the lines before this one, keep this one */
		rc = p53g_write_whole(fd, chunk.data, before);
		if (rc) {
			p53g_exempt_write_err(rc);
			rc = -1;
			break;
		}
		memmove(chunk.data, chunk.data + before, chunk.len - before);
		chunk.len -= before;
	}
	if (!rc && chunk.len) {
		rc = p53g_write_whole(fd, chunk.data, chunk.len);
		if (rc) {
			p53g_exempt_write_err(rc);
			rc = -1;
		}
	}
	/* the settings, and commit: together, in the last write */
	chunk.len = 0;
	if (!rc && (p53g_append_sets(&chunk, sets, nsets) ||
		    p53g_buf_append(&chunk, "commit\n", 7)))
		rc = -1;
	if (!rc) {
		rc = p53g_write_whole(fd, chunk.data, chunk.len);
		if (rc) {
			p53g_exempt_write_err(rc);
			rc = -1;
		}
	}
	if (rc)
		p53g_abort(fd);
	p53g_buf_free(&chunk);
	p53g_list_free(&next);
	close(fd);
	return rc ? -1 : 0;
}

/*
 * Apply settings and add/del/flush ops, in order, as one atomic change.
 * Entries are deduplicated by the caller where a repeat would change the
 * meaning (two dels of one entry fail, as they would in the module).
 */
int p53g_apply(const struct p53g_op *ops, size_t n,
	       const struct p53g_set_op *sets, size_t nsets)
{
	struct p53g_buf b = { 0 };
	size_t i;
	int rc = 0;

	if (!n && !nsets)
		return 0;
	rc = p53g_append_sets(&b, sets, nsets);
	for (i = 0; i < n && !rc && b.len <= P53G_CMD_WRITE_MAX; i++)
		rc = p53g_append_cmd(&b, ops[i].cmd.op, &ops[i].cmd.entry);
	if (rc) {
		p53g_buf_free(&b);
		return -1;
	}
	if (b.len <= P53G_CMD_WRITE_MAX)
		rc = p53g_apply_write(ops, n, &b);
	else
		rc = p53g_apply_staged(ops, n, sets, nsets);
	p53g_buf_free(&b);
	if (!rc)
		p53g_fallback_after_commit();
	return rc;
}

int p53g_exempt_apply(const struct p53g_op *ops, size_t n)
{
	return p53g_apply(ops, n, NULL, 0);
}
