/** The proc connector's datagrams (linux/cn_proc.h) read by net/process-watch.ts. */
import { describe, expect, it } from 'vitest';
import { parseProcEvents, readProcess } from '../../../src/net/process-watch.js';

function event(what: number, words: number[], comm?: string): Buffer {
  const b = Buffer.alloc(76);
  b.writeUInt32LE(76, 0);
  b.writeUInt32LE(1, 16); // CN_IDX_PROC
  b.writeUInt32LE(1, 20); // CN_VAL_PROC
  b.writeUInt16LE(40, 32);
  b.writeUInt32LE(what, 36);
  words.forEach((w, i) => b.writeUInt32LE(w, 52 + 4 * i));
  if (comm !== undefined) b.write(comm, 60, 'latin1');
  return b;
}

describe('parseProcEvents', () => {
  const info = (pid: number) => ({ pid, comm: 'x', cmdline: ['x'] });
  it('reads fork, exec, comm and exit, dropping thread events', () => {
    const d = Buffer.concat([
      event(0, []),
      event(0x1, [100, 100, 200, 200]),
      event(0x1, [100, 100, 201, 200]), // a thread of 200
      event(0x2, [200, 200]),
      event(0x200, [200, 200], 'renamed'),
      event(0x80000000, [201, 200]), // a thread's exit
      event(0x80000000, [200, 200]),
    ]);
    expect(parseProcEvents(d, info)).toEqual([
      'ack',
      { kind: 'fork', parent: 100, child: 200 },
      { kind: 'exec', pid: 200, info: info(200) },
      { kind: 'comm', pid: 200, comm: 'renamed' },
      { kind: 'exit', pid: 200 },
    ]);
  });
});

describe('readProcess', () => {
  it('reads comm from stat and argv from cmdline', () => {
    const me = readProcess(process.pid, true);
    expect(me?.comm.length).toBeGreaterThan(0);
    expect(me?.cmdline.join(' ')).toContain('vitest');
    expect(me?.cmdline.length).toBeGreaterThan(0);
    expect(readProcess(process.pid, false)?.cmdline).toEqual([]);
    expect(readProcess(2 ** 30, true)).toBeNull();
  });
});
