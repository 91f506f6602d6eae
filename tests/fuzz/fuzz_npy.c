/* fuzz_npy.c: libFuzzer target for the .npy reader (make fuzz; tests/fuzz/README.md).
 *
 * Each input is a file's bytes, read from memory as sl_npy_read reads a file. An error is a fine
 * ending; a crash, a leak, undefined behaviour or an allocation out of proportion is a finding.
 */
#include <stdint.h>
#include <stdio.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) /* fmemopen wants a buffer; an empty file is in the unit tests */
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    SlNpy a;
    SlError e;
    if (sl_npy_read_stream(&a, f, size, "fuzz.npy", &e) == 0) {
        volatile sl_real sum = 0; /* touch every value the reader says it has */
        for (size_t i = 0; i < sl_shape_count(&a.shape); i++)
            sum += a.data[i];
        (void)sum;
        sl_npy_free(&a);
    }
    fclose(f);
    return 0;
}
