/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The write protocol of /sys/kernel/port53guard/exempt, as one pure unit:
 * what a write of add/del/flush/set/begin/commit/abort lines does to the
 * live configuration or to a staged one, and which errors it fails with.
 * No globals, no locking, no RCU: the caller holds its own lock, hands in
 * the live configuration and publishes what comes out. The module uses it
 * (exempt.c), KUnit tests it (edit_test.c), and the tool's tests run its
 * fake sysfs on it in userspace (tests/include/p53g_kernel.h).
 */
#ifndef P53G_EDIT_H
#define P53G_EDIT_H

#include "p53g_kernel.h"

#include "entry.h"
#include "names.h"
#include "pset.h"

/*
 * struct p53g_tree - a sorted set of entries (the staged list)
 * @root: the nodes, ordered by p53g_entry_cmp()
 * @n: nodes in it
 */
struct p53g_tree {
	struct rb_root root;
	size_t n;
};

/**
 * struct p53g_owner_ops - who may write a staged transaction
 * @hold: a reference on the writer @who, kept as the stage's owner
 * @alive: whether the owner still runs
 * @put: drop the reference
 *
 * A writer is an opaque token (the module's: the writing thread group's
 * struct pid); two writes come from the same writer when their tokens are
 * equal.
 */
struct p53g_owner_ops {
	void *(*hold)(void *who);
	bool (*alive)(void *owner);
	void (*put)(void *owner);
};

/**
 * struct p53g_editor - the state of the write protocol
 * @max_entries: the largest list a write may make
 * @ops: owner tracking
 * @owner: the owner of the staged transaction, or NULL when none is open
 * @stage: the staged list
 * @stage_set: the staged settings, those in @stage_mask
 * @stage_mask: BIT(setting) for every setting a staged line set
 */
struct p53g_editor {
	unsigned int max_entries;
	const struct p53g_owner_ops *ops;
	void *owner;
	struct p53g_tree stage;
	struct p53g_settings stage_set;
	u32 stage_mask;
};

/**
 * struct p53g_config - a whole configuration: settings and list
 * @s: the settings
 * @list: the exemption table (NULL: empty)
 */
struct p53g_config {
	struct p53g_settings s;
	const struct p53g_pset *list;
};

enum p53g_change_op {
	P53G_CHANGE_STAGED,	/* only the staged transaction changed */
	P53G_CHANGE_WRITE,	/* one write changed the live configuration */
	P53G_CHANGE_COMMIT,	/* a staged transaction replaced it */
};

/**
 * struct p53g_change - what one write did, for the caller to publish and
 *	record
 * @op: enum p53g_change_op
 * @begin: the write opened a staged transaction
 * @abort: the write dropped the staged transaction
 * @reaped: a staged transaction whose owner had exited was dropped first
 * @list_changed: @list is the new list (add, del or flush lines, or a
 *	commit); otherwise the list stays as it was
 * @s: the settings to publish (op WRITE or COMMIT)
 * @set_mask: BIT(setting) for each setting a set line named
 * @list: the new table, owned by the caller once returned (NULL: empty)
 * @added: entries in the new list that were not in the old one
 * @removed: entries in the old list that are not in the new one
 * @total: entries in the new list (op STAGED: in the staged list)
 * @lines: command lines in the write
 */
struct p53g_change {
	u8 op;
	bool begin;
	bool abort;
	bool reaped;
	bool list_changed;
	struct p53g_settings s;
	u32 set_mask;
	struct p53g_pset *list;
	size_t added;
	size_t removed;
	size_t total;
	size_t lines;
};

void p53g_editor_init(struct p53g_editor *ed, unsigned int max_entries,
		      const struct p53g_owner_ops *ops);
void p53g_editor_destroy(struct p53g_editor *ed);

int p53g_edit_parse(const char *buf, size_t len, struct p53g_cmd **cmds,
		    size_t *ncmds);
int p53g_editor_apply(struct p53g_editor *ed, const struct p53g_config *live,
		      const struct p53g_cmd *cmds, size_t n, void *who,
		      struct p53g_change *chg);

#endif /* P53G_EDIT_H */
