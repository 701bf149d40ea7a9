// Run by process.test.ts in a separate Node process: starts storescp, prints `<port> <process-group-id>` and waits
// to be killed, so the test can check that storescp dies with it even when it is killed with SIGKILL.
import { startStorescp } from '../dcmtk.js';

const scp = await startStorescp();
process.stdout.write(`${scp.port} ${scp.process.pid}\n`);
setInterval(() => {}, 60_000);
