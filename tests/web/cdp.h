/* cdp.h: a headless Chromium driven over the DevTools protocol, for the page's test and the
 * try-out that takes the page's screenshots.
 *
 * Chromium runs with --remote-debugging-pipe: it reads commands on its fd 3 and writes replies and
 * events on its fd 4, JSON messages ended by a NUL byte. Nothing goes over the network: the page is
 * a file:// URL, and the flags that start background connections are off (this machine's network
 * is closed, and a test must not depend on one). The profile is a fresh temporary directory,
 * removed at the end. Chromium as root needs --no-sandbox.
 */
#ifndef SL_CDP_H
#define SL_CDP_H

#include <sys/types.h>

#include "error.h"

typedef struct Cdp {
    pid_t pid;
    int to, from; /* the pipe's ends: commands to Chromium, messages from it */
    char *buf;    /* bytes read, not yet split into messages */
    size_t n, cap;
    int next_id;
    char session[128]; /* the page's session (Target.attachToTarget with flatten) */
    char profile[64];  /* the temporary --user-data-dir */
    int width, height; /* the window's size in CSS pixels */
} Cdp;

/* Whether a Chromium can be run here: CHROMIUM from the environment, else `chromium`. */
int cdp_available(void);
/* Start Chromium with a page of width x height CSS pixels (at one device pixel each). */
int cdp_start(Cdp *c, int width, int height, SlError *e);
/* Load url in the page and wait for its load event (at most timeout_ms). */
int cdp_open(Cdp *c, const char *url, int timeout_ms, SlError *e);
/* Evaluate a JavaScript expression in the page, waiting (at most timeout_ms) for its value when it
 * is a promise; the value must be a string: returned in a buffer to free, NULL with e set when
 * the page threw or the time ran out. */
char *cdp_eval(Cdp *c, const char *js, int timeout_ms, SlError *e);
/* Save what the page shows as a PNG file. */
int cdp_screenshot(Cdp *c, const char *path, SlError *e);
/* Downloads go to this folder (the page's "download PNG" buttons). */
int cdp_downloads_to(Cdp *c, const char *dir, SlError *e);
/* Type text into the element that has the focus, as a paste does (one input event). */
int cdp_insert_text(Cdp *c, const char *text, SlError *e);
/* Press a key (" ", "ArrowRight", "+", "r") in the page. */
int cdp_key(Cdp *c, const char *key, SlError *e);
void cdp_stop(Cdp *c);

/* Bytes of a base64 text (a data: URL's payload), in a buffer to free; NULL when malformed. */
unsigned char *cdp_base64_decode(const char *text, size_t *n);

#endif
