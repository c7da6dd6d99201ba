/**
 * Guest program for the VM smoke test: resolves a generic netlink family by name through the `netlink`
 * npm package and prints one JSON line { family, familyId, version } (exit 1 with a message when
 * the family is unknown). Run in the guest with `node <bundle> IPVS`.
 */
import { createGenericNetlink, genl } from 'netlink';

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'IPVS';
  const socket = createGenericNetlink();
  try {
    const [family] = await socket.ctrlRequest(genl.Commands.GET_FAMILY, { familyName: name });
    if (family?.familyId === undefined) throw new Error(`no family id in the reply for ${name}`);
    console.log(
      JSON.stringify({ family: family.familyName, familyId: family.familyId, version: family.version }),
    );
  } finally {
    socket.socket.close();
  }
}

main().catch((error: unknown) => {
  console.error(`genl-family: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
