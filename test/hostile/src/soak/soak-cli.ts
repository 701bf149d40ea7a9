/**
 * `pnpm --filter @netdicom/hostile soak`: the full soak, 10 000 hostile connections against a StoreScp child, and
 * its figures (resident memory growth after warm-up, good-peer C-ECHO latency p50/p99/max). Exits 1 when a bound is
 * broken: growth 20 MB or more, a C-ECHO answered in 100 ms or more, a failed echo, a wrong answer, a crash, a stray
 * file. Association set-up + echo + release is measured and printed too.
 *
 * Environment: `NETDICOM_SOAK_CONNECTIONS` (default 10 000; the baseline is taken after the first fifth), `NETDICOM_SOAK_SEED` (default 0x50a4),
 * `NETDICOM_SOAK_CONCURRENCY` (default 16).
 */
import { runSoak } from './soak.js';

const env = process.env;
const connections = Number(env['NETDICOM_SOAK_CONNECTIONS'] ?? 10_000);
const seed = Number(env['NETDICOM_SOAK_SEED'] ?? 0x50a4);
const concurrency = Number(env['NETDICOM_SOAK_CONCURRENCY'] ?? 16);
console.log(`soak: ${connections} hostile connections, ${concurrency} at a time, seed ${seed}`);
const report = await runSoak({
  connections,
  seed,
  concurrency,
  warmup: Math.floor(connections / 5),
  onProgress: (done, total) => console.log(`  ${done}/${total}`),
});
const mb = (n: number) => (n / 1048576).toFixed(1);
const growth = report.rssEnd - report.rssWarm;
console.log(JSON.stringify(report.byClass));
console.log(`connections: ${report.connections} in ${report.seconds.toFixed(1)} s`);
console.log(
  `wrong answers: ${report.mismatchCount}${report.mismatches.length ? ` ${JSON.stringify(report.mismatches)}` : ''}`,
);
console.log(
  `SCP RSS after warm-up ${mb(report.rssWarm)} MB, at the end ${mb(report.rssEnd)} MB: growth ${mb(growth)} MB ` +
    `(heap ${mb(report.heapWarm)} -> ${mb(report.heapEnd)} MB)`,
);
console.log(
  `memory after full collections (connections: rss/heap/external MB): ${report.memoryCurve
    .map(([n, rss, heap, ext]) => `${n}: ${mb(rss)}/${mb(heap)}/${mb(ext)}`)
    .join(', ')}`,
);
const l = (f: { samples: number; p50: number; p99: number; max: number }) =>
  `${f.samples} samples, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms, max ${f.max.toFixed(1)} ms`;
console.log(`good peer, association + C-ECHO + release: ${l(report.echoAssociation)}`);
console.log(`good peer, C-ECHO round trip: ${l(report.echo)}; failures ${report.echoFailures}`);
console.log(
  `SCP alive: ${report.scpAlive}, errors: ${report.scpErrors}, stored files: ${report.sandbox.stored.length}, ` +
    `outside: ${report.sandbox.outside.length}, temp: ${report.sandbox.temp.length}, incomplete: ${report.sandbox.incomplete.length}`,
);
const ok =
  growth < 20 * 1048576 &&
  report.echo.max < 100 &&
  report.echoFailures === 0 &&
  report.mismatchCount === 0 &&
  report.scpAlive &&
  report.scpErrors === 0 &&
  report.sandbox.outside.length === 0 &&
  report.sandbox.temp.length === 0 &&
  report.sandbox.incomplete.length === 0;
console.log(ok ? 'soak: all bounds held' : 'soak: A BOUND WAS BROKEN');
process.exit(ok ? 0 : 1);
