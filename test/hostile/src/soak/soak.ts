/**
 * The soak: thousands of hostile connections (a seeded mix of every soak-able class, plus associations dropped at a
 * random byte), a few at a time, against one StoreScp child, while a good peer — our own association and DIMSE
 * client — opens an association and sends a C-ECHO every few tens of milliseconds. Measures the child's resident
 * memory after warm-up and at the end (after full collections: the child runs with --expose-gc) and the C-ECHO
 * latency throughout; checks every hostile connection got its exact answer.
 */
import { isDeepStrictEqual } from 'node:util';
import { connect } from '@netdicom/association';
import { createDimseClient } from '@netdicom/dimse';
import { HOSTILE_CLASSES, type HostileClass, type Outcome } from '../classes.js';
import { RawPeer } from '../testing/raw-peer.js';
import { createRng } from '../testing/rng.js';
import { inspectSandbox, type SandboxReport } from '../testing/sandbox.js';
import { type ScpProcess, startScpProcess } from '../testing/scp-process.js';
import { associateRq, commandPdu, echoRq, IMPLICIT_VR_LE, storeRq, VERIFICATION } from '../testing/wire.js';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Hostile connections in all (the full soak: 10 000). */
  readonly connections: number;
  /** Hostile connections open at once (default 16). */
  readonly concurrency?: number;
  readonly seed: number;
  /** Connections before the baseline memory is taken (default 10 %). */
  readonly warmup?: number;
  /** Pause between two good-peer echoes, ms (default 50). */
  readonly echoIntervalMs?: number;
  /** Sample the child's memory (after full collections) every this many connections (default 1 000). */
  readonly memoryEvery?: number;
  /** Progress callback, every 500 connections. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Latency figures, ms. */
export interface LatencyFigures {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What the soak measured. */
export interface SoakReport {
  readonly connections: number;
  readonly seconds: number;
  /** Connections per class id. */
  readonly byClass: Readonly<Record<string, number>>;
  /** Connections whose answer was not the expected one (first 20 kept). */
  readonly mismatches: readonly { readonly id: string; readonly expected: unknown; readonly actual: unknown }[];
  readonly mismatchCount: number;
  /** Child RSS after warm-up and at the end, after forced full collections, bytes. */
  readonly rssWarm: number;
  readonly rssEnd: number;
  readonly heapWarm: number;
  readonly heapEnd: number;
  /** Child memory after a forced collection every `memoryEvery` connections: [connections, rss, heapUsed, external]. */
  readonly memoryCurve: readonly (readonly [number, number, number, number])[];
  /** Association + C-ECHO-RQ/RSP + release, as a good peer does it. */
  readonly echoAssociation: LatencyFigures;
  /** The C-ECHO round trip alone (request written to response read). */
  readonly echo: LatencyFigures;
  /** Good-peer echoes that failed (status not 0 or an error). */
  readonly echoFailures: number;
  readonly sandbox: SandboxReport;
  readonly scpAlive: boolean;
  /** `error` events the SCP printed (problems that are not a peer's). */
  readonly scpErrors: number;
}

/** A connection dropped after a random number of bytes of a good association (RQ, C-ECHO, C-STORE, data). */
const DROPPED: HostileClass = {
  id: 'dropped-midway',
  family: 8,
  title: 'an association dropped (FIN or RST) after a random number of its bytes',
  answer: 'whatever was due until then; the SCP forgets the connection (nothing written, nothing kept)',
  soak: true,
  expected: { dropped: true },
  run: async (context) => {
    const rng = createRng(context.seed);
    const uid = `2.25.${rng.u32()}${rng.u32()}`;
    const bytes = Buffer.concat([
      associateRq({
        contexts: [
          { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
          { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.1'] },
        ],
      }),
      commandPdu(1, echoRq(1)),
      commandPdu(3, storeRq(2, '1.2.840.10008.5.1.4.1.1.2', uid)),
    ]);
    const peer = await RawPeer.connect(context.port);
    peer.write(bytes.subarray(0, rng.int(bytes.length + 1)));
    if (rng.chance(0.5)) await new Promise((resolve) => setTimeout(resolve, rng.int(5)));
    if (rng.chance(0.3)) peer.socket.resetAndDestroy();
    else peer.destroy();
    await peer.closed;
    return { dropped: true };
  },
};

function figures(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

/** A good peer: association, one C-ECHO, release; returns both latencies (ms) or throws. */
async function goodEcho(port: number): Promise<{ whole: number; echo: number }> {
  const t0 = performance.now();
  const association = await connect({
    host: '127.0.0.1',
    port,
    callingAeTitle: 'GOODPEER',
    calledAeTitle: 'HOSTILE',
    presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }],
    timeouts: { connect: 10_000, artim: 10_000 },
  });
  try {
    const t1 = performance.now();
    const response = await createDimseClient(association).echo();
    const t2 = performance.now();
    if (response.status.code !== 0) throw new Error(`C-ECHO answered 0x${response.status.code.toString(16)}`);
    await association.release();
    return { whole: performance.now() - t0, echo: t2 - t1 };
  } catch (error) {
    await association.abort().catch(() => undefined);
    throw error;
  }
}

/** Runs the soak against a fresh StoreScp child and disposes of it. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const concurrency = options.concurrency ?? 16;
  const warmup = options.warmup ?? Math.max(1, Math.floor(options.connections / 10));
  const mix: HostileClass[] = [...HOSTILE_CLASSES.filter((c) => c.soak), DROPPED, DROPPED, DROPPED];
  const scp: ScpProcess = await startScpProcess({
    exposeGc: true,
    scp: {
      aeTitle: 'HOSTILE',
      layout: 'patient',
      maxAssociations: 100,
      timeouts: { artim: 1000, idle: 5000, write: 2000 },
    },
  });
  const started = performance.now();
  const rng = createRng(options.seed);
  const byClass: Record<string, number> = {};
  const mismatches: { id: string; expected: unknown; actual: unknown }[] = [];
  let mismatchCount = 0;
  const wholeLatencies: number[] = [];
  const echoLatencies: number[] = [];
  let echoFailures = 0;
  let rssWarm = 0;
  let heapWarm = 0;
  const memoryCurve: [number, number, number, number][] = [];
  const samples: Promise<void>[] = [];
  try {
    let stop = false;
    const sampler = (async () => {
      while (!stop) {
        try {
          const { whole, echo } = await goodEcho(scp.port);
          wholeLatencies.push(whole);
          echoLatencies.push(echo);
        } catch {
          echoFailures++;
        }
        await new Promise((resolve) => setTimeout(resolve, options.echoIntervalMs ?? 50));
      }
    })();

    let next = 0;
    let done = 0;
    let warmTaken: Promise<void> | undefined;
    const worker = async () => {
      while (next < options.connections) {
        const index = next++;
        const hostile = mix[rng.int(mix.length)]!;
        const seed = (options.seed * 31 + index) >>> 0;
        byClass[hostile.id] = (byClass[hostile.id] ?? 0) + 1;
        const waitForClose = hostile.id !== 'dropped-midway' && createRng(seed).chance(0.1);
        let actual: Outcome | { error: string };
        try {
          actual = await hostile.run({ port: scp.port, seed, waitForClose, closeBoundMs: 30_000 });
        } catch (error) {
          actual = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
        }
        if (!isDeepStrictEqual(actual, hostile.expected)) {
          mismatchCount++;
          if (mismatches.length < 20) mismatches.push({ id: hostile.id, expected: hostile.expected, actual });
        }
        done++;
        if (done % 500 === 0) options.onProgress?.(done, options.connections);
        if (done % (options.memoryEvery ?? 1000) === 0) {
          const at = done;
          samples.push(
            scp.gcMemory().then((m) => {
              memoryCurve.push([at, m.rss, m.heapUsed, m.external]);
            }),
          );
        }
        if (done === warmup) {
          warmTaken = scp.gcMemory().then((m) => {
            rssWarm = m.rss;
            heapWarm = m.heapUsed;
          });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await warmTaken;
    await Promise.all(samples);
    stop = true;
    await sampler;
    // Let the SCP finish what the last connections left (ARTIM closes, release timers) before measuring.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const end = await scp.gcMemory();
    return {
      connections: options.connections,
      seconds: (performance.now() - started) / 1000,
      byClass,
      mismatches,
      mismatchCount,
      rssWarm,
      rssEnd: end.rss,
      heapWarm,
      heapEnd: end.heapUsed,
      memoryCurve: memoryCurve.sort((a, b) => a[0] - b[0]),
      echoAssociation: figures(wholeLatencies),
      echo: figures(echoLatencies),
      echoFailures,
      sandbox: await inspectSandbox(scp),
      scpAlive: scp.alive(),
      scpErrors: scp.events.filter((e) => e.event === 'error').length,
    };
  } finally {
    await scp.dispose();
  }
}
