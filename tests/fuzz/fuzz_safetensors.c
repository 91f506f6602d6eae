/* fuzz_safetensors.c: libFuzzer target for the safetensors reader and its JSON parser (make fuzz;
 * tests/fuzz/README.md).
 *
 * Each input is read twice: as the bytes of a safetensors file (then every tensor it lists is
 * looked up by name and converted), and as JSON text on its own. An error is a fine ending; a
 * crash, a leak, undefined behaviour or an allocation out of proportion is a finding.
 */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use_tensors(const SlSafetensors *st)
{
    SlError e;
    SlShape shape;
    for (int i = 0; i < st->n; i++) {
        const SlStTensor *t = sl_st_find(st, st->tensors[i].name);
        sl_real *v = t ? sl_alloc_zero(t->count + 1, sizeof *v) : NULL;
        if (v)
            sl_st_get(st, t->name, v, t->count, &shape, &e);
        sl_free(v);
    }
    for (int i = 0; i < st->n_meta; i++)
        sl_st_meta(st, st->meta_key[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SlError e;
    unsigned char *file = sl_alloc(size + 1); /* sl_st_parse owns what it reads */
    if (!file)
        return 0;
    memcpy(file, data, size);
    SlSafetensors st;
    if (sl_st_parse(&st, "fuzz.safetensors", file, size, &e) == 0) {
        use_tensors(&st);
        sl_st_free(&st);
    }
    SlJsonDoc d;
    if (sl_json_parse(&d, (const char *)data, size, &e) == 0) {
        if (d.nodes[0].kind == SL_JSON_OBJECT)
            sl_json_get(&d, &d.nodes[0], "__metadata__");
        sl_json_free(&d);
    }
    return 0;
}
