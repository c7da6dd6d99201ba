/**
 * Comparing dump files with keepalived's own: the same lines in the same order, with the values
 * that must differ between two runs (times, descriptors, interface indexes and addresses, the
 * advert source) replaced by a placeholder. Used by the unit goldens (test/fixtures/dumps) and
 * the interop tier, which runs keepalived 2.2.7 beside keepalived-ts.
 */

/** Lines whose value is the run's, not the config's: `key = value` or a known pattern. */
const VARIABLE_KEYS = new Set([
  'Last transition',
  'Read timeout',
  'Using src_ip',
  'index',
  'MAC',
  'MAC broadcast',
  'IPv4 address',
  'IPv6 address',
  'Master router',
]);

/** The section a line belongs to (`------< NAME >------`). */
export function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const line of text.split('\n')) {
    const m = /^------< (.*) >------$/.exec(line);
    if (m !== null) {
      current = m[1]!;
      out.set(current, []);
      continue;
    }
    if (line === '') continue;
    out.get(current)?.push(line);
  }
  return out;
}

/** A data-file line with its run-specific value masked. */
export function maskDataLine(line: string, extra: ReadonlySet<string> = new Set()): string {
  const fd = line
    .replace(/fd_in \d+, fd_out \d+/, 'fd_in N, fd_out N')
    .replace(/fd_in \d+ fd_out = \d+/, 'fd_in N fd_out = N');
  const m = /^(\s+)([^=]+?) = (.*)$/.exec(fd);
  if (m === null) return fd;
  const key = m[2]!;
  if (VARIABLE_KEYS.has(key) || extra.has(key)) return `${m[1]}${key} = *`;
  return fd;
}

export function maskData(text: string, extra: ReadonlySet<string> = new Set()): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => maskDataLine(l, extra));
}

/** The stats file with every counter masked (they depend on timing): its key lines. */
export function statsKeys(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/: \d+$/, ': N'));
}

/** A JSON value's shape: the keys in order and the type of each leaf. */
export function jsonShape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonShape);
  if (v !== null && typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonShape(x)]);
  }
  return v === null ? 'null' : typeof v;
}
