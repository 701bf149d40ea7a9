// Run by process.test.ts in a separate Node process: starts storescp, prints `<port> <process-group-id>` and waits
// to be killed, so the test can check that storescp dies with it even when it is killed with SIGKILL. The output
// directory comes from the test, which removes it (this process never gets to).
import { startStorescp } from '../dcmtk.js';

const outputDir = process.argv[2];
if (outputDir === undefined) throw new Error('usage: guard-child <outputDir>');
const scp = await startStorescp({ outputDir });
process.stdout.write(`${scp.port} ${scp.process.pid}\n`);
setInterval(() => {}, 60_000);
