import { describe, expect, it } from 'vitest';
import { logOpenFileLimit, openFilesRequired } from '../../../src/daemon/open-files.js';
import { MemoryLogger } from '../../../src/util/log.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';

async function loadText(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kts-open-files-'));
  try {
    writeFileSync(join(dir, 'keepalived.conf'), text);
    const loaded = await loadConfig(join(dir, 'keepalived.conf'), { configId: null, checkInterfaces: false });
    if (loaded.config === null) throw new Error(JSON.stringify(loaded.diagnostics));
    return loaded.config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const conf = `
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.9.9.9/32
  }
}
virtual_server 10.1.1.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
${Array.from({ length: 30 }, (_, i) => `  real_server 10.2.2.${i + 1} 80 {\n    TCP_CHECK {\n    }\n  }`).join('\n')}
  real_server 10.2.3.1 80 {
    MISC_CHECK {
      misc_path /bin/true
    }
  }
}
`;

describe('openFilesRequired', () => {
  it("counts one descriptor per socket checker, a script's pipes per MISC_CHECK, and the instances", async () => {
    const config = await loadText(conf);
    const base = openFilesRequired(config, { checkers: false, vrrp: false, listener: false });
    expect(openFilesRequired(config, { checkers: true, vrrp: false, listener: false })).toBe(base + 30 + 4);
    expect(openFilesRequired(config, { checkers: false, vrrp: true, listener: false })).toBe(base + 2);
    expect(openFilesRequired(config, { checkers: false, vrrp: false, listener: true })).toBe(base + 64);
  });
});

describe('logOpenFileLimit', () => {
  it("logs in keepalived's words: the new limit with -D only, a refusal always", () => {
    const logger = new MemoryLogger();
    logOpenFileLimit({ kind: 'unchanged' }, logger);
    logOpenFileLimit({ kind: 'set', limits: { soft: 2048, hard: Infinity } }, logger);
    logOpenFileLimit(
      {
        kind: 'failed',
        limits: { soft: 3000, hard: 3000 },
        code: 'EPERM',
        capped: { soft: 1024, hard: 1024 },
      },
      logger,
    );
    expect(logger.lines.map((l) => [l.level, l.message])).toEqual([
      ['detail', 'Set open file limit to 2048:unlimited.'],
      ['info', 'Failed to set open file limit to 3000:3000 failed - errno 1'],
      ['info', 'Set open file limit to 1024:1024 instead.'],
    ]);
  });
});
