/**
 * The status page's files (built from web/ by scripts/build.mjs into dist/web/), read once when
 * the listener starts and served from memory: a page view never touches the disk, and a rebuild
 * under a running daemon cannot hand a browser half of one build and half of another.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Only 'self': the page loads nothing from anywhere else and runs no inline script or style. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
};

export interface WebAsset {
  /** The URL path it is served at (`/` for index.html). */
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** A strong validator of the content, for conditional requests. */
  readonly etag: string;
}

/**
 * Where the bundle's dist/web lives: beside the main bundle (`dist/keepalived-ts.js`) or one level
 * up from a chunk (`dist/chunks/...`), as checker-host.ts finds the checker worker; from the
 * sources (src/daemon/, under vitest), the built one in dist/. Null when not built.
 */
export function defaultWebDir(): string | null {
  const candidates = [
    new URL('./web/', import.meta.url),
    new URL('../web/', import.meta.url),
    new URL('../../dist/web/', import.meta.url),
  ];
  for (const c of candidates) {
    if (c.protocol !== 'file:') continue;
    const dir = fileURLToPath(c);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

/** Every file of `dir` (not its subdirectories) whose type is known, index.html also at `/`. */
export function loadWebAssets(dir: string): WebAsset[] {
  const assets: WebAsset[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name);
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined || !statSync(file).isFile()) continue;
    const body = readFileSync(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.push({ path: `/${name}`, contentType, body, etag });
    if (name === 'index.html') assets.push({ path: '/', contentType, body, etag });
  }
  return assets;
}
