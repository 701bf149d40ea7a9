/**
 * A StoreScp in a child process, for the tests that kill it (kill -9 mid-store) or measure its memory.
 *
 * Usage: node --conditions=@netdicom/source --import tsx scp-child.ts '<StoreScpOptions as JSON>'
 * Listens on 127.0.0.1, port 0, and prints one JSON object per line on stdout: `{"event":"listening","port":N,
 * "startup":{...}}` first, then `received`, `failed` and `ended` events. Closes on SIGTERM (or a `close` line on
 * stdin) and prints `{"event":"closed"}`.
 */
import { StoreScp, type StoreScpOptions } from '../store-scp.js';

const print = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);

const options = JSON.parse(process.argv[2] ?? '{}') as StoreScpOptions;
const scp = new StoreScp({ aeTitle: 'NETDICOM', ...options, port: 0, host: '127.0.0.1' });
scp.received$.subscribe((i) =>
  print({
    event: 'received',
    sopInstanceUid: i.sopInstanceUid,
    path: i.path,
    bytes: i.bytes,
    seconds: i.durationSeconds,
  }),
);
scp.failed$.subscribe((f) =>
  print({ event: 'failed', sopInstanceUid: f.sopInstanceUid, status: f.status, message: f.error.message }),
);
scp.associationEnded$.subscribe((e) => print({ event: 'ended', reason: e.reason, instances: e.instances.length }));
scp.errors$.subscribe((e) => print({ event: 'error', message: e.message }));

// NETDICOM_MEMORY_LOG=<ms>: every <ms>, print process.memoryUsage() on stderr when the RSS reached a new peak (diagnosis of the memory test).
const memoryLog = Number(process.env['NETDICOM_MEMORY_LOG'] ?? 0);
if (memoryLog > 0) {
  let peak = 0;
  setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss <= peak) return;
    peak = m.rss;
    const mb = (n: number) => (n / 1048576).toFixed(1);
    process.stderr.write(
      `memory rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n`,
    );
  }, memoryLog).unref();
}

const address = await scp.listen();
print({ event: 'listening', port: address.port, startup: scp.startup });

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await scp.close();
  print({ event: 'closed' });
  process.exit(0);
};
process.on('SIGTERM', () => void close());
process.stdin.on('data', (data: Buffer) => {
  if (data.toString().includes('close')) void close();
});
// The parent going away (its end of stdin closes) ends this process too.
process.stdin.on('end', () => void close());
