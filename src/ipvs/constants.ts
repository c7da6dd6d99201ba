/**
 * Constants of the IPVS generic netlink family and of netlink itself. Each value carries its
 * original kernel name (`<linux/ip_vs.h>`, `<linux/netlink.h>`, `<linux/genetlink.h>`) so the
 * code can be read side by side with the uapi headers. Enum values are positional in the
 * headers; they are written out here and checked against the header order in the unit tests.
 */

// ---------------------------------------------------------------------------------------------
// <linux/netlink.h>
// ---------------------------------------------------------------------------------------------

/** NETLINK_GENERIC: the socket protocol generic netlink families share. */
export const NETLINK_GENERIC = 16;

/** NLMSG_NOOP */
export const NLMSG_NOOP = 1;
/** NLMSG_ERROR: an error or (error 0) an acknowledgement. */
export const NLMSG_ERROR = 2;
/** NLMSG_DONE: end of a multipart (dump) reply. */
export const NLMSG_DONE = 3;
/** NLMSG_OVERRUN */
export const NLMSG_OVERRUN = 4;

/** NLM_F_REQUEST */
export const NLM_F_REQUEST = 0x1;
/** NLM_F_MULTI: part of a multipart reply, terminated by NLMSG_DONE. */
export const NLM_F_MULTI = 0x2;
/** NLM_F_ACK: ask for an acknowledgement. */
export const NLM_F_ACK = 0x4;
/** NLM_F_ROOT */
export const NLM_F_ROOT = 0x100;
/** NLM_F_MATCH */
export const NLM_F_MATCH = 0x200;
/** NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH */
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** NLM_F_CAPPED (in NLMSG_ERROR replies): the original message was cut to its header. */
export const NLM_F_CAPPED = 0x100;
/** NLM_F_ACK_TLVS (in NLMSG_ERROR replies): extended ack attributes follow. */
export const NLM_F_ACK_TLVS = 0x200;

/** NLMSG_ALIGNTO */
export const NLMSG_ALIGNTO = 4;
/** sizeof(struct nlmsghdr) */
export const NLMSG_HDRLEN = 16;
/** NLA_ALIGNTO */
export const NLA_ALIGNTO = 4;
/** NLA_HDRLEN = sizeof(struct nlattr) */
export const NLA_HDRLEN = 4;
/** NLA_F_NESTED */
export const NLA_F_NESTED = 0x8000;
/** NLA_F_NET_BYTEORDER */
export const NLA_F_NET_BYTEORDER = 0x4000;
/** NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) */
export const NLA_TYPE_MASK = 0x3fff;

/** enum nlmsgerr_attrs: NLMSGERR_ATTR_MSG (extended ack text). */
export const NLMSGERR_ATTR_MSG = 1;

// ---------------------------------------------------------------------------------------------
// <linux/genetlink.h>
// ---------------------------------------------------------------------------------------------

/** GENL_HDRLEN = sizeof(struct genlmsghdr) */
export const GENL_HDRLEN = 4;
/** GENL_ID_CTRL: the controller family, which resolves names to ids. */
export const GENL_ID_CTRL = 16;
/** CTRL_CMD_GETFAMILY */
export const CTRL_CMD_GETFAMILY = 3;
/** The controller's version as sent by libnl and iproute2. */
export const CTRL_VERSION = 1;
/** CTRL_ATTR_FAMILY_ID (u16) */
export const CTRL_ATTR_FAMILY_ID = 1;
/** CTRL_ATTR_FAMILY_NAME (NUL-terminated string) */
export const CTRL_ATTR_FAMILY_NAME = 2;
/** CTRL_ATTR_VERSION (u32) */
export const CTRL_ATTR_VERSION = 3;
/** CTRL_ATTR_HDRSIZE (u32) */
export const CTRL_ATTR_HDRSIZE = 4;
/** CTRL_ATTR_MAXATTR (u32) */
export const CTRL_ATTR_MAXATTR = 5;

// ---------------------------------------------------------------------------------------------
// <linux/ip_vs.h>: family
// ---------------------------------------------------------------------------------------------

/** IPVS_GENL_NAME */
export const IPVS_GENL_NAME = 'IPVS';
/** IPVS_GENL_VERSION */
export const IPVS_GENL_VERSION = 0x1;

/** IP_VS_SCHEDNAME_MAXLEN (including the NUL) */
export const IP_VS_SCHEDNAME_MAXLEN = 16;
/** IP_VS_PENAME_MAXLEN (including the NUL) */
export const IP_VS_PENAME_MAXLEN = 16;
/** IP_VS_IFNAME_MAXLEN (including the NUL) */
export const IP_VS_IFNAME_MAXLEN = 16;

// enum { IPVS_CMD_UNSPEC = 0, ... }
export const IPVS_CMD = {
  /** IPVS_CMD_NEW_SERVICE */ NEW_SERVICE: 1,
  /** IPVS_CMD_SET_SERVICE */ SET_SERVICE: 2,
  /** IPVS_CMD_DEL_SERVICE */ DEL_SERVICE: 3,
  /** IPVS_CMD_GET_SERVICE */ GET_SERVICE: 4,
  /** IPVS_CMD_NEW_DEST */ NEW_DEST: 5,
  /** IPVS_CMD_SET_DEST */ SET_DEST: 6,
  /** IPVS_CMD_DEL_DEST */ DEL_DEST: 7,
  /** IPVS_CMD_GET_DEST */ GET_DEST: 8,
  /** IPVS_CMD_NEW_DAEMON */ NEW_DAEMON: 9,
  /** IPVS_CMD_DEL_DAEMON */ DEL_DAEMON: 10,
  /** IPVS_CMD_GET_DAEMON */ GET_DAEMON: 11,
  /** IPVS_CMD_SET_CONFIG */ SET_CONFIG: 12,
  /** IPVS_CMD_GET_CONFIG */ GET_CONFIG: 13,
  /** IPVS_CMD_SET_INFO */ SET_INFO: 14,
  /** IPVS_CMD_GET_INFO */ GET_INFO: 15,
  /** IPVS_CMD_ZERO */ ZERO: 16,
  /** IPVS_CMD_FLUSH */ FLUSH: 17,
} as const;
export type IpvsCmdName = keyof typeof IPVS_CMD;

// enum { IPVS_CMD_ATTR_UNSPEC = 0, ... }: top-level attributes of every IPVS command
export const IPVS_CMD_ATTR = {
  /** IPVS_CMD_ATTR_SERVICE (nested IPVS_SVC_ATTR_*) */ SERVICE: 1,
  /** IPVS_CMD_ATTR_DEST (nested IPVS_DEST_ATTR_*) */ DEST: 2,
  /** IPVS_CMD_ATTR_DAEMON (nested IPVS_DAEMON_ATTR_*) */ DAEMON: 3,
  /** IPVS_CMD_ATTR_TIMEOUT_TCP (u32 seconds) */ TIMEOUT_TCP: 4,
  /** IPVS_CMD_ATTR_TIMEOUT_TCP_FIN (u32 seconds) */ TIMEOUT_TCP_FIN: 5,
  /** IPVS_CMD_ATTR_TIMEOUT_UDP (u32 seconds) */ TIMEOUT_UDP: 6,
} as const;

// enum { IPVS_SVC_ATTR_UNSPEC = 0, ... }
export const IPVS_SVC_ATTR = {
  /** IPVS_SVC_ATTR_AF (u16, AF_INET / AF_INET6) */ AF: 1,
  /** IPVS_SVC_ATTR_PROTOCOL (u16, IPPROTO_*) */ PROTOCOL: 2,
  /** IPVS_SVC_ATTR_ADDR (union nf_inet_addr, 16 bytes) */ ADDR: 3,
  /** IPVS_SVC_ATTR_PORT (__be16 in a u16 attribute) */ PORT: 4,
  /** IPVS_SVC_ATTR_FWMARK (u32) */ FWMARK: 5,
  /** IPVS_SVC_ATTR_SCHED_NAME (string) */ SCHED_NAME: 6,
  /** IPVS_SVC_ATTR_FLAGS (struct ip_vs_flags { u32 flags; u32 mask; }) */ FLAGS: 7,
  /** IPVS_SVC_ATTR_TIMEOUT (u32, persistence seconds) */ TIMEOUT: 8,
  /** IPVS_SVC_ATTR_NETMASK (__be32 mask for IPv4, prefix length for IPv6) */ NETMASK: 9,
  /** IPVS_SVC_ATTR_STATS (nested IPVS_STATS_ATTR_*, 32-bit counters) */ STATS: 10,
  /** IPVS_SVC_ATTR_PE_NAME (string) */ PE_NAME: 11,
  /** IPVS_SVC_ATTR_STATS64 (nested IPVS_STATS_ATTR_*, 64-bit counters) */ STATS64: 12,
} as const;

// enum { IPVS_DEST_ATTR_UNSPEC = 0, ... }
export const IPVS_DEST_ATTR = {
  /** IPVS_DEST_ATTR_ADDR (union nf_inet_addr, 16 bytes) */ ADDR: 1,
  /** IPVS_DEST_ATTR_PORT (__be16 in a u16 attribute) */ PORT: 2,
  /** IPVS_DEST_ATTR_FWD_METHOD (u32, IP_VS_CONN_F_* & IP_VS_CONN_F_FWD_MASK) */ FWD_METHOD: 3,
  /** IPVS_DEST_ATTR_WEIGHT (u32) */ WEIGHT: 4,
  /** IPVS_DEST_ATTR_U_THRESH (u32) */ U_THRESH: 5,
  /** IPVS_DEST_ATTR_L_THRESH (u32) */ L_THRESH: 6,
  /** IPVS_DEST_ATTR_ACTIVE_CONNS (u32, dump only) */ ACTIVE_CONNS: 7,
  /** IPVS_DEST_ATTR_INACT_CONNS (u32, dump only) */ INACT_CONNS: 8,
  /** IPVS_DEST_ATTR_PERSIST_CONNS (u32, dump only) */ PERSIST_CONNS: 9,
  /** IPVS_DEST_ATTR_STATS (nested, dump only) */ STATS: 10,
  /** IPVS_DEST_ATTR_ADDR_FAMILY (u16) */ ADDR_FAMILY: 11,
  /** IPVS_DEST_ATTR_STATS64 (nested, dump only) */ STATS64: 12,
  /** IPVS_DEST_ATTR_TUN_TYPE (u8, IP_VS_CONN_F_TUNNEL_TYPE_*) */ TUN_TYPE: 13,
  /** IPVS_DEST_ATTR_TUN_PORT (__be16 in a u16 attribute) */ TUN_PORT: 14,
  /** IPVS_DEST_ATTR_TUN_FLAGS (u16, IP_VS_TUNNEL_ENCAP_FLAG_*) */ TUN_FLAGS: 15,
} as const;

// enum { IPVS_DAEMON_ATTR_UNSPEC = 0, ... }
export const IPVS_DAEMON_ATTR = {
  /** IPVS_DAEMON_ATTR_STATE (u32, IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP) */ STATE: 1,
  /** IPVS_DAEMON_ATTR_MCAST_IFN (string) */ MCAST_IFN: 2,
  /** IPVS_DAEMON_ATTR_SYNC_ID (u32) */ SYNC_ID: 3,
  /** IPVS_DAEMON_ATTR_SYNC_MAXLEN (u16) */ SYNC_MAXLEN: 4,
  /** IPVS_DAEMON_ATTR_MCAST_GROUP (struct in_addr, 4 bytes network order) */ MCAST_GROUP: 5,
  /** IPVS_DAEMON_ATTR_MCAST_GROUP6 (struct in6_addr) */ MCAST_GROUP6: 6,
  /** IPVS_DAEMON_ATTR_MCAST_PORT (u16, host order: the kernel reads it with nla_get_u16) */ MCAST_PORT: 7,
  /** IPVS_DAEMON_ATTR_MCAST_TTL (u8) */ MCAST_TTL: 8,
} as const;

// enum { IPVS_STATS_ATTR_UNSPEC = 0, ... }
export const IPVS_STATS_ATTR = {
  /** IPVS_STATS_ATTR_CONNS */ CONNS: 1,
  /** IPVS_STATS_ATTR_INPKTS */ INPKTS: 2,
  /** IPVS_STATS_ATTR_OUTPKTS */ OUTPKTS: 3,
  /** IPVS_STATS_ATTR_INBYTES (u64 in both STATS and STATS64) */ INBYTES: 4,
  /** IPVS_STATS_ATTR_OUTBYTES (u64 in both STATS and STATS64) */ OUTBYTES: 5,
  /** IPVS_STATS_ATTR_CPS */ CPS: 6,
  /** IPVS_STATS_ATTR_INPPS */ INPPS: 7,
  /** IPVS_STATS_ATTR_OUTPPS */ OUTPPS: 8,
  /** IPVS_STATS_ATTR_INBPS */ INBPS: 9,
  /** IPVS_STATS_ATTR_OUTBPS */ OUTBPS: 10,
  /** IPVS_STATS_ATTR_PAD (alignment padding for u64) */ PAD: 11,
} as const;

// enum { IPVS_INFO_ATTR_UNSPEC = 0, ... }
export const IPVS_INFO_ATTR = {
  /** IPVS_INFO_ATTR_VERSION (u32, IP_VS_VERSION_CODE) */ VERSION: 1,
  /** IPVS_INFO_ATTR_CONN_TAB_SIZE (u32) */ CONN_TAB_SIZE: 2,
} as const;

// ---------------------------------------------------------------------------------------------
// <linux/ip_vs.h>: flags and values
// ---------------------------------------------------------------------------------------------

/** IP_VS_SVC_F_PERSISTENT */
export const IP_VS_SVC_F_PERSISTENT = 0x0001;
/** IP_VS_SVC_F_HASHED: kernel-internal, reported in dumps, never set by user space. */
export const IP_VS_SVC_F_HASHED = 0x0002;
/** IP_VS_SVC_F_ONEPACKET */
export const IP_VS_SVC_F_ONEPACKET = 0x0004;
/** IP_VS_SVC_F_SCHED1 (also IP_VS_SVC_F_SCHED_SH_FALLBACK, IP_VS_SVC_F_SCHED_MH_FALLBACK) */
export const IP_VS_SVC_F_SCHED1 = 0x0008;
/** IP_VS_SVC_F_SCHED2 (also IP_VS_SVC_F_SCHED_SH_PORT, IP_VS_SVC_F_SCHED_MH_PORT) */
export const IP_VS_SVC_F_SCHED2 = 0x0010;
/** IP_VS_SVC_F_SCHED3 */
export const IP_VS_SVC_F_SCHED3 = 0x0020;
/** The flag bits user space owns; IP_VS_SVC_F_HASHED is the kernel's. */
export const IP_VS_SVC_F_USER_MASK =
  IP_VS_SVC_F_PERSISTENT |
  IP_VS_SVC_F_ONEPACKET |
  IP_VS_SVC_F_SCHED1 |
  IP_VS_SVC_F_SCHED2 |
  IP_VS_SVC_F_SCHED3;

/** IP_VS_CONN_F_FWD_MASK */
export const IP_VS_CONN_F_FWD_MASK = 0x0007;
/** IP_VS_CONN_F_MASQ (NAT) */
export const IP_VS_CONN_F_MASQ = 0x0000;
/** IP_VS_CONN_F_LOCALNODE */
export const IP_VS_CONN_F_LOCALNODE = 0x0001;
/** IP_VS_CONN_F_TUNNEL (TUN) */
export const IP_VS_CONN_F_TUNNEL = 0x0002;
/** IP_VS_CONN_F_DROUTE (DR) */
export const IP_VS_CONN_F_DROUTE = 0x0003;
/** IP_VS_CONN_F_BYPASS */
export const IP_VS_CONN_F_BYPASS = 0x0004;

/** IP_VS_CONN_F_TUNNEL_TYPE_IPIP */
export const IP_VS_CONN_F_TUNNEL_TYPE_IPIP = 0;
/** IP_VS_CONN_F_TUNNEL_TYPE_GUE */
export const IP_VS_CONN_F_TUNNEL_TYPE_GUE = 1;
/** IP_VS_CONN_F_TUNNEL_TYPE_GRE */
export const IP_VS_CONN_F_TUNNEL_TYPE_GRE = 2;

/** IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM */
export const IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM = 0;
/** IP_VS_TUNNEL_ENCAP_FLAG_CSUM */
export const IP_VS_TUNNEL_ENCAP_FLAG_CSUM = 1 << 0;
/** IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM */
export const IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM = 1 << 1;

/** IP_VS_STATE_MASTER */
export const IP_VS_STATE_MASTER = 0x0001;
/** IP_VS_STATE_BACKUP */
export const IP_VS_STATE_BACKUP = 0x0002;

/** IP_VS_BASE_CTL = 64 + 1024 + 64: base of the setsockopt commands keepalived names in its log lines. */
export const IP_VS_BASE_CTL = 64 + 1024 + 64;
/**
 * The setsockopt command names and numbers keepalived prints in `IPVS cmd NAME(N) error: ...`
 * even when it speaks netlink (IP_VS_SO_SET_* in <linux/ip_vs.h>).
 */
export const IP_VS_SO_SET = {
  /** IP_VS_SO_SET_ADD */ ADD: IP_VS_BASE_CTL + 2,
  /** IP_VS_SO_SET_EDIT */ EDIT: IP_VS_BASE_CTL + 3,
  /** IP_VS_SO_SET_DEL */ DEL: IP_VS_BASE_CTL + 4,
  /** IP_VS_SO_SET_FLUSH */ FLUSH: IP_VS_BASE_CTL + 5,
  /** IP_VS_SO_SET_ADDDEST */ ADDDEST: IP_VS_BASE_CTL + 7,
  /** IP_VS_SO_SET_DELDEST */ DELDEST: IP_VS_BASE_CTL + 8,
  /** IP_VS_SO_SET_EDITDEST */ EDITDEST: IP_VS_BASE_CTL + 9,
  /** IP_VS_SO_SET_TIMEOUT */ TIMEOUT: IP_VS_BASE_CTL + 10,
  /** IP_VS_SO_SET_STARTDAEMON */ STARTDAEMON: IP_VS_BASE_CTL + 11,
  /** IP_VS_SO_SET_STOPDAEMON */ STOPDAEMON: IP_VS_BASE_CTL + 12,
  /** IP_VS_SO_SET_ZERO */ ZERO: IP_VS_BASE_CTL + 15,
} as const;

// ---------------------------------------------------------------------------------------------
// <linux/socket.h>, <netinet/in.h>, <asm-generic/errno*.h>
// ---------------------------------------------------------------------------------------------

/** AF_INET */
export const AF_INET = 2;
/** AF_INET6 */
export const AF_INET6 = 10;
/** IPPROTO_TCP */
export const IPPROTO_TCP = 6;
/** IPPROTO_UDP */
export const IPPROTO_UDP = 17;
/** IPPROTO_SCTP */
export const IPPROTO_SCTP = 132;

/** Errno values the writer treats specially (Linux numbering). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  ENOMEM: 12,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOBUFS: 105,
  EMSGSIZE: 90,
  ENOPROTOOPT: 92,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  ETIMEDOUT: 110,
} as const;

/** strerror(3) texts of the errnos IPVS returns, as keepalived prints them. */
export const STRERROR: Readonly<Record<number, string>> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  3: 'No such process',
  12: 'Cannot allocate memory',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  22: 'Invalid argument',
  90: 'Message too long',
  92: 'Protocol not available',
  95: 'Operation not supported',
  97: 'Address family not supported by protocol',
  105: 'No buffer space available',
  110: 'Connection timed out',
};
