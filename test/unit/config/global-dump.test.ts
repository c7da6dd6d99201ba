/**
 * The Global definitions section against keepalived 2.2.7's own (test/fixtures/dumps: the files
 * keepalived wrote on SIGUSR1 for vrrp.conf, in a network namespace of this machine).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { globalDefinitionsLines, printfG, type GlobalDumpContext } from '../../../src/config/global-dump.js';
import { build } from './schema-helpers.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'dumps');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** The section keepalived wrote: from its header to the line before the next section. */
function section(text: string): string[] {
  const lines = text.split('\n');
  const end = lines.findIndex((l, i) => i > 0 && l.startsWith('------<'));
  return lines.slice(0, end === -1 ? lines.length - 1 : end);
}

const ctx = (over: Partial<GlobalDumpContext> = {}): GlobalDumpContext => ({
  process: 'vrrp',
  hostname: 'director1',
  userName: 'root',
  defaultScriptIds: { uid: 0, gid: 0 },
  umask: 0o177,
  idsOf: () => ({ uid: 0, gid: 0 }),
  ...over,
});

describe('globalDefinitionsLines (core/global_data.c dump_global_data)', () => {
  const { config } = build(fixture('vrrp.conf'));

  it("is keepalived 2.2.7's section of keepalived.data, line for line", () => {
    expect(globalDefinitionsLines(config.globalDefs, ctx())).toEqual(
      section(fixture('ka227-keepalived.data')),
    );
  });

  it("is keepalived_parent.data's without the VRRP process's Default interface line", () => {
    const parent = section(fixture('ka227-keepalived_parent.data'));
    // keepalived's parent prints the lower-priority GARP settings unresolved (PARAMETER_UNSET);
    // keepalived-ts prints the values the VRRP process uses (docs/operations.md "Dump files").
    const resolved = parent.map((l) =>
      l.replace(/(Gratuitous ARP lower priority (delay|repeat)) = 4294967295/, '$1 = 5'),
    );
    expect(globalDefinitionsLines(config.globalDefs, ctx({ process: 'parent' }))).toEqual(resolved);
  });

  it('defaults router_id to the host name and adds the SMTP lines when a server is set', () => {
    const { config: c } = build(
      [
        'global_defs {',
        '  notification_email {',
        '    ops@example.com',
        '  }',
        '  smtp_server 192.0.2.25 2525',
        '  lvs_timeouts tcp 900 tcpfin 120 udp 300',
        '  vrrp_startup_delay 1.5',
        '  notify_fifo /run/ka.fifo',
        '}',
      ].join('\n'),
    );
    const lines = globalDefinitionsLines(c.globalDefs, ctx({ process: 'checker', umask: 0o22 }));
    expect(lines.slice(3, 11)).toEqual([
      ' Router ID = director1',
      ' Smtp server = 192.0.2.25',
      ' Smtp server port = 2525',
      ' Smtp HELO name = director1',
      ' Smtp server connection timeout = 30',
      ' Email notification from = root@director1',
      ' Email notification to:',
      '   ops@example.com',
    ]);
    // keepalived labels the UDP timeout as TCP.
    expect(lines).toContain(' LVS TCP timeout = 900');
    expect(lines).toContain(' LVS TCP FIN timeout = 120');
    expect(lines).toContain(' LVS TCP timeout = 300');
    expect(lines).toContain(' Global notify fifo = /run/ka.fifo, uid:gid 0:0');
    expect(lines).not.toContain(' Default interface = eth0');
    expect(lines.at(-2)).toBe(' umask = 022');
    expect(lines.at(-1)).toBe(' vrrp_startup_delay = 1.5');
  });

  it('prints %g numbers as C does for the values keepalived uses it for', () => {
    expect(printfG(1.5)).toBe('1.5');
    expect(printfG(3)).toBe('3');
    expect(printfG(0.25)).toBe('0.25');
  });
});
