/* error.h: errors that return up to the caller.
 *
 * No function in the engine prints and exits. A function that can fail takes an SlError* (may be
 * NULL), fills it with one message that says where, what was expected, what arrived and the fix,
 * and returns -1 (or NULL). The caller decides what to do with it: the CLI prints
 * "shapelab: error: ..." and exits 2, a lesson prints it as part of the story, a test compares it.
 */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stddef.h>

enum { SL_ERROR_MAX = 1024 };

typedef struct SlError {
    char msg[SL_ERROR_MAX];
} SlError;

#if defined(__GNUC__)
#define SL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SL_PRINTF(a, b)
#endif

/* Fill e (if not NULL) and return -1. */
int sl_errorf(SlError *e, const char *fmt, ...) SL_PRINTF(2, 3);
/* Prefix the existing message: "layer 'dense_1' (Dense): " + old message. Returns -1. */
int sl_error_prefix(SlError *e, const char *fmt, ...) SL_PRINTF(2, 3);
void sl_error_clear(SlError *e);
/* Cut s back so that it does not end inside a UTF-8 character (after a copy into a fixed buffer
 * that may have cut one in two, as snprintf does). */
void sl_utf8_trim(char *s);

#endif
