// Signal watching for any signal number on Node's own libuv loop. Node's process.on() knows only
// the named standard signals, so real-time signals (keepalived's SIGRTMIN+2 JSON dump and
// SIGRTMAX-1 stats clear) would otherwise take their default action and end the process.
//
// Each watched signal gets a uv_signal_t: libuv installs one sigaction handler per signal that
// writes to its signal pipe, whichever thread the kernel delivers to, and runs our callback on the
// loop thread, where it is handed to JavaScript through a thread-safe function. Real-time signals
// are queued by the kernel and each delivery reaches the callback. The handles are unreferenced:
// watching a signal never keeps the process alive.
#include <node_api.h>
#include <uv.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "peercred.h"
#include "rlimit.h"
#include "checksock.h"

#define MAX_SIGNAL 65

static uv_signal_t* handles[MAX_SIGNAL];
static napi_threadsafe_function callback = NULL;

#define CHECK_NAPI(env, call)                                           \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error((env), "EKA_SIGNALS", "N-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static void CallJs(napi_env env, napi_value js_callback, void* context, void* data) {
  (void)context;
  if (env == NULL || js_callback == NULL) return;
  napi_value undefined, argv[1];
  napi_get_undefined(env, &undefined);
  napi_create_int32(env, (int32_t)(intptr_t)data, &argv[0]);
  napi_call_function(env, undefined, js_callback, 1, argv, NULL);
}

static void OnSignal(uv_signal_t* handle, int signum) {
  (void)handle;
  if (callback != NULL) napi_call_threadsafe_function(callback, (void*)(intptr_t)signum, napi_tsfn_nonblocking);
}

// setCallback(fn): the one JavaScript function every watched signal is delivered to.
static napi_value SetCallback(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type;
  CHECK_NAPI(env, napi_typeof(env, argv[0], &type));
  if (argc < 1 || type != napi_function) {
    napi_throw_type_error(env, "EKA_SIGNALS", "setCallback(fn) needs a function");
    return NULL;
  }
  if (callback != NULL) {
    napi_release_threadsafe_function(callback, napi_tsfn_abort);
    callback = NULL;
  }
  napi_value name;
  CHECK_NAPI(env, napi_create_string_utf8(env, "keepalived-ts signal", NAPI_AUTO_LENGTH, &name));
  CHECK_NAPI(env, napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, CallJs,
                                                  &callback));
  CHECK_NAPI(env, napi_unref_threadsafe_function(env, callback));
  return NULL;
}

// watch(signum): deliver signum to the callback from now on (idempotent).
static napi_value Watch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t signum;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &signum) != napi_ok || signum < 1 || signum >= MAX_SIGNAL ||
      signum == SIGKILL || signum == SIGSTOP) {
    napi_throw_range_error(env, "EKA_SIGNALS", "watch(signum): not a signal that can be caught");
    return NULL;
  }
  if (handles[signum] != NULL) return NULL;
  uv_loop_t* loop;
  CHECK_NAPI(env, napi_get_uv_event_loop(env, &loop));
  uv_signal_t* handle = malloc(sizeof *handle);
  if (handle == NULL || uv_signal_init(loop, handle) != 0) {
    free(handle);
    napi_throw_error(env, "EKA_SIGNALS", "uv_signal_init failed");
    return NULL;
  }
  int rc = uv_signal_start(handle, OnSignal, signum);
  if (rc != 0) {
    uv_close((uv_handle_t*)handle, (uv_close_cb)free);
    napi_throw_error(env, "EKA_SIGNALS", uv_strerror(rc));
    return NULL;
  }
  uv_unref((uv_handle_t*)handle);
  handles[signum] = handle;
  return NULL;
}

// unwatch(signum): stop watching; the signal's disposition goes back to its default.
static napi_value Unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t signum;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &signum) != napi_ok || signum < 1 || signum >= MAX_SIGNAL)
    return NULL;
  uv_signal_t* handle = handles[signum];
  if (handle == NULL) return NULL;
  handles[signum] = NULL;
  uv_signal_stop(handle);
  uv_close((uv_handle_t*)handle, (uv_close_cb)free);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setCallback", NULL, SetCallback, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, Watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, Unwatch, NULL, NULL, NULL, napi_default, NULL},
      // Not signals: the other system calls the daemon needs and Node lacks (peercred.c, rlimit.c,
      // checksock.c).
      {"peerCredentials", NULL, PeerCredentials, NULL, NULL, NULL, napi_default, NULL},
      {"openFileLimit", NULL, OpenFileLimit, NULL, NULL, NULL, napi_default, NULL},
      {"setOpenFileLimit", NULL, SetOpenFileLimit, NULL, NULL, NULL, napi_default, NULL},
      {"checkSocket", NULL, CheckSocket, NULL, NULL, NULL, napi_default, NULL},
      {"socketMarkAndDevice", NULL, SocketMarkAndDevice, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK_NAPI(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  napi_value rtmin, rtmax;
  // glibc reserves the first real-time signals for itself: SIGRTMIN is a run-time value.
  CHECK_NAPI(env, napi_create_int32(env, SIGRTMIN, &rtmin));
  CHECK_NAPI(env, napi_create_int32(env, SIGRTMAX, &rtmax));
  CHECK_NAPI(env, napi_set_named_property(env, exports, "SIGRTMIN", rtmin));
  CHECK_NAPI(env, napi_set_named_property(env, exports, "SIGRTMAX", rtmax));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
