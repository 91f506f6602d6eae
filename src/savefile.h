/* savefile.h: every file shapelab writes is written whole or not at all.
 *
 * The content goes to PATH.tmp, which is renamed over PATH only once every byte is written and the
 * file closed. On any failure PATH.tmp is removed and PATH is left as it was, so a reader (a test,
 * an image viewer refreshing, the next training run) never sees half a file.
 */
#ifndef SL_SAVEFILE_H
#define SL_SAVEFILE_H

#include <stdio.h>

#include "error.h"

/* Writes the content to f. Returns 0, or an errno value (EIO when there is none to give). */
typedef int (*SlFillFile)(FILE *f, void *ctx);

/* 0, or -1 with e set to "PATH: cannot save: REASON". */
int sl_save_file(const char *path, SlFillFile fill, void *ctx, SlError *e);

#endif
