// Helpers of the metrics tests: the exporters' metric lists the series are checked against, and
// a reader of the exposition text (only for judging; the daemon renders it with prom-client).

/** One exposition sample. */
export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

/** Families by name from Prometheus's text format. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, type: '', help: '', samples: [] }));
    return f;
  };
  let current: Family | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta !== null) {
      const f = family(meta[2]!);
      if (meta[1] === 'HELP') (f as { help: string }).help = meta[3]!;
      else (f as { type: string }).type = meta[3]!;
      current = f;
      continue;
    }
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const sample = { name: m[1]!, labels, value: Number(m[3]) };
    // _bucket/_sum/_count belong to the histogram family declared before them.
    if (current !== null && sample.name.startsWith(current.name)) current.samples.push(sample);
    else family(sample.name).samples.push(sample);
  }
  return families;
}

export interface ExporterMetric {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly labels: readonly string[];
  readonly help: string;
}

const instance = ['iname', 'intf', 'vrid'];
const vip = ['iname', 'intf', 'vrid', 'ip_address'];

/**
 * mehdy/keepalived-exporter (internal/collector/collector.go, fillMetrics and Collect), read at
 * its main branch of 2026: the names, label names, help texts and value types its dashboards and
 * alerts query. Its `keepalived_exporter_check_script_status` runs a script of the exporter's
 * own (--ka.check-script) and has no counterpart here.
 */
export const MEHDY_VRRP_METRICS: readonly ExporterMetric[] = [
  { name: 'keepalived_up', type: 'gauge', labels: [], help: 'Status' },
  { name: 'keepalived_vrrp_state', type: 'gauge', labels: vip, help: 'State of vrrp' },
  {
    name: 'keepalived_vrrp_excluded_state',
    type: 'gauge',
    labels: vip,
    help: 'State of vrrp with excluded VIP',
  },
  {
    name: 'keepalived_gratuitous_arp_delay_total',
    type: 'counter',
    labels: instance,
    help: 'Gratuitous ARP delay',
  },
  ...(
    [
      ['keepalived_advertisements_received_total', 'Advertisements received'],
      ['keepalived_advertisements_sent_total', 'Advertisements sent'],
      ['keepalived_become_master_total', 'Became master'],
      ['keepalived_release_master_total', 'Released master'],
      ['keepalived_packet_length_errors_total', 'Packet length errors'],
      ['keepalived_advertisements_interval_errors_total', 'Advertisement interval errors'],
      ['keepalived_ip_ttl_errors_total', 'TTL errors'],
      ['keepalived_invalid_type_received_total', 'Invalid type errors'],
      ['keepalived_address_list_errors_total', 'Address list errors'],
      ['keepalived_authentication_invalid_total', 'Authentication invalid'],
      ['keepalived_authentication_mismatch_total', 'Authentication mismatch'],
      ['keepalived_authentication_failure_total', 'Authentication failure'],
      ['keepalived_priority_zero_received_total', 'Priority zero received'],
      ['keepalived_priority_zero_sent_total', 'Priority zero sent'],
    ] as const
  ).map(([name, help]) => ({ name, type: 'counter' as const, labels: instance, help })),
  { name: 'keepalived_script_status', type: 'gauge', labels: ['name'], help: 'Tracker Script Status' },
  { name: 'keepalived_script_state', type: 'gauge', labels: ['name'], help: 'Tracker Script State' },
];

/**
 * gen2brain/keepalived_exporter (collector/collector.go, New and Collect): the IPVS series it
 * reads from the kernel, each a counter; `vip` and `addr` are `ADDR:PORT`, `proto` the IPPROTO
 * number.
 */
export const GEN2BRAIN_LVS_METRICS: readonly ExporterMetric[] = [
  ...(
    [
      ['in_packets', 'in packets'],
      ['out_packets', 'out packets'],
      ['in_bytes', 'in bytes'],
      ['out_bytes', 'out bytes'],
      ['conn', 'connections'],
    ] as const
  ).flatMap(([suffix, help]) => [
    {
      name: `keepalived_lvs_vip_${suffix}`,
      type: 'counter' as const,
      labels: ['addr', 'proto'],
      help: `VIP ${help}`,
    },
    {
      name: `keepalived_lvs_rs_${suffix}`,
      type: 'counter' as const,
      labels: ['vip', 'addr', 'proto'],
      help: `RS ${help}`,
    },
  ]),
];
