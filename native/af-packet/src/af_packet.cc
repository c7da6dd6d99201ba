// Minimal senders the daemon needs and Node lacks. Sends are non-blocking and synchronous: each
// message fits any socket buffer, and EAGAIN is reported to the caller instead of blocking the
// event loop.
// - AF_PACKET: open a SOCK_RAW packet socket bound to one interface index, send whole Ethernet
//   frames (for gratuitous ARP, RFC 5227 section 3 / keepalived's vrrp_arp.c behaviour), close.
// - AF_UNIX datagrams to an address given as its exact sun_path bytes, so that Linux abstract
//   addresses (a leading NUL, length-delimited) work: systemd's NOTIFY_SOCKET may be `@name`
//   (sd_notify(3)), which Node's dgram module (no AF_UNIX) and the unix-dgram addon (NUL-terminated
//   paths) cannot reach.
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHECK_NAPI(env, call)                                  \
  do {                                                         \
    if ((call) != napi_ok) {                                   \
      napi_throw_error((env), "EKA_NAPI", "N-API call failed"); \
      return nullptr;                                          \
    }                                                          \
  } while (0)

static napi_value ThrowErrno(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code, msg, error, errnoValue;
  napi_create_string_utf8(env, "EKA_AF_PACKET", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &errnoValue);
  napi_set_named_property(env, error, "errno", errnoValue);
  napi_throw(env, error);
  return nullptr;
}

static bool GetInt32Arg(napi_env env, napi_callback_info info, size_t count, napi_value* args,
                        size_t index, int32_t* out) {
  napi_valuetype type;
  if (index >= count || napi_typeof(env, args[index], &type) != napi_ok || type != napi_number) {
    napi_throw_type_error(env, "EKA_ARG", "expected a number argument");
    return false;
  }
  napi_get_value_int32(env, args[index], out);
  return true;
}

// open(ifindex: number, protocol: number) -> fd
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int32_t ifindex, protocol;
  if (!GetInt32Arg(env, info, argc, args, 0, &ifindex)) return nullptr;
  if (!GetInt32Arg(env, info, argc, args, 1, &protocol)) return nullptr;

  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons((uint16_t)protocol));
  if (fd < 0) return ThrowErrno(env, "socket(AF_PACKET)", errno);

  struct sockaddr_ll addr;
  memset(&addr, 0, sizeof addr);
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons((uint16_t)protocol);
  addr.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "bind(AF_PACKET)", err);
  }
  napi_value result;
  CHECK_NAPI(env, napi_create_int32(env, fd, &result));
  return result;
}

// send(fd: number, frame: Buffer) -> bytes sent
static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int32_t fd;
  if (!GetInt32Arg(env, info, argc, args, 0, &fd)) return nullptr;
  bool isBuffer = false;
  if (argc < 2 || napi_is_buffer(env, args[1], &isBuffer) != napi_ok || !isBuffer) {
    napi_throw_type_error(env, "EKA_ARG", "expected a Buffer frame");
    return nullptr;
  }
  void* data;
  size_t length;
  CHECK_NAPI(env, napi_get_buffer_info(env, args[1], &data, &length));
  ssize_t sent = send(fd, data, length, 0);
  if (sent < 0) return ThrowErrno(env, "send(AF_PACKET)", errno);
  napi_value result;
  CHECK_NAPI(env, napi_create_int64(env, (int64_t)sent, &result));
  return result;
}

// unixOpen() -> fd of an unbound AF_UNIX SOCK_DGRAM socket
static napi_value UnixOpen(napi_env env, napi_callback_info info) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ThrowErrno(env, "socket(AF_UNIX)", errno);
  napi_value result;
  CHECK_NAPI(env, napi_create_int32(env, fd, &result));
  return result;
}

// unixSendTo(fd: number, address: Buffer, data: Buffer) -> bytes sent. `address` is the whole
// sun_path: a path with its NUL, or a NUL then an abstract name; its length is the address length.
static napi_value UnixSendTo(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int32_t fd;
  if (!GetInt32Arg(env, info, argc, args, 0, &fd)) return nullptr;
  void* buffers[2];
  size_t lengths[2];
  for (int i = 0; i < 2; i++) {
    bool isBuffer = false;
    if (argc < (size_t)(i + 2) || napi_is_buffer(env, args[i + 1], &isBuffer) != napi_ok || !isBuffer) {
      napi_throw_type_error(env, "EKA_ARG", "expected Buffer address and data");
      return nullptr;
    }
    CHECK_NAPI(env, napi_get_buffer_info(env, args[i + 1], &buffers[i], &lengths[i]));
  }
  struct sockaddr_un addr;
  if (lengths[0] == 0 || lengths[0] > sizeof addr.sun_path) return ThrowErrno(env, "sendto(AF_UNIX)", ENAMETOOLONG);
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, buffers[0], lengths[0]);
  socklen_t addrLength = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + lengths[0]);
  ssize_t sent = sendto(fd, buffers[1], lengths[1], MSG_NOSIGNAL, (struct sockaddr*)&addr, addrLength);
  if (sent < 0) return ThrowErrno(env, "sendto(AF_UNIX)", errno);
  napi_value result;
  CHECK_NAPI(env, napi_create_int64(env, (int64_t)sent, &result));
  return result;
}

// unixBind(fd: number, address: Buffer) -> undefined: binds to the sun_path bytes (as
// unixSendTo), so a receiver (systemd's side, in the tests) can listen on an abstract address.
static napi_value UnixBind(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int32_t fd;
  if (!GetInt32Arg(env, info, argc, args, 0, &fd)) return nullptr;
  bool isBuffer = false;
  if (argc < 2 || napi_is_buffer(env, args[1], &isBuffer) != napi_ok || !isBuffer) {
    napi_throw_type_error(env, "EKA_ARG", "expected a Buffer address");
    return nullptr;
  }
  void* data;
  size_t length;
  CHECK_NAPI(env, napi_get_buffer_info(env, args[1], &data, &length));
  struct sockaddr_un addr;
  if (length == 0 || length > sizeof addr.sun_path) return ThrowErrno(env, "bind(AF_UNIX)", ENAMETOOLONG);
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, data, length);
  if (bind(fd, (struct sockaddr*)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length)) < 0)
    return ThrowErrno(env, "bind(AF_UNIX)", errno);
  return nullptr;
}

// setSocketOptionInt(fd: number, level: number, name: number, value: number) -> undefined:
// setsockopt with an int value, for options the socket's own module does not offer
// (NETLINK_NO_ENOBUFS and SO_RCVBUFFORCE on the rtnetlink subscriptions, src/net/netlink-fd.ts).
static napi_value SetSocketOptionInt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int32_t fd, level, name, value;
  if (!GetInt32Arg(env, info, argc, args, 0, &fd) || !GetInt32Arg(env, info, argc, args, 1, &level) ||
      !GetInt32Arg(env, info, argc, args, 2, &name) || !GetInt32Arg(env, info, argc, args, 3, &value))
    return nullptr;
  int v = value;
  if (setsockopt(fd, level, name, &v, sizeof v) < 0) return ThrowErrno(env, "setsockopt", errno);
  return nullptr;
}

// close(fd: number) -> undefined
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
  int32_t fd;
  if (!GetInt32Arg(env, info, argc, args, 0, &fd)) return nullptr;
  if (close(fd) < 0) return ThrowErrno(env, "close", errno);
  return nullptr;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"send", nullptr, Send, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unixOpen", nullptr, UnixOpen, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unixSendTo", nullptr, UnixSendTo, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unixBind", nullptr, UnixBind, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setSocketOptionInt", nullptr, SetSocketOptionInt, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  CHECK_NAPI(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
