import { isAbsolute, normalize, resolve } from 'node:path';
import type { ConfigFs } from '../../src/config/parse.js';

/** In-memory ConfigFs: paths are absolute; globs support `*`, `?` and `{a,b}` per path segment. */
export function memoryFs(files: Record<string, string>): ConfigFs {
  const toRegex = (glob: string): RegExp => {
    let re = '';
    for (let i = 0; i < glob.length; i++) {
      const c = glob[i]!;
      if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else if (c === '{') {
        const end = glob.indexOf('}', i);
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&'))
          .join('|')})`;
        i = end;
      } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}$`);
  };
  return {
    readFile(path) {
      const text = files[normalize(path)];
      return text === undefined ? { ok: false, reason: 'not found' } : { ok: true, text };
    },
    glob(pattern, cwd) {
      const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
      const re = toRegex(abs);
      return Object.keys(files)
        .filter((f) => re.test(f))
        .sort();
    },
    realpath(path) {
      return normalize(path);
    },
  };
}
