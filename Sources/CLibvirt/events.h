#ifndef ROUTED_CLIBVIRT_EVENTS_H
#define ROUTED_CLIBVIRT_EVENTS_H
// libvirt's event API for `routed-hook watch`, resolved from the libvirt.so.0 that shim.h loaded. libvirt calls
// back on its event-loop thread; these callbacks only write a fixed-size record into a pipe, which the daemon's
// main loop reads beside its netlink sockets: no Swift closure and no lock crosses the thread boundary.
#include "shim.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  __typeof__(virEventRegisterDefaultImpl) *registerDefaultImpl;
  __typeof__(virEventRunDefaultImpl) *runDefaultImpl;
  __typeof__(virConnectDomainEventRegisterAny) *domainEventRegisterAny;
  __typeof__(virConnectDomainEventDeregisterAny) *domainEventDeregisterAny;
  __typeof__(virConnectRegisterCloseCallback) *registerCloseCallback;
  __typeof__(virConnectUnregisterCloseCallback) *unregisterCloseCallback;
  __typeof__(virConnectSetKeepAlive) *setKeepAlive;
  __typeof__(virDomainGetState) *domainGetState;
} rh_libvirt_events;

/// One event as the main loop reads it. `event` is a virDomainEventType, or RH_EVENT_CLOSED when the
/// connection closed (`detail` is then a virConnectCloseReason).
typedef struct {
  char uuid[VIR_UUID_STRING_BUFLEN];
  char name[64];
  int32_t slot;
  int32_t event;
  int32_t detail;
} rh_libvirt_event;

enum { RH_EVENT_CLOSED = -1 };

/// Where a connection's callbacks write: the pipe, the connection's slot number, and the UUID/name getters
/// (callbacks run on libvirt's thread and may not call back into Swift).
typedef struct {
  int fd;
  int32_t slot;
  __typeof__(virDomainGetUUIDString) *getUUIDString;
  __typeof__(virDomainGetName) *getName;
  /// Set when the pipe was full and an event was dropped: the daemon then lists the domains instead.
  int overflow;
} rh_event_target;

/// Resolves the event functions from `api->handle`; 0, or -1 when libvirt lacks one.
static inline int rh_libvirt_events_load(const rh_libvirt *api, rh_libvirt_events *events) {
#define RH_RESOLVE(field, symbol) \
  if ((events->field = (__typeof__(symbol) *)dlsym(api->handle, #symbol)) == NULL) return -1;
  RH_RESOLVE(registerDefaultImpl, virEventRegisterDefaultImpl)
  RH_RESOLVE(runDefaultImpl, virEventRunDefaultImpl)
  RH_RESOLVE(domainEventRegisterAny, virConnectDomainEventRegisterAny)
  RH_RESOLVE(domainEventDeregisterAny, virConnectDomainEventDeregisterAny)
  RH_RESOLVE(registerCloseCallback, virConnectRegisterCloseCallback)
  RH_RESOLVE(unregisterCloseCallback, virConnectUnregisterCloseCallback)
  RH_RESOLVE(setKeepAlive, virConnectSetKeepAlive)
  RH_RESOLVE(domainGetState, virDomainGetState)
#undef RH_RESOLVE
  return 0;
}

/// A record of at most PIPE_BUF bytes is written atomically. The pipe is non-blocking, so libvirt's thread never
/// waits for the daemon; a full pipe drops the record and sets `overflow`, and the daemon then lists the domains.
static inline void rh_event_write(rh_event_target *target, const rh_libvirt_event *event) {
  ssize_t written;
  while ((written = write(target->fd, event, sizeof *event)) < 0 && errno == EINTR) {}
  if (written < 0) __atomic_store_n(&target->overflow, 1, __ATOMIC_RELEASE);
}

/// Reads and clears the overflow flag.
static inline int rh_event_take_overflow(rh_event_target *target) {
  return __atomic_exchange_n(&target->overflow, 0, __ATOMIC_ACQ_REL);
}

/// Writes one record: `domain`'s UUID and name, or none for a connection's close.
static inline void rh_event_send(rh_event_target *target, int event, int detail, virDomainPtr domain) {
  rh_libvirt_event record;
  memset(&record, 0, sizeof record);
  record.slot = target->slot;
  record.event = event;
  record.detail = detail;
  if (domain) {
    target->getUUIDString(domain, record.uuid);
    const char *name = target->getName(domain);
    if (name) strncpy(record.name, name, sizeof record.name - 1);
  }
  rh_event_write(target, &record);
}

static inline void rh_lifecycle_callback(virConnectPtr conn, virDomainPtr domain, int event, int detail,
                                         void *opaque) {
  (void)conn;
  rh_event_send(opaque, event, detail, domain);
}

static inline void rh_close_callback(virConnectPtr conn, int reason, void *opaque) {
  (void)conn;
  rh_event_send(opaque, RH_EVENT_CLOSED, reason, NULL);
}

/// Registers the lifecycle and close callbacks of `conn`; returns the lifecycle callback id, or -1.
static inline int rh_libvirt_watch(const rh_libvirt_events *events, virConnectPtr conn, rh_event_target *target) {
  int id = events->domainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                          VIR_DOMAIN_EVENT_CALLBACK(rh_lifecycle_callback), target, NULL);
  if (id < 0) return -1;
  if (events->registerCloseCallback(conn, rh_close_callback, target, NULL) < 0) {
    events->domainEventDeregisterAny(conn, id);
    return -1;
  }
  // A dead remote peer is noticed by keepalive; a local libvirtd that dies closes its socket at once.
  events->setKeepAlive(conn, 5, 3);
  return id;
}

static inline void rh_libvirt_unwatch(const rh_libvirt_events *events, virConnectPtr conn, int id) {
  events->unregisterCloseCallback(conn, rh_close_callback);
  if (id >= 0) events->domainEventDeregisterAny(conn, id);
}

static inline void *rh_event_loop_main(void *argument) {
  const rh_libvirt_events *events = argument;
  for (;;) {
    if (events->runDefaultImpl() < 0) usleep(100000);
  }
  return NULL;
}

/// Starts libvirt's default event loop on a thread of its own, which runs for the life of the process.
/// virEventRegisterDefaultImpl must have been called before any connection is opened.
static inline int rh_libvirt_start_event_loop(const rh_libvirt_events *events) {
  pthread_t thread;
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  int status = pthread_create(&thread, &attributes, rh_event_loop_main, (void *)events);
  pthread_attr_destroy(&attributes);
  return status == 0 ? 0 : -1;
}

#endif
