// A health checker's socket with the options Node cannot set: SO_MARK (fwmark) and
// SO_BINDTODEVICE (bind_if), set before bind() as keepalived does (core/layer4.c
// socket_bind_connect, udp_bind_connect).
//
// checkSocket(udp, ipv6, mark, device, bindAddress, bindPort) -> fd: a non-blocking,
// close-on-exec TCP (udp false) or UDP socket of AF_INET or AF_INET6; SO_MARK when mark is not 0,
// SO_BINDTODEVICE when device is a string, then bind() when bindAddress is a string or bindPort
// is not 0 (the wildcard address of the family for a port alone). It is not connected: the caller
// hands the fd to libuv (net.Socket, dgram) and connects there. On failure nothing is left open
// and the Error thrown has `code` (the errno name: EPERM, ENODEV, EADDRNOTAVAIL, ...) and
// `syscall` (socket, SO_MARK, SO_BINDTODEVICE, bind).
//
// socketMarkAndDevice(fd) -> { mark, device }: SO_MARK and SO_BINDTODEVICE read back with
// getsockopt (device '' when unbound), for tests and diagnostics.
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksock.h"

static void throw_errno(napi_env env, int err, const char* syscall) {
  napi_value code, message, call, error;
  const char* name = uv_err_name(-err);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &call);
  napi_create_error(env, code, message, &error);
  napi_set_named_property(env, error, "syscall", call);
  napi_value number;
  napi_create_int32(env, -err, &number);
  napi_set_named_property(env, error, "errno", number);
  napi_throw(env, error);
}

static bool is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) != napi_ok || t == napi_null || t == napi_undefined;
}

// A string argument into buf (at most size - 1 bytes); false when it is not a string or too long.
static bool read_string(napi_env env, napi_value v, char* buf, size_t size) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len >= size) return false;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok;
}

napi_value CheckSocket(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  bool udp, ipv6;
  uint32_t mark, port;
  char device[IFNAMSIZ];
  char address[INET6_ADDRSTRLEN];
  bool has_device = false, has_address = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 ||
      napi_get_value_bool(env, argv[0], &udp) != napi_ok || napi_get_value_bool(env, argv[1], &ipv6) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &mark) != napi_ok || napi_get_value_uint32(env, argv[5], &port) != napi_ok ||
      port > 65535) {
    napi_throw_type_error(env, "EKA_CHECKSOCK",
                          "checkSocket(udp, ipv6, mark, device, bindAddress, bindPort) needs its six arguments");
    return NULL;
  }
  if (!is_null(env, argv[3])) {
    if (!read_string(env, argv[3], device, sizeof device)) {
      napi_throw_type_error(env, "EKA_CHECKSOCK", "checkSocket: device must be an interface name of at most 15 bytes");
      return NULL;
    }
    has_device = true;
  }
  if (!is_null(env, argv[4])) {
    if (!read_string(env, argv[4], address, sizeof address)) {
      napi_throw_type_error(env, "EKA_CHECKSOCK", "checkSocket: bindAddress must be an address");
      return NULL;
    }
    has_address = true;
  }

  struct sockaddr_storage local;
  socklen_t local_len;
  memset(&local, 0, sizeof local);
  if (ipv6) {
    struct sockaddr_in6* a = (struct sockaddr_in6*)&local;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    a->sin6_addr = in6addr_any;
    local_len = sizeof *a;
    if (has_address && inet_pton(AF_INET6, address, &a->sin6_addr) != 1) {
      throw_errno(env, EINVAL, "bind");
      return NULL;
    }
  } else {
    struct sockaddr_in* a = (struct sockaddr_in*)&local;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    a->sin_addr.s_addr = htonl(INADDR_ANY);
    local_len = sizeof *a;
    if (has_address && inet_pton(AF_INET, address, &a->sin_addr) != 1) {
      throw_errno(env, EINVAL, "bind");
      return NULL;
    }
  }

  int fd = socket(ipv6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  udp ? IPPROTO_UDP : IPPROTO_TCP);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return NULL;
  }
  const char* failed = NULL;
  if (mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0)
    failed = "SO_MARK";
  else if (has_device && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device) + 1) != 0)
    failed = "SO_BINDTODEVICE";
  else if ((has_address || port != 0) && bind(fd, (struct sockaddr*)&local, local_len) != 0)
    failed = "bind";
  if (failed != NULL) {
    int err = errno;
    close(fd);
    throw_errno(env, err, failed);
    return NULL;
  }
  napi_value out;
  if (napi_create_int32(env, fd, &out) != napi_ok) {
    close(fd);
    napi_throw_error(env, "EKA_CHECKSOCK", "N-API call failed");
    return NULL;
  }
  return out;
}

napi_value SocketMarkAndDevice(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "EKA_CHECKSOCK", "socketMarkAndDevice(fd) needs a file descriptor");
    return NULL;
  }
  uint32_t mark = 0;
  socklen_t mark_len = sizeof mark;
  if (getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &mark_len) != 0) {
    throw_errno(env, errno, "SO_MARK");
    return NULL;
  }
  char device[IFNAMSIZ] = "";
  socklen_t device_len = sizeof device;
  if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, &device_len) != 0) {
    throw_errno(env, errno, "SO_BINDTODEVICE");
    return NULL;
  }
  device[device_len < sizeof device ? device_len : sizeof device - 1] = '\0';
  napi_value out, m, d;
  if (napi_create_object(env, &out) != napi_ok || napi_create_uint32(env, mark, &m) != napi_ok ||
      napi_create_string_utf8(env, device, NAPI_AUTO_LENGTH, &d) != napi_ok ||
      napi_set_named_property(env, out, "mark", m) != napi_ok ||
      napi_set_named_property(env, out, "device", d) != napi_ok) {
    napi_throw_error(env, "EKA_CHECKSOCK", "N-API call failed");
    return NULL;
  }
  return out;
}
