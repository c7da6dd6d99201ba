/**
 * Per-instance VRRP statistics, named as keepalived's `vrrp_stats` fields (the names it prints in
 * `/tmp/keepalived.stats` and SNMP), plus the checksum, version and VRID errors that keepalived
 * counts only in SNMP builds.
 *
 * API: `VrrpCounterName` (union), `VRRP_COUNTER_NAMES` (ordered list), `emptyCounters()`,
 * `bumpCounter(counters, name)` (returns a new record).
 */

export const VRRP_COUNTER_NAMES = [
  'advert_rcvd',
  'advert_sent',
  'become_master',
  'release_master',
  'packet_len_err',
  'advert_interval_err',
  'ip_ttl_err',
  'invalid_type_rcvd',
  'addr_list_err',
  'invalid_authtype',
  'authtype_mismatch',
  'auth_failure',
  'pri_zero_rcvd',
  'pri_zero_sent',
  // keepalived keeps these only with SNMP (vrrpRouterChecksumErrors, VersionErrors, VrIdErrors).
  'chk_err',
  'vers_err',
  'vrid_err',
  // keepalived 2.4 auth_hmac (vrrp.c vrrp_auth_ext_verify).
  'auth_ext_missing',
  'auth_ext_malformed',
  'auth_ext_unknown_key',
  'auth_ext_invalid_hmac',
  'auth_ext_stale',
  'auth_ext_replay',
  // keepalived-ts: immediate answers to adverts not sent, beyond the rate bound (state-machine.ts
  // ANSWER_BUCKET).
  'advert_answer_suppressed',
] as const;

export type VrrpCounterName = (typeof VRRP_COUNTER_NAMES)[number];

export type VrrpCounters = Readonly<Record<VrrpCounterName, number>>;

export function emptyCounters(): VrrpCounters {
  const counters = {} as Record<VrrpCounterName, number>;
  for (const name of VRRP_COUNTER_NAMES) counters[name] = 0;
  return counters;
}

export function bumpCounter(counters: VrrpCounters, name: VrrpCounterName): VrrpCounters {
  return { ...counters, [name]: counters[name] + 1 };
}
