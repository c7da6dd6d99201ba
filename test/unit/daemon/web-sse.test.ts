import { describe, expect, it } from 'vitest';
import { parseLastEventId, sseComment, sseFrame } from '../../../src/daemon/web-sse.js';

describe('sseFrame', () => {
  it('writes event, id, retry and one data line per line, ended by a blank line', () => {
    expect(sseFrame({ event: 'status', id: 7, retry: 2000, data: '{"a":1}' })).toBe(
      'event: status\nid: 7\nretry: 2000\ndata: {"a":1}\n\n',
    );
    expect(sseFrame({ data: 'x' })).toBe('data: x\n\n');
  });

  it('splits data on every kind of line break, so no line can end the message early', () => {
    expect(sseFrame({ data: 'a\nb\r\nc\rd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(sseFrame({ data: '' })).toBe('data: \n\n');
    expect(sseFrame({ data: 'a\n\nb' })).toBe('data: a\ndata: \ndata: b\n\n');
  });

  it('JSON data stays one line', () => {
    const data = JSON.stringify({ text: 'two\nlines' });
    expect(
      sseFrame({ event: 'feed', data })
        .split('\n')
        .filter((l) => l.startsWith('data:')),
    ).toHaveLength(1);
  });

  it('refuses an event type or id that would break the framing', () => {
    expect(() => sseFrame({ event: 'a\nb', data: '' })).toThrow();
    expect(() => sseFrame({ event: '', data: '' })).toThrow();
    expect(() => sseFrame({ id: '1\r2', data: '' })).toThrow();
    expect(() => sseFrame({ id: 'a\0', data: '' })).toThrow();
    expect(() => sseFrame({ retry: -1, data: '' })).toThrow();
  });
});

describe('sseComment', () => {
  it('is one comment line whatever the text', () => {
    expect(sseComment('hi')).toBe(': hi\n\n');
    expect(sseComment('a\nb')).toBe(': a b\n\n');
  });
});

describe('parseLastEventId', () => {
  it('reads a non-negative integer, else null', () => {
    expect(parseLastEventId('42')).toBe(42);
    expect(parseLastEventId(' 3 ')).toBe(3);
    expect(parseLastEventId(['5'])).toBe(5);
    expect(parseLastEventId(undefined)).toBeNull();
    expect(parseLastEventId('')).toBeNull();
    expect(parseLastEventId('-1')).toBeNull();
    expect(parseLastEventId('1e3')).toBeNull();
    expect(parseLastEventId('9999999999999999999')).toBeNull();
  });
});
