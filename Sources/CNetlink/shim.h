#ifndef ROUTED_CNETLINK_SHIM_H
#define ROUTED_CNETLINK_SHIM_H
// glibc's <netinet/in.h> must come before the netfilter headers, or it clashes with <linux/in.h>.
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>

// Function-like macros do not import into Swift; these shims stand in for them.

/// MNL_SOCKET_BUFFER_SIZE: large enough for any single netlink reply the kernel sends.
static inline size_t cnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }

/// NLMSG_ALIGN for walking a buffer of netlink messages.
static inline uint32_t cnl_nlmsg_align(uint32_t len) { return NLMSG_ALIGN(len); }

/// NLA_ALIGN for walking attributes.
static inline uint32_t cnl_nla_align(uint32_t len) { return NLA_ALIGN(len); }

/// setns(fd, CLONE_NEWNET): glibc declares setns only under _GNU_SOURCE, which Swift's Glibc module lacks.
static inline int cnl_setns_net(int fd) { return (int)syscall(SYS_setns, fd, CLONE_NEWNET); }

/// syslog(priority, "%s", text): Swift's C variadic path (withVaList) casts every argument to CVarArg at run
/// time, a scan of the binary's protocol conformances per call.
static inline void cnl_syslog(int priority, const char *text) { syslog(priority, "%s", text); }

#endif
