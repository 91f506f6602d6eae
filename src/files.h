/* files.h: how shapelab opens what it reads and writes what it saves.
 *
 * Reading: sl_open_input opens without blocking and refuses what is not a regular file, so a FIFO
 * or a device given as a script or a data file can neither hang a command nor be read forever,
 * and a directory gets a plain error.
 *
 * Writing: every file is written whole or not at all. The content goes to a temporary file with a
 * unique name beside the target, created exclusively (O_EXCL and O_NOFOLLOW: never an existing
 * file, never through a symlink), filled, flushed to the disk (fsync), and renamed over the target
 * only then. On any failure the temporary file is removed and the target is left as it was, so a
 * reader (a test, an image viewer refreshing, the next training run) never sees half a file.
 *
 * Before a command does any work, sl_check_output says whether a path can be written, and
 * sl_same_file whether two paths name one file (an output that would overwrite an input).
 */
#ifndef SL_FILES_H
#define SL_FILES_H

#include <stdio.h>

#include "error.h"

/* Open a regular file to read; its size into *size. NULL with e set to "PATH: ..." when it cannot
 * be opened or is not a regular file (a directory, a FIFO, a device, a socket). */
FILE *sl_open_input(const char *path, unsigned long long *size, SlError *e);

/* Writes the content to f. Returns 0, or an errno value (EIO when there is none to give). */
typedef int (*SlFillFile)(FILE *f, void *ctx);

/* 0, or -1 with e set to "PATH: cannot save: REASON". A file that was at PATH keeps its
 * permissions. */
int sl_save_file(const char *path, SlFillFile fill, void *ctx, SlError *e);

/* Make the renames of files saved in PATH's folder durable too (fsync of the folder): for files
 * that must survive a crash of the machine, such as checkpoints. 0, or -1 with e set. */
int sl_sync_folder(const char *path, SlError *e);

/* Can PATH be saved: its folder exists and is writable, and PATH is not a folder? 0, or -1 with e
 * set to "PATH: cannot write there: REASON". Nothing is created. */
int sl_check_output(const char *path, SlError *e);

/* 1 when a and b name the same file: both exist and are one inode (a hard link or a symlink to
 * it counts), or neither exists yet and both are the same name in the same folder. Else 0. */
int sl_same_file(const char *a, const char *b);

#endif
