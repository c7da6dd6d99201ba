// The open-file limit (RLIMIT_NOFILE, getrlimit(2)/setrlimit(2)): keepalived raises it to what its
// checkers need (lib/process.c set_max_file_limit); Node has no API for it.
// openFileLimit() -> { soft, hard } (RLIM_INFINITY as Infinity);
// setOpenFileLimit(soft, hard) sets both; throws with the errno name (EPERM, EINVAL) on failure.
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "rlimit.h"

static napi_value limit_value(napi_env env, rlim_t v) {
  napi_value out;
  napi_create_double(env, v == RLIM_INFINITY ? INFINITY : (double)v, &out);
  return out;
}

static int read_limit(napi_env env, napi_value value, rlim_t* out) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok || isnan(d) || d < 0) return 0;
  *out = isinf(d) ? RLIM_INFINITY : (rlim_t)d;
  return 1;
}

static void throw_errno(napi_env env, int err) {
  napi_value code, message, error;
  const char* name = err == EPERM ? "EPERM" : err == EINVAL ? "EINVAL" : "EIO";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_throw(env, error);
}

napi_value OpenFileLimit(napi_env env, napi_callback_info info) {
  (void)info;
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    throw_errno(env, errno);
    return NULL;
  }
  napi_value out;
  if (napi_create_object(env, &out) != napi_ok ||
      napi_set_named_property(env, out, "soft", limit_value(env, limit.rlim_cur)) != napi_ok ||
      napi_set_named_property(env, out, "hard", limit_value(env, limit.rlim_max)) != napi_ok) {
    napi_throw_error(env, "EKA_RLIMIT", "N-API call failed");
    return NULL;
  }
  return out;
}

napi_value SetOpenFileLimit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct rlimit limit;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      !read_limit(env, argv[0], &limit.rlim_cur) || !read_limit(env, argv[1], &limit.rlim_max)) {
    napi_throw_type_error(env, "EKA_RLIMIT", "setOpenFileLimit(soft, hard) needs two limits");
    return NULL;
  }
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    throw_errno(env, errno);
    return NULL;
  }
  return NULL;
}
