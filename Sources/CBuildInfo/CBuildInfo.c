#include "CBuildInfo.h"

const char *switchback_build_version(void) { return SWITCHBACK_VERSION; }
