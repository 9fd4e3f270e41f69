#ifndef ROUTED_CYAML_SHIM_H
#define ROUTED_CYAML_SHIM_H
// libyaml, the parser Yams wraps, used directly: Yams imports Foundation, whose start-up alone costs
// about 4 ms, and libvirt starts the hook five times per guest lifecycle.
#include <yaml.h>
#endif
