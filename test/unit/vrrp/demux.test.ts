import { describe, expect, it } from 'vitest';
import { VridDemux, vridOf } from '../../../src/vrrp/demux.js';

const received = (vrid: number) => ({
  datagram: Buffer.from([0x45, vrid]),
  payload: Buffer.from([0x21, vrid, 100, 1]),
});

describe('vridOf (RFC 3768 section 5.3.3)', () => {
  it('is the second byte of the VRRP message, or -1 when there is none', () => {
    expect(vridOf(Uint8Array.of(0x21, 51, 100))).toBe(51);
    expect(vridOf(Uint8Array.of(0x21))).toBe(-1);
    expect(vridOf(new Uint8Array(0))).toBe(-1);
  });
});

describe('VridDemux', () => {
  it('hands each datagram to the listener of its VRID, and the others to onUnknown', () => {
    const unknown: number[] = [];
    const got: string[] = [];
    const demux = new VridDemux((vrid) => unknown.push(vrid));
    demux.listen(51, (d) => got.push(`51:${d.toString('hex')}`));
    demux.listen(52, (d) => got.push(`52:${d.toString('hex')}`));
    demux.dispatch(received(51));
    demux.dispatch(received(52));
    demux.dispatch(received(53));
    demux.dispatch({ datagram: Buffer.alloc(20), payload: Buffer.alloc(1) });
    expect(got).toEqual(['51:4533', '52:4534']);
    expect(unknown).toEqual([53, -1]);
  });

  it('a new listener of a VRID replaces the old one; unlisten counts down', () => {
    const got: string[] = [];
    const demux = new VridDemux(() => {});
    demux.listen(51, () => got.push('old'));
    demux.listen(51, () => got.push('new'));
    expect(demux.listeners).toBe(1);
    demux.dispatch(received(51));
    demux.unlisten(51);
    demux.dispatch(received(51));
    expect(got).toEqual(['new']);
    expect(demux.listeners).toBe(0);
  });
});
