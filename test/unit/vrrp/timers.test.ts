import { describe, expect, it } from 'vitest';
import { advertIntervalMs, masterDownIntervalMs, skewTimeMs } from '../../../src/vrrp/timers.js';

describe('VRRPv2 timers (RFC 3768 section 6.1)', () => {
  it('Skew_Time = (256 - Priority) / 256 s', () => {
    expect(skewTimeMs(100)).toBe(609.375);
    expect(skewTimeMs(254)).toBe(7.8125);
    expect(skewTimeMs(255)).toBe(3.90625);
    expect(skewTimeMs(1)).toBe(996.09375);
  });

  it('Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time (3.609 s at 1 s / prio 100)', () => {
    expect(masterDownIntervalMs(1, 100)).toBe(3609.375);
    expect(masterDownIntervalMs(5, 150)).toBe(15000 + 414.0625);
  });

  it('down_timer_adverts replaces the 3 (keepalived extension)', () => {
    expect(masterDownIntervalMs(1, 100, 1)).toBe(1609.375);
  });

  it('Adver_Timer period is the advertisement interval', () => {
    expect(advertIntervalMs(3)).toBe(3000);
  });
});
