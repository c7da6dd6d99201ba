// Which user a configured script runs as: its own `user [group]`, else the global script_user.
import { describe, expect, it } from 'vitest';
import { UserScriptRunner } from '../../../src/net/script-runner.js';

const command = (user: string | null, group: string | null = null) => ({
  argv: ['/bin/true'],
  user,
  group,
});

describe('UserScriptRunner', () => {
  it("a script's own user wins over script_user; script_user applies otherwise", async () => {
    const runner = new UserScriptRunner(() => ({ user: 'kts-no-such-global', group: null }));
    expect(await runner.run(command('kts-no-such-own'), [], 1000)).toEqual({
      kind: 'spawn-error',
      message: "Unable to find user 'kts-no-such-own'",
    });
    expect(await runner.run(command(null), [], 1000)).toEqual({
      kind: 'spawn-error',
      message: "Unable to find user 'kts-no-such-global'",
    });
  });

  it("takes the group with the script's own user, and script_user's group without one", async () => {
    const runner = new UserScriptRunner(() => ({ user: 'root', group: 'kts-no-such-global-group' }));
    expect(await runner.run(command('root', 'kts-no-such-own-group'), [], 1000)).toEqual({
      kind: 'spawn-error',
      message: "Unable to find group 'kts-no-such-own-group'",
    });
    expect(await runner.run(command(null, 'kts-ignored-group'), [], 1000)).toEqual({
      kind: 'spawn-error',
      message: "Unable to find group 'kts-no-such-global-group'",
    });
  });

  it('reads script_user at every run (a reload changes it)', async () => {
    let setting = { user: 'kts-first', group: null };
    const runner = new UserScriptRunner(() => setting);
    expect(await runner.run(command(null), [], 1000)).toMatchObject({
      message: "Unable to find user 'kts-first'",
    });
    setting = { user: 'kts-second', group: null };
    expect(await runner.run(command(null), [], 1000)).toMatchObject({
      message: "Unable to find user 'kts-second'",
    });
  });
});
