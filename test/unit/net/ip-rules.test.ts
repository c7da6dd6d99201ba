/**
 * The RTM_NEWRULE / RTM_DELRULE codec against the bytes keepalived 2.2.7 sent for the same
 * config (test/fixtures/ip-rules: keepalived.conf, and its sendmsg calls captured with
 * `strace -e trace=sendmsg -e write=all`: 9 deletes of leftovers at start, 9 adds, 9 deletes at stop).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeRuleBody,
  encodeRuleBody,
  encodeRuleMessage,
  matchesRule,
  RuleNetlink,
  RTM_DELRULE,
  RTM_NEWRULE,
} from '../../../src/net/ip-rules.js';
import { build } from '../config/schema-helpers.js';

const dir = new URL('../../fixtures/ip-rules/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('keepalived-2.2.7-sendmsg.json', dir), 'utf8')) as {
  type: string;
  hex: string;
}[];
const { config, diagnostics } = build(readFileSync(new URL('keepalived.conf', dir), 'utf8'));

describe('ip rule messages', () => {
  it('reads the captured config without a line', () => {
    expect(diagnostics).toEqual([]);
    expect(config.staticRules).toHaveLength(9);
    expect(golden.map((g) => g.type)).toEqual([
      ...Array<string>(9).fill('RTM_DELRULE'),
      ...Array<string>(9).fill('RTM_NEWRULE'),
      ...Array<string>(9).fill('RTM_DELRULE'),
    ]);
  });

  it('encodes each rule as keepalived sent it, byte for byte (add and delete)', () => {
    golden.forEach((g, i) => {
      const want = Buffer.from(g.hex, 'hex');
      const rule = config.staticRules[i % 9]!;
      const cmd = g.type === 'RTM_NEWRULE' ? 'add' : 'delete';
      const got = encodeRuleMessage(rule, cmd, want.readUInt32LE(8), want.readUInt32LE(12));
      expect(got.toString('hex'), `message ${i} (${g.type} priority ${rule.priority})`).toBe(g.hex);
    });
  });

  it('decodes the bytes back to the rule', () => {
    for (let i = 9; i < 18; i++) {
      const body = Buffer.from(golden[i]!.hex, 'hex').subarray(16);
      const { attrs, ...decoded } = decodeRuleBody(body);
      const r = config.staticRules[i - 9]!;
      expect(attrs.size).toBeGreaterThan(0);
      expect(decoded).toEqual({
        family: r.family,
        invert: r.invert,
        from: r.from,
        to: r.to,
        priority: r.priority,
        tos: r.tos,
        fwmark: r.fwmark,
        fwmask: r.fwmask,
        realms: r.realms,
        suppressPrefixLength: r.suppressPrefixLength,
        suppressIfgroup: r.suppressIfgroup,
        iif: r.iif,
        oif: r.oif,
        tunnelId: r.tunnelId,
        uidRange: r.uidRange,
        l3mdev: r.l3mdev,
        protocol: r.protocol,
        ipProto: r.ipProto,
        sport: r.sport,
        dport: r.dport,
        action: r.action,
        // A table below 256 rides in the header; l3mdev rules have none.
        table: r.l3mdev ? 0 : r.table,
        gotoTarget: r.gotoTarget,
      });
    }
  });

  it('the adapter sends the body with keepalived flags and maps EEXIST / ENOENT', async () => {
    const sent: { type: number; body: Buffer; flags: number }[] = [];
    let fail: string | null = null;
    const nl = new RuleNetlink({
      request: (type, data, options) => {
        sent.push({
          type: type as number,
          body: Buffer.from(data as Uint8Array),
          flags: Number(options?.flags),
        });
        return fail === null ? Promise.resolve([]) : Promise.reject(new Error(`Request rejected: ${fail}`));
      },
    });
    const rule = config.staticRules[0]!;
    expect(await nl.add(rule)).toBe(true);
    expect(await nl.delete(rule)).toBe(true);
    fail = 'EEXIST';
    expect(await nl.add(rule)).toBe(false);
    fail = 'ENOENT';
    expect(await nl.delete(rule)).toBe(false);
    fail = 'EPERM';
    await expect(nl.add(rule)).rejects.toThrow(/add rule 100: from 192.168.1.0\/24: Request rejected: EPERM/);
    expect(sent.map((s) => [s.type, s.flags])).toEqual([
      [RTM_NEWRULE, 0x600],
      [RTM_DELRULE, 0],
      [RTM_NEWRULE, 0x600],
      [RTM_DELRULE, 0],
      [RTM_NEWRULE, 0x600],
    ]);
    expect(sent[0]!.body.equals(encodeRuleBody(rule))).toBe(true);
  });
});

describe('rule notifications', () => {
  // What the kernel multicast (RTNLGRP_IPV4_RULE / IPV6_RULE) while keepalived 2.2.7 added and
  // then removed the same rules: the kernel's own form (FRA_TABLE, FRA_SUPPRESS_PREFIXLEN -1, ...).
  const notified = JSON.parse(readFileSync(new URL('kernel-notifications.json', dir), 'utf8')) as {
    type: string;
    hex: string;
  }[];

  it('decodes each and recognises it as the configured rule it is (compare_rule), never another', () => {
    expect(notified.map((n) => n.type)).toEqual([
      ...Array<string>(9).fill('RTM_NEWRULE'),
      ...Array<string>(9).fill('RTM_DELRULE'),
    ]);
    const matches = notified.slice(9).map((n) => {
      const d = decodeRuleBody(Buffer.from(n.hex, 'hex'));
      return config.staticRules.flatMap((r, i) => (matchesRule(d, r) ? [i] : []));
    });
    // Rule 2 is no_track: keepalived does not watch it.
    expect(matches).toEqual([[0], [1], [], [3], [4], [5], [6], [7], [8]]);
  });

  it('a rule of another protocol or another priority is not ours', () => {
    const d = decodeRuleBody(Buffer.from(notified[9]!.hex, 'hex'));
    const r = config.staticRules[0]!;
    expect(matchesRule(d, r)).toBe(true);
    expect(matchesRule({ ...d, protocol: 4 }, r)).toBe(false);
    expect(matchesRule({ ...d, priority: 101 }, r)).toBe(false);
    expect(matchesRule(d, { ...r, noTrack: true })).toBe(false);
  });
});
