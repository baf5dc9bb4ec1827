// SPDX-License-Identifier: GPL-2.0
/*
 * The exemption-entry grammar, shared by the module and the tool.
 *
 * Strict on purpose: whatever is accepted here is stored, printed back and
 * compared, so every input has exactly one reading. "010.0.0.1" is refused
 * rather than guessed at (inet_aton would read it as octal), a zone index
 * is refused (the list is global, zones are per link), and no byte past
 * len is ever read: the input comes from sysfs writes and module
 * parameters, not from NUL-terminated strings.
 */
#include "entry.h"
#include "names.h"

#define P53G_NOT_AN_ADDRESS	"not an IPv4 or IPv6 address"

static int p53g_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

static int p53g_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of a hex digit, or -1. */
static int p53g_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int p53g_memhas(const char *s, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == c)
			return 1;
	return 0;
}

/* Exactly four decimal parts 0-255, no leading zeros. */
static int p53g_parse_v4(const char *s, size_t len, u8 *addr,
			 const char **why)
{
	unsigned int part, val, digits;
	size_t i = 0;

	for (part = 0; part < 4; part++) {
		if (part) {
			if (i == len)
				return p53g_fail(why, "IPv4 address must have 4 parts");
			if (s[i] != '.')
				return p53g_fail(why, P53G_NOT_AN_ADDRESS);
			i++;
		}
		val = 0;
		digits = 0;
		while (i < len && p53g_isdigit(s[i])) {
			if (digits == 1 && val == 0)
				return p53g_fail(why, "leading zero in IPv4 address");
			if (digits == 3)
				return p53g_fail(why, "IPv4 part out of range 0-255");
			val = val * 10 + (s[i] - '0');
			digits++;
			i++;
		}
		if (!digits) {
			if (i == len || s[i] == '.')
				return p53g_fail(why, "empty part in IPv4 address");
			return p53g_fail(why, P53G_NOT_AN_ADDRESS);
		}
		if (val > 255)
			return p53g_fail(why, "IPv4 part out of range 0-255");
		addr[part] = val;
	}
	if (i != len)
		return p53g_fail(why, s[i] == '.' ? "IPv4 address must have 4 parts" :
				 P53G_NOT_AN_ADDRESS);
	return 0;
}

/*
 * RFC 4291 section 2.2: eight groups of 1-4 hex digits, at most one "::"
 * standing for one or more zero groups, and optionally a dotted quad for
 * the last 32 bits.
 */
static int p53g_parse_v6(const char *s, size_t len, u8 *addr,
			 const char **why)
{
	unsigned int ngroups = 0, gap = 0, val;
	int rc, h, compressed = 0;
	size_t i = 0, j, k;
	u8 groups[16];

	if (p53g_memhas(s, len, '%'))
		return p53g_fail(why, "IPv6 zone index (%...) not allowed");
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		compressed = 1;
		i = 2;
	} else if (len && s[0] == ':') {
		return p53g_fail(why, "IPv6 address starts with a single ':'");
	}
	while (i < len) {
		for (j = i; j < len && s[j] != ':'; j++)
			;
		if (p53g_memhas(s + i, j - i, '.')) {
			if (j != len)
				return p53g_fail(why, P53G_NOT_AN_ADDRESS);
			if (ngroups + 2 > (compressed ? 7u : 8u))
				return p53g_fail(why, "too many groups in IPv6 address");
			rc = p53g_parse_v4(s + i, j - i, groups + 2 * ngroups, why);
			if (rc)
				return rc;
			ngroups += 2;
			break;
		}
		if (j == i)
			return p53g_fail(why, "stray ':' in IPv6 address");
		val = 0;
		for (k = i; k < j; k++) {
			h = p53g_hexval(s[k]);
			if (h < 0)
				return p53g_fail(why, P53G_NOT_AN_ADDRESS);
			val = (val << 4 | h) & 0xffff;
		}
		if (j - i > 4)
			return p53g_fail(why, "IPv6 group longer than 4 hex digits");
		if (ngroups == 8)
			return p53g_fail(why, "too many groups in IPv6 address");
		groups[2 * ngroups] = val >> 8;
		groups[2 * ngroups + 1] = val & 0xff;
		ngroups++;
		i = j;
		if (i == len)
			break;
		i++;
		if (i < len && s[i] == ':') {
			if (compressed)
				return p53g_fail(why, "more than one '::' in IPv6 address");
			compressed = 1;
			gap = ngroups;
			i++;
		} else if (i == len) {
			return p53g_fail(why, "IPv6 address ends with a single ':'");
		}
	}
	if (!compressed && ngroups < 8)
		return p53g_fail(why, "too few groups in IPv6 address");
	if (compressed && ngroups > 7)
		return p53g_fail(why, "too many groups in IPv6 address");

	/* the groups after "::" go to the end, zeros fill the gap */
	memset(addr, 0, 16);
	if (!compressed)
		gap = ngroups;
	memcpy(addr, groups, 2 * gap);
	memcpy(addr + 16 - 2 * (ngroups - gap), groups + 2 * gap,
	       2 * (ngroups - gap));
	return 0;
}

/* Decimal, no sign, no leading zero except "0" itself, 0 to max. */
static int p53g_parse_plen(const char *s, size_t len, unsigned int max,
			   unsigned int *plen, const char **why)
{
	unsigned int val = 0;
	size_t i;

	if (!len)
		return p53g_fail(why, "missing prefix length after '/'");
	for (i = 0; i < len; i++)
		if (!p53g_isdigit(s[i]))
			return p53g_fail(why, "prefix length is not a decimal number");
	if (len > 1 && s[0] == '0')
		return p53g_fail(why, "leading zero in prefix length");
	for (i = 0; i < len && val <= max; i++)
		val = val * 10 + (s[i] - '0');
	if (val > max)
		return p53g_fail(why, max == 32 ? "prefix length must be 0-32" :
				 "prefix length must be 0-128");
	*plen = val;
	return 0;
}

/* Clear every bit of addr past the first plen. */
static void p53g_mask(u8 *addr, unsigned int bytes, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		addr[i] &= (u8)(0xff00 >> plen);
		plen = 0;
	}
}

/*
 * The kernel's dev_valid_name() (not "." or "..", no '/', ':' or
 * whitespace), narrowed to printable ASCII so that every name can be
 * written back one entry a line. The caller has checked the bytes are
 * printable and not whitespace.
 */
static int p53g_parse_dev(const char *s, size_t len, struct p53g_entry *e,
			  const char **why)
{
	size_t i;

	if (len && s[len - 1] == '+') {
		e->wildcard = 1;
		len--;
	}
	if (!len && !e->wildcard)
		return p53g_fail(why, "empty interface name");
	if (len > IFNAMSIZ - 1)
		return p53g_fail(why, "interface name longer than 15 bytes");
	/* ".+" and "..+" are prefixes of valid names such as ".x" */
	if (!e->wildcard && s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.')))
		return p53g_fail(why, "interface name cannot be '.' or '..'");
	for (i = 0; i < len; i++) {
		if (s[i] == '/')
			return p53g_fail(why, "'/' in interface name");
		if (s[i] == ':')
			return p53g_fail(why, "':' in interface name");
	}
	e->kind = P53G_ENTRY_DEV;
	e->namelen = len;
	memcpy(e->dev, s, len);
	return 0;
}

/* ::ffff:0:0/96, the IPv4-mapped addresses (RFC 4291 section 2.5.5.2) */
static const u8 p53g_v4mapped[12] = { [10] = 0xff, [11] = 0xff };

/* Clear the bits of @addr past @plen; whether any was set. */
static bool p53g_mask_any(u8 *addr, unsigned int bytes, unsigned int plen)
{
	u8 was[16];

	memcpy(was, addr, bytes);
	p53g_mask(addr, bytes, plen);
	return memcmp(was, addr, bytes) != 0;
}

static int p53g_parse(const char *s, size_t len, struct p53g_entry *e,
		      unsigned int *notes, const char **why)
{
	size_t i, alen;
	unsigned int plen;
	u8 a4[4];
	int rc, digits = 1;

	if (!len)
		return p53g_fail(why, "empty entry");
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == ' ' || (c >= '\t' && c <= '\r'))
			return p53g_fail(why, "whitespace in entry");
		if (c < 0x21 || c > 0x7e)
			return p53g_fail(why, "non-printable byte in entry");
	}
	if (len >= 4 && !memcmp(s, "dev:", 4))
		return p53g_parse_dev(s + 4, len - 4, e, why);

	for (alen = 0; alen < len && s[alen] != '/'; alen++)
		if (!p53g_isdigit(s[alen]))
			digits = 0;
	if (!alen)
		return p53g_fail(why, "missing address before '/'");

	if (p53g_memhas(s, alen, ':')) {
		rc = p53g_parse_v6(s, alen, e->v6.s6_addr, why);
		if (rc)
			return rc;
		e->kind = P53G_ENTRY_V6;
		plen = 128;
	} else if (digits || p53g_memhas(s, alen, '.')) {
		rc = p53g_parse_v4(s, alen, a4, why);
		if (rc)
			return rc;
		e->kind = P53G_ENTRY_V4;
		plen = 32;
	} else {
		return p53g_fail(why, "not an IPv4 or IPv6 address, nor dev:NAME");
	}
	if (alen < len) {
		rc = p53g_parse_plen(s + alen + 1, len - alen - 1, plen, &plen, why);
		if (rc)
			return rc;
	}
	/*
	 * An IPv4 packet is matched as IPv4: a mapped prefix that names only
	 * IPv4 addresses is stored as the IPv4 prefix it means, never as an
	 * IPv6 entry that no packet matches. A shorter one stays IPv6.
	 */
	if (e->kind == P53G_ENTRY_V6 && plen >= 96 &&
	    !memcmp(e->v6.s6_addr, p53g_v4mapped, sizeof(p53g_v4mapped))) {
		memcpy(a4, e->v6.s6_addr + 12, 4);
		memset(&e->v6, 0, sizeof(e->v6));
		e->kind = P53G_ENTRY_V4;
		plen -= 96;
		*notes |= P53G_NOTE_MAPPED;
	}
	e->plen = plen;
	if (e->kind == P53G_ENTRY_V4) {
		if (p53g_mask_any(a4, 4, plen))
			*notes |= P53G_NOTE_HOST_BITS;
		memcpy(&e->v4, a4, 4);
	} else if (p53g_mask_any(e->v6.s6_addr, 16, plen)) {
		*notes |= P53G_NOTE_HOST_BITS;
	}
	return 0;
}

/**
 * p53g_entry_parse_notes() - parse one exemption entry, and say how the
 *	stored entry differs from the text
 * @s: the text, not NUL-terminated; the caller strips the line around it
 * @len: its length in bytes; nothing past it is read
 * @e: the entry, on success; zeroed on failure
 * @notes: set to P53G_NOTE_* flags on success, 0 on failure
 * @why: on failure, a short static English reason; may be NULL
 *
 * Accepts "A.B.C.D[/N]", an RFC 4291 IPv6 address with optional "/N",
 * "dev:NAME" and "dev:NAME+". Host bits under the mask are cleared
 * (P53G_NOTE_HOST_BITS). An IPv4-mapped prefix ::ffff:A.B.C.D/N with N
 * 96 or more is the IPv4 entry A.B.C.D/(N-96) (P53G_NOTE_MAPPED).
 *
 * Return: 0, or -EINVAL if the text is not exactly one entry.
 */
int p53g_entry_parse_notes(const char *s, size_t len, struct p53g_entry *e,
			   unsigned int *notes, const char **why)
{
	int rc;

	memset(e, 0, sizeof(*e));
	*notes = 0;
	rc = p53g_parse(s, len, e, notes, why);
	if (rc) {
		memset(e, 0, sizeof(*e));
		*notes = 0;
	}
	return rc;
}

/**
 * p53g_entry_parse() - parse one exemption entry
 * @s: the text, not NUL-terminated; the caller strips the line around it
 * @len: its length in bytes; nothing past it is read
 * @e: the entry, on success; zeroed on failure
 * @why: on failure, a short static English reason; may be NULL
 *
 * p53g_entry_parse_notes(), for a caller that does not tell the user
 * what was stored.
 *
 * Return: 0, or -EINVAL if the text is not exactly one entry.
 */
int p53g_entry_parse(const char *s, size_t len, struct p53g_entry *e,
		     const char **why)
{
	unsigned int notes;

	return p53g_entry_parse_notes(s, len, e, &notes, why);
}

struct p53g_out {
	char *buf;
	size_t size;
	size_t pos;
};

static void p53g_putc(struct p53g_out *o, char c)
{
	if (o->pos < o->size)
		o->buf[o->pos] = c;
	o->pos++;
}

static void p53g_puts(struct p53g_out *o, const char *s)
{
	while (*s)
		p53g_putc(o, *s++);
}

static void p53g_putu(struct p53g_out *o, unsigned int v)
{
	char d[10];
	int n = 0;

	do {
		d[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		p53g_putc(o, d[--n]);
}

static void p53g_putx(struct p53g_out *o, unsigned int v)
{
	static const char hex[] = "0123456789abcdef";
	int shift = 12;

	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		p53g_putc(o, hex[(v >> shift) & 0xf]);
}

static void p53g_put_v4(struct p53g_out *o, const u8 *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			p53g_putc(o, '.');
		p53g_putu(o, a[i]);
	}
}

/*
 * RFC 5952 section 4, and section 5 for IPv4-mapped addresses (which the
 * parser stores as IPv4 from a length of 96 on: shorter ones keep none
 * of the mapped bits).
 */
static void p53g_put_v6(struct p53g_out *o, const u8 *a)
{
	unsigned int w[8], i, run, best = 8, bestlen = 1;

	if (!memcmp(a, p53g_v4mapped, sizeof(p53g_v4mapped))) {
		p53g_puts(o, "::ffff:");
		p53g_put_v4(o, a + 12);
		return;
	}
	for (i = 0; i < 8; i++)
		w[i] = a[2 * i] << 8 | a[2 * i + 1];
	/* the longest run of two or more zero groups; the first on a tie */
	for (i = 0; i < 8; i += run ? run : 1) {
		for (run = 0; i + run < 8 && !w[i + run]; run++)
			;
		if (run > bestlen) {
			best = i;
			bestlen = run;
		}
	}
	if (best == 8)
		bestlen = 0;
	for (i = 0; i < 8; ) {
		if (i == best) {
			p53g_puts(o, "::");
			i += bestlen;
			continue;
		}
		if (i && i != best + bestlen)
			p53g_putc(o, ':');
		p53g_putx(o, w[i]);
		i++;
	}
}

/**
 * p53g_entry_format() - the canonical text of an entry
 * @e: a parsed entry
 * @buf: where to write it, NUL-terminated
 * @size: bytes at @buf; P53G_ENTRY_MAXLEN is always enough
 *
 * IPv4 as a dotted quad, IPv6 as RFC 5952 text, both with "/len";
 * interfaces as "dev:NAME" or "dev:NAME+".
 *
 * Return: the length written (without the NUL), or -ENOSPC if @size is too
 * small, in which case @buf holds a truncated, NUL-terminated prefix.
 */
int p53g_entry_format(const struct p53g_entry *e, char *buf, size_t size)
{
	struct p53g_out o = { .buf = buf, .size = size };
	size_t i;

	switch (e->kind) {
	case P53G_ENTRY_V4:
		p53g_put_v4(&o, (const u8 *)&e->v4);
		p53g_putc(&o, '/');
		p53g_putu(&o, e->plen);
		break;
	case P53G_ENTRY_V6:
		p53g_put_v6(&o, e->v6.s6_addr);
		p53g_putc(&o, '/');
		p53g_putu(&o, e->plen);
		break;
	default:
		p53g_puts(&o, "dev:");
		for (i = 0; i < e->namelen && i < sizeof(e->dev); i++)
			p53g_putc(&o, e->dev[i]);
		if (e->wildcard)
			p53g_putc(&o, '+');
		break;
	}
	if (o.pos >= size) {
		if (size)
			buf[size - 1] = '\0';
		return -ENOSPC;
	}
	buf[o.pos] = '\0';
	return o.pos;
}

static int p53g_sign(int r)
{
	return (r > 0) - (r < 0);
}

/**
 * p53g_entry_cmp() - the canonical order of entries
 * @a: an entry
 * @b: another entry
 *
 * IPv4 first, then IPv6, each by address then prefix length; then
 * interfaces, bytewise by name, an exact name before the wildcard of the
 * same name.
 *
 * Return: -1, 0 or 1 as @a sorts before, with or after @b.
 */
int p53g_entry_cmp(const struct p53g_entry *a, const struct p53g_entry *b)
{
	size_t n;
	int r;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	switch (a->kind) {
	case P53G_ENTRY_V4:
		r = memcmp(&a->v4, &b->v4, sizeof(a->v4));
		break;
	case P53G_ENTRY_V6:
		r = memcmp(a->v6.s6_addr, b->v6.s6_addr, sizeof(a->v6.s6_addr));
		break;
	default:
		n = a->namelen < b->namelen ? a->namelen : b->namelen;
		r = memcmp(a->dev, b->dev, n);
		if (!r)
			r = (int)a->namelen - (int)b->namelen;
		if (!r)
			r = (int)a->wildcard - (int)b->wildcard;
		return p53g_sign(r);
	}
	if (!r)
		r = (int)a->plen - (int)b->plen;
	return p53g_sign(r);
}

/**
 * p53g_entry_covers() - whether every packet matched by one entry is
 *	matched by another
 * @e: the exemption
 * @x: what to test; a /32 or /128 address or an exact interface name
 *	asks whether one packet's source or input device is exempt
 *
 * Return: 1 if @e covers @x, else 0.
 */
int p53g_entry_covers(const struct p53g_entry *e, const struct p53g_entry *x)
{
	const u8 *ea, *xa;
	unsigned int bytes, bits;

	if (e->kind != x->kind)
		return 0;
	if (e->kind == P53G_ENTRY_DEV) {
		if (!e->wildcard)
			return !x->wildcard && x->namelen == e->namelen &&
			       !memcmp(x->dev, e->dev, e->namelen);
		return x->namelen >= e->namelen &&
		       !memcmp(x->dev, e->dev, e->namelen);
	}
	if (x->plen < e->plen)
		return 0;
	if (e->kind == P53G_ENTRY_V4) {
		ea = (const u8 *)&e->v4;
		xa = (const u8 *)&x->v4;
	} else {
		ea = e->v6.s6_addr;
		xa = x->v6.s6_addr;
	}
	bytes = e->plen / 8;
	bits = e->plen % 8;
	if (memcmp(ea, xa, bytes))
		return 0;
	return !bits || !((ea[bytes] ^ xa[bytes]) & (u8)(0xff00 >> bits));
}

struct p53g_cmd_word {
	const char *word;
	u8 len;
	u8 op;
	const char *misuse;
};

static const struct p53g_cmd_word p53g_cmd_words[] = {
	{ "add", 3, P53G_CMD_ADD, "add needs an entry" },
	{ "del", 3, P53G_CMD_DEL, "del needs an entry" },
	{ "flush", 5, P53G_CMD_FLUSH, "flush takes no argument" },
	{ "begin", 5, P53G_CMD_BEGIN, "begin takes no argument" },
	{ "commit", 6, P53G_CMD_COMMIT, "commit takes no argument" },
	{ "abort", 5, P53G_CMD_ABORT, "abort takes no argument" },
	{ "set", 3, P53G_CMD_SET, "set needs a setting and a value" },
	{ }
};

static int p53g_isblank(char c)
{
	return c == ' ' || c == '\t';
}

static const char p53g_unknown_command[] =
	"unknown command (add, del, flush, set, begin, commit, abort)";
static const char p53g_unknown_setting[] =
	"unknown setting (enabled, action, tcp, loopback, log, rate, forward, authoritative)";

/* " NAME VALUE", after "set": one blank before each word, none after. */
static int p53g_cmd_parse_set(const char *s, size_t len, struct p53g_cmd *cmd,
			      const char **why)
{
	size_t n, v;
	u32 val;
	int set;

	if (len < 2 || !p53g_isblank(s[0]))
		return p53g_fail(why, "set needs a setting and a value");
	s++;
	len--;
	for (n = 0; n < len && !p53g_isblank(s[n]); n++)
		;
	if (!n)
		return p53g_fail(why, "more than one blank between words");
	set = p53g_setting_find(s, n);
	if (set < 0)
		return p53g_fail(why, p53g_unknown_setting);
	if (n + 1 >= len)
		return p53g_fail(why, "set needs a setting and a value");
	v = n + 1;
	if (p53g_isblank(s[v]))
		return p53g_fail(why, "more than one blank between words");
	for (n = v; n < len; n++)
		if (p53g_isblank(s[n]))
			return p53g_fail(why, "one value per line");
	/* lines come without their newline: none can end the value here */
	if (p53g_setting_parse(set, s + v, len - v, &val, why))
		return -EINVAL;
	cmd->op = P53G_CMD_SET;
	cmd->setting = set;
	cmd->value = val;
	return 0;
}

/**
 * p53g_cmd_parse() - parse one command line of the sysfs exempt file
 * @line: the line, without its newline, not NUL-terminated
 * @len: its length in bytes; nothing past it is read
 * @cmd: the command, on success; zeroed on failure
 * @why: on failure, a short static English reason; may be NULL
 *
 * "add ENTRY", "del ENTRY", "flush", "begin", "commit", "abort" or "set
 * NAME VALUE" (a setting, with the value its sysfs file takes, names.c):
 * words separated by one space or tab, nothing before or after.
 *
 * Return: 0, or -EINVAL if the line is not exactly one command.
 */
int p53g_cmd_parse(const char *line, size_t len, struct p53g_cmd *cmd,
		   const char **why)
{
	const struct p53g_cmd_word *w;
	size_t i, n;
	int rc;

	memset(cmd, 0, sizeof(*cmd));
	for (n = 0; n < len && !p53g_isblank(line[n]); n++)
		;
	if (!len)
		return p53g_fail(why, "empty command");
	if (!n)
		return p53g_fail(why, "whitespace before command");
	for (w = p53g_cmd_words; w->word; w++)
		if (n == w->len && !memcmp(line, w->word, n))
			break;
	if (!w->word)
		return p53g_fail(why, p53g_unknown_command);
	if (w->op == P53G_CMD_SET)
		return p53g_cmd_parse_set(line + n, len - n, cmd, why);
	if (w->op != P53G_CMD_ADD && w->op != P53G_CMD_DEL) {
		if (n != len)
			return p53g_fail(why, w->misuse);
		cmd->op = w->op;
		return 0;
	}
	if (len - n < 2)
		return p53g_fail(why, w->misuse);
	line += n + 1;
	len -= n + 1;
	if (p53g_isblank(line[len - 1]))
		return p53g_fail(why, "whitespace after command");
	if (p53g_isblank(line[0]))
		return p53g_fail(why, "more than one blank between words");
	for (i = 0; i < len; i++)
		if (p53g_isblank(line[i]))
			return p53g_fail(why, "one entry per line");
	rc = p53g_entry_parse(line, len, &cmd->entry, why);
	if (rc)
		return rc;
	cmd->op = w->op;
	return 0;
}
