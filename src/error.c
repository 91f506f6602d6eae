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
    return -1;
}

void sl_error_clear(SlError *e)
{
    if (e)
        e->msg[0] = '\0';
}
