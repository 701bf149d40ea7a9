/**
 * Throughput of P-DATA over loopback between two netdicom associations, for several Maximum Length Received values
 * (PS3.8 D.1): the measurement behind DEFAULT_MAX_PDU_LENGTH. The acceptor runs in a child process (its own core);
 * the requestor sends `TOTAL_MB` of data set PDVs, one PDV per PDU at the full negotiated size, honouring
 * backpressure, then releases.
 *
 * Run: pnpm bench (in packages/association). Prints one line per size and the best.
 */
import { performance } from 'node:perf_hooks';
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, createAcceptancePolicy, createAssociationServer } from '../src/index.js';

const SIZES = [16_384, 32_768, 65_536, 131_072, 262_144, 524_288, 1_048_576, 4_194_304];
const TOTAL_MB = Number(process.env.BENCH_TOTAL_MB ?? 512);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';

interface WorkerInput {
  readonly maxPduLength: number;
}

async function acceptor({ maxPduLength }: WorkerInput): Promise<void> {
  const server = createAssociationServer({
    maxPduLength,
    maxPduLengthToSendCap: 4_194_304,
    onAssociationRequest: createAcceptancePolicy({ abstractSyntaxes: [CT], transferSyntaxes: [EXPLICIT] }),
  });
  server.associations$.subscribe((association) => {
    let bytes = 0;
    association.pData$.subscribe((pdu) => {
      for (const pdv of pdu.pdvs) bytes += pdv.data.length;
    });
    void association.closed.then(() => process.send?.({ type: 'received', bytes }));
  });
  const { port } = await server.listen(0, '127.0.0.1');
  process.send?.({ type: 'listening', port });
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
}

async function sendAll(port: number, maxPduLength: number): Promise<number> {
  const association = await connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'BENCH-SCU',
    calledAeTitle: 'BENCH-SCP',
    presentationContexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT] }],
    maxPduLengthToSendCap: 4_194_304,
  });
  const max = association.negotiated.maxPduLengthToSend;
  if (max !== maxPduLength) throw new Error(`negotiated ${max}, expected ${maxPduLength}`);
  const payload = new Uint8Array(max - 6).fill(0x5a);
  const total = TOTAL_MB * 1024 * 1024;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const data = total - sent >= payload.length ? payload : payload.subarray(0, total - sent);
    sent += data.length;
    const ok = association.sendPData([{ presentationContextId: 1, isCommand: false, isLast: sent >= total, data }]);
    if (!ok) await association.drain();
  }
  await association.release();
  return performance.now() - started;
}

async function main(): Promise<void> {
  console.log(`P-DATA throughput over loopback, ${TOTAL_MB} MiB per run, best of ${ROUNDS} (node ${process.version})`);
  const results: { size: number; mbps: number }[] = [];
  for (const size of SIZES) {
    const worker: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
      execArgv: process.execArgv,
      env: { ...process.env, BENCH_ACCEPTOR_MAX_PDU: String(size) },
    });
    const port = await new Promise<number>((resolve) => {
      worker.on('message', (m: { type: string; port?: number }) => {
        if (m.type === 'listening') resolve(m.port as number);
      });
    });
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < ROUNDS; round++) {
      const received = new Promise<number>((resolve) => {
        const onMessage = (m: { type: string; bytes?: number }): void => {
          if (m.type === 'received') {
            worker.off('message', onMessage);
            resolve(m.bytes as number);
          }
        };
        worker.on('message', onMessage);
      });
      const ms = await sendAll(port, size);
      const bytes = await received;
      if (bytes !== TOTAL_MB * 1024 * 1024) throw new Error(`received ${bytes} bytes`);
      best = Math.min(best, ms);
    }
    worker.send({ type: 'stop' });
    await new Promise((resolve) => worker.once('exit', resolve));
    const mbps = (TOTAL_MB / best) * 1000;
    results.push({ size, mbps });
    console.log(`max PDU ${String(size).padStart(8)}: ${mbps.toFixed(0).padStart(6)} MiB/s  (${best.toFixed(0)} ms)`);
  }
  const best = results.reduce((a, b) => (b.mbps > a.mbps ? b : a));
  console.log(
    `fastest: ${best.size} bytes at ${best.mbps.toFixed(0)} MiB/s; peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
}

const acceptorMaxPdu = process.env.BENCH_ACCEPTOR_MAX_PDU;
if (acceptorMaxPdu === undefined) await main();
else await acceptor({ maxPduLength: Number(acceptorMaxPdu) });
