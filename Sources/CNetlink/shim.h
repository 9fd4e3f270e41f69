#ifndef ROUTED_CNETLINK_SHIM_H
#define ROUTED_CNETLINK_SHIM_H
// glibc's <netinet/in.h> must come before the netfilter headers, or it clashes with <linux/in.h>.
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#endif
