/**
 * A DIMSE server run as its own process for the constant-memory streaming test: it accepts one association, checks
 * every byte of each C-STORE data set against the generator's 1 MiB pattern as it streams by (holding nothing),
 * samples its own resident memory, and reports on stdout as JSON lines. Test code only.
 *
 * Run: node --conditions=@netdicom/source --import tsx src/testing/stream-server-child.ts
 */
import { createAcceptancePolicy, createAssociationServer } from '@netdicom/association';
import { createDimseServer } from '../server.js';
import { streamPattern } from './stream-pattern.js';

const MB = 1024 * 1024;
const maxPduLength = Number(process.env['DIMSE_STREAM_PDU'] ?? 262144);
const pattern = streamPattern();
const report = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

const server = createAssociationServer({
  maxPduLength,
  onAssociationRequest: createAcceptancePolicy({ abstractSyntaxes: 'any', transferSyntaxes: 'any' }),
});
server.associations$.subscribe((association) => {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  createDimseServer(association, {
    onStore: async (ctx) => {
      let received = 0;
      let mismatch: number | null = null;
      for await (const chunk of ctx.dataset as AsyncIterable<Buffer>) {
        if (mismatch === null && !pattern.matches(received, chunk)) mismatch = received;
        received += chunk.length;
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      report({ type: 'stored', received, mismatch, baselineMb: baseline / MB, peakGrowthMb: (peak - baseline) / MB });
    },
  });
  void association.closed.then(async () => {
    clearInterval(sampler);
    await server.close();
    process.exit(0);
  });
});
const address = await server.listen(0, '127.0.0.1');
report({ type: 'listening', port: address.port });
