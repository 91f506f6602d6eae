/* error.c: formatting of returned errors. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sl_errorf(SlError *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    sl_utf8_trim(e->msg);
    return -1;
}

int sl_error_prefix(SlError *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char prefix[256], old[SL_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(e->msg, sizeof e->msg, "%s%s", prefix, old);
    sl_utf8_trim(e->msg);
    return -1;
}

void sl_error_clear(SlError *e)
{
    if (e)
        e->msg[0] = '\0';
}

void sl_utf8_trim(char *s)
{
    size_t n = strlen(s), start = n;
    while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
        start--; /* back over continuation bytes to the last character's first byte */
    if (start == 0)
        return;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (start - 1) < need)
        s[start - 1] = '\0';
}
