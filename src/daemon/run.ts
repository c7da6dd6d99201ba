// The daemon entry used by main.ts; the composition lives in daemon.ts.
export { runDaemon } from './daemon.js';
