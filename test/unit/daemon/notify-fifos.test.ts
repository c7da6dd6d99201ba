// Which notify FIFOs each subsystem opens (lib/notify.c notify_fifo_open) and keepalived's
// handling of FIFOs named twice (core/global_data.c).
import { describe, expect, it } from 'vitest';
import type { ScriptSpec } from '../../../src/config/model.js';
import { fifoPlan } from '../../../src/daemon/notify-fifos.js';
import { globalDefs } from '../../support/config-model.js';

const spec = (command: string): ScriptSpec => ({ command, argv: [command], user: null, group: null });
const planned = (p: ReturnType<typeof fifoPlan>): string[] =>
  p.plans.map((x) => `${x.type || '-'} ${x.fifo.command} ${x.script?.command ?? '-'}`);

describe('fifoPlan', () => {
  const g = globalDefs({
    notifyFifo: spec('/run/all'),
    notifyFifoScript: spec('/bin/all'),
    vrrpNotifyFifo: spec('/run/vrrp'),
    vrrpNotifyFifoScript: spec('/bin/vrrp'),
    lvsNotifyFifo: spec('/run/lvs'),
    lvsNotifyFifoScript: spec('/bin/lvs'),
  });

  it('VRRP opens notify_fifo and vrrp_notify_fifo, LVS notify_fifo and lvs_notify_fifo', () => {
    expect(planned(fifoPlan(g, 'vrrp', true))).toEqual(['- /run/all /bin/all', 'vrrp_ /run/vrrp /bin/vrrp']);
    expect(planned(fifoPlan(g, 'lvs', true))).toEqual(['- /run/all /bin/all', 'lvs_ /run/lvs /bin/lvs']);
  });

  it("starts notify_fifo's script in one subsystem only", () => {
    expect(planned(fifoPlan(g, 'vrrp', false))).toEqual(['- /run/all -', 'vrrp_ /run/vrrp /bin/vrrp']);
  });

  it('ignores a vrrp or LVS FIFO that names the global one, with its script', () => {
    const same = globalDefs({
      notifyFifo: spec('/run/all'),
      vrrpNotifyFifo: spec('/run/all'),
      vrrpNotifyFifoScript: spec('/bin/vrrp'),
      lvsNotifyFifo: spec('/run/all'),
    });
    const v = fifoPlan(same, 'vrrp', true);
    expect(planned(v)).toEqual(['- /run/all -']);
    expect(v.messages).toEqual([
      'notify FIFO /run/all has been specified for global and vrrp FIFO - ignoring vrrp FIFO',
    ]);
    expect(fifoPlan(same, 'lvs', true).messages).toEqual([
      'notify FIFO /run/all has been specified for global and LVS FIFO - ignoring LVS FIFO',
    ]);
  });

  it('drops the LVS script when vrrp and LVS share a FIFO and both have scripts', () => {
    const shared = globalDefs({
      vrrpNotifyFifo: spec('/run/x'),
      vrrpNotifyFifoScript: spec('/bin/vrrp'),
      lvsNotifyFifo: spec('/run/x'),
      lvsNotifyFifoScript: spec('/bin/lvs'),
    });
    const l = fifoPlan(shared, 'lvs', true);
    expect(planned(l)).toEqual(['lvs_ /run/x -']);
    expect(l.messages).toEqual([
      'LVS notify FIFO and vrrp FIFO are the same both with scripts - ignoring LVS FIFO script',
    ]);
    expect(planned(fifoPlan(shared, 'vrrp', true))).toEqual(['vrrp_ /run/x /bin/vrrp']);
  });

  it('opens nothing without FIFOs', () => {
    expect(fifoPlan(globalDefs(), 'vrrp', true)).toEqual({ plans: [], messages: [] });
  });
});
