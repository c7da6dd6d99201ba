import { describe, expect, it } from 'vitest';
import {
  consoleTimestamp,
  fileTimestamp,
  logFileFor,
  parseLogFacility,
  SYSLOG_IDENTS,
  subsystemOf,
  syslogLine,
} from '../../../src/daemon/log-format.js';

// Local time, as keepalived's localtime_r: the tests build dates from local fields.
const date = new Date(2026, 11, 1, 22, 42, 2, 7);

describe('timestamps', () => {
  it("console: strftime %c in the C locale, the day padded with a space (keepalived's -l)", () => {
    expect(consoleTimestamp(date)).toBe('Tue Dec  1 22:42:02 2026');
    expect(consoleTimestamp(new Date(2026, 10, 21, 9, 3, 48))).toBe('Sat Nov 21 09:03:48 2026');
  });
  it('file: %a %b %d %T.nanoseconds %Y, the day padded with a zero (keepalived -g)', () => {
    expect(fileTimestamp(date)).toBe('Tue Dec 01 22:42:02.007000000 2026');
  });
});

describe('syslogLine', () => {
  it("is RFC 3164 as glibc's syslog(3) sends it to /dev/log: no host name, day padded with a space", () => {
    // local3.info = 19 << 3 | 6 = 158, as keepalived -S local3 sends its LOG_INFO lines.
    expect(syslogLine(158, date, 'Keepalived_vrrp', 4242, '(VI_1) Entering MASTER STATE')).toBe(
      '<158>Dec  1 22:42:02 Keepalived_vrrp[4242]: (VI_1) Entering MASTER STATE',
    );
  });
  it("names keepalived's three processes", () => {
    expect(SYSLOG_IDENTS).toEqual({
      core: 'Keepalived',
      vrrp: 'Keepalived_vrrp',
      lvs: 'Keepalived_healthcheckers',
    });
    expect(subsystemOf('vrrp')).toBe('vrrp');
    expect(subsystemOf('lvs')).toBe('lvs');
    expect(subsystemOf(undefined)).toBe('core');
    expect(subsystemOf('other')).toBe('core');
  });
});

describe('parseLogFacility', () => {
  it('maps to <syslog.h> codes', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => parseLogFacility(String(n)))).toEqual([
      128, 136, 144, 152, 160, 168, 176, 184,
    ]);
    expect(parseLogFacility('local5')).toBe(168);
    expect(parseLogFacility('user')).toBe(8);
    expect(parseLogFacility('daemon')).toBe(24);
    expect(parseLogFacility('local')).toBeNull();
    expect(parseLogFacility('07')).toBeNull();
  });
});

describe('logFileFor', () => {
  it("inserts the child's name before the extension, as keepalived's make_file_name", () => {
    expect(logFileFor('/var/log/ka.log', 'core', undefined)).toBe('/var/log/ka.log');
    expect(logFileFor('/var/log/ka.log', 'vrrp', undefined)).toBe('/var/log/ka_vrrp.log');
    expect(logFileFor('/var/log/ka.log', 'lvs', undefined)).toBe('/var/log/ka_check.log');
    expect(logFileFor('/var/log.d/ka', 'vrrp', undefined)).toBe('/var/log.d/ka_vrrp');
    expect(logFileFor('/var/log/ka.1.log', 'vrrp', undefined)).toBe('/var/log/ka.1_vrrp.log');
  });
  it('puts a relative name in $TMPDIR when it is absolute, else /tmp', () => {
    expect(logFileFor('keepalived.log', 'core', undefined)).toBe('/tmp/keepalived.log');
    expect(logFileFor('keepalived.log', 'vrrp', '/var/tmp')).toBe('/var/tmp/keepalived_vrrp.log');
    expect(logFileFor('keepalived.log', 'core', 'relative')).toBe('/tmp/keepalived.log');
  });
});
