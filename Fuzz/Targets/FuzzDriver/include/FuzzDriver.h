#ifndef SWITCHBACK_FUZZ_DRIVER_H
#define SWITCHBACK_FUZZ_DRIVER_H

/// Runs libFuzzer on this executable's LLVMFuzzerTestOneInput. SwiftPM links an
/// executable target with `main` aliased to `<Target>_main`, so each target defines that
/// symbol and calls this instead of relying on libFuzzer's own `main`.
int switchback_fuzz_main(int argc, char **argv);

#endif
