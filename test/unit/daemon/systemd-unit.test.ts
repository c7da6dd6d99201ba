// systemd/keepalived-ts.service: `systemd-analyze verify` says nothing about it (a copy whose
// ExecStart runs dist/keepalived-ts.js with this node, since verify needs the binary to exist), and it keeps
// the settings docs/operations.md "systemd" promises.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST_ENTRY, hasCommand, REPO_ROOT } from '../../support/netns.js';
import { tierIt } from '../../support/tier.js';

const UNIT = join(REPO_ROOT, 'systemd', 'keepalived-ts.service');
const unitText = readFileSync(UNIT, 'utf8');

/** `Key=value` settings of the unit, comments dropped; a key given twice keeps both values. */
function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('systemd unit', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  tierIt(
    'systemd-analyze',
    hasCommand('systemd-analyze') ? [] : ['systemd-analyze (Debian package systemd)'],
  )(
    'passes systemd-analyze verify with no message about the unit',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'kts-unit-'));
      dirs.push(dir);
      const copy = join(dir, 'keepalived-ts.service');
      expect(unitText).toContain('ExecStart=/usr/bin/keepalived-ts ');
      const runnable = unitText.replace(
        'ExecStart=/usr/bin/keepalived-ts ',
        `ExecStart=${process.execPath} ${DIST_ENTRY} `,
      );
      writeFileSync(copy, runnable);
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
      const about = `${r.stdout}\n${r.stderr}`
        .split('\n')
        .filter((l) => l.includes('keepalived-ts.service') || l.includes(dir));
      expect(about).toEqual([]);
      expect(r.status).toBe(0);
      // The check can fail: the same verify reports a broken copy.
      writeFileSync(copy, runnable.replace(/^Type=notify$/m, 'Type=notify-bogus'));
      const broken = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
      expect(`${broken.stdout}${broken.stderr}`).toMatch(
        /keepalived-ts\.service:\d+: Failed to parse service type/,
      );
      console.log(
        `systemd-analyze: ${execFileSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).split('\n')[0]}`,
      );
    },
    60_000,
  );

  it('is Type=notify with --dont-fork, a watchdog, least privilege and no PrivateTmp', () => {
    const s = settings(unitText);
    expect(s.get('Type')).toEqual(['notify']);
    expect(s.get('NotifyAccess')).toEqual(['main']);
    expect(s.get('ExecStart')![0]).toMatch(/ --dont-fork /);
    expect(s.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(Number.parseInt(s.get('WatchdogSec')![0]!, 10)).toBeGreaterThan(0);
    const caps = 'CAP_NET_ADMIN CAP_NET_RAW CAP_SETUID CAP_SETGID CAP_KILL';
    expect(s.get('CapabilityBoundingSet')).toEqual([caps]);
    expect(s.get('AmbientCapabilities')).toEqual([caps]);
    expect(s.get('NoNewPrivileges')).toEqual(['yes']);
    expect(s.get('ProtectSystem')).toEqual(['full']);
    expect(s.get('ProtectHome')).toEqual(['read-only']);
    // Exporters read /tmp/keepalived.{data,stats,json}: a private /tmp would hide them.
    expect(s.has('PrivateTmp')).toBe(false);
  });
});
