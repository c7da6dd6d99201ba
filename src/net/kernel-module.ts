/**
 * EDGE: loading a kernel module with modprobe(8), as keepalived loads ip_vs: quietly, bounded in
 * time, and a no-op when the module is already there (/sys/module/NAME).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

const MODPROBE_TIMEOUT_MS = 10_000;

export function loadKernelModule(name: string): Promise<void> {
  if (existsSync(`/sys/module/${name}`)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    execFile('modprobe', ['-q', name], { timeout: MODPROBE_TIMEOUT_MS }, (e, _out, stderr) => {
      if (e === null) return resolve();
      const why = String(stderr).trim() || (typeof e.code === 'number' ? `exit ${e.code}` : e.message);
      reject(new Error(`modprobe ${name} failed: ${why}`));
    });
  });
}
