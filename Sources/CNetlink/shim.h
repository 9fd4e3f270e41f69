#ifndef ROUTED_CNETLINK_SHIM_H
#define ROUTED_CNETLINK_SHIM_H
// glibc's <netinet/in.h> must come before the netfilter headers, or it clashes with <linux/in.h>.
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/sched.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <errno.h>
#include <signal.h>
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

/// setns(fd, CLONE_NEWNET): glibc declares setns only under _GNU_SOURCE, which Swift's Glibc module lacks.
static inline int cnl_setns_net(int fd) { return (int)syscall(SYS_setns, fd, CLONE_NEWNET); }

/// syslog(priority, "%s", text): Swift's C variadic path (withVaList) casts every argument to CVarArg at run
/// time, a scan of the binary's protocol conformances per call.
static inline void cnl_syslog(int priority, const char *text) { syslog(priority, "%s", text); }

/// Adds one to a counter in a shared mapping (HookCallCounters.swift): hook processes count concurrently with
/// no lock; a relaxed atomic add is enough, since a reader only ever sums.
static inline void cnl_counter_increment(uint64_t *counter) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

/// Reads a counter another process may be adding to.
static inline uint64_t cnl_counter_load(const uint64_t *counter) { return __atomic_load_n(counter, __ATOMIC_RELAXED); }

/// Closes every descriptor in [first, last]: close_range (Linux 5.9) or, without it, one by one.
static inline void cnl_close_from(unsigned int first, unsigned int last) {
  if (first > last) return;
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
  for (unsigned int fd = first; fd <= last && fd < 65536; fd++) close((int)fd);
}

/// glibc's clone(), declared by <sched.h> only under _GNU_SOURCE, which Swift's Glibc module is built without.
extern int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);

/// The holder process of DeferredRelease.swift (read that file first): keeps only `keep` (an nfnetlink
/// socket) and `marker` (a lock file held shared, or -1), closes everything else (libvirt's stdout and
/// stderr pipes, the hook lock), leaves libvirtd's session, waits one RCU grace period with
/// membarrier(MEMBARRIER_CMD_GLOBAL) (synchronize_rcu() in the kernel) and exits, which releases the socket.
/// It runs on the hook's memory, so it makes system calls only and touches only its own mapping (`fds`, then
/// its stack); its failed calls can write nothing the hook still reads (the hook is blocked in read(), then
/// exits).
static inline int cnl_holder_main(void *fds) {
  int keep = ((int *)fds)[0], marker = ((int *)fds)[1];
  syscall(SYS_prctl, PR_SET_NAME, (unsigned long)"routed-hook-rel", 0, 0, 0);
  syscall(SYS_setsid);
  int low = keep, high = marker;
  if (high >= 0 && high < low) { low = marker; high = keep; }
  if (low > 0) cnl_close_from(0, (unsigned int)low - 1);
  if (high >= 0) {
    if (high > low + 1) cnl_close_from((unsigned int)low + 1, (unsigned int)high - 1);
    cnl_close_from((unsigned int)high + 1, ~0U);
  } else {
    cnl_close_from((unsigned int)low + 1, ~0U);
  }
  syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
  syscall(SYS_exit, 0);
  return 0;
}

/// Starts the holder with clone(CLONE_VM): a process of its own (its own descriptor table, session and
/// exit) that shares the hook's memory, so nothing is copied (0.07 ms against fork's 0.3 ms here) and the
/// hook's exit leaves the address space to it. The hook returns once the holder has closed what it must
/// not hold: a pipe's write end closes with the rest and the hook reads its EOF, so the hook never exits
/// while its holder still holds libvirt's pipes. Returns the holder's pid, -1 on failure.
static inline pid_t cnl_spawn_release_holder(int keep, int marker) {
  // The holder's two descriptor numbers, then its stack: a mapping the exiting hook never unmaps.
  const size_t size = 64 * 1024;
  char *region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (region == MAP_FAILED) return -1;
  int *fds = (int *)region;
  fds[0] = keep;
  fds[1] = marker;
  int closed[2];
  if (pipe(closed) != 0) return -1;
  pid_t pid = clone(cnl_holder_main, region + size, CLONE_VM | SIGCHLD, fds);
  close(closed[1]);
  char byte;
  if (pid > 0) while (read(closed[0], &byte, 1) < 0 && errno == EINTR) {}
  close(closed[0]);
  return pid;
}

#endif
