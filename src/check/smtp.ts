/**
 * SMTP_CHECK: connect, read a 220 greeting, send `HELO helo_name`, expect 250, send QUIT
 * (check_smtp.c). Multi-line replies (`250-...`) are read to their last line.
 */
import type { SmtpCheck } from '../config/model.js';
import { down, skipped, up, type AttemptContext, type CheckResult } from './checker.js';
import { connectOptions, openTcp, optionedTcp } from './tcp.js';

export async function smtpAttempt(checker: SmtpCheck, ctx: AttemptContext): Promise<CheckResult> {
  const r = await openTcp(connectOptions(checker), ctx.signal, optionedTcp(checker, ctx.io));
  if ('noSocket' in r) return skipped('SMTP_CHECK connection failed to create socket. Rescheduling.');
  if ('setup' in r) return skipped('SMTP_CHECK socket bind failed. Rescheduling.', r.setup);
  if ('reason' in r)
    return down(
      r.reason === 'Timeout connecting' ? 'Connection timeout to' : 'Error connecting to',
      r.detail,
    );
  const socket = r.socket;
  return new Promise<CheckResult>((resolve) => {
    let buffer = '';
    let stage: 'banner' | 'helo' = 'banner';
    let done = false;
    const finish = (result: CheckResult): void => {
      if (done) return;
      done = true;
      ctx.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish(down('Read timeout from'));
    if (ctx.signal.aborted) return onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 16384) return finish(down('SMTP_CHECK Buffer overflow reading from'));
      // A reply is complete when a line `NNN ` (space, not dash) ends with CRLF.
      for (;;) {
        const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer);
        if (!m) return;
        const code = Number(m[2]);
        buffer = buffer.slice(m.index + m[0].length);
        if (stage === 'banner') {
          if (code !== 220) return finish(down('Bad greeting banner from', String(code)));
          stage = 'helo';
          socket.write(`HELO ${checker.heloName}\r\n`);
        } else {
          if (code !== 250) return finish(down('Bad HELO response from', String(code)));
          socket.end('QUIT\r\n');
          return finish(up());
        }
      }
    });
    socket.on('error', () => finish(down('Read failure from')));
    socket.on('close', () => finish(down('Read failure from')));
  });
}
