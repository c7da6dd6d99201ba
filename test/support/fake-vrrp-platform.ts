// An in-memory VrrpPlatform for engine tests: VIPs live in a set, adverts, notifies and script
// runs are recorded, and the test drives links and watched files by hand. eth0 (ifindex 2) is up.
import type { ScriptSpec } from '../../src/config/model.js';
import type { AddressRemoval, LinkState, ScriptResult, VrrpPlatform } from '../../src/vrrp/ports.js';

export interface FakeVrrpPlatform {
  readonly platform: VrrpPlatform;
  /** Addresses configured on the host; a test may seed crash leftovers. */
  readonly present: Set<string>;
  /** Adverts sent, as VRID and priority (bytes 1 and 2 of the VRRP message). */
  readonly sent: { vrid: number; priority: number }[];
  /** `KIND name STATE` per notify. */
  readonly notifies: string[];
  /** Commands of the scripts run, in order. */
  readonly scriptRuns: string[];
  /** Result per command; a command not in the map exits 0. */
  readonly scriptResults: Map<string, ScriptResult>;
  /** `path=value` per init_file write. */
  readonly initialised: string[];
  /** Advert channels opened so far. */
  channels(): number;
  /** Sets a link up or down (with a new index: deleted and created again) and tells the link listeners. */
  setLink(name: string, up: boolean, ifindex?: number): void;
  /** Feeds a watched file's new text (null: unreadable) to its watcher. */
  writeFile(path: string, text: string | null): void;
  /** Someone else removes an address: gone from `present`, and the address listeners told. */
  removeAddress(ifname: string, address: string, prefixLength?: number): void;
}

export function fakeVrrpPlatform(): FakeVrrpPlatform {
  const present = new Set<string>();
  const sent: { vrid: number; priority: number }[] = [];
  const notifies: string[] = [];
  const scriptRuns: string[] = [];
  const scriptResults = new Map<string, ScriptResult>();
  const initialised: string[] = [];
  const links = new Map<string, LinkState>([['eth0', { name: 'eth0', ifindex: 2, up: true }]]);
  const linkListeners: ((l: LinkState) => void)[] = [];
  const addressListeners: ((r: AddressRemoval) => void)[] = [];
  const fileListeners = new Map<string, (text: string | null) => void>();
  let channels = 0;
  const platform: VrrpPlatform = {
    links: {
      current: (n) => links.get(n) ?? null,
      onChange: (fn) => void linkListeners.push(fn),
      onAddressRemoved: (fn) => void addressListeners.push(fn),
    },
    vips: {
      addAddresses: async (vs) => {
        vs.forEach((v) => present.add(v.address));
        return { changed: vs.map((v) => v.address), errors: [] };
      },
      removeAddresses: async (vs) => {
        vs.forEach((v) => present.delete(v.address));
        return { changed: vs.map((v) => v.address), errors: [] };
      },
      addRoutes: async () => ({ changed: [], errors: [] }),
      removeRoutes: async () => ({ changed: [], errors: [] }),
      addRules: async () => ({ changed: [], errors: [] }),
      removeRules: async () => ({ changed: [], errors: [] }),
      present: async (vs) => vs.filter((v) => present.has(v.address)),
    },
    garp: { sendGarp: () => {} },
    notifier: {
      notify: async (kind, name, state) => void notifies.push(`${kind} ${name} ${state}`),
    },
    scripts: {
      run: async (spec: ScriptSpec) => {
        scriptRuns.push(spec.command);
        return scriptResults.get(spec.command) ?? { kind: 'exited', code: 0 };
      },
    },
    primaryAddress: async () => '10.0.0.1',
    openChannel: (o) => {
      channels++;
      return {
        sourceAddress: o.sourceAddress,
        send: async (m) => void sent.push({ vrid: m[1]!, priority: m[2]! }),
        onDatagram: () => {},
        close: () => {},
      };
    },
    initFile: (path, value) => void initialised.push(`${path}=${value}`),
    watchFile: (path, fn) => {
      fileListeners.set(path, fn);
      fn(null);
      return { close: () => void fileListeners.delete(path) };
    },
  };
  return {
    platform,
    present,
    sent,
    notifies,
    scriptRuns,
    scriptResults,
    initialised,
    channels: () => channels,
    setLink: (name, up, ifindex) => {
      const l = { name, ifindex: ifindex ?? links.get(name)?.ifindex ?? 9, up };
      links.set(name, l);
      for (const fn of linkListeners) fn(l);
    },
    writeFile: (path, text) => fileListeners.get(path)?.(text),
    removeAddress: (ifname, address, prefixLength = 32) => {
      present.delete(address);
      for (const fn of addressListeners) fn({ ifname, address, prefixLength });
    },
  };
}
