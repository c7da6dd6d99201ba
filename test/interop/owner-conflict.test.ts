/**
 * Interop tier: two address owners (priority 255, state MASTER) for one VRID, keepalived 2.2.7 as
 * one of them. keepalived 2.2.7 (vrrp.c vrrp_state_master_rx): the MASTER that hears the other
 * owner's advert logs the configuration error, drops itself to 254 whatever the addresses and goes
 * BACKUP; the owner that started last keeps MASTER. Each of keepalived and keepalived-ts is the
 * running owner once from the lower and once from the higher address, the other starting
 * second; the running one's lines must be the same word for word, and the same one ends MASTER.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tierDescribe } from '../support/tier.js';
import {
  ensureBuilt,
  netnsPrerequisites,
  nsExec,
  sleep,
  startKeepalived,
  startKeepalivedTs,
  stopDaemon,
  Testbed,
  vrrpConfig,
  waitFor,
  type Daemon,
  type Host,
} from '../support/netns.js';

const describeTier = tierDescribe('interop', netnsPrerequisites(['keepalived']));

const VIP = '10.231.41.100';
const CONFLICT =
  '(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority';
const config = vrrpConfig({ state: 'MASTER', priority: 255, vrid: 61, vips: [`${VIP}/32`] });

/** The instance's election lines from index `from`, from `(VI_1)` on (no log prefix). */
const electionLines = (d: Daemon, from: number): string[] =>
  d.lines.lines
    .slice(from)
    .map((l) => /\(VI_1\) .*/.exec(l.text)?.[0] ?? '')
    .filter((t) => /CONFIGURATION ERROR|Master received|Entering \w+ STATE|address owner/.test(t));

const lastState = (d: Daemon): string => {
  const entered = d.lines.lines.filter((l) => /Entering \w+ STATE/.test(l.text));
  return /Entering (\w+) STATE/.exec(entered[entered.length - 1]?.text ?? '')?.[1] ?? '';
};

describeTier('two address owners, keepalived 2.2.7 as one', () => {
  let bed: Testbed;
  let a: Host;
  let b: Host;

  beforeAll(() => {
    ensureBuilt();
    bed = new Testbed('vc-own');
    [a, b] = bed.twoHosts('10.231.41');
  });
  afterAll(() => bed?.destroy());

  const start = (impl: 'ka' | 'ts', host: Host): Daemon =>
    impl === 'ka'
      ? startKeepalived(bed, host.ns, `ka-${host.address}`, config)
      : startKeepalivedTs(bed, host.ns, `ts-${host.address}`, config);

  /** `first` runs as the owner on `firstHost`; the other implementation starts second on the other host. */
  const run = async (
    first: 'ka' | 'ts',
    firstHost: Host,
  ): Promise<{ older: string[]; newer: string[]; olderEnds: string; newerEnds: string; vipOn: string[] }> => {
    const secondHost = firstHost === a ? b : a;
    const older = start(first, firstHost);
    let newer: Daemon | null = null;
    try {
      await older.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
      await waitFor(() => bed.hasAddress(firstHost.ns, VIP), 3000, 'VIP on the first owner');
      const olderFrom = older.lines.lines.length;
      newer = start(first === 'ka' ? 'ts' : 'ka', secondHost);
      await newer.lines.wait(/\(VI_1\) Entering MASTER STATE/, 10_000);
      await older.lines.wait(/\(VI_1\) Entering BACKUP STATE/, 5000, olderFrom);
      // Several advert intervals with the second owner persisting: nothing changes any more.
      await sleep(4500);
      return {
        older: electionLines(older, olderFrom),
        newer: electionLines(newer, 0),
        olderEnds: lastState(older),
        newerEnds: lastState(newer),
        vipOn: [a, b].filter((h) => bed.hasAddress(h.ns, VIP)).map((h) => h.address),
      };
    } finally {
      await Promise.all([stopDaemon(older), ...(newer !== null ? [stopDaemon(newer)] : [])]);
      for (const h of [a, b])
        if (bed.hasAddress(h.ns, VIP)) nsExec(h.ns, 'ip', ['addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
    }
  };

  for (const which of ['lower', 'higher'] as const) {
    it(`the running owner at the ${which} address yields to the new one, keepalived and keepalived-ts alike`, async () => {
      const firstHost = which === 'lower' ? a : b;
      const secondHost = firstHost === a ? b : a;
      const ka = await run('ka', firstHost);
      const ts = await run('ts', firstHost);
      const expected = [
        CONFLICT,
        `(VI_1) Master received advert from ${secondHost.address} with higher priority 255, ours 254`,
        '(VI_1) Entering BACKUP STATE',
      ];
      expect(ka.older).toEqual(expected);
      expect(ts.older).toEqual(ka.older);
      // The newcomer reads only BACKUP adverts of nobody: no conflict line, MASTER throughout.
      expect(ka.newer).toEqual(['(VI_1) Entering MASTER STATE']);
      expect(ts.newer).toEqual(ka.newer);
      for (const r of [ka, ts]) {
        expect(r.olderEnds).toBe('BACKUP');
        expect(r.newerEnds).toBe('MASTER');
        expect(r.vipOn).toEqual([secondHost.address]);
      }
    });
  }
});
