// The credentials of a unix socket's peer (SO_PEERCRED, unix(7)), for the daemon's control socket:
// Node has no API for them. peerCredentials(fd) -> { pid, uid, gid } of the process that
// connected, as the kernel recorded them at connect time; throws with the errno text on failure.
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "peercred.h"

napi_value PeerCredentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "EKA_PEERCRED", "peerCredentials(fd) needs a file descriptor");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    napi_throw_error(env, "EKA_PEERCRED", strerror(errno));
    return NULL;
  }
  napi_value out, pid, uid, gid;
  if (napi_create_object(env, &out) != napi_ok || napi_create_int32(env, cred.pid, &pid) != napi_ok ||
      napi_create_uint32(env, cred.uid, &uid) != napi_ok || napi_create_uint32(env, cred.gid, &gid) != napi_ok ||
      napi_set_named_property(env, out, "pid", pid) != napi_ok ||
      napi_set_named_property(env, out, "uid", uid) != napi_ok ||
      napi_set_named_property(env, out, "gid", gid) != napi_ok) {
    napi_throw_error(env, "EKA_PEERCRED", "N-API call failed");
    return NULL;
  }
  return out;
}
