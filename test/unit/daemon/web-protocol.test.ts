/**
 * The page's mirror of the event stream's messages (web/protocol.ts) against the daemon's own
 * types: checked by the typecheck (this file is in tsconfig.json), and the header both sides use.
 */
import { expect, it } from 'vitest';
import type { FeedEntry } from '../../../src/daemon/event-feed.js';
import { CONTROL_HEADER } from '../../../src/daemon/web-guard.js';
import {
  CONTROL_HEADER as PAGE_CONTROL_HEADER,
  type FeedEntry as PageFeedEntry,
} from '../../../web/protocol.js';

type Kind = PageFeedEntry['kind'];
/** Every kind the page reads is sent by the daemon with at least the fields the page reads. */
const _sameEntries: {
  [K in Kind]: (e: Extract<FeedEntry, { kind: K }>) => Extract<PageFeedEntry, { kind: K }>;
} = {
  'vrrp-state': (e) => e,
  'rs-health': (e) => e,
  reload: (e) => e,
};

it('the page sends the control header the daemon checks', () => {
  expect(PAGE_CONTROL_HEADER).toBe(CONTROL_HEADER);
  expect(Object.keys(_sameEntries).sort()).toEqual(['reload', 'rs-health', 'vrrp-state']);
});
