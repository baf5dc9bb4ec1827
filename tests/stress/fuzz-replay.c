// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz corpus of the entry grammar, replayed through the real
 * /sys/kernel/port53guard/exempt and compared with what a userspace model
 * of the write protocol, built on the same module/entry.c, says the kernel
 * must answer.
 *
 *   p53g-fuzz-replay expect PLAN CORPUS-FILE...     (host) write the plan
 *   p53g-fuzz-replay expect --corrupt PLAN CORPUS-FILE...
 *        the edge records only, two of them with a wrong answer (a return
 *        value, a list): the runner must report exactly those two
 *   p53g-fuzz-replay run PLAN [EXEMPT-FILE]          (guest) replay it
 *
 * The model follows the contract (README, module/exempt.c's header; the
 * order in which errors win is exempt.c's) with data structures of its
 * own: a sorted array per list, no overlay, no lookup table, so the
 * kernel's overlay, merge, table build and text rendering are what is
 * checked. It also plays sysfs's part: a write() reaches the module as
 * at most one page (the rest is not taken), and an empty write() never
 * reaches it (returns 0). Then:
 *   - a page or more (a whole page may be the head of a longer write):
 *     E2BIG;
 *   - one trailing '\n' ends the last line; each line must parse
 *     (p53g_cmd_parse), or EINVAL;
 *   - "begin" only first, "commit"/"abort" only last, or EINVAL;
 *   - begin while a staged list is open (owner alive): EBUSY; a staged
 *     list whose owner has exited is dropped first;
 *   - commit/abort from a process owning no staged list: EINVAL;
 *   - lines apply in order to the staged list (owner) or the live list;
 *     del of an absent entry: ENOENT; the result over max_entries: ENOSPC;
 *     any error changes nothing.
 *
 * Replay protocol: every record starts from the same known state, the
 * baseline: no staged list, and a live list of some of the entries the
 * corpus holds (so that del finds some and misses others), with
 * max_entries a few entries above it (so that add can hit ENOSPC). Each
 * corpus input gives several records:
 *   raw      the input's bytes, in one write()
 *   add      every line of it prefixed "add " (puts the entry parser on
 *            the kernel's path: most corpus inputs are bare entries)
 *   del      every line prefixed "del "
 *   staged   "begin\n", then the add record's bytes, both by this process
 * and for inputs naming begin, commit or abort, to follow ownership:
 *   child        the input written by a child process that then exits
 *   child-staged "begin\n" by this process, the input by a child
 * plus records that are not from the corpus: "edge/..." (page-size
 * writes, writes over a page, NUL bytes, empty writes, ENOSPC at the limit,
 * staging and ownership) and "mix/..." (writes of up to 25 lines built
 * from the entries the corpus holds, some staged, for whole-write
 * atomicity).
 * Every write is one write() of this program on a fresh descriptor: the
 * guest's shell cannot do it (busybox's printf builtin goes through stdio
 * and splits anything over 4096 bytes into two write()s, echo adds a
 * newline, cat may use sendfile).
 * After each record's writes the runner reads the list back; if the model
 * has a staged list open by this process it writes "commit\n" and reads
 * the staged list back as the live one, otherwise it writes "abort\n",
 * which must fail with EINVAL (no stray staged list); then, if the list
 * is not the baseline, it writes the baseline back (one write: "flush"
 * and the adds) and checks it.
 *
 * The plan is a text file with length-prefixed blobs:
 *   P53G-FUZZ-PLAN 1
 *   max N                       max_entries to load the module with
 *   entries N                   in the baseline
 *   reset LEN\nBYTES\n          the write that restores the baseline
 *   base LEN\nBYTES\n           the baseline list as read back
 *   inputs N                    corpus inputs the records come from
 *   record NSTEPS NAMELEN\nNAME\n
 *   step self|child RET LEN\nBYTES\n      RET: bytes taken, or -errno
 *   list LEN\nBYTES\n           the live list after the steps
 *   stage LEN\nBYTES\n          the staged list open by this process,
 *                               as it reads once committed; LEN -1: none
 *   end
 *   done NRECORDS
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "entry.h"

#define PAGE	4096	/* x86-64: what sysfs hands the module per write() */
#define MAXSTEPS 4
#define BASELINE_MAX 40	/* entries in the baseline, at most */
#define HEADROOM 3	/* max_entries = baseline + HEADROOM */
#define MIXED 400	/* records of many lines made of the corpus's entries */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		perror("realloc");
		exit(2);
	}
	return p;
}

/* A growable byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *s, size_t n)
{
	if (!n)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* The model */

/* A list: entries sorted by p53g_entry_cmp(), no two equal. */
struct list {
	struct p53g_entry *e;
	size_t n, cap;
};

static void list_copy(struct list *dst, const struct list *src)
{
	dst->n = src->n;
	dst->cap = src->n;
	dst->e = xmalloc(src->n * sizeof(*dst->e));
	if (src->n)
		memcpy(dst->e, src->e, src->n * sizeof(*dst->e));
}

static void list_free(struct list *l)
{
	free(l->e);
	memset(l, 0, sizeof(*l));
}

/* The index where @e is or would go; *found says which. */
static size_t list_find(const struct list *l, const struct p53g_entry *e, int *found)
{
	size_t lo = 0, hi = l->n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = p53g_entry_cmp(e, &l->e[mid]);
		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = 0;
	return lo;
}

static void list_add(struct list *l, const struct p53g_entry *e)
{
	int found;
	size_t i = list_find(l, e, &found);

	if (found)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap * 2 + 16;
		l->e = xrealloc(l->e, l->cap * sizeof(*l->e));
	}
	memmove(&l->e[i + 1], &l->e[i], (l->n - i) * sizeof(*l->e));
	l->e[i] = *e;
	l->n++;
}

static int list_del(struct list *l, const struct p53g_entry *e)
{
	int found;
	size_t i = list_find(l, e, &found);

	if (!found)
		return -ENOENT;
	memmove(&l->e[i], &l->e[i + 1], (l->n - i - 1) * sizeof(*l->e));
	l->n--;
	return 0;
}

/* The list as the exempt file reads: one canonical entry a line. */
static void list_text(const struct list *l, struct buf *b)
{
	char line[P53G_ENTRY_MAXLEN];
	size_t i;
	int n;

	b->len = 0;
	for (i = 0; i < l->n; i++) {
		n = p53g_entry_format(&l->e[i], line, sizeof(line));
		if (n < 0) {
			fprintf(stderr, "cannot format an entry\n");
			exit(2);
		}
		buf_add(b, line, n);
		buf_add(b, "\n", 1);
	}
}

enum owner { NOBODY, SELF, CHILD, DEAD };

struct model {
	struct list live, stage;
	enum owner owner;	/* of the staged list; NOBODY: none open */
	size_t max;
};

/* What the kernel answers to write(fd, s, len) by @who. */
static long model_write(struct model *m, enum owner who, const char *s, size_t len)
{
	size_t count = len, n, i, start, end;
	struct p53g_cmd *cmds;
	struct list work = { 0 }, *target;
	int begin, commit, abort_, mine, err = 0;

	if (!count)
		return 0;	/* sysfs returns before the module sees it */
	if (len >= PAGE)
		return -E2BIG;
	if (s[count - 1] == '\n')
		count--;
	for (i = 0, n = 1; i < count; i++)
		n += s[i] == '\n';
	cmds = xmalloc(n * sizeof(*cmds));
	for (i = 0, start = 0; i < n; i++, start = end + 1) {
		for (end = start; end < count && s[end] != '\n'; end++)
			;
		if (p53g_cmd_parse(s + start, end - start, &cmds[i], NULL)) {
			free(cmds);
			return -EINVAL;
		}
	}
	for (i = 0; i < n; i++)
		if ((cmds[i].op == P53G_CMD_BEGIN && i) ||
		    ((cmds[i].op == P53G_CMD_COMMIT || cmds[i].op == P53G_CMD_ABORT) && i != n - 1)) {
			free(cmds);
			return -EINVAL;
		}
	begin = cmds[0].op == P53G_CMD_BEGIN;
	commit = cmds[n - 1].op == P53G_CMD_COMMIT;
	abort_ = cmds[n - 1].op == P53G_CMD_ABORT;

	if (m->owner == DEAD) {
		list_free(&m->stage);
		m->owner = NOBODY;
	}
	mine = m->owner != NOBODY && m->owner == who;
	if (begin) {
		if (m->owner != NOBODY) {
			free(cmds);
			return -EBUSY;
		}
		target = NULL;	/* a fresh, empty staged list */
	} else if (mine) {
		target = &m->stage;
		list_copy(&work, &m->stage);
	} else if (commit || abort_) {
		free(cmds);
		return -EINVAL;
	} else {
		target = &m->live;
		list_copy(&work, &m->live);
	}

	for (i = begin; i < n - (commit || abort_) && !err; i++) {
		switch (cmds[i].op) {
		case P53G_CMD_ADD:
			list_add(&work, &cmds[i].entry);
			break;
		case P53G_CMD_DEL:
			err = list_del(&work, &cmds[i].entry);
			break;
		case P53G_CMD_FLUSH:
			work.n = 0;
			break;
		case P53G_CMD_SET:
			break;	/* a setting: the list stays */
		default:
			err = -EINVAL;	/* unreachable: placement checked */
		}
	}
	free(cmds);
	if (!err && work.n > m->max)
		err = -ENOSPC;
	if (err) {
		list_free(&work);
		return err;
	}
	if (abort_) {
		if (!begin) {
			list_free(&m->stage);
			m->owner = NOBODY;
		}
		list_free(&work);
	} else if (target == &m->live || commit) {
		list_free(&m->live);
		m->live = work;
		if (target == &m->stage) {
			list_free(&m->stage);
			m->owner = NOBODY;
		}
	} else {
		list_free(&m->stage);
		m->stage = work;
		m->owner = who;
	}
	return len;
}

/* ------------------------------------------------------------------ */
/* The plan, on the host */

struct step {
	enum owner who;
	struct buf bytes;
};

static void put_blob(FILE *f, const char *tag, const char *s, long len)
{
	fprintf(f, "%s %ld\n", tag, len);
	if (len > 0)
		fwrite(s, 1, len, f);
	if (len >= 0)
		fputc('\n', f);
}

static struct model base_model;
static struct buf reset_bytes, base_text;
static unsigned long nrecords;
static int corrupt;

/* Run @steps on a model in the baseline state and write the record. */
static void emit(FILE *f, const char *name, struct step *steps, int nsteps)
{
	struct model m = { .owner = NOBODY, .max = base_model.max };
	struct buf t = { 0 };
	char tag[64];
	long ret;
	int i;

	list_copy(&m.live, &base_model.live);
	fprintf(f, "record %d %zu\n%s\n", nsteps, strlen(name), name);
	for (i = 0; i < nsteps; i++) {
		ret = model_write(&m, steps[i].who, steps[i].bytes.p, steps[i].bytes.len);
		/* a child exits right after its write */
		if (steps[i].who == CHILD && m.owner == CHILD)
			m.owner = DEAD;
		/* --corrupt: claims the kernel must get wrong, to prove the runner sees them */
		if (corrupt && !strcmp(name, "edge/newline"))
			ret = 1;
		snprintf(tag, sizeof(tag), "step %s %ld", steps[i].who == CHILD ? "child" : "self", ret);
		put_blob(f, tag, steps[i].bytes.p, steps[i].bytes.len);
	}
	list_text(&m.live, &t);
	if (corrupt && !strcmp(name, "edge/begin-add-commit"))
		list_text(&base_model.live, &t);
	put_blob(f, "list", t.p, t.len);
	if (m.owner == SELF) {
		list_text(&m.stage, &t);
		put_blob(f, "stage", t.p, t.len);
	} else {
		put_blob(f, "stage", NULL, -1);
	}
	fputs("end\n", f);
	list_free(&m.live);
	list_free(&m.stage);
	free(t.p);
	nrecords++;
}

static struct buf readfile(const char *path)
{
	struct buf b = { 0 };
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return b;
}

/* Every line of @in prefixed with @word (a trailing '\n' ends the last). */
static void prefix_lines(struct buf *out, const struct buf *in, const char *word)
{
	size_t i;

	out->len = 0;
	buf_str(out, word);
	for (i = 0; i < in->len; i++) {
		buf_add(out, &in->p[i], 1);
		if (in->p[i] == '\n' && i + 1 < in->len)
			buf_str(out, word);
	}
}

static int names_staging(const struct buf *in)
{
	return memmem(in->p, in->len, "begin", 5) || memmem(in->p, in->len, "commit", 6) ||
	       memmem(in->p, in->len, "abort", 5);
}

static void set_step(struct step *s, enum owner who, const void *p, size_t n)
{
	s->who = who;
	s->bytes.len = 0;
	buf_add(&s->bytes, p, n);
}

/* FNV-1a: a stable choice of baseline entries, whatever the file order. */
static uint32_t fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* Entries that appear in the corpus, as lines or after add/del. */
static void corpus_entries(const struct buf *in, struct list *all)
{
	size_t start = 0, end;
	struct p53g_entry e;
	struct p53g_cmd c;

	while (start <= in->len) {
		for (end = start; end < in->len && in->p[end] != '\n'; end++)
			;
		if (!p53g_entry_parse(in->p + start, end - start, &e, NULL))
			list_add(all, &e);
		else if (!p53g_cmd_parse(in->p + start, end - start, &c, NULL) &&
			 (c.op == P53G_CMD_ADD || c.op == P53G_CMD_DEL))
			list_add(all, &c.entry);
		start = end + 1;
	}
}

static void edge_records(FILE *f, struct step *st)
{
	struct buf b = { 0 }, extra = { 0 };
	char line[64];
	size_t i;

	/* an empty write never reaches the module; a lone newline is an empty line */
	set_step(&st[0], SELF, "", 0);
	emit(f, "edge/empty-write", st, 1);
	set_step(&st[0], SELF, "\n", 1);
	emit(f, "edge/newline", st, 1);
	set_step(&st[0], SELF, "add 198.51.100.0/24\n\n", 21);
	emit(f, "edge/empty-last-line", st, 1);
	/* NUL bytes are bytes: no line is cut at one */
	set_step(&st[0], SELF, "add 198.51.100.0/24\0\n", 21);
	emit(f, "edge/nul-in-line", st, 1);
	set_step(&st[0], SELF, "add 198.51.100.0/24\n\0", 21);
	emit(f, "edge/nul-line", st, 1);

	/* a page exactly (256 lines of 16 bytes), whole lines: E2BIG */
	for (i = 0; i < 256; i++)
		buf_str(&b, "add 10.1.0.0/16\n");
	set_step(&st[0], SELF, b.p, b.len);
	emit(f, "edge/page-newline", st, 1);
	b.p[PAGE - 1] = '6';	/* "...10.1.0.0/166": invalid, but E2BIG comes first */
	set_step(&st[0], SELF, b.p, b.len);
	emit(f, "edge/page-unfinished", st, 1);
	set_step(&st[0], SELF, b.p, PAGE - 1);
	emit(f, "edge/page-minus-one", st, 1);
	/* over a page, a line ending at the page's end: E2BIG, nothing applied */
	b.p[PAGE - 1] = '\n';
	for (i = 0; i < 64; i++)
		buf_str(&b, "add 10.2.0.0/16\n");
	set_step(&st[0], SELF, b.p, b.len);
	emit(f, "edge/over-page-line-end", st, 1);
	buf_str(&extra, "add 10.1.0.0/8\n");	/* shifts the page end into a line */
	b.len = 0;
	buf_add(&b, extra.p, extra.len);
	while (b.len < PAGE + 100)
		buf_str(&b, "add 10.1.0.0/16\n");
	set_step(&st[0], SELF, b.p, b.len);
	emit(f, "edge/over-page-cut-line", st, 1);

	/* the size limit: up to max, one more, and del + add at the limit */
	b.len = 0;
	for (i = base_model.live.n; i < base_model.max; i++) {
		snprintf(line, sizeof(line), "add 100.64.%zu.0/24\n", i - base_model.live.n);
		buf_str(&b, line);
	}
	set_step(&st[0], SELF, b.p, b.len);
	emit(f, "edge/up-to-max", st, 1);
	buf_str(&b, "add 100.127.0.0/24\n");
	set_step(&st[0], SELF, b.p, b.len);
	emit(f, "edge/max-plus-one", st, 1);
	b.len -= strlen("add 100.127.0.0/24\n");
	set_step(&st[0], SELF, b.p, b.len);
	set_step(&st[1], SELF, "del 100.64.0.0/24\nadd 100.127.0.0/24\n", 37);
	emit(f, "edge/del-add-at-max", st, 2);
	set_step(&st[1], SELF, "add 100.127.0.0/24\ndel 100.64.0.0/24\n", 37);
	emit(f, "edge/add-del-at-max", st, 2);

	/* staging */
	set_step(&st[0], SELF, "commit\n", 7);
	emit(f, "edge/commit-without-begin", st, 1);
	set_step(&st[0], SELF, "abort", 5);
	emit(f, "edge/abort-without-begin", st, 1);
	set_step(&st[0], SELF, "begin\nadd 203.0.113.0/24\ncommit\n", 32);
	emit(f, "edge/begin-add-commit", st, 1);
	set_step(&st[0], SELF, "begin\nadd 203.0.113.0/24\nabort\n", 31);
	emit(f, "edge/begin-add-abort", st, 1);
	set_step(&st[0], SELF, "add 203.0.113.0/24\nbegin\n", 25);
	emit(f, "edge/begin-not-first", st, 1);
	set_step(&st[0], SELF, "begin\n", 6);
	set_step(&st[1], SELF, "begin\n", 6);
	emit(f, "edge/begin-twice", st, 2);
	set_step(&st[1], CHILD, "begin\n", 6);
	emit(f, "edge/begin-then-child-begin", st, 2);
	set_step(&st[1], CHILD, "commit\n", 7);
	emit(f, "edge/child-commits-not-its-own", st, 2);
	set_step(&st[0], CHILD, "begin\nadd 203.0.113.0/24\n", 25);
	set_step(&st[1], SELF, "begin\n", 6);
	set_step(&st[2], SELF, "add 192.0.2.0/24\n", 17);
	emit(f, "edge/dead-owner-reaped", st, 3);
	set_step(&st[0], SELF, "begin\n", 6);
	set_step(&st[1], SELF, "del 203.0.113.0/24\n", 19);
	emit(f, "edge/staged-del-absent", st, 2);
	set_step(&st[1], SELF, "flush\nadd 203.0.113.0/24\nadd 203.0.113.0/24\n", 44);
	set_step(&st[2], SELF, "abort\n", 6);
	emit(f, "edge/staged-then-abort", st, 3);
	free(b.p);
	free(extra.p);
}

/* xorshift32: the mixed records are the same on every run */
static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

static void put_cmd(struct buf *b, const char *op, const struct p53g_entry *e)
{
	char line[P53G_ENTRY_MAXLEN];
	int n = p53g_entry_format(e, line, sizeof(line));

	buf_str(b, op);
	buf_add(b, line, n);
	buf_str(b, "\n");
}

/*
 * Writes of many lines made of the corpus's entries: adds, dels (mostly
 * of entries present, as far as the generator can tell), flushes, now and
 * then a misplaced begin or commit; some in a staged list, some committed
 * in the same write. The corpus inputs are mostly one line; these check
 * that a write of many lines applies whole or not at all.
 */
static void mix_records(FILE *f, struct step *st, const struct list *all, int count)
{
	struct list present = { 0 };
	struct buf b = { 0 };
	char name[64];
	int r, k, lines, staged, nsteps;
	size_t j;

	for (r = 0; r < count && all->n; r++) {
		list_free(&present);
		list_copy(&present, &base_model.live);
		b.len = 0;
		staged = rnd(4) == 0;
		if (staged)
			present.n = 0;
		lines = 1 + rnd(24);
		for (k = 0; k < lines; k++) {
			uint32_t c = rnd(100);

			if (c < 50 || c >= 93) {
				j = rnd(all->n);
				put_cmd(&b, "add ", &all->e[j]);
				list_add(&present, &all->e[j]);
			} else if (c < 85 && present.n && rnd(8)) {
				j = rnd(present.n);
				put_cmd(&b, "del ", &present.e[j]);
				list_del(&present, &present.e[j]);
			} else if (c < 87) {
				put_cmd(&b, "del ", &all->e[rnd(all->n)]);
			} else if (c < 91) {
				buf_str(&b, "flush\n");
				present.n = 0;
			} else {
				buf_str(&b, rnd(2) ? "begin\n" : "commit\n");
			}
		}
		if (staged && rnd(3) == 0)
			buf_str(&b, rnd(4) ? "commit\n" : "abort\n");
		if (rnd(5) == 0)
			b.len--;	/* no newline after the last line */
		nsteps = 0;
		if (staged)
			set_step(&st[nsteps++], SELF, "begin\n", 6);
		set_step(&st[nsteps++], SELF, b.p, b.len);
		snprintf(name, sizeof(name), "mix/%03d%s", r, staged ? "-staged" : "");
		emit(f, name, st, nsteps);
	}
	list_free(&present);
	free(b.p);
}

static int cmd_expect(int argc, char **argv)
{
	struct list all = { 0 };
	struct buf *in, v = { 0 };
	struct step st[MAXSTEPS] = { { 0 } };
	char line[P53G_ENTRY_MAXLEN], name[512];
	const char *base;
	int i, n, k;
	size_t j;
	FILE *f;

	if (argc > 2 && !strcmp(argv[2], "--corrupt")) {
		corrupt = 1;
		argv++;
		argc--;
	}
	n = argc - 3;
	if (argc < 4) {
		fprintf(stderr, "usage: p53g-fuzz-replay expect [--corrupt] PLAN CORPUS-FILE...\n");
		return 2;
	}
	in = xmalloc(n * sizeof(*in));
	for (i = 0; i < n; i++) {
		in[i] = readfile(argv[3 + i]);
		corpus_entries(&in[i], &all);
	}
	/* the baseline: about half the corpus's entries, at most BASELINE_MAX */
	base_model.owner = NOBODY;
	buf_str(&reset_bytes, "flush\n");
	for (j = 0; j < all.n && base_model.live.n < BASELINE_MAX; j++) {
		k = p53g_entry_format(&all.e[j], line, sizeof(line));
		if (fnv(line, k) & 1)
			continue;
		list_add(&base_model.live, &all.e[j]);
		buf_str(&reset_bytes, "add ");
		buf_add(&reset_bytes, line, k);
		buf_str(&reset_bytes, "\n");
	}
	if (reset_bytes.len >= PAGE) {
		fprintf(stderr, "baseline does not fit in one write\n");
		return 2;
	}
	base_model.max = base_model.live.n + HEADROOM;
	list_text(&base_model.live, &base_text);

	f = fopen(argv[2], "wb");
	if (!f) {
		perror(argv[2]);
		return 2;
	}
	fprintf(f, "P53G-FUZZ-PLAN 1\nmax %zu\nentries %zu\n", base_model.max,
		base_model.live.n);
	put_blob(f, "reset", reset_bytes.p, reset_bytes.len);
	put_blob(f, "base", base_text.p, base_text.len);
	fprintf(f, "inputs %d\n", n);
	edge_records(f, st);
	for (i = 0; i < n && !corrupt; i++) {
		base = strrchr(argv[3 + i], '/');
		base = base ? base + 1 : argv[3 + i];
		snprintf(name, sizeof(name), "%s/raw", base);
		set_step(&st[0], SELF, in[i].p, in[i].len);
		emit(f, name, st, 1);
		prefix_lines(&v, &in[i], "add ");
		snprintf(name, sizeof(name), "%s/add", base);
		set_step(&st[0], SELF, v.p, v.len);
		emit(f, name, st, 1);
		snprintf(name, sizeof(name), "%s/staged", base);
		set_step(&st[0], SELF, "begin\n", 6);
		set_step(&st[1], SELF, v.p, v.len);
		emit(f, name, st, 2);
		prefix_lines(&v, &in[i], "del ");
		snprintf(name, sizeof(name), "%s/del", base);
		set_step(&st[0], SELF, v.p, v.len);
		emit(f, name, st, 1);
		if (!names_staging(&in[i]))
			continue;
		snprintf(name, sizeof(name), "%s/child", base);
		set_step(&st[0], CHILD, in[i].p, in[i].len);
		emit(f, name, st, 1);
		snprintf(name, sizeof(name), "%s/child-staged", base);
		set_step(&st[0], SELF, "begin\n", 6);
		set_step(&st[1], CHILD, in[i].p, in[i].len);
		emit(f, name, st, 2);
	}
	if (!corrupt)
		mix_records(f, st, &all, MIXED);
	fprintf(f, "done %lu\n", nrecords);
	if (fclose(f)) {
		perror(argv[2]);
		return 2;
	}
	fprintf(stderr, "plan: %d inputs, %lu records, baseline %zu entries, max_entries %zu\n",
		n, nrecords, base_model.live.n, base_model.max);
	for (i = 0; i < n; i++)
		free(in[i].p);
	free(in);
	for (i = 0; i < MAXSTEPS; i++)
		free(st[i].bytes.p);
	free(v.p);
	list_free(&all);
	list_free(&base_model.live);
	free(reset_bytes.p);
	free(base_text.p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The replay, in the guest */

static const char *exempt = "/sys/kernel/port53guard/exempt";

/* One write() on a fresh descriptor: bytes taken, or -errno. */
static long do_write(const void *p, size_t n)
{
	int fd = open(exempt, O_WRONLY);
	long r;

	if (fd < 0)
		return -1000 - errno;
	r = write(fd, p, n);
	if (r < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The same from a child process, which then exits. */
static long child_write(const void *p, size_t n)
{
	int pfd[2], status;
	long r = -2000;
	pid_t pid;

	if (pipe(pfd))
		return -2000 - errno;
	pid = fork();
	if (pid < 0)
		return -2000 - errno;
	if (!pid) {
		close(pfd[0]);
		r = do_write(p, n);
		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &r, sizeof(r)) != sizeof(r))
		r = -2000;
	close(pfd[0]);
	/* reaped: the kernel now sees the owner of anything it began as gone */
	waitpid(pid, &status, 0);
	return r;
}

static int read_list(struct buf *b)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(exempt, O_RDONLY);

	b->len = 0;
	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(b, chunk, n);
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The plan reader: header lines and length-prefixed blobs. */
static FILE *plan;
static char hline[1024];

static char *next_line(void)
{
	size_t n;

	if (!fgets(hline, sizeof(hline), plan)) {
		fprintf(stderr, "plan: unexpected end\n");
		exit(2);
	}
	n = strlen(hline);
	if (n && hline[n - 1] == '\n')
		hline[n - 1] = '\0';
	return hline;
}

/* After a "TAG LEN" line: LEN bytes and a '\n' (nothing for -1). */
static void get_blob(long len, struct buf *b)
{
	b->len = 0;
	if (len < 0)
		return;
	if (b->cap < (size_t)len + 1) {
		b->cap = len + 1;
		b->p = xrealloc(b->p, b->cap);
	}
	if (fread(b->p, 1, len, plan) != (size_t)len || fgetc(plan) != '\n') {
		fprintf(stderr, "plan: truncated blob\n");
		exit(2);
	}
	b->len = len;
}

static long expect_num(const char *tag)
{
	char *s = next_line();
	size_t t = strlen(tag);

	if (strncmp(s, tag, t) || s[t] != ' ') {
		fprintf(stderr, "plan: expected '%s', got '%.40s'\n", tag, s);
		exit(2);
	}
	return strtol(s + t + 1, NULL, 10);
}

enum family { F_RET, F_LIST, F_STAGE, F_RESET, F_NR };
static const char *const fam_name[F_NR] = {
	"every write() returns what the model says (bytes taken or errno)",
	"the list read back after each record is the model's",
	"a staged list left open reads as the model's once committed; none is left otherwise",
	"the baseline is restored after every record",
};
static unsigned long fam_bad[F_NR], fam_n[F_NR], shown;

static void show(const char *s, size_t n)
{
	size_t i;

	fputc('"', stdout);
	for (i = 0; i < n && i < 160; i++) {
		unsigned char c = s[i];

		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\\' || c == '"')
			printf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, stdout);
		else
			printf("\\x%02x", c);
	}
	fputs(n > 160 ? "\"..." : "\"", stdout);
	printf(" (%zu bytes)", n);
}

static void mismatch(enum family fam, const char *name, const char *what,
		     const struct buf *in, const char *want, size_t wn,
		     const char *got, size_t gn)
{
	fam_bad[fam]++;
	if (shown++ >= 20)
		return;
	printf("# mismatch %s: %s\n#   input ", name, what);
	if (in)
		show(in->p, in->len);
	printf("\n#   want  ");
	show(want, wn);
	printf("\n#   got   ");
	show(got, gn);
	printf("\n");
}

static int same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

static int cmd_run(int argc, char **argv)
{
	struct buf reset = { 0 }, base = { 0 }, name = { 0 }, want = { 0 }, stage = { 0 };
	struct buf got = { 0 }, steps[MAXSTEPS] = { { 0 } };
	long want_ret[MAXSTEPS], r, max, inputs, sl, writes = 0, records = 0, bad_records = 0;
	char who[16], ws[32], gs[48];
	struct timespec t0, t1;
	int nsteps, i, bad;
	double secs;

	if (argc < 3) {
		fprintf(stderr, "usage: p53g-fuzz-replay run PLAN [EXEMPT-FILE]\n");
		return 2;
	}
	if (argc > 3)
		exempt = argv[3];
	setvbuf(stdout, NULL, _IOLBF, 0);	/* a guest that dies keeps what was printed */
	plan = fopen(argv[2], "rb");
	if (!plan) {
		perror(argv[2]);
		return 2;
	}
	if (strcmp(next_line(), "P53G-FUZZ-PLAN 1")) {
		fprintf(stderr, "plan: bad header\n");
		return 2;
	}
	max = expect_num("max");
	expect_num("entries");
	get_blob(expect_num("reset"), &reset);
	get_blob(expect_num("base"), &base);
	inputs = expect_num("inputs");
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* the baseline, and no staged list of ours */
	r = do_write(reset.p, reset.len);
	if (r != (long)reset.len || read_list(&got) || got.len != base.len ||
	    memcmp(got.p, base.p, base.len)) {
		printf("FAIL: fuzz-replay: the baseline (%zu entries' worth) is written and reads back (write %ld)\n",
		       base.len, r);
		return 1;
	}
	printf("PASS: fuzz-replay: the baseline is written and reads back (max_entries %ld)\n", max);

	for (;;) {
		char *s = next_line();
		long namelen;

		if (!strncmp(s, "done ", 5))
			break;
		if (sscanf(s, "record %d %ld", &nsteps, &namelen) != 2 || nsteps < 1 ||
		    nsteps > MAXSTEPS) {
			fprintf(stderr, "plan: bad record line '%.40s'\n", s);
			return 2;
		}
		get_blob(namelen, &name);
		buf_add(&name, "", 1);
		bad = 0;
		for (i = 0; i < nsteps; i++) {
			s = next_line();
			if (sscanf(s, "step %15s %ld", who, &want_ret[i]) != 2) {
				fprintf(stderr, "plan: bad step line '%.40s'\n", s);
				return 2;
			}
			get_blob(strtol(strrchr(s, ' ') + 1, NULL, 10), &steps[i]);
			r = strcmp(who, "child") ? do_write(steps[i].p, steps[i].len) :
						  child_write(steps[i].p, steps[i].len);
			writes++;
			fam_n[F_RET]++;
			if (r != want_ret[i]) {
				snprintf(ws, sizeof(ws), "%ld", want_ret[i]);
				snprintf(gs, sizeof(gs), "%ld", r);
				mismatch(F_RET, name.p, who, &steps[i], ws, strlen(ws), gs, strlen(gs));
				bad = 1;
			}
		}
		get_blob(expect_num("list"), &want);
		sl = expect_num("stage");
		get_blob(sl, &stage);
		if (strcmp(next_line(), "end")) {
			fprintf(stderr, "plan: record %s has no end\n", name.p);
			return 2;
		}

		fam_n[F_LIST]++;
		if (read_list(&got) || !same(&got, &want)) {
			mismatch(F_LIST, name.p, "list read back", &steps[nsteps - 1],
				 want.p, want.len, got.p, got.len);
			bad = 1;
		}
		fam_n[F_STAGE]++;
		if (sl >= 0) {
			r = do_write("commit\n", 7);
			writes++;
			if (r != 7 || read_list(&got) || !same(&got, &stage)) {
				snprintf(gs, sizeof(gs), "commit %ld, then", r);
				mismatch(F_STAGE, name.p, gs, NULL, stage.p, stage.len, got.p, got.len);
				bad = 1;
			}
		} else {
			r = do_write("abort\n", 6);
			writes++;
			if (r != -EINVAL) {
				snprintf(gs, sizeof(gs), "%ld", r);
				mismatch(F_STAGE, name.p, "abort with no staged list", NULL,
					 "-22", 3, gs, strlen(gs));
				bad = 1;
			}
		}
		fam_n[F_RESET]++;
		if (!same(&got, &base)) {
			r = do_write(reset.p, reset.len);
			writes++;
			if (r != (long)reset.len || read_list(&got) || !same(&got, &base)) {
				snprintf(gs, sizeof(gs), "reset write %ld, then", r);
				mismatch(F_RESET, name.p, gs, NULL, base.p, base.len, got.p, got.len);
				printf("FAIL: fuzz-replay: the baseline cannot be restored after %s; stopping\n",
				       name.p);
				return 1;
			}
		}
		records++;
		bad_records += bad;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (records != strtol(hline + 5, NULL, 10)) {
		printf("FAIL: fuzz-replay: the plan's %s records were all replayed (%ld)\n", hline + 5, records);
		return 1;
	}
	for (i = 0; i < F_NR; i++)
		printf("%s: fuzz-replay: %s (%lu checked, %lu mismatched)\n",
		       fam_bad[i] ? "FAIL" : "PASS", fam_name[i], fam_n[i], fam_bad[i]);
	printf("# fuzz-replay: %ld records from %ld corpus inputs and the edge cases, %ld writes, %.1f s\n",
	       records, inputs, writes, secs);
	printf("P53G-STRESS test=fuzz-replay packets=0 seconds=%.1f ops=%ld faults=0 inputs=%ld lost=0 misclassified=%ld\n",
	       secs, writes, records, bad_records);
	return bad_records ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "expect"))
		return cmd_expect(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	fprintf(stderr, "usage: p53g-fuzz-replay expect [--corrupt] PLAN CORPUS-FILE...\n"
		"       p53g-fuzz-replay run PLAN [EXEMPT-FILE]\n");
	return 2;
}
