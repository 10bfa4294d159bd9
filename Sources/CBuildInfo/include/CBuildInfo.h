#ifndef SWITCHBACK_CBUILDINFO_H
#define SWITCHBACK_CBUILDINFO_H

/// The version and build this binary was built from (`git describe`), set by the package
/// manifest from SWITCHBACK_VERSION at build time.
const char *switchback_build_version(void);

#endif
