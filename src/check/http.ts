/**
 * HTTP_GET and SSL_GET: one attempt fetches every `url` in turn (a new connection each, as
 * keepalived) and fails on the first URL whose status is outside its status_code ranges
 * (default 200-299), whose body MD5 differs from `digest`, or whose body does (not, with
 * regex_no_match) match `regex`. SSL_GET speaks TLS with no
 * certificate verification and SNI only with enable_sni (check_http.c, check_ssl.c), and ends
 * the session with a close_notify alert only with tls_compliant (keepalived 2.2.8+).
 */
import { createHash } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { HttpCheck, HttpUrl } from '../config/model.js';
import { down, isSocketShortage, skipped, up, type AttemptContext, type CheckResult } from './checker.js';
import { connectOptions, connectTcp, openTcp, optionedTcp, type OptionedSocket } from './tcp.js';
import type { SocketSetupCause } from './socket-options.js';

/** keepalived's request (check_http.c `request_template`). */
export function buildRequest(checker: HttpCheck, url: HttpUrl): string {
  const vhost = url.virtualhost ?? checker.virtualhost;
  const host =
    vhost ??
    (checker.connectIp.includes(':') ? `[${checker.connectIp}]` : checker.connectIp) +
      `:${checker.connectPort}`;
  const minor = checker.httpProtocol === '1.1' ? 1 : 0;
  const close = checker.httpProtocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${url.path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

interface Fetched {
  readonly status: number;
  readonly md5: string;
  readonly bodyBytes: number;
  /** The body (latin1), kept only when a regex must run over it, up to REGEX_BODY_LIMIT. */
  readonly body: string | null;
}

/** Bytes of body a `regex` is matched against at most. */
const REGEX_BODY_LIMIT = 1024 * 1024;

const HEADER_LIMIT = 64 * 1024;

/** Sends the request and reads status and body MD5 (streamed) until EOF or Content-Length. */
function exchange(
  stream: Duplex,
  request: string,
  signal: AbortSignal,
  keepBody: boolean,
  closeNotify: boolean,
): Promise<Fetched | { reason: string }> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    let status = -1;
    let contentLength = -1;
    let bodyBytes = 0;
    const hash = createHash('md5');
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let done = false;
    let failed = false;
    const finish = (r: Fetched | { reason: string }): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      // tls_compliant: SSL_shutdown sends close_notify, except after a TLS or socket error
      // (check_ssl.c ssl_read_thread); otherwise quiet shutdown, the session dropped silently.
      if (closeNotify && !failed && !stream.destroyed) stream.end(() => stream.destroy());
      else stream.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ reason: 'Timeout HTTP read' });
    signal.addEventListener('abort', onAbort, { once: true });
    const complete = (): void => {
      if (done) return;
      if (status < 0) finish({ reason: 'Read, no data received from ' });
      else
        finish({
          status,
          md5: hash.digest('hex'),
          bodyBytes,
          body: keepBody ? Buffer.concat(kept).toString('latin1') : null,
        });
    };
    const body = (chunk: Buffer): void => {
      hash.update(chunk);
      bodyBytes += chunk.length;
      if (keepBody && keptBytes < REGEX_BODY_LIMIT) {
        const part = chunk.subarray(0, REGEX_BODY_LIMIT - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (contentLength >= 0 && bodyBytes >= contentLength) complete();
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      if (status >= 0) {
        body(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > HEADER_LIMIT) finish({ reason: 'Read error with' });
        return;
      }
      const text = head.subarray(0, end).toString('latin1');
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(text);
      status = m ? Number(m[1]) : 0;
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      if (cl) contentLength = Number(cl[1]);
      const rest = head.subarray(end + 4);
      if (rest.length > 0 || contentLength === 0) body(rest);
    });
    stream.on('end', complete);
    stream.on('close', complete);
    stream.on('error', () => {
      failed = true;
      if (status >= 0) complete();
      else finish({ reason: 'Read error with' });
    });
    stream.write(request);
  });
}

function tlsOpen(
  checker: HttpCheck,
  signal: AbortSignal,
  optioned: OptionedSocket | null,
): Promise<Duplex | { reason: string } | { noSocket: true } | { setup: SocketSetupCause }> {
  return new Promise((resolve) => {
    const sni = checker.enableSni ? (checker.sniName ?? checker.virtualhost) : null;
    const tlsOptions = {
      rejectUnauthorized: false,
      ...(sni !== null && !/^[\d.]+$|:/.test(sni) ? { servername: sni } : { servername: '' }),
    };
    let socket;
    if (optioned === null) socket = tlsConnect({ ...connectOptions(checker), ...tlsOptions });
    else {
      // fwmark/bind_if: TLS over the adopted TCP socket, which is still connecting.
      const tcp = connectTcp(connectOptions(checker), optioned);
      if ('cause' in tcp) {
        resolve(tcp.cause === null ? { noSocket: true } : { setup: tcp.cause });
        return;
      }
      socket = tlsConnect({ ...tlsOptions, socket: tcp.socket });
      socket.once('close', () => tcp.socket.destroy());
    }
    let settled = false;
    const settle = (
      r: Duplex | { reason: string } | { noSocket: true } | { setup: SocketSetupCause },
    ): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = (): void => {
      socket.destroy();
      settle({ reason: 'Timeout connecting' });
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => settle(socket));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      socket.destroy();
      if (isSocketShortage(e)) return settle({ noSocket: true });
      settle({
        reason: e.code === 'ECONNREFUSED' ? 'Error connecting' : 'SSL handshake/communication error',
      });
    });
  });
}

function statusAccepted(url: HttpUrl, status: number): boolean {
  return url.statusCodes.some(([lo, hi]) => status >= lo && status <= hi);
}

export async function httpAttempt(checker: HttpCheck, ctx: AttemptContext): Promise<CheckResult> {
  const notes: string[] = [];
  const optioned = optionedTcp(checker, ctx.io);
  for (const url of checker.urls) {
    let stream: Duplex;
    if (checker.type === 'SSL_GET') {
      const r = await tlsOpen(checker, ctx.signal, optioned);
      if ('noSocket' in r) return skipped('WEB connection fail to create socket. Rescheduling.');
      if ('setup' in r) return skipped('WEB socket bind failed. Rescheduling', r.setup);
      if ('reason' in r) return down(r.reason);
      stream = r;
    } else {
      const r = await openTcp(connectOptions(checker), ctx.signal, optioned);
      if ('noSocket' in r) return skipped('WEB connection fail to create socket. Rescheduling.');
      if ('setup' in r) return skipped('WEB socket bind failed. Rescheduling', r.setup);
      if ('reason' in r) return down(r.reason, r.detail);
      stream = r.socket;
    }
    const closeNotify = checker.type === 'SSL_GET' && (url.tlsCompliant || checker.tlsCompliant);
    const got = await exchange(
      stream,
      buildRequest(checker, url),
      ctx.signal,
      url.regex !== null,
      closeNotify,
    );
    if ('reason' in got) return down(got.reason, `url(${url.path})`);
    if (!statusAccepted(url, got.status))
      return down('HTTP status code error to', `url(${url.path}), status_code [${got.status}]`);
    let msg = 'HTTP status code';
    if (url.digest !== null) {
      if (got.md5 !== url.digest.toLowerCase()) return down('MD5 digest error to', `url(${url.path})`);
      msg = 'MD5 digest';
    }
    if (url.regex !== null) {
      // keepalived uses PCRE2; JavaScript RegExp agrees on the common subset.
      let matched = false;
      try {
        matched = new RegExp(url.regex).test(got.body ?? '');
      } catch {
        return down('Regex match failed', `url(${url.path}) (invalid regex)`);
      }
      if (matched === url.regexNoMatch) return down('Regex match failed', `url(${url.path})`);
      msg = 'Regex match';
    }
    notes.push(`${msg} success to ${ctx.target} url(${url.path})`);
  }
  return up(notes);
}
