/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin's JSON reader (json.c): the records the guest writes and the
 * report.json files of earlier runs. Pure: text in, tree out.
 */
#ifndef HP_JSON_H
#define HP_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "hp_core.h"

enum hp_json_type {
	HP_JSON_NULL,
	HP_JSON_BOOL,
	HP_JSON_NUMBER,
	HP_JSON_STRING,
	HP_JSON_ARRAY,
	HP_JSON_OBJECT,
};

struct hp_json {
	enum hp_json_type type;
	char *key;		/* member name inside an object, else NULL */
	char *str;		/* HP_JSON_STRING, unescaped; "\u0000" becomes '?' */
	double num;
	bool b;
	struct hp_json *child;	/* first element or member */
	struct hp_json *next;	/* next sibling */
};

/* Nesting deeper than this is refused rather than recursed into. */
#define HP_JSON_MAX_DEPTH 32

/* Parse exactly one JSON value (surrounding blanks allowed); NULL on error. */
struct hp_json *hp_json_parse(const char *text, size_t len);
void hp_json_free(struct hp_json *j);
/* Member of an object by name, NULL when absent or @obj is not an object. */
const struct hp_json *hp_json_get(const struct hp_json *obj, const char *key);
/* Typed member access with a fallback for absent or mistyped members. */
const char *hp_json_str(const struct hp_json *obj, const char *key, const char *dflt);
double hp_json_num(const struct hp_json *obj, const char *key, double dflt);
/* Fill @r from a result object (the record format); -EINVAL when it is not one. */
int hp_json_to_result(const struct hp_json *obj, struct hp_result *r);

#endif /* HP_JSON_H */
