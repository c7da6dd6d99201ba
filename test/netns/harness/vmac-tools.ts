/** Helpers of the use_vmac tests (netns and interop tiers): link details, sysctls, tcpdump. */
import { LineCollector, nsExec, sleep, type Host, type Testbed } from '../../support/netns.js';

interface LinkDetail {
  ifname: string;
  address: string;
  link?: string;
  flags: string[];
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
}

/** `ip -d -j link show DEV` in `ns`, or null when there is no such link. */
export function linkDetail(ns: string, dev: string): LinkDetail | null {
  try {
    return (
      (JSON.parse(nsExec(ns, 'ip', ['-d', '-j', 'link', 'show', 'dev', dev])) as LinkDetail[])[0] ?? null
    );
  } catch {
    return null;
  }
}

export function sysctl(ns: string, path: string): number {
  return Number(nsExec(ns, 'cat', [`/proc/sys/${path}`]).trim());
}

/** `tcpdump -e -n -l` on `dev` (eth0) of `host` while `during` runs; the frame lines. */
export async function capture(
  bed: Testbed,
  host: Host,
  during: () => Promise<void>,
  dev = 'eth0',
  filter = 'vrrp or arp',
): Promise<string[]> {
  const child = bed.spawnIn(host.ns, 'tcpdump', ['-i', dev, '-e', '-n', '-l', '-U', filter]);
  const out = new LineCollector(child);
  await out.wait(/listening on/, 10_000);
  await during();
  await sleep(300);
  const done = new Promise((r) => child.on('exit', r));
  child.kill('SIGINT');
  await done;
  return out.lines.map((l) => l.text).filter((t) => / > /.test(t));
}
