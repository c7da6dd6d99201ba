#ifndef KEEPALIVED_TS_RLIMIT_H
#define KEEPALIVED_TS_RLIMIT_H
#include <node_api.h>

// openFileLimit() / setOpenFileLimit(soft, hard) (RLIMIT_NOFILE); see rlimit.c.
napi_value OpenFileLimit(napi_env env, napi_callback_info info);
napi_value SetOpenFileLimit(napi_env env, napi_callback_info info);

#endif
