/* json.h: a small strict JSON reader, enough for safetensors headers.
 *
 * The whole document is parsed into one array of nodes, grown as values come, and one buffer of
 * decoded strings, no longer than the text. Children of an array or object are linked through
 * `next`. Limits (depth, the number of values, the text's size) keep hostile input from exhausting
 * memory or the stack: memory stays proportional to the text and capped.
 */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stddef.h>

#include "error.h"

typedef enum SlJsonKind {
    SL_JSON_NULL,
    SL_JSON_BOOL,
    SL_JSON_NUMBER,
    SL_JSON_STRING,
    SL_JSON_ARRAY,
    SL_JSON_OBJECT
} SlJsonKind;

typedef struct SlJsonNode {
    SlJsonKind kind;
    double num;      /* NUMBER, BOOL (0/1) */
    const char *str; /* STRING value (decoded, NUL-terminated) */
    const char *key; /* member name when inside an object */
    int first;       /* ARRAY/OBJECT: first child's index, or -1 */
    int next;        /* next sibling's index, or -1 */
    int count;       /* ARRAY/OBJECT: number of children */
} SlJsonNode;

typedef struct SlJsonDoc {
    SlJsonNode *nodes; /* nodes[0] is the root */
    int n_nodes;
    char *strings;
} SlJsonDoc;

/* Parse len bytes of text. Errors give the byte offset. */
int sl_json_parse(SlJsonDoc *d, const char *text, size_t len, SlError *e);
void sl_json_free(SlJsonDoc *d);
/* Member of an object by name (the last one, if repeated), or NULL. */
const SlJsonNode *sl_json_get(const SlJsonDoc *d, const SlJsonNode *obj, const char *key);
const SlJsonNode *sl_json_child(const SlJsonDoc *d, const SlJsonNode *n, int i);

#endif
