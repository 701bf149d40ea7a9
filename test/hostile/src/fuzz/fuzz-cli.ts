/**
 * `pnpm fuzz`: a longer, random-seeded fuzz campaign over the PDU decoder and reader, the command-set decoder and the
 * header reader, time-boxed. Prints one line per block of cases and, on a failure, the target, seed, case index and
 * input as hex with the command that replays it; exits 1 then.
 *
 * Environment:
 * - `NETDICOM_FUZZ_SECONDS`: total time box (default 120), shared round-robin by the targets;
 * - `NETDICOM_FUZZ_SEED`: first seed (default random); each block of 20 000 cases takes the next one;
 * - `NETDICOM_FUZZ_TARGETS`: comma-separated subset of `pdu,command-set,header-reader`;
 * - `NETDICOM_FUZZ_REPLAY=<target>:<seed>:<case>`: run that single case and print its input.
 */
import { randomInt } from 'node:crypto';
import { FuzzFailureError } from '../errors.js';
import { commandSetTarget, headerReaderTarget, pduTarget } from './campaigns.js';
import { type CampaignReport, caseInput, type FuzzTarget, runCampaign } from './engine.js';

const BLOCK = 20_000;

async function targets(names: readonly string[]): Promise<FuzzTarget<unknown>[]> {
  const out: FuzzTarget<unknown>[] = [];
  for (const name of names) {
    if (name === 'pdu') out.push(pduTarget() as FuzzTarget<unknown>);
    else if (name === 'command-set') out.push(commandSetTarget() as FuzzTarget<unknown>);
    else if (name === 'header-reader') out.push((await headerReaderTarget()) as FuzzTarget<unknown>);
    else throw new Error(`unknown fuzz target ${name} (pdu, command-set, header-reader)`);
  }
  return out;
}

const env = process.env;
const names = (env['NETDICOM_FUZZ_TARGETS'] ?? 'pdu,command-set,header-reader').split(',').map((s) => s.trim());

if (env['NETDICOM_FUZZ_REPLAY']) {
  const [name, seed, index] = env['NETDICOM_FUZZ_REPLAY'].split(':');
  const [target] = await targets([name ?? '']);
  const { input, from, rng } = caseInput(target!, Number(seed), Number(index));
  console.log(`input (${input.length} bytes): ${Buffer.from(input).toString('hex')}`);
  console.log(`result: ${await target!.run(input, from, rng)}`);
  process.exit(0);
}

const seconds = Number(env['NETDICOM_FUZZ_SECONDS'] ?? 120);
let seed = env['NETDICOM_FUZZ_SEED'] === undefined ? randomInt(0, 2 ** 31) : Number(env['NETDICOM_FUZZ_SEED']);
const list = await targets(names);
const deadline = Date.now() + seconds * 1000;
const totals = new Map<string, { cases: number; accepted: number; ms: number; slowest: number }>();
console.log(`fuzzing ${names.join(', ')} for ${seconds} s from seed ${seed}`);
try {
  while (Date.now() < deadline) {
    for (const target of list) {
      if (Date.now() >= deadline) break;
      const report: CampaignReport = await runCampaign(target, { seed, cases: BLOCK, deadline });
      const total = totals.get(target.name) ?? { cases: 0, accepted: 0, ms: 0, slowest: 0 };
      total.cases += report.cases;
      total.accepted += report.accepted;
      total.ms += report.milliseconds;
      total.slowest = Math.max(total.slowest, report.slowestCaseMs);
      totals.set(target.name, total);
      console.log(
        `${target.name} seed ${seed}: ${report.cases} cases, ${report.accepted} accepted, ` +
          `${JSON.stringify(report.codes)}, ${(report.milliseconds / 1000).toFixed(1)} s, ` +
          `slowest case ${report.slowestCaseMs.toFixed(1)} ms, heap peak ${(report.heapPeak / 1048576).toFixed(0)} MB`,
      );
      seed = (seed + 1) >>> 0;
    }
  }
} catch (error) {
  if (!(error instanceof FuzzFailureError)) throw error;
  console.error(`\nFAILURE in ${error.target}, seed ${error.seed}, case ${error.caseIndex}`);
  console.error(error.message);
  console.error(
    `replay: NETDICOM_FUZZ_REPLAY=${error.target}:${error.seed}:${error.caseIndex} pnpm --filter @netdicom/hostile fuzz`,
  );
  process.exit(1);
}
for (const [name, t] of totals) {
  console.log(
    `total ${name}: ${t.cases} cases (${t.accepted} accepted) in ${(t.ms / 1000).toFixed(1)} s, ` +
      `${Math.round(t.cases / (t.ms / 1000))} cases/s, slowest case ${t.slowest.toFixed(1)} ms, no failure`,
  );
}
