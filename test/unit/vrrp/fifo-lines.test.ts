// The notify FIFO lines of VRRP, as keepalived 2.2.7 writes them (vrrp/vrrp_notify.c notify_fifo).
import { describe, expect, it } from 'vitest';
import {
  FIFO_STATE_WORDS,
  priorityFifoLine,
  reloadStateLines,
  vrrpFifoLine,
  type FifoStates,
} from '../../../src/vrrp/fifo-lines.js';

describe('vrrpFifoLine', () => {
  it('writes INSTANCE "name" STATE priority and a newline', () => {
    expect(vrrpFifoLine('INSTANCE', 'VI_1', 'MASTER', 150)).toBe('INSTANCE "VI_1" MASTER 150\n');
    expect(vrrpFifoLine('INSTANCE', 'VI_1', 'BACKUP', 100)).toBe('INSTANCE "VI_1" BACKUP 100\n');
    expect(vrrpFifoLine('INSTANCE', 'vi 2', 'FAULT', 0)).toBe('INSTANCE "vi 2" FAULT 0\n');
  });

  it('writes a group with priority 0 whatever it is given', () => {
    expect(vrrpFifoLine('GROUP', 'G1', 'MASTER', 0)).toBe('GROUP "G1" MASTER 0\n');
    expect(vrrpFifoLine('GROUP', 'G1', 'STOP', 150)).toBe('GROUP "G1" STOP 0\n');
  });

  it('knows every word keepalived writes and prints {UNKNOWN} for others', () => {
    for (const w of FIFO_STATE_WORDS)
      expect(vrrpFifoLine('INSTANCE', 'I', w, 1)).toBe(`INSTANCE "I" ${w} 1\n`);
    expect(vrrpFifoLine('INSTANCE', 'I', 'INIT', 1)).toBe('INSTANCE "I" {UNKNOWN} 1\n');
  });

  it('names a priority change MASTER_PRIORITY in MASTER, BACKUP_PRIORITY otherwise', () => {
    expect(priorityFifoLine('VI_1', 'MASTER', 140)).toBe('INSTANCE "VI_1" MASTER_PRIORITY 140\n');
    expect(priorityFifoLine('VI_1', 'BACKUP', 90)).toBe('INSTANCE "VI_1" BACKUP_PRIORITY 90\n');
    expect(priorityFifoLine('VI_1', 'FAULT', 90)).toBe('INSTANCE "VI_1" BACKUP_PRIORITY 90\n');
  });
});

const states = (instances: [string, string, number][], groups: [string, string][]): FifoStates => ({
  instances: instances.map(([name, state, effectivePriority]) => ({
    config: { name },
    state,
    effectivePriority,
  })),
  syncGroups: groups.map(([name, state]) => ({ config: { name }, state })),
});

describe('reloadStateLines (fifo_write_vrrp_states_on_reload)', () => {
  it('writes the kept states, groups first; a kept MASTER instance, a change and INIT write none', () => {
    const before = states(
      [
        ['VI_1', 'BACKUP', 100],
        ['VI_2', 'MASTER', 150],
        ['VI_3', 'BACKUP', 90],
        ['VI_4', 'FAULT', 80],
      ],
      [
        ['G1', 'BACKUP'],
        ['G2', 'MASTER'],
        ['G3', 'BACKUP'],
      ],
    );
    const after = states(
      [
        ['VI_1', 'BACKUP', 100],
        ['VI_2', 'MASTER', 150],
        ['VI_3', 'MASTER', 90],
        ['VI_4', 'FAULT', 70],
        ['VI_NEW', 'INIT', 100],
      ],
      [
        ['G1', 'BACKUP'],
        ['G2', 'MASTER'],
        ['G3', 'MASTER'],
        ['G_NEW', 'INIT'],
      ],
    );
    expect(reloadStateLines(before, after)).toEqual([
      'GROUP "G1" BACKUP 0\n',
      'GROUP "G2" MASTER 0\n',
      'INSTANCE "VI_1" BACKUP 100\n',
      'INSTANCE "VI_4" FAULT 70\n',
    ]);
  });
});
