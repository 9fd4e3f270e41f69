#ifndef ROUTED_CLIBVIRT_SHIM_H
#define ROUTED_CLIBVIRT_SHIM_H
// libvirt's headers only give the types; nothing here links libvirt. `rh_libvirt_load` dlopen()s it at run
// time, so the hook binary (started five times per guest lifecycle) never loads libvirt and its dependencies.
#include <dlfcn.h>
#include <stddef.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/// The few libvirt entry points reconcile uses, resolved from libvirt.so.0.
typedef struct {
  void *handle;
  __typeof__(virConnectOpenReadOnly) *connectOpenReadOnly;
  __typeof__(virConnectClose) *connectClose;
  __typeof__(virConnectListAllDomains) *connectListAllDomains;
  __typeof__(virDomainGetName) *domainGetName;
  __typeof__(virDomainGetUUIDString) *domainGetUUIDString;
  __typeof__(virDomainGetXMLDesc) *domainGetXMLDesc;
  __typeof__(virDomainGetState) *domainGetState;
  __typeof__(virDomainFree) *domainFree;
  __typeof__(virGetLastError) *getLastError;
  __typeof__(virGetLastErrorMessage) *getLastErrorMessage;
  __typeof__(virSetErrorFunc) *setErrorFunc;
} rh_libvirt;

// libvirt prints every error to stderr unless a handler is set; reconcile reports them itself, one line each.
static inline void rh_libvirt_quiet(void *user_data, virErrorPtr error) {
  (void)user_data;
  (void)error;
}

/// Loads libvirt.so.0 into `api`; returns 0, or -1 with dlerror()'s text in `api->handle == NULL` cases.
static inline int rh_libvirt_load(rh_libvirt *api) {
  api->handle = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
  if (api->handle == NULL) return -1;
#define RH_RESOLVE(field, symbol) \
  if ((api->field = (__typeof__(symbol) *)dlsym(api->handle, #symbol)) == NULL) return -1;
  RH_RESOLVE(connectOpenReadOnly, virConnectOpenReadOnly)
  RH_RESOLVE(connectClose, virConnectClose)
  RH_RESOLVE(connectListAllDomains, virConnectListAllDomains)
  RH_RESOLVE(domainGetName, virDomainGetName)
  RH_RESOLVE(domainGetUUIDString, virDomainGetUUIDString)
  RH_RESOLVE(domainGetXMLDesc, virDomainGetXMLDesc)
  RH_RESOLVE(domainGetState, virDomainGetState)
  RH_RESOLVE(domainFree, virDomainFree)
  RH_RESOLVE(getLastError, virGetLastError)
  RH_RESOLVE(getLastErrorMessage, virGetLastErrorMessage)
  RH_RESOLVE(setErrorFunc, virSetErrorFunc)
#undef RH_RESOLVE
  api->setErrorFunc(NULL, rh_libvirt_quiet);
  return 0;
}

/// dlerror()'s text after a failed load, or NULL.
static inline const char *rh_libvirt_load_error(void) { return dlerror(); }

/// The code of libvirt's last error on this thread (virErrorNumber), or -1.
static inline int rh_libvirt_last_code(const rh_libvirt *api) {
  virErrorPtr error = api->getLastError();
  return error ? error->code : -1;
}

#endif
