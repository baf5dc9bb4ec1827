// SPDX-License-Identifier: GPL-2.0
/*
 * Change records (see record.h).
 *
 * A record is one line of fields, as nftables writes its NETFILTER_CFG
 * records ("table=NAME family=N entries=N op=OP"), so that what already
 * parses those reads these, then port53guard's own:
 *
 *   table=port53guard family=0 entries=TOTAL op=p53g_set generation=G res=1
 *     setting=action old=reject new=drop
 *   ... op=p53g_exempt ... added=A removed=R lines=L [old_NAME=X new_NAME=Y]
 *   ... op=p53g_commit ... (a staged transaction: the same fields)
 *   ... op=p53g_flush / p53g_reset / p53g_load (with every parameter) /
 *       p53g_unload
 *   ... res=0 errno=E (a write refused; nothing changed)
 *   ... suppressed=N (on the first record after N refused-write records
 *       were dropped by the rate limit)
 *
 * With audit on (auditd running, or audit=1), it is a kernel audit record
 * of type NETFILTER_CFG (1325) started from the writer's system call
 * (audit_context()), so that auditd emits the SYSCALL record with it and
 * ausearch shows who did it (auid, uid, exe); the writer is also named in
 * the record itself (audit_log_task_info()). With audit off or not built
 * in (OpenWrt), the same line goes to the kernel log at notice level (as
 * audit's own records do without auditd), with pid, uid and comm. A
 * committed change's record is built under the configuration's lock, so
 * that its generation is the change's own, and emitted after it:
 * audit_log_start() may wait for the backlog to drain, and no other
 * writer should wait on the lock meanwhile. Generations, not the order
 * of emission, order the changes.
 *
 * Refused writes cost the writer nothing but the record, so a loop of
 * them (a container's root retrying a write it may not make) would flood
 * the audit log: their records are rate-limited, never those of
 * committed changes. Each one dropped is counted, and the next record of
 * any kind says how many (suppressed=N), with audit and without.
 */
#include <linux/atomic.h>
#include <linux/audit.h>
#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>

#include "edit.h"
#include "record.h"
#include "version.h"

static atomic64_t p53g_generation = ATOMIC64_INIT(0);
/*
 * A time64_t, read by the changed file without the writers' lock: an
 * atomic64_t, so that a 32-bit machine (armhf, mipsel) never reads half
 * of an old time and half of a new one.
 */
static atomic64_t p53g_changed = ATOMIC64_INIT(0);

/*
 * Refused-write records: printk's own limit (a burst of 10 every 5 s).
 * ___ratelimit()'s "callbacks suppressed" line is turned off: the count
 * goes into the next record instead, where an audit reader sees it.
 */
static struct ratelimit_state p53g_refused_rs =
	RATELIMIT_STATE_INIT_FLAGS(p53g_refused_rs, DEFAULT_RATELIMIT_INTERVAL,
				   DEFAULT_RATELIMIT_BURST,
				   RATELIMIT_MSG_ON_RELEASE);
static atomic_long_t p53g_suppressed = ATOMIC_LONG_INIT(0);

static const char * const p53g_op_names[] = {
	[P53G_OP_SET] = "p53g_set",
	[P53G_OP_EXEMPT] = "p53g_exempt",
	[P53G_OP_FLUSH] = "p53g_flush",
	[P53G_OP_COMMIT] = "p53g_commit",
	[P53G_OP_STAGE] = "p53g_stage",
	[P53G_OP_RESET] = "p53g_reset",
	[P53G_OP_LOAD] = "p53g_load",
	[P53G_OP_UNLOAD] = "p53g_unload",
};

static __printf(2, 3) void p53g_rec_add(struct p53g_rec *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r->len += vscnprintf(r->s + r->len, sizeof(r->s) - r->len, fmt, ap);
	va_end(ap);
}

static void p53g_rec_start(struct p53g_rec *r, enum p53g_record_op op,
			   size_t entries, int err)
{
	r->len = 0;
	p53g_rec_add(r, "table=port53guard family=0 entries=%zu op=%s", entries,
		     p53g_op_names[op]);
	if (err)
		p53g_rec_add(r, " res=0 errno=%d", -err);
	else
		p53g_rec_add(r, " generation=%llu res=1",
			     (unsigned long long)atomic64_read(&p53g_generation));
}

/* A committed change: one more in the count, and its time. */
static void p53g_rec_commit(void)
{
	atomic64_inc(&p53g_generation);
	atomic64_set(&p53g_changed, ktime_get_real_seconds());
}

static void p53g_rec_setting(struct p53g_rec *r, const char *prefix,
			     enum p53g_setting s, u32 v)
{
	char text[16];

	if (p53g_setting_format(s, v, text, sizeof(text)) < 0)
		text[0] = '\0';
	p53g_rec_add(r, " %s%s=%s", prefix, p53g_setting_name(s), text);
}

/**
 * p53g_record_emit() - write a record out, from the writer's context
 * @r: the record, built under the writers' lock
 *
 * Never under that lock: audit_log_start() may sleep for the backlog.
 */
void p53g_record_emit(struct p53g_rec *r)
{
	struct audit_buffer *ab = NULL;
	char comm[TASK_COMM_LEN];
	long dropped;

	dropped = atomic_long_xchg(&p53g_suppressed, 0);
	if (dropped)
		p53g_rec_add(r, " suppressed=%ld", dropped);
	if (audit_enabled)
		ab = audit_log_start(audit_context(), GFP_KERNEL,
				     AUDIT_NETFILTER_CFG);
	if (ab) {
		audit_log_format(ab, "%s", r->s);
		audit_log_task_info(ab);
		audit_log_end(ab);
		return;
	}
	get_task_comm(comm, current);
	pr_notice("%s pid=%d uid=%u comm=%*pE\n", r->s, task_tgid_nr(current),
		  from_kuid(&init_user_ns, current_uid()),
		  (int)strnlen(comm, sizeof(comm)), comm);
}

void p53g_record_setting(struct p53g_rec *r, enum p53g_setting s, u32 old,
			 u32 new, size_t entries)
{
	p53g_rec_commit();
	p53g_rec_start(r, P53G_OP_SET, entries, 0);
	p53g_rec_add(r, " setting=%s", p53g_setting_name(s));
	p53g_rec_setting(r, "old_", s, old);
	p53g_rec_setting(r, "new_", s, new);
}

/**
 * p53g_record_exempt() - a write to the exempt file that changed the live
 *	configuration: live, a flush, or a staged transaction's commit
 * @r: the record to build
 * @chg: what it did (edit.c)
 * @old: the settings before it
 * @flush_only: the write held nothing but "flush"
 */
void p53g_record_exempt(struct p53g_rec *r, const struct p53g_change *chg,
			const struct p53g_settings *old, bool flush_only)
{
	enum p53g_record_op op = chg->op == P53G_CHANGE_COMMIT ? P53G_OP_COMMIT :
				 flush_only ? P53G_OP_FLUSH : P53G_OP_EXEMPT;
	unsigned int s;

	p53g_rec_commit();
	p53g_rec_start(r, op, chg->total, 0);
	p53g_rec_add(r, " added=%zu removed=%zu lines=%zu", chg->added,
		     chg->removed, chg->lines);
	for (s = 0; s < P53G_NR_SETTINGS; s++) {
		if (!(chg->set_mask & BIT(s)))
			continue;
		p53g_rec_setting(r, "old_", s, p53g_setting_get(old, s));
		p53g_rec_setting(r, "new_", s, p53g_setting_get(&chg->s, s));
	}
}

void p53g_record_reset(struct p53g_rec *r, size_t entries)
{
	p53g_rec_commit();
	p53g_rec_start(r, P53G_OP_RESET, entries, 0);
}

/**
 * p53g_record_refused() - a write refused, nothing changed
 * @op: what it would have done
 * @err: the negative errno it failed with
 * @setting: for P53G_OP_SET, which setting; else -1
 * @entries: entries in the live list
 *
 * Rate-limited; a record dropped is counted for the next one. Never under
 * the writers' lock.
 */
void p53g_record_refused(enum p53g_record_op op, int err, int setting,
			 size_t entries)
{
	struct p53g_rec r;

	if (!__ratelimit(&p53g_refused_rs)) {
		atomic_long_inc(&p53g_suppressed);
		return;
	}
	p53g_rec_start(&r, op, entries, err);
	if (setting >= 0)
		p53g_rec_add(&r, " setting=%s", p53g_setting_name(setting));
	p53g_record_emit(&r);
}

void p53g_record_load(const struct p53g_settings *s, size_t entries,
		      unsigned int max_entries, bool init_net_only)
{
	struct p53g_rec r;
	unsigned int i;

	atomic64_set(&p53g_changed, ktime_get_real_seconds());
	p53g_rec_start(&r, P53G_OP_LOAD, entries, 0);
	p53g_rec_add(&r, " version=%s max_entries=%u init_net_only=%d",
		     P53G_VERSION, max_entries, init_net_only);
	for (i = 0; i < P53G_NR_SETTINGS; i++)
		p53g_rec_setting(&r, "", i, p53g_setting_get(s, i));
	p53g_record_emit(&r);
}

void p53g_record_unload(size_t entries)
{
	struct p53g_rec r;

	p53g_rec_start(&r, P53G_OP_UNLOAD, entries, 0);
	p53g_record_emit(&r);
}

u64 p53g_record_generation(void)
{
	return atomic64_read(&p53g_generation);
}

time64_t p53g_record_changed(void)
{
	return atomic64_read(&p53g_changed);
}
