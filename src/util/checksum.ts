/** PURE RFC 1071 Internet checksum, shared by the IPv4 header, VRRP adverts and ICMP echo. */

/** RFC 1071 Internet checksum of `bytes` (odd length padded with a zero byte). */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
