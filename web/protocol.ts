/**
 * What the daemon sends the page (src/daemon/web-routes.ts, web-events.ts): the status model is
 * the daemon's own type (src/contracts/status.ts, types only); the event stream's messages are
 * mirrored here so the page pulls in nothing of the daemon. test/unit/daemon/web-protocol.test.ts
 * checks the mirror against the daemon's types.
 */
export type {
  DaemonStatus,
  RealServerStatus,
  VirtualServerStatus,
  VrrpInstanceStatus,
} from '../src/contracts/status.js';

/** `event: hello`, first on every stream. */
export interface Hello {
  readonly pid: number;
  /** --web-control: the page shows drain and enable buttons. */
  readonly webControl: boolean;
}

/** `event: feed`: one EventFeed entry (src/daemon/event-feed.ts). */
export type FeedEntry = { readonly seq: number; readonly at: string } & (
  | { readonly kind: 'vrrp-state'; readonly instance: string; readonly from: string; readonly to: string }
  | {
      readonly kind: 'rs-health';
      readonly vs: string;
      readonly rs: string;
      readonly vsName: string;
      readonly rsName: string;
      readonly up: boolean;
    }
  | { readonly kind: 'reload'; readonly applied: boolean; readonly durationMs: number }
);

/** The custom header every control request carries (src/daemon/web-guard.ts CONTROL_HEADER). */
export const CONTROL_HEADER = 'x-keepalived-ts-control';

/** `POST api/rs/drain` and `api/rs/enable`. */
export interface RsRequest {
  readonly vs: string;
  readonly rs: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP' | null;
}

export type ControlAnswer =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };
