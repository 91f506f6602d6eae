/* cdp.c: a headless Chromium over the DevTools protocol's pipe (cdp.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "cdp.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

static const char *chromium(void)
{
    const char *c = getenv("CHROMIUM");
    return c && *c ? c : "chromium";
}

int cdp_available(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", chromium());
    return system(cmd) == 0;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the text of a message ---- */

/* A growing string. */
typedef struct Text {
    char *s;
    size_t n, cap;
    int bad; /* out of memory */
} Text;

static void text_add(Text *t, const char *p, size_t n)
{
    if (t->bad)
        return;
    if (t->n + n + 1 > t->cap) {
        size_t cap = (t->n + n + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->bad = 1;
            return;
        }
        t->s = s, t->cap = cap;
    }
    memcpy(t->s + t->n, p, n);
    t->n += n;
    t->s[t->n] = '\0';
}

static void text_printf(Text *t, const char *fmt, ...) SL_PRINTF(2, 3);
static void text_printf(Text *t, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        text_add(t, small, (size_t)n);
        return;
    }
    t->bad = 1; /* longer pieces go through text_quote */
}

/* s as a JSON string, quotes included. */
static void text_quote(Text *t, const char *s)
{
    text_add(t, "\"", 1);
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            text_add(t, esc, 2);
        } else if (ch < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            text_add(t, esc, 6);
        } else {
            text_add(t, p, 1);
        }
    }
    text_add(t, "\"", 1);
}

/* ---- messages ---- */

/* Send a command (params: a JSON object's text, or NULL) to the page's session, or to the browser
 * when to_page is 0. Returns its id, or -1. */
static int send_cmd(Cdp *c, int to_page, const char *method, const char *params, SlError *e)
{
    Text t = {0};
    int id = ++c->next_id;
    text_printf(&t, "{\"id\":%d,", id);
    if (to_page) {
        text_add(&t, "\"sessionId\":", 12);
        text_quote(&t, c->session);
        text_add(&t, ",", 1);
    }
    text_printf(&t, "\"method\":\"%s\"", method);
    if (params) {
        text_add(&t, ",\"params\":", 10);
        text_add(&t, params, strlen(params));
    }
    text_add(&t, "}", 1);
    if (t.bad) {
        free(t.s);
        return sl_errorf(e, "out of memory for a DevTools message");
    }
    size_t done = 0, n = t.n + 1; /* the NUL ends the message */
    while (done < n) {
        ssize_t k = write(c->to, t.s + done, n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            free(t.s);
            return sl_errorf(e, "cannot write to Chromium (%s): did it exit?", strerror(errno));
        }
        done += (size_t)k;
    }
    free(t.s);
    return id;
}

/* The next message, parsed into d; waits until the deadline. */
static int next_message(Cdp *c, SlJsonDoc *d, long long deadline, SlError *e)
{
    for (;;) {
        char *end = c->n ? memchr(c->buf, '\0', c->n) : NULL;
        if (end) {
            size_t len = (size_t)(end - c->buf);
            int rc = sl_json_parse(d, c->buf, len, e);
            memmove(c->buf, end + 1, c->n - len - 1);
            c->n -= len + 1;
            return rc;
        }
        long long left = deadline - now_ms();
        if (left <= 0)
            return sl_errorf(e, "Chromium did not answer in time");
        struct pollfd p = {c->from, POLLIN, 0};
        int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno != EINTR)
            return sl_errorf(e, "cannot wait for Chromium: %s", strerror(errno));
        if (r <= 0)
            continue;
        if (c->n + 65536 > c->cap) {
            size_t cap = (c->n + 65536) * 2;
            char *b = realloc(c->buf, cap);
            if (!b)
                return sl_errorf(e, "out of memory for Chromium's messages");
            c->buf = b, c->cap = cap;
        }
        ssize_t k = read(c->from, c->buf + c->n, c->cap - c->n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return sl_errorf(e, "Chromium closed its pipe (it exited)");
        c->n += (size_t)k;
    }
}

/* Wait for the reply to command `id` (its "result" into d), or, when event is not NULL, for that
 * event in the page's session. Other messages are passed over. */
static int wait_for(Cdp *c, int id, const char *event, int timeout_ms, SlJsonDoc *d, SlError *e)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (next_message(c, d, deadline, e) < 0)
            return -1;
        const SlJsonNode *root = &d->nodes[0];
        const SlJsonNode *mid = sl_json_get(d, root, "id");
        const SlJsonNode *method = sl_json_get(d, root, "method");
        if (!event && mid && (int)mid->num == id) {
            const SlJsonNode *err = sl_json_get(d, root, "error");
            const SlJsonNode *msg = err ? sl_json_get(d, err, "message") : NULL;
            if (err) {
                sl_errorf(e, "Chromium refused command %d: %s", id,
                          msg && msg->str ? msg->str : "(no message)");
                sl_json_free(d);
                return -1;
            }
            return 0;
        }
        if (event && method && method->str && !strcmp(method->str, event))
            return 0;
        sl_json_free(d);
    }
}

/* Send a command and wait for its reply; d gets the reply (free it) when not NULL. */
static int call(Cdp *c, int to_page, const char *method, const char *params, SlJsonDoc *d,
                int timeout_ms, SlError *e)
{
    SlJsonDoc tmp;
    int id = send_cmd(c, to_page, method, params, e);
    if (id < 0 || wait_for(c, id, NULL, timeout_ms, d ? d : &tmp, e) < 0)
        return -1;
    if (!d)
        sl_json_free(&tmp);
    return 0;
}

/* The string at root.result.KEY of a reply. */
static const char *result_str(const SlJsonDoc *d, const char *key)
{
    const SlJsonNode *r = sl_json_get(d, &d->nodes[0], "result");
    const SlJsonNode *v = r ? sl_json_get(d, r, key) : NULL;
    return v && v->kind == SL_JSON_STRING ? v->str : NULL;
}

/* A command whose parameters end with one quoted string: head, then s, then "}". */
static int call_quoted(Cdp *c, int to_page, const char *method, const char *head, const char *s,
                       SlError *e)
{
    Text t = {0};
    text_add(&t, head, strlen(head));
    text_quote(&t, s);
    text_add(&t, "}", 1);
    int rc = t.bad ? sl_errorf(e, "out of memory") : call(c, to_page, method, t.s, NULL, 10000, e);
    free(t.s);
    return rc;
}

/* ---- the browser ---- */

int cdp_start(Cdp *c, int width, int height, SlError *e)
{
    memset(c, 0, sizeof *c);
    c->to = c->from = -1;
    c->width = width, c->height = height;
    snprintf(c->profile, sizeof c->profile, "/tmp/shapelab-chromium-XXXXXX");
    if (!mkdtemp(c->profile))
        return sl_errorf(e, "cannot make a profile folder: %s", strerror(errno));
    int cmd[2], out[2];
    if (pipe(cmd) != 0 || pipe(out) != 0)
        return sl_errorf(e, "cannot make pipes: %s", strerror(errno));
    char profile_flag[128], size_flag[64];
    snprintf(profile_flag, sizeof profile_flag, "--user-data-dir=%s", c->profile);
    snprintf(size_flag, sizeof size_flag, "--window-size=%d,%d", width, height);
    c->pid = fork();
    if (c->pid < 0)
        return sl_errorf(e, "cannot start Chromium: %s", strerror(errno));
    if (c->pid == 0) {
        /* fds 3 and 4 as Chromium expects them, moved out of the way first */
        int r = fcntl(cmd[0], F_DUPFD, 10), w = fcntl(out[1], F_DUPFD, 10);
        int null = open("/dev/null", O_RDWR);
        if (r < 0 || w < 0 || null < 0 || dup2(r, 3) < 0 || dup2(w, 4) < 0 || dup2(null, 0) < 0 ||
            dup2(null, 1) < 0 || dup2(null, 2) < 0)
            _exit(127);
        for (int fd = 5; fd < 64; fd++)
            close(fd);
        execlp(chromium(), chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               "--force-device-scale-factor=1", "--remote-debugging-pipe", profile_flag, size_flag,
               "about:blank", (char *)NULL);
        _exit(127);
    }
    close(cmd[0]);
    close(out[1]);
    c->to = cmd[1], c->from = out[0];
    signal(SIGPIPE, SIG_IGN); /* a Chromium that died is an error, not a signal */
    return 0;
}

int cdp_open(Cdp *c, const char *url, int timeout_ms, SlError *e)
{
    SlJsonDoc d;
    char params[256];
    if (call(c, 0, "Target.createTarget", "{\"url\":\"about:blank\"}", &d, 20000, e) < 0)
        return -1;
    const char *target = result_str(&d, "targetId");
    snprintf(params, sizeof params, "{\"targetId\":\"%s\",\"flatten\":true}", target ? target : "");
    sl_json_free(&d);
    if (call(c, 0, "Target.attachToTarget", params, &d, 10000, e) < 0)
        return -1;
    const char *session = result_str(&d, "sessionId");
    snprintf(c->session, sizeof c->session, "%s", session ? session : "");
    sl_json_free(&d);
    snprintf(params, sizeof params,
             "{\"width\":%d,\"height\":%d,\"deviceScaleFactor\":1,\"mobile\":false}", c->width,
             c->height);
    if (call(c, 1, "Page.enable", NULL, NULL, 10000, e) < 0 ||
        call(c, 1, "Emulation.setDeviceMetricsOverride", params, NULL, 10000, e) < 0)
        return -1;
    int rc = call_quoted(c, 1, "Page.navigate", "{\"url\":", url, e);
    if (rc < 0 || wait_for(c, 0, "Page.loadEventFired", timeout_ms, &d, e) < 0)
        return sl_error_prefix(e, "loading %s: ", url);
    sl_json_free(&d);
    return 0;
}

char *cdp_eval(Cdp *c, const char *js, int timeout_ms, SlError *e)
{
    SlJsonDoc d;
    Text t = {0};
    text_add(&t, "{\"expression\":", 14);
    text_quote(&t, js);
    text_add(&t, ",\"awaitPromise\":true,\"returnByValue\":true}", 43);
    int rc = t.bad ? sl_errorf(e, "out of memory")
                   : call(c, 1, "Runtime.evaluate", t.s, &d, timeout_ms, e);
    free(t.s);
    if (rc < 0)
        return NULL;
    const SlJsonNode *r = sl_json_get(&d, &d.nodes[0], "result");
    const SlJsonNode *ex = r ? sl_json_get(&d, r, "exceptionDetails") : NULL;
    const SlJsonNode *v = r ? sl_json_get(&d, r, "result") : NULL;
    const SlJsonNode *value = v ? sl_json_get(&d, v, "value") : NULL;
    char *s = NULL;
    if (ex) {
        const SlJsonNode *exc = sl_json_get(&d, ex, "exception");
        const SlJsonNode *desc = exc ? sl_json_get(&d, exc, "description") : NULL;
        const SlJsonNode *text = sl_json_get(&d, ex, "text");
        sl_errorf(e, "the page threw: %s",
                  desc && desc->str   ? desc->str
                  : text && text->str ? text->str
                                      : "?");
    } else if (!value || value->kind != SL_JSON_STRING) {
        sl_errorf(e, "the page's value is not a string");
    } else if (!(s = strdup(value->str))) {
        sl_errorf(e, "out of memory");
    }
    sl_json_free(&d);
    return s;
}

unsigned char *cdp_base64_decode(const char *text, size_t *n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = strlen(text);
    unsigned char *out = malloc(len / 4 * 3 + 3);
    unsigned bits = 0;
    int nbits = 0;
    *n = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len && text[i] != '='; i++) {
        const char *p = strchr(digits, text[i]);
        if (!p || !text[i]) {
            free(out);
            return NULL;
        }
        bits = (bits << 6) | (unsigned)(p - digits);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            out[(*n)++] = (unsigned char)(bits >> nbits);
        }
    }
    return out;
}

int cdp_screenshot(Cdp *c, const char *path, SlError *e)
{
    SlJsonDoc d;
    if (call(c, 1, "Page.captureScreenshot", "{\"format\":\"png\"}", &d, 30000, e) < 0)
        return -1;
    const char *data = result_str(&d, "data");
    size_t n = 0;
    unsigned char *png = data ? cdp_base64_decode(data, &n) : NULL;
    sl_json_free(&d);
    FILE *f = png ? fopen(path, "wb") : NULL;
    int ok = f && fwrite(png, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = 0;
    free(png);
    return ok ? 0 : sl_errorf(e, "%s: cannot save the screenshot", path);
}

int cdp_downloads_to(Cdp *c, const char *dir, SlError *e)
{
    return call_quoted(c, 0, "Browser.setDownloadBehavior",
                       "{\"behavior\":\"allow\",\"downloadPath\":", dir, e);
}

int cdp_insert_text(Cdp *c, const char *text, SlError *e)
{
    return call_quoted(c, 1, "Input.insertText", "{\"text\":", text, e);
}

int cdp_key(Cdp *c, const char *key, SlError *e)
{
    static const struct {
        const char *key, *code, *text;
        int vk;
    } keys[] = {{" ", "Space", " ", 32},
                {"ArrowRight", "ArrowRight", "", 39},
                {"ArrowLeft", "ArrowLeft", "", 37},
                {"+", "Equal", "+", 187},
                {"-", "Minus", "-", 189},
                {"r", "KeyR", "r", 82}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].key, key))
            continue;
        char params[256];
        for (int up = 0; up < 2; up++) {
            snprintf(params, sizeof params,
                     "{\"type\":\"%s\",\"key\":\"%s\",\"code\":\"%s\",\"text\":\"%s\","
                     "\"windowsVirtualKeyCode\":%d}",
                     up ? "keyUp" : (keys[i].text[0] ? "keyDown" : "rawKeyDown"), keys[i].key,
                     keys[i].code, up ? "" : keys[i].text, keys[i].vk);
            if (call(c, 1, "Input.dispatchKeyEvent", params, NULL, 10000, e) < 0)
                return -1;
        }
        return 0;
    }
    return sl_errorf(e, "no key named '%s' here", key);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void cdp_stop(Cdp *c)
{
    SlError e;
    if (c->pid > 0) {
        if (c->to >= 0)
            send_cmd(c, 0, "Browser.close", NULL, &e);
        int status;
        long long deadline = now_ms() + 5000;
        while (waitpid(c->pid, &status, WNOHANG) == 0) {
            if (now_ms() > deadline) { /* it did not close: end it (it is ours, by its id) */
                kill(c->pid, SIGKILL);
                waitpid(c->pid, &status, 0);
                break;
            }
            nanosleep(&(struct timespec){0, 20000000}, NULL);
        }
    }
    if (c->to >= 0)
        close(c->to);
    if (c->from >= 0)
        close(c->from);
    free(c->buf);
    if (c->profile[0] && strncmp(c->profile, "/tmp/shapelab-chromium-", 23) == 0)
        nftw(c->profile, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    memset(c, 0, sizeof *c);
    c->to = c->from = -1;
}
