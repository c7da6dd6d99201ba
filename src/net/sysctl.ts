/**
 * EDGE: kernel parameters under /proc/sys (`sysctl`), read and written as files, as sysctl(8)
 * does. Paths are relative to /proc/sys with `/` between segments (`net/ipv4/conf/all/arp_ignore`),
 * so an interface name with a dot needs no escaping. /proc/sys is per network namespace for net/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/proc/sys';

/** The integer value, or null when the parameter does not exist. */
export function readSysctl(path: string): number | null {
  try {
    const text = readFileSync(join(ROOT, path), 'utf8').trim();
    const n = Number(text);
    return Number.isInteger(n) ? n : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export function writeSysctl(path: string, value: number): void {
  writeFileSync(join(ROOT, path), `${value}\n`);
}
