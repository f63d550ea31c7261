// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel log classification: which lines are splats, and which splats mean
 * page refcount damage of the kind fast GUP causes when it pins pages of a
 * huge pfn mapping (bad page state, VM_BUG_ON_PAGE in bio_release_pages(),
 * refcount_t underflow). Used on /dev/kmsg records in the guest and on the
 * serial console log on the host, so both prefix styles are accepted.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "hp_core.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct splat_pattern {
	const char *text;
	bool at_start;		/* must open the message, not just appear in it */
	unsigned int mask;
};

/*
 * Order matters only for readability: every matching pattern adds its bit,
 * except that the generic "BUG:" opener is dropped when a more precise kind
 * ("BUG: Bad page state", "BUG: KASAN:", "BUG: soft lockup") matched.
 */
static const struct splat_pattern patterns[] = {
	{ "BUG:", true, HP_SPLAT_BUG },
	{ "kernel BUG at", false, HP_SPLAT_BUG },
	{ "Oops:", false, HP_SPLAT_OOPS },
	/* arm64's and riscv's page-fault oops open with this; riscv's die() says "Oops [#1]". */
	{ "Unable to handle kernel", true, HP_SPLAT_OOPS },
	{ "Oops [#", true, HP_SPLAT_OOPS },
	{ "invalid opcode:", true, HP_SPLAT_OOPS },
	{ "WARNING:", true, HP_SPLAT_WARNING },
	{ "Bad page state", false, HP_SPLAT_BAD_PAGE },
	{ "Bad page map", false, HP_SPLAT_BAD_PAGE },
	{ "Bad rss-counter", false, HP_SPLAT_BAD_PAGE },
	/* TTM's own check when it frees a buffer's pages (5.x ttm_page_alloc.c). */
	{ "Erroneous page count", false, HP_SPLAT_BAD_PAGE },
	{ "VM_BUG_ON", false, HP_SPLAT_VM_BUG },
	{ "VM_WARN_ON", false, HP_SPLAT_VM_BUG },
	{ "page dumped because", false, HP_SPLAT_VM_BUG },
	{ "refcount_t:", false, HP_SPLAT_REFCOUNT },
	{ "KASAN:", false, HP_SPLAT_KASAN },
	{ "general protection fault", false, HP_SPLAT_GPF },
	{ "Kernel panic - not syncing", false, HP_SPLAT_PANIC },
	{ "blocked for more than", false, HP_SPLAT_HUNG },
	{ "soft lockup", false, HP_SPLAT_HUNG },
	{ "hard LOCKUP", false, HP_SPLAT_HUNG },
	{ "rcu_sched self-detected stall", false, HP_SPLAT_HUNG },
	{ "detected stalls on CPUs", false, HP_SPLAT_HUNG },
};

static const char *const splat_names[] = {
	"BUG", "Oops", "WARNING", "bad page", "VM_BUG", "refcount",
	"KASAN", "GPF", "panic", "hung",
};

/* "[   12.345678]" or "[    T1]" / "[  C0]" (printk caller id). */
static const char *skip_stamp(const char *p)
{
	const char *q = p + 1;

	if (*p != '[')
		return p;
	while (*q == ' ')
		q++;
	if (*q == 'T' || *q == 'C')
		q++;
	if (!isdigit((unsigned char)*q))
		return p;
	while (isdigit((unsigned char)*q) || *q == '.')
		q++;
	if (*q != ']')
		return p;
	q++;
	while (*q == ' ')
		q++;
	return q;
}

/* Strip "<4>", the /dev/kmsg "4,123,456,-;" header and timestamps. */
static const char *message_start(const char *line)
{
	const char *p = line;
	const char *semi;
	const char *next;

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '<') {
		const char *q = p + 1;

		while (isdigit((unsigned char)*q))
			q++;
		if (q > p + 1 && *q == '>')
			p = q + 1;
	}
	semi = strchr(p, ';');
	if (semi && isdigit((unsigned char)*p)) {
		size_t head = (size_t)(semi - p);

		/* "level,seq,usec,flags[,caller=T1];": no blanks, some commas. */
		if (strcspn(p, " \t") > head && memchr(p, ',', head))
			p = semi + 1;
	}
	while ((next = skip_stamp(p)) != p)
		p = next;
	return p;
}

unsigned int hp_kmsg_classify(const char *line)
{
	unsigned int mask = 0;
	const char *msg;
	size_t i;

	if (!line)
		return 0;
	msg = message_start(line);
	/* Our own markers mention test names; they must never count as splats. */
	if (!strncmp(msg, HP_MARK_PREFIX, strlen(HP_MARK_PREFIX)))
		return 0;
	for (i = 0; i < ARRAY_LEN(patterns); i++) {
		const struct splat_pattern *pt = &patterns[i];

		if (pt->at_start ? !strncmp(msg, pt->text, strlen(pt->text))
				 : strstr(msg, pt->text) != NULL)
			mask |= pt->mask;
	}
	if (!strncmp(msg, "BUG:", 4) && !strstr(msg, "kernel BUG at") &&
	    (mask & (HP_SPLAT_BAD_PAGE | HP_SPLAT_KASAN | HP_SPLAT_HUNG)))
		mask &= ~(unsigned int)HP_SPLAT_BUG;
	return mask;
}

/*
 * Words that tie an otherwise generic BUG/Oops/WARNING line to page
 * refcounting or GUP: the failing assertion sits in mm/ or in the block
 * layer's release of pinned bio pages; or to the page tables of huge
 * mappings that pfnmap_race races: the page walker (walk_pgd_range and
 * its levels), huge PMD/PUD copies, zaps and splits, the page table a huge
 * PMD deposits (pgtable_trans_huge_withdraw), follow_pfnmap_start, and the
 * RSS and page-table accounting an exiting mm checks.
 */
static const char *const damage_words[] = {
	"mm/", "page_ref", "put_page", "folio", "gup", "bio_release_pages",
	"try_grab", "unpin_user", "free_pages", "page_count", "use-after-free",
	"walk_p", "huge_pmd", "huge_pud", "trans_huge", "pfnmap", "rss-counter",
	"pgtables_bytes",
};

bool hp_splat_is_page_damage(unsigned int mask, const char *text)
{
	const unsigned int direct = HP_SPLAT_BAD_PAGE | HP_SPLAT_VM_BUG |
				    HP_SPLAT_REFCOUNT;
	const unsigned int generic = HP_SPLAT_BUG | HP_SPLAT_OOPS |
				     HP_SPLAT_WARNING | HP_SPLAT_KASAN |
				     HP_SPLAT_GPF;
	size_t i;

	if (mask & direct)
		return true;
	if (!(mask & generic) || !text)
		return false;
	for (i = 0; i < ARRAY_LEN(damage_words); i++)
		if (strstr(text, damage_words[i]))
			return true;
	return false;
}

/*
 * The faulting function of an oops's register dump: x86's
 * "RIP: 0010:try_grab_folio+0x109/0x370" (the function after the segment),
 * arm64's "pc : try_get_folio+0x18/0x110" and riscv's
 * "epc : try_get_folio+0x1c/0x120" (a symbol, not the bare address those
 * print first). NULL when @line is none of these.
 */
static const char *fault_site(const char *line)
{
	const char *p = strstr(line, "RIP: ");

	if (p) {
		p = strchr(p, ':');
		p = p ? strchr(p + 1, ':') : NULL;
		return p ? p + 1 : NULL;
	}
	p = strstr(line, "pc : ");
	if (!p)
		return NULL;
	p += strlen("pc : ");
	return strchr(p, '+') ? p : NULL;
}

bool hp_fault_site_is_page_code(const char *line, char *fn, size_t len)
{
	const char *site = fault_site(line);
	size_t i, n;

	if (!site)
		return false;
	n = strcspn(site, "+ ");
	for (i = 0; i < ARRAY_LEN(damage_words); i++) {
		if (!memmem(site, n, damage_words[i], strlen(damage_words[i])))
			continue;
		snprintf(fn, len, "%.*s", (int)n, site);
		return true;
	}
	return false;
}

const char *hp_splat_name(unsigned int mask)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(splat_names); i++)
		if (mask & (1u << i))
			return splat_names[i];
	return "none";
}

/* Letters of /proc/sys/kernel/tainted bits, as print_tainted() shows them. */
static const char taint_letters[] = "PFSRMBUDAWCIOELKXTN";

void hp_taint_describe(unsigned long bits, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int bit;

	if (!len)
		return;
	buf[0] = '\0';
	for (bit = 0; bit < 8 * sizeof(bits); bit++) {
		char item[16];
		int n;

		if (!(bits & (1ul << bit)))
			continue;
		if (bit < sizeof(taint_letters) - 1)
			n = snprintf(item, sizeof(item), "%s%c", used ? " " : "",
				     taint_letters[bit]);
		else
			n = snprintf(item, sizeof(item), "%sbit%u", used ? " " : "",
				     bit);
		if (n < 0 || used + (size_t)n >= len)
			break;
		memcpy(buf + used, item, (size_t)n + 1);
		used += (size_t)n;
	}
}
