#ifndef KEEPALIVED_TS_CHECKSOCK_H
#define KEEPALIVED_TS_CHECKSOCK_H
#include <node_api.h>

// checkSocket(udp, ipv6, mark, device, bindAddress, bindPort) / socketMarkAndDevice(fd); see checksock.c.
napi_value CheckSocket(napi_env env, napi_callback_info info);
napi_value SocketMarkAndDevice(napi_env env, napi_callback_info info);

#endif
