// Bench entry (bundled by bench/metrics.mjs as scripts/build.mjs bundles the daemon): the daemon
// itself, its command line, and the control client the bench compares a scrape with.
export { runDaemon } from '../src/daemon/daemon.js';
export { parseCommandLine } from '../src/daemon/cli.js';
export { request } from '../src/daemon/control-client.js';
