/**
 * The layering of src/ (docs/architecture.md), enforced in CI by `npm run lint`:
 *   util <- config <- contracts <- {vrrp, check, ipvs} <- daemon <- main
 *   net (I/O adapters, the only home of native addons) <- daemon
 * Pure cores never reach the system: no node: module but buffer, no adapter, no addon.
 */
const NATIVE_ADDONS = '^node_modules/(raw-socket|netlink|unix-dgram|fs-ext|@keepalived-ts/af-packet)/';
const SUBSYSTEMS = ['vrrp', 'check', 'ipvs', 'realserver'];

/**
 * Modules that reach the system only through injected ports: the pure codecs, reducers, schema,
 * diff and reconcile, and the subsystem shells around them. I/O lives in net/, daemon/, the config
 * reader (parse.ts, load.ts) and the checkers' attempt functions (tcp, udp, http, dns, file).
 */
const NO_IO = [
  '^src/util/',
  '^src/contracts/',
  '^src/config/(?!(parse|load)\\.ts$)',
  '^src/vrrp/',
  '^src/ipvs/',
  '^src/realserver/',
  '^src/check/(?!(tcp|udp|http|dns|file)\\.ts$)',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle is a start-up ordering hazard and a sign that a module does two jobs.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'util-is-a-leaf',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'config-imports-only-util',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(util|config)/' },
    },
    {
      name: 'contracts-import-only-util-and-config',
      severity: 'error',
      from: { path: '^src/contracts/' },
      to: { path: '^src/', pathNot: '^src/(util|config|contracts)/' },
    },
    ...SUBSYSTEMS.map((s) => ({
      name: `${s}-imports-no-other-subsystem`,
      severity: 'error',
      comment: 'Subsystems meet only in daemon/ (the composition root), through typed events and ports.',
      from: { path: `^src/${s}/` },
      to: { path: '^src/', pathNot: `^src/(util|config|contracts|${s})/` },
    })),
    {
      name: 'net-imports-only-util-and-contracts',
      severity: 'error',
      from: { path: '^src/net/' },
      to: { path: '^src/', pathNot: '^src/(util|contracts|net)/' },
    },
    {
      name: 'native-addons-only-in-net',
      severity: 'error',
      comment: 'Native addons are I/O: they are loaded by the adapters in src/net/ and nowhere else.',
      from: { path: '^src/', pathNot: '^src/net/' },
      to: { path: NATIVE_ADDONS },
    },
    {
      name: 'pure-core-does-no-io',
      severity: 'error',
      comment: 'Cores and shells import no node: module but buffer: their I/O comes through ports.',
      from: { path: NO_IO },
      to: {
        dependencyTypes: ['core'],
        pathNot: '^(node:)?buffer$',
      },
    },
    {
      name: 'nothing-imports-main',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/main\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // `require` made by createRequire is still a require call; also count these.
    exoticRequireStrings: ['require'],
    moduleSystems: ['es6', 'cjs'],
  },
};
