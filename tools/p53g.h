/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The port53guard tool: what its files share.
 */
#ifndef P53G_TOOL_H
#define P53G_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "entry.h"
#include "names.h"
#include "version.h"

#define PROG_NAME		"port53guard"
#define P53G_SYSFS_DEFAULT	"/sys/kernel/port53guard"

/*
 * Exit status: 0 success, 1 failure (or "would be blocked"), 2 usage,
 * 3 could not tell (exempt check: module absent, read error), 4 guarded
 * only by the nftables fallback (verify).
 */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_UNKNOWN = 3, EXIT_FALLBACK = 4 };

/* The subcommands, each in its own file. */
int status_main(int argc, char *argv[]);
int exempt_main(int argc, char *argv[]);
int set_main(int argc, char *argv[]);
int save_main(int argc, char *argv[]);
int restore_main(int argc, char *argv[]);
int listeners_main(int argc, char *argv[]);
int verify_main(int argc, char *argv[]);
int reset_counters_main(int argc, char *argv[]);
int fallback_main(int argc, char *argv[]);

/* listeners.c */
size_t p53g_netns_count(void);

/* msg.c: what the tool says */
void p53g_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p53g_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool p53g_is_help(const char *arg);
int p53g_finish_stdout(int ret);
void p53g_json_string(const char *s, size_t len);
bool p53g_json_args(int argc, char *argv[]);
int p53g_json_fail(int ret);
/* bad input shown at most this many bytes; the quoted form fits QUOTE_MAX */
#define P53G_QUOTE_SHOW		64
#define P53G_QUOTE_MAX		(4 * P53G_QUOTE_SHOW + 40)
const char *p53g_quote(const char *s, size_t len, char *out);
const char *p53g_escape(const char *s, size_t len, char *out, size_t size);
/* a name shown escaped: P53G_NAME_MAX bytes hold one of 1024 bytes */
#define P53G_NAME_MAX		(4 * 1024 + 4)
const char *p53g_name(const char *s);

/* io.c: the files under /sys/kernel/port53guard (or $P53G_SYSFS), and input */
struct p53g_buf {
	char *data;
	size_t len;
	size_t cap;
};

const char *p53g_root(void);
const char *p53g_path(const char *name);
int p53g_require_module(void);
const char *p53g_modpath(const char *name);
int p53g_read_module_value(const char *name, char *out, size_t size);
long long p53g_stat(const struct p53g_buf *stats, const char *name);
int p53g_read_file(const char *name, struct p53g_buf *b);
int p53g_read_fd(int fd, struct p53g_buf *b);
bool p53g_read_again(int fd, int err, unsigned int *tries);
const char *p53g_read_why(int err);
int p53g_read_value(const char *name, char *out, size_t size);
int p53g_write_whole(int fd, const char *data, size_t len);
void p53g_buf_free(struct p53g_buf *b);
int p53g_buf_append(struct p53g_buf *b, const char *data, size_t len);
int p53g_buf_printf(struct p53g_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int p53g_write_file_atomic(const char *path, const char *data, size_t len);
int p53g_run(char *const argv[], char *out, size_t size);
#define P53G_WAIT_HELP \
	"  -w, --wait [SECONDS]  while another process replaces the list (begin ...\n" \
	"            commit), wait for it, SECONDS at most (default: as long as it\n" \
	"            takes); without -w, fail at once"
int p53g_take_wait(int *argc, char *argv[], const char *cmd);
int p53g_write_wait(int fd, const char *data, size_t len);
void p53g_busy_err(const char *path);
const char *p53g_input_name(const char *file, char *out);

/* an input file (restore, exempt replace), read a line at a time */
#define P53G_LINE_MAX		4096
/* module/exempt.h: P53G_MAX_ENTRIES_DEFAULT, P53G_MAX_ENTRIES_LIMIT */
#define P53G_ENTRIES_DEFAULT	65536
#define P53G_ENTRIES_LIMIT	16777216U
struct p53g_input {
	int fd;
	char name[P53G_NAME_MAX];	/* for messages, escaped */
	size_t lineno;
	char buf[16 * P53G_LINE_MAX];
	size_t start, end;
	bool eof;
};

int p53g_input_open(const char *file, struct p53g_input *in);
int p53g_input_line(struct p53g_input *in, char **line, size_t *len);
void p53g_input_close(struct p53g_input *in);
size_t p53g_input_entries_max(const char **why);
const char *p53g_host_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool p53g_next_line(char **p, char *end, char **line, size_t *len);
void p53g_trim(char **s, size_t *len);
bool p53g_next_word(char **s, size_t *len, char **word, size_t *wlen);

/* settings.c: the settings through their sysfs files */
int p53g_opt_find(const char *name);
const char *p53g_opt_names(void);
const char *p53g_opt_help(enum p53g_setting s);
int p53g_opt_normalize(enum p53g_setting s, const char *in, char *out,
		       size_t size, const char **why);
int p53g_opt_get(enum p53g_setting s, char *out, size_t size);
bool p53g_opt_present(enum p53g_setting s);
int p53g_opt_default(enum p53g_setting s, char *out, size_t size);
void p53g_opt_absent_err(enum p53g_setting s);
int p53g_opt_set(enum p53g_setting s, const char *value);

/* list.c: the exemption list, and changing it atomically */
struct p53g_list {
	struct p53g_entry *v;
	size_t n;
	size_t cap;
};

struct p53g_op {
	struct p53g_cmd cmd;	/* P53G_CMD_ADD, _DEL or _FLUSH */
	const char *file;	/* where it was read, for messages, or NULL */
	size_t line;
};

/* A set of entries (a hash table), to play a batch or to merge repeats. */
struct p53g_set {
	struct p53g_entry *slot;
	unsigned char *state;	/* 0 empty, 1 full, 2 deleted */
	size_t cap, used, live;
};

int p53g_set_add(struct p53g_set *s, const struct p53g_entry *e);
int p53g_set_del(struct p53g_set *s, const struct p53g_entry *e);
bool p53g_set_has(const struct p53g_set *s, const struct p53g_entry *e);
void p53g_set_free(struct p53g_set *s);

int p53g_list_push(struct p53g_list *l, const struct p53g_entry *e);
void p53g_list_free(struct p53g_list *l);
void p53g_list_sort(struct p53g_list *l);
int p53g_list_load(struct p53g_list *l);
int p53g_list_parse(const struct p53g_buf *b, struct p53g_list *l);
int p53g_list_count(size_t *count);
/* a setting and its value, normalized (p53g_opt_normalize()) */
struct p53g_set_op {
	int s;
	char value[32];
};

int p53g_apply(const struct p53g_op *ops, size_t n,
	       const struct p53g_set_op *sets, size_t nsets);
int p53g_exempt_apply(const struct p53g_op *ops, size_t n);
int p53g_list_result(const struct p53g_op *ops, size_t n, struct p53g_list *out);
int p53g_parse_arg_entry(const char *arg, struct p53g_entry *e, unsigned int *notes);
int p53g_warn_entry(const struct p53g_entry *e, unsigned int notes,
		    const char *file, size_t line);
void p53g_warn_stored(const char *s, size_t len, const struct p53g_entry *e,
		      unsigned int notes, const char *file, size_t line);

/* save.c: the save format (restore's input) */
struct p53g_saved {
	char name[P53G_NAME_MAX];	/* for messages, escaped */
	struct p53g_op *ops;		/* its exempt lines */
	size_t nops, capops;
	struct p53g_set_op *sets;	/* its set lines */
	size_t nsets, capsets;
	unsigned long bad;		/* wrong lines */
	struct p53g_set named;		/* the distinct entries of add/del lines */
	struct p53g_set added;		/* added since the last flush, not deleted */
	size_t max_entries;		/* named at most (p53g_input_entries_max()) */
	const char *max_why;
	bool check;			/* warn of what verify would (--check) */
	unsigned long warned;
};

int p53g_saved_read(const char *file, struct p53g_saved *r);
void p53g_saved_free(struct p53g_saved *r);

/* fallback.c: the nftables table when the module cannot load */
struct p53g_fallback {
	long long time;			/* when it was applied */
	bool guards;			/* it refuses queries */
	char file[P53G_NAME_MAX];	/* from what (escaped) */
	char why[1024];			/* why (escaped) */
	char settings[512];		/* "enabled 1, action reject, ..." */
};

#define P53G_FALLBACK_STATE_NAME	"/run/port53guard/fallback"
const char *p53g_nft(void);
const char *p53g_fallback_state_path(void);
int p53g_fallback_table(char *comment, size_t size);
int p53g_fallback_state(struct p53g_fallback *st);
void p53g_fallback_after_commit(void);
int p53g_fallback_counters(struct p53g_buf *b);
struct p53g_fallback_view {
	int table;			/* p53g_fallback_table() */
	bool state;			/* the state file speaks of this namespace */
	bool present;			/* a table, seen or (without root) stated */
	bool guards;			/* and it refuses queries */
	char comment[160];		/* the table's comment */
	struct p53g_fallback st;	/* the state file's word */
};
void p53g_fallback_view(struct p53g_fallback_view *v);

/* metrics.c */
int p53g_metrics(struct p53g_buf *b);

/* sha256.c */
void p53g_sha256_hex(const void *data, size_t len, char hex[65]);

#endif /* P53G_TOOL_H */
