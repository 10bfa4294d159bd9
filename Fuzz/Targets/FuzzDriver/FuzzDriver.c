#include "FuzzDriver.h"
#include <stddef.h>
#include <stdint.h>

// Both come from the executable: libFuzzer (linked by -sanitize=fuzzer) and the
// target's @_cdecl("LLVMFuzzerTestOneInput").
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
extern int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int switchback_fuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
