/**
 * PURE: server-sent events framing (WHATWG HTML, "Server-sent events", the event stream format).
 * A message is `event:`, `id:` and one `data:` line per line of its text, ended by a blank line;
 * the browser's EventSource joins the data lines with "\n" again and remembers the last `id` to
 * send back as `Last-Event-ID` when it reconnects.
 */

export interface SseMessage {
  /** The event type (EventSource `addEventListener(type)`); absent: `message`. */
  readonly event?: string;
  /** Remembered by the client and sent back on reconnection. */
  readonly id?: string | number;
  /** The client's reconnection delay in milliseconds. */
  readonly retry?: number;
  readonly data: string;
}

// A field value may not hold a line break (it would end the field) nor, for ids, NUL (the spec
// ignores such an id).
const LINE_BREAK = /\r\n|\r|\n/;

/** One message as its bytes on the stream. Throws on an event type or id holding a line break. */
export function sseFrame(message: SseMessage): string {
  let out = '';
  if (message.event !== undefined) {
    if (LINE_BREAK.test(message.event) || message.event === '') throw new Error('bad SSE event type');
    out += `event: ${message.event}\n`;
  }
  if (message.id !== undefined) {
    const id = String(message.id);
    if (LINE_BREAK.test(id) || id.includes('\0')) throw new Error('bad SSE id');
    out += `id: ${id}\n`;
  }
  if (message.retry !== undefined) {
    if (!Number.isSafeInteger(message.retry) || message.retry < 0) throw new Error('bad SSE retry');
    out += `retry: ${message.retry}\n`;
  }
  for (const line of message.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line: ignored by EventSource, it keeps proxies from timing an idle stream out. */
export function sseComment(text: string): string {
  return `: ${text.replace(/\r\n|\r|\n/g, ' ')}\n\n`;
}

/**
 * The `Last-Event-ID` a reconnecting client sends (the feed's `seq` of the last event it got), or
 * null when absent or not a non-negative integer.
 */
export function parseLastEventId(header: string | readonly string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}
