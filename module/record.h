/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Change records: one kernel audit record (NETFILTER_CFG) per committed
 * change and per refused write, from the writer's own system call; one
 * kernel log line instead where audit is off or not built in. And the
 * count and time of the changes since load.
 *
 * A committed change's record is built under the writers' lock, so that
 * its generation is the change's, and emitted after the lock is dropped:
 * emitting can wait for audit's backlog, and other writers must not wait
 * with it. Refused writes are recorded after the lock too, rate-limited.
 */
#ifndef P53G_RECORD_H
#define P53G_RECORD_H

#include <linux/types.h>

#include <linux/time64.h>

#include "names.h"

struct p53g_change;

/*
 * What was done, as the op= field says it. Committed changes count in
 * the generation; load and unload frame them.
 */
enum p53g_record_op {
	P53G_OP_SET,		/* a setting's file */
	P53G_OP_EXEMPT,		/* a write to the exempt file, applied live */
	P53G_OP_FLUSH,		/* a write of flush alone */
	P53G_OP_COMMIT,		/* a staged transaction committed */
	P53G_OP_STAGE,		/* a write to a staged transaction (refused only) */
	P53G_OP_RESET,		/* the counters reset */
	P53G_OP_LOAD,
	P53G_OP_UNLOAD,
};

/* One record's fields, built under the writers' lock. */
struct p53g_rec {
	char s[512];
	int len;
};

/* Build a committed change's record (and count the change); under the lock. */
void p53g_record_setting(struct p53g_rec *r, enum p53g_setting s, u32 old,
			 u32 new, size_t entries);
void p53g_record_exempt(struct p53g_rec *r, const struct p53g_change *chg,
			const struct p53g_settings *old, bool flush_only);
void p53g_record_reset(struct p53g_rec *r, size_t entries);
/* Emit a built record; never under the lock. */
void p53g_record_emit(struct p53g_rec *r);

/* Build and emit at once; never under the lock. */
void p53g_record_refused(enum p53g_record_op op, int err, int setting,
			 size_t entries);
void p53g_record_load(const struct p53g_settings *s, size_t entries,
		      unsigned int max_entries, bool init_net_only);
void p53g_record_unload(size_t entries);

u64 p53g_record_generation(void);
time64_t p53g_record_changed(void);

#endif /* P53G_RECORD_H */
