/**
 * PURE: an instance's advert_int made valid for its VRRP version, with keepalived 2.2.7's lines
 * (vrrp.c vrrp_complete_instance). keepalived keeps the interval in microseconds: VRRPv2 rounds it
 * half up to whole seconds (1..255), VRRPv3 half up to centiseconds (RFC 5798 section 5.2.7:
 * 12 bits, 0.01..40.95 s). The reading (0.01..255 s, at most 6 decimals) is vrrp_parser.c
 * vrrp_adv_handler's, in the keyword table.
 *
 * One deviation: keepalived checks the VRRPv3 upper bound before rounding, so 40.955..40.959 s
 * round up to 40.96 s, which does not fit the 12-bit field (it sends 0). Here they are 40.95 s,
 * with keepalived's rounding line.
 */

export interface AdvertIntResult {
  /** Seconds; a whole number for v2, a multiple of 0.01 for v3. */
  readonly seconds: number;
  /** keepalived's lines, each prefixed with `(name)`. */
  readonly lines: readonly string[];
}

const US = 1_000_000;
const CS_US = 10_000;
const V2_LIMIT = 1 << 8;
const V3_LIMIT_CS = 1 << 12;

/** C's `%f`: six decimals. */
const f6 = (us: number): string => (us / US).toFixed(6);
/** C's `%.2f`. */
const f2 = (us: number): string => (us / US).toFixed(2);

export function normaliseAdvertInt(name: string, seconds: number, version: 2 | 3): AdvertIntResult {
  // The reader allows 6 decimals: the value is a whole number of microseconds.
  let us = Math.round(seconds * US);
  const lines: string[] = [];
  if (us === 0) us = US; // VRRP_ADVER_DFL
  if (version === 2) {
    if (us >= V2_LIMIT * US) {
      lines.push(
        `(${name}) VRRPv2 advertisement interval ${f2(us)}s is out of range. Must be less than ${V2_LIMIT}s. Setting to ${V2_LIMIT - 1}s`,
      );
      us = (V2_LIMIT - 1) * US;
    } else if (us % US !== 0) {
      lines.push(`(${name}) VRRPv2 advertisement interval ${f6(us)}s must be an integer. rounding`);
      us += US / 2;
      us -= us % US;
      if (us === 0) us = US;
      us = Math.min(us, (V2_LIMIT - 1) * US);
    }
    return { seconds: us / US, lines };
  }
  if (us >= V3_LIMIT_CS * CS_US) {
    lines.push(
      `(${name}) VRRPv3 advertisement interval ${f2(us)}s is out of range. Must be less than ${(V3_LIMIT_CS / 100).toFixed(2)}s. Setting to ${((V3_LIMIT_CS - 1) / 100).toFixed(2)}s`,
    );
    us = (V3_LIMIT_CS - 1) * CS_US;
  } else if (us % CS_US !== 0) {
    lines.push(`(${name}) VRRPv3 advertisement interval ${f6(us)}s must be in units of 10ms - rounding`);
    us += CS_US / 2;
    us -= us % CS_US;
    if (us === 0) us = CS_US;
    us = Math.min(us, (V3_LIMIT_CS - 1) * CS_US);
  }
  return { seconds: us / US, lines };
}

/** The VRRPv3 Max Adver Int (centiseconds) of a normalised advert_int. */
export function advertIntCentiseconds(seconds: number): number {
  return Math.round(seconds * 100);
}
