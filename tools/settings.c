// SPDX-License-Identifier: GPL-2.0
/*
 * The settings as the tool sees them: their names and grammar are the
 * module's own (module/names.c); here are the friendlier spellings the
 * tool also takes (yes/no, on/off, true/false), each setting's help, and
 * reading and writing its sysfs file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p53g.h"

static const char *const p53g_setting_help[P53G_NR_SETTINGS] = {
	[P53G_SET_ENABLED] = "1 guards the host; 0 lets every packet through",
	[P53G_SET_ACTION] = "what a blocked packet gets: reject, drop or monitor",
	[P53G_SET_TCP] = "1 also answers TCP SYNs to port 53 with a RST",
	[P53G_SET_LOOPBACK] = "1 lets packets that arrive on loopback pass",
	[P53G_SET_LOG] = "1 logs each blocked packet (rate-limited)",
	[P53G_SET_RATE] = "replies per second, 0 for no local limit",
	[P53G_SET_FORWARD] = "1 also refuses queries published (DNATed) from port 53",
	[P53G_SET_AUTHORITATIVE] = "1 lets queries with RD clear pass (an authoritative server)",
};

const char *p53g_opt_help(enum p53g_setting s)
{
	return p53g_setting_help[s];
}

/* The setting NAME, or -1. */
int p53g_opt_find(const char *name)
{
	return p53g_setting_find(name, strlen(name));
}

/* "enabled, action, ...": every setting's name, for messages. */
const char *p53g_opt_names(void)
{
	static char names[160];
	size_t len = 0;
	int s;

	if (!names[0])
		for (s = 0; s < P53G_NR_SETTINGS; s++)
			len += snprintf(names + len, sizeof(names) - len, "%s%s",
					s ? ", " : "", p53g_setting_name(s));
	return names;
}

static int p53g_copy(char *out, size_t size, const char *s)
{
	if (strlen(s) >= size)
		return -1;
	strcpy(out, s);
	return 0;
}

/*
 * The one spelling the module is given (and that save writes): 1/0, a
 * word, a number. Booleans also take y/n, yes/no, on/off, true/false in
 * any case; a rate no sign and no leading zero.
 */
int p53g_opt_normalize(enum p53g_setting s, const char *in, char *out,
		       size_t size, const char **why)
{
	static const char *const yes[] = { "1", "y", "yes", "on", "true", NULL };
	static const char *const no[] = { "0", "n", "no", "off", "false", NULL };
	u32 v;
	size_t i;

	switch (p53g_setting_kind(s)) {
	case P53G_KIND_BOOL:
		for (i = 0; yes[i]; i++) {
			if (!strcasecmp(in, yes[i]))
				return p53g_copy(out, size, "1");
			if (!strcasecmp(in, no[i]))
				return p53g_copy(out, size, "0");
		}
		*why = "must be 1 or 0 (or y/n, yes/no, on/off, true/false)";
		return -1;
	case P53G_KIND_ACTION:
		*why = "must be reject, drop or monitor";
		break;
	case P53G_KIND_RATE:
		*why = "must be a decimal number 0-1000000 (no sign, no leading zeros)";
		if (in[0] == '0' && in[1])
			return -1;
		break;
	}
	if (p53g_setting_parse(s, in, strlen(in), &v, NULL) || strchr(in, '\n'))
		return -1;
	return p53g_setting_format(s, v, out, size) < 0 ? -1 : 0;
}

/*
 * Whether the loaded module has setting @s: one built from an older
 * version (a package upgraded, the module not yet reloaded) lacks the
 * newer settings' files, and behaves as their default.
 */
bool p53g_opt_present(enum p53g_setting s)
{
	struct stat st;

	return !stat(p53g_path(p53g_setting_name(s)), &st) || errno != ENOENT ||
	       stat(p53g_root(), &st);
}

/* @s's default, normalized. */
int p53g_opt_default(enum p53g_setting s, char *out, size_t size)
{
	static const struct p53g_settings def = P53G_SETTINGS_DEFAULT;

	return p53g_setting_format(s, p53g_setting_get(&def, s), out, size) < 0 ? -1 : 0;
}

/* The live value, normalized (the default where the module predates it). */
int p53g_opt_get(enum p53g_setting s, char *out, size_t size)
{
	char raw[64], q[P53G_QUOTE_MAX];
	const char *why;

	if (!p53g_opt_present(s))
		return p53g_opt_default(s, out, size);

	if (p53g_read_value(p53g_setting_name(s), raw, sizeof(raw)))
		return -1;
	if (p53g_opt_normalize(s, raw, out, size, &why)) {
		p53g_err("%s: unexpected value %s", p53g_path(p53g_setting_name(s)),
			 p53g_quote(raw, strlen(raw), q));
		return -1;
	}
	return 0;
}

/* What to do about a setting the loaded module does not have. */
void p53g_opt_absent_err(enum p53g_setting s)
{
	char version[64];

	if (p53g_read_module_value("version", version, sizeof(version)))
		snprintf(version, sizeof(version), "unknown");
	p53g_err("the loaded module (version %s) has no setting %s: load this version's "
		 "(sudo rmmod port53guard; sudo modprobe port53guard)", p53g_name(version),
		 p53g_setting_name(s));
}

/* @value must be normalized: it is written as "value\n", like echo does. */
int p53g_opt_set(enum p53g_setting s, const char *value)
{
	const char *path = p53g_path(p53g_setting_name(s));
	char line[64];
	int fd, n, rc;

	n = snprintf(line, sizeof(line), "%s\n", value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	if (!p53g_opt_present(s)) {
		p53g_opt_absent_err(s);
		return -1;
	}
	/* O_TRUNC as the shell's "echo 1 >" does; sysfs ignores it */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		p53g_err("%s: %s%s", path, strerror(rc), rc == EACCES ? " (run as root)" : "");
		return -1;
	}
	rc = p53g_write_wait(fd, line, n);
	close(fd);
	if (rc == EBUSY)
		p53g_busy_err(path);
	else if (rc == -1)
		p53g_err("%s: short write: the module took part of '%s'", path, value);
	else if (rc)
		p53g_err("%s: %s: %s%s", path, value, strerror(rc),
			 rc == EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return rc ? -1 : 0;
}
