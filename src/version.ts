export const VERSION = '0.1.0';

/** The keepalived release whose behaviour, formats and log lines keepalived-ts follows. */
export const KEEPALIVED_VERSION = '2.2.7';

/**
 * keepalived's `-v` text (core/main.c print_version): the `Keepalived vX.Y.Z` line first, as
 * exporters parse it, naming the release followed, with our own version beside it. The
 * `configure options:` line names what a keepalived build would need for the same features;
 * exporters in JSON mode look for `--enable-json` there before they send the JSON signal.
 */
export function versionText(kernelRelease: string, long: boolean): string {
  const lines = [
    `Keepalived v${KEEPALIVED_VERSION} (keepalived-ts v${VERSION})`,
    '',
    `Running on Linux ${kernelRelease}`,
    `Node.js ${process.version}`,
  ];
  if (long) {
    lines.push(
      '',
      'configure options: --enable-json --enable-lvs --enable-vrrp --with-init=systemd',
      '',
      'Config options:  LVS VRRP VRRP_AUTH JSON INIT=systemd SYSTEMD_NOTIFY',
    );
  }
  return `${lines.join('\n')}\n`;
}
