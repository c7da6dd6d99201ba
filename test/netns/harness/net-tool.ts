/**
 * A small CLI over the net/ adapters, bundled by the netns tier and run inside a namespace
 * (the test process itself cannot enter one). Prints one JSON object per line.
 */
import { VrrpRawSocket } from '../../../src/net/raw-ip-socket.js';
import { RtNetlink } from '../../../src/net/addresses.js';
import { ArpSender } from '../../../src/net/arp.js';
import { LinkWatcher } from '../../../src/net/links.js';

const out = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + '\n');

async function main(argv: string[]): Promise<void> {
  const [cmd, ...a] = argv;
  const nl = RtNetlink.open();
  try {
    switch (cmd) {
      case 'recv': {
        const [ifname, group, count, timeoutMs] = a as [string, string, string, string];
        const link = await nl.linkByName(ifname);
        const src = await nl.primaryAddress4(link!.ifindex);
        const s = VrrpRawSocket.open({
          interfaceName: ifname,
          ifindex: link!.ifindex,
          sourceAddress: src!,
          multicastGroup: group === '-' ? null : group,
          ttl: 255,
        });
        let left = Number(count);
        const timer = setTimeout(() => {
          s.close();
          out({ kind: 'timeout' });
        }, Number(timeoutMs));
        s.onDatagram((d) => {
          out({
            kind: 'datagram',
            source: d.source,
            destination: d.destination,
            ttl: d.ttl,
            payload: d.payload.toString('hex'),
          });
          if (--left === 0) {
            clearTimeout(timer);
            s.close();
          }
        });
        out({ kind: 'ready' });
        return;
      }
      case 'send': {
        const [ifname, source, destination, hex, group] = a as [string, string, string, string, string?];
        const link = await nl.linkByName(ifname);
        const s = VrrpRawSocket.open({
          interfaceName: ifname,
          ifindex: link!.ifindex,
          sourceAddress: source === '-' ? (await nl.primaryAddress4(link!.ifindex))! : source,
          multicastGroup: group ?? null,
          ttl: 255,
        });
        await s.send(Buffer.from(hex, 'hex'), destination);
        s.close();
        out({ kind: 'sent' });
        return;
      }
      case 'addr': {
        const [op, ifname, cidr, label, scope, brd] = a as [
          string,
          string,
          string,
          string?,
          string?,
          string?,
        ];
        const link = await nl.linkByName(ifname);
        const [address, len] = cidr.split('/') as [string, string];
        const spec = {
          address,
          prefixLength: Number(len),
          ifindex: link!.ifindex,
          label: label && label !== '-' ? label : null,
          scope: scope && scope !== '-' ? scope : null,
          broadcast: brd && brd !== '-' ? brd : null,
          peer: null,
        };
        const changed = op === 'add' ? await nl.addAddress(spec) : await nl.deleteAddress(spec);
        out({ kind: 'addr', op, changed });
        return;
      }
      case 'info': {
        const [ifname] = a as [string];
        const link = await nl.linkByName(ifname);
        out({
          kind: 'info',
          ifindex: link!.ifindex,
          mac: link!.mac?.toString('hex'),
          up: link!.up,
          primary: await nl.primaryAddress4(link!.ifindex),
          addresses: (await nl.addresses(link!.ifindex)).map((x) => `${x.address}/${x.prefixLength}`),
        });
        return;
      }
      case 'garp': {
        const [ifname, vip, repeat] = a as [string, string, string?];
        const link = await nl.linkByName(ifname);
        const sender = new ArpSender();
        for (let i = 0; i < Number(repeat ?? 1); i++) sender.send(link!.ifindex, link!.mac!, vip);
        sender.close();
        out({ kind: 'garp-sent' });
        return;
      }
      case 'watch': {
        const [ifname, events] = a as [string, string];
        const w = await LinkWatcher.open();
        let left = Number(events);
        const keepAlive = setInterval(() => {}, 1000);
        w.onEvent((e) => {
          if (e.kind === 'link-change' && e.link.name === ifname) {
            out({ kind: 'link', name: e.link.name, up: e.link.up });
            if (--left === 0) {
              clearInterval(keepAlive);
              w.close();
            }
          }
        });
        out({ kind: 'ready', up: w.current(ifname)?.up ?? null });
        return;
      }
      default:
        throw new Error(`unknown command ${cmd}`);
    }
  } finally {
    nl.close();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  out({ kind: 'error', message: (e as Error).message });
  process.exitCode = 1;
});
