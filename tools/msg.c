// SPDX-License-Identifier: GPL-2.0
/*
 * What the tool says: errors and warnings on stderr, prefixed with its
 * name; bad input and every name it did not make escaped, so that they
 * cannot disturb a terminal or a log (non-printable bytes escaped, long
 * input cut); output that could not be written is a failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "p53g.h"

/* --json was asked for: a failure is said as JSON on standard output too */
static bool p53g_json_errors;
static char p53g_first_error[512];

static void p53g_vsay(const char *what, const char *fmt, va_list ap)
{
	va_list again;

	if (!*what && !p53g_first_error[0]) {
		va_copy(again, ap);
		vsnprintf(p53g_first_error, sizeof(p53g_first_error), fmt, again);
		va_end(again);
	}
	fflush(stdout);
	fputs(PROG_NAME ": ", stderr);
	fputs(what, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void p53g_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	p53g_vsay("", fmt, ap);
	va_end(ap);
}

void p53g_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	p53g_vsay("warning: ", fmt, ap);
	va_end(ap);
}

/**
 * p53g_escape() - untrusted bytes, fit to be printed
 * @s: the bytes (any)
 * @len: how many
 * @out: where to put them, NUL-terminated
 * @size: its size, at least 4
 *
 * The one escaping of the tool, for everything it prints that it did not
 * write itself (entries, values, file, process and interface names): bytes
 * outside printable ASCII, the single quote and the backslash as \xNN, so
 * that no escape sequence reaches a terminal and no newline forges a line.
 * What does not fit is cut, with "..." in its place.
 *
 * Return: @out.
 */
const char *p53g_escape(const char *s, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = s[i];
		/* this byte, room for "..." if more follow, the NUL */
		if (n + 4 + (i + 1 < len ? 3 : 0) + 1 > size) {
			memcpy(out + n, "...", 4);
			return out;
		}
		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
			out[n++] = c;
			continue;
		}
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 15];
	}
	out[n] = '\0';
	return out;
}

/**
 * p53g_quote() - bad input, fit to be printed
 * @s: the input (any bytes)
 * @len: its length
 * @out: P53G_QUOTE_MAX bytes
 *
 * Escaped (p53g_escape()) between single quotes; at most P53G_QUOTE_SHOW
 * bytes of the input, then "..." and the whole length.
 *
 * Return: @out.
 */
const char *p53g_quote(const char *s, size_t len, char *out)
{
	size_t n, show = len > P53G_QUOTE_SHOW ? P53G_QUOTE_SHOW : len;

	out[0] = '\'';
	p53g_escape(s, show, out + 1, 4 * P53G_QUOTE_SHOW + 1);
	n = strlen(out);
	out[n++] = '\'';
	out[n] = '\0';
	if (show < len)
		snprintf(out + n, P53G_QUOTE_MAX - n, "... (%zu bytes)", len);
	return out;
}

/*
 * A name the tool did not make (a file, a process, an interface), escaped
 * (p53g_escape()) in one of a few static buffers, so that a message can
 * hold several.
 */
const char *p53g_name(const char *s)
{
	static char names[4][P53G_NAME_MAX];
	static unsigned int next;

	return p53g_escape(s, strlen(s), names[next++ % 4], P53G_NAME_MAX);
}

bool p53g_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h") || !strcmp(arg, "help");
}

/* Output that could not be written is a failure, not a silent truncation. */
int p53g_finish_stdout(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		p53g_err("stdout: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return ret;
}

/* @s (@len bytes) as a JSON string on standard output. */
void p53g_json_string(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/*
 * Whether the arguments ask for JSON (--json, --format json): then
 * p53g_json_fail() says a failure as JSON too. Return: whether they do.
 */
bool p53g_json_args(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json") ||
		    (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[i + 1], "json")))
			p53g_json_errors = true;
	return p53g_json_errors;
}

/*
 * A failure, @ret, already said on standard error: with --json, also
 * {"error": "the first message"} on standard output, for a script that
 * reads only that.
 */
int p53g_json_fail(int ret)
{
	const char *e = p53g_first_error[0] ? p53g_first_error : "failed";

	if (!p53g_json_errors)
		return ret;
	printf("{\"error\": ");
	p53g_json_string(e, strlen(e));
	printf("}\n");
	return p53g_finish_stdout(ret);
}
