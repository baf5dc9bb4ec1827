// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/port53guard/exempt: its writes go through the write protocol
 * (edit.c) under the writers' lock and publish what it decides (conf.c);
 * its reads return the list's text.
 *
 * Reads return the whole list, canonical, one entry a line. Its text is
 * rendered once per list, at the first read, and reads at any offset copy
 * from it. Every list published has a generation; a reader's read at
 * offset 0 records it (in its open file, see sysfs.c), and a later read
 * of that open file past offset 0 fails with EAGAIN once another list has
 * been published. A list longer than one read() (sysfs hands out a page
 * at a time) is thus read whole from one list or not at all, never old
 * text up to one offset and new text past it; the reader starts again
 * from offset 0.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "conf.h"
#include "edit.h"
#include "entry.h"
#include "exempt.h"
#include "pset.h"
#include "record.h"

static struct p53g_editor p53g_editor;

/* The live list's text: valid until the next list. Under the writers' lock. */
static char *p53g_text;
static size_t p53g_text_len;
static bool p53g_text_valid;
/* p53g_text_len while the text is kept, for readers without the lock */
static size_t p53g_text_bytes;
/* Which list the text belongs to: never 0, which means "none yet". */
static unsigned long p53g_text_gen = 1;

/*
 * A staged transaction belongs to the writing thread group, by its struct
 * pid: held, so that a reused pid number cannot pass for the owner.
 */
static void *p53g_owner_hold(void *who)
{
	return get_pid(who);
}

/*
 * The owner is gone once every thread of its group has begun to exit: it
 * can write nothing more, yet pid_task() finds its leader until the
 * parent reaps it, which a parent that never waits never does, and every
 * other writer's begin would fail with EBUSY until then. Each thread
 * leaves signal->live as it starts to exit (after PF_EXITING). Not the
 * leader's own PF_EXITING or exit_state: a leader that ended with
 * pthread_exit() is a zombie while the other threads still run.
 */
VISIBLE_IF_KUNIT bool p53g_owner_task_alive(const struct task_struct *t)
{
	return t && atomic_read(&t->signal->live) > 0;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_owner_task_alive);

VISIBLE_IF_KUNIT bool p53g_owner_alive(void *owner)
{
	bool alive;

	rcu_read_lock();
	alive = p53g_owner_task_alive(pid_task(owner, PIDTYPE_TGID));
	rcu_read_unlock();
	return alive;
}
EXPORT_SYMBOL_IF_KUNIT(p53g_owner_alive);

static void p53g_owner_put(void *owner)
{
	put_pid(owner);
}

static const struct p53g_owner_ops p53g_owner_ops = {
	.hold = p53g_owner_hold,
	.alive = p53g_owner_alive,
	.put = p53g_owner_put,
};

static void p53g_text_drop(void)
{
	kvfree(p53g_text);
	p53g_text = NULL;
	p53g_text_len = 0;
	p53g_text_valid = false;
	WRITE_ONCE(p53g_text_bytes, 0);
	if (!++p53g_text_gen)
		p53g_text_gen = 1;
}

/**
 * p53g_exempt_write() - apply one write to the exempt file
 * @buf: what was written
 * @len: its length
 *
 * Return: @len, or a negative errno with nothing changed.
 */
ssize_t p53g_exempt_write(const char *buf, size_t len)
{
	enum p53g_record_op op = P53G_OP_EXEMPT;
	struct p53g_config live;
	struct p53g_change chg;
	const struct p53g_cfg *cur;
	struct p53g_cfg *next = NULL;
	struct p53g_cmd *cmds = NULL;
	bool committed = false;
	struct p53g_rec rec;
	size_t n = 0;
	int err;

	err = p53g_edit_parse(buf, len, &cmds, &n);
	if (err)
		goto out;
	next = p53g_cfg_alloc();
	if (!next) {
		err = -ENOMEM;
		goto out;
	}
	err = p53g_cfg_lock();
	if (err)
		goto out;
	cur = p53g_cfg_locked();
	/* refused within a staged transaction, or opening one */
	if (cmds[0].op == P53G_CMD_BEGIN || p53g_editor.owner)
		op = P53G_OP_STAGE;
	live.s = cur->s;
	live.list = cur->list;
	err = p53g_editor_apply(&p53g_editor, &live, cmds, n, task_tgid(current),
				&chg);
	if (chg.reaped)
		pr_info("dropping a staged exempt list: its process exited\n");
	if (!err && chg.op != P53G_CHANGE_STAGED) {
		p53g_cfg_publish(next, &chg.s, chg.list, chg.list_changed);
		next = NULL;
		if (chg.list_changed)
			p53g_text_drop();
		p53g_record_exempt(&rec, &chg, &live.s,
				   n == 1 && cmds[0].op == P53G_CMD_FLUSH);
		committed = true;
	}
	p53g_cfg_unlock();
	kfree(next);
	kvfree(cmds);
	if (committed)
		p53g_record_emit(&rec);
	else if (err)
		p53g_record_refused(op, err, -1, p53g_cfg_entries());
	return err ? err : len;
out:
	p53g_record_refused(op, err, -1, p53g_cfg_entries());
	kfree(next);
	kvfree(cmds);
	return err;
}

/* The live list as text, one canonical entry a line. */
static int p53g_text_render(void)
{
	const struct p53g_pset *ps = p53g_cfg_locked()->list;
	size_t i, n = p53g_pset_total(ps), len = 0, pos = 0;
	char line[P53G_ENTRY_MAXLEN];
	struct p53g_entry e;
	char *text;
	int l;

	for (i = 0; i < n && p53g_pset_entry(ps, i, &e); i++) {
		l = p53g_entry_format(&e, line, sizeof(line));
		if (l < 0)
			return l;
		len += l + 1;
		if (!(i & 4095))
			cond_resched();
	}
	text = len ? kvmalloc(len, GFP_KERNEL_ACCOUNT) : NULL;
	if (len && !text)
		return -ENOMEM;
	for (i = 0; i < n && pos < len && p53g_pset_entry(ps, i, &e); i++) {
		l = p53g_entry_format(&e, line, sizeof(line));
		if (l < 0 || pos + l + 1 > len)
			break;
		memcpy(text + pos, line, l);
		text[pos + l] = '\n';
		pos += l + 1;
		if (!(i & 4095))
			cond_resched();
	}
	p53g_text = text;
	p53g_text_len = pos;
	p53g_text_valid = true;
	WRITE_ONCE(p53g_text_bytes, text ? pos : 0);
	return 0;
}

/**
 * p53g_exempt_read() - read the list's text at any offset
 * @buf: where to copy it
 * @off: from which byte
 * @count: at most how many bytes
 * @gen: the generation of the list this reader's earlier reads came from
 *       (0: none); set by a read at offset 0, and by the first read of
 *       an open file that starts past it
 *
 * Return: bytes copied (0 at the end), -EAGAIN if the list has changed
 * since @gen (read again from offset 0), or another negative errno.
 */
ssize_t p53g_exempt_read(char *buf, loff_t off, size_t count,
			 unsigned long *gen)
{
	ssize_t ret = 0;

	if (off < 0)
		return -EINVAL;
	ret = p53g_cfg_lock();
	if (ret)
		return ret;
	if (!off || !*gen)
		*gen = p53g_text_gen;
	if (*gen != p53g_text_gen)
		ret = -EAGAIN;
	else if (!p53g_text_valid)
		ret = p53g_text_render();
	if (!ret && off < p53g_text_len) {
		ret = min_t(size_t, count, p53g_text_len - off);
		memcpy(buf, p53g_text + off, ret);
	}
	p53g_cfg_unlock();
	return ret;
}

/*
 * Takes no lock: a reader of the counters never waits for a writer that
 * is building a table (a million entries take seconds).
 */
void p53g_exempt_info(struct p53g_exempt_info *info)
{
	const struct p53g_pset *ps;

	rcu_read_lock();
	ps = p53g_cfg_get()->list;
	info->v4 = p53g_pset_count(ps, P53G_ENTRY_V4);
	info->v6 = p53g_pset_count(ps, P53G_ENTRY_V6);
	info->dev = p53g_pset_count(ps, P53G_ENTRY_DEV);
	info->bytes = p53g_pset_bytes(ps);
	rcu_read_unlock();
	info->entries = info->v4 + info->v6 + info->dev;
	info->text_bytes = READ_ONCE(p53g_text_bytes);
}

/*
 * The exempt= module parameter: entries separated by commas. Fail-closed:
 * one bad entry, or more than max_entries, and none is loaded (the
 * strictest list), with the reason in the kernel log.
 */
static int p53g_exempt_load(const char *param, unsigned int max_entries,
			    struct p53g_pset **list)
{
	size_t n = 1, i, len = strlen(param), start, end;
	struct p53g_entry *e;
	const char *why;
	int err = 0;

	for (i = 0; i < len; i++)
		n += param[i] == ',';
	if (n > max_entries) {
		pr_err("parameter exempt: %zu entries, more than max_entries=%u; no exemption loaded\n",
		       n, max_entries);
		return 0;
	}
	e = kvmalloc_array(n, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	for (i = 0, start = 0; i < n; i++, start = end + 1) {
		end = start;
		while (end < len && param[end] != ',')
			end++;
		why = "";
		if (p53g_entry_parse(param + start, end - start, &e[i], &why)) {
			pr_err("parameter exempt: '%.*s': %s; no exemption loaded\n",
			       (int)(end - start), param + start, why);
			goto out;
		}
	}
	*list = p53g_pset_build(e, n);
	if (!*list)
		err = -ENOMEM;
out:
	kvfree(e);
	return err;
}

/**
 * p53g_exempt_init() - set up the list at module load
 * @param: the exempt= module parameter, or NULL or "" for none
 * @max_entries: the largest list a write may make
 * @list: the parameter's table (NULL: none), for the first configuration
 *
 * Return: 0, or -ENOMEM.
 */
int p53g_exempt_init(const char *param, unsigned int max_entries,
		     struct p53g_pset **list)
{
	*list = NULL;
	p53g_editor_init(&p53g_editor, max_entries, &p53g_owner_ops);
	if (!param || !*param)
		return 0;
	return p53g_exempt_load(param, max_entries, list);
}

/* At unload, after the hooks are gone and the files removed. */
void p53g_exempt_exit(void)
{
	p53g_editor_destroy(&p53g_editor);
	kvfree(p53g_text);
	p53g_text = NULL;
}
