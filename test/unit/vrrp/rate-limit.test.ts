import { describe, expect, it } from 'vitest';
import { emptyRateLimit, rateLimitDecision } from '../../../src/vrrp/rate-limit.js';
import { bumpCounter, emptyCounters, VRRP_COUNTER_NAMES } from '../../../src/vrrp/counters.js';

describe('rate-limited receive errors (keepalived log_rate_limited_error)', () => {
  it('logs each kind once until reset, without mutating the previous state', () => {
    const s0 = emptyRateLimit();
    const a = rateLimitDecision(s0, 'invalid-ttl');
    expect(a.log).toBe(true);
    const b = rateLimitDecision(a.state, 'invalid-ttl');
    expect(b.log).toBe(false);
    expect(rateLimitDecision(b.state, 'wrong-auth').log).toBe(true);
    expect(s0.size).toBe(0);
  });
});

describe('counters', () => {
  it("has keepalived's names plus the SNMP-only errors, all starting at zero", () => {
    expect(VRRP_COUNTER_NAMES).toContain('pri_zero_sent');
    expect(VRRP_COUNTER_NAMES).toContain('chk_err');
    expect(Object.values(emptyCounters()).every((v) => v === 0)).toBe(true);
    const c = bumpCounter(bumpCounter(emptyCounters(), 'advert_rcvd'), 'advert_rcvd');
    expect(c.advert_rcvd).toBe(2);
  });
});
