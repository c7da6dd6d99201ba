#ifndef KEEPALIVED_TS_PEERCRED_H
#define KEEPALIVED_TS_PEERCRED_H
#include <node_api.h>

// peerCredentials(fd) -> { pid, uid, gid } (SO_PEERCRED); see peercred.c.
napi_value PeerCredentials(napi_env env, napi_callback_info info);

#endif
