/**
 * Runs a fuzz campaign: `cases` inputs (or as many as fit in a time box) made from seeds by `makeCase`, each from its
 * own generator seeded by (campaign seed, case index) so that one case can be replayed alone. Counts what each case
 * ended in, and stops at the first failure with a {@link FuzzFailureError} carrying the input as hex.
 */
import { FuzzFailureError } from '../errors.js';
import { createRng, type Rng } from '../testing/rng.js';
import { makeCase } from './mutate.js';

/** A target: makes its input from seeds and runs it; returns `accepted` or the typed error's code. */
export interface FuzzTarget<S> {
  readonly name: string;
  readonly seeds: readonly S[];
  readonly bytesOf: (seed: S) => Uint8Array;
  readonly maxLength: number;
  run(input: Uint8Array, seed: S, rng: Rng): string | Promise<string>;
}

/** What a campaign did. */
export interface CampaignReport {
  readonly target: string;
  readonly seed: number;
  readonly cases: number;
  readonly accepted: number;
  /** Rejections by error code. */
  readonly codes: Readonly<Record<string, number>>;
  readonly milliseconds: number;
  /** Slowest single case, ms (a hang shows here, or as the time box's caller timing out). */
  readonly slowestCaseMs: number;
  /** Largest heap seen (sampled every 1 000 cases), bytes. */
  readonly heapPeak: number;
}

/** The generator of case `index` of campaign `seed`. */
export function caseRng(seed: number, index: number): Rng {
  return createRng((Math.imul(seed >>> 0, 0x9e3779b1) + index) >>> 0);
}

/** One case, exactly as the campaign made it (to replay a failure). */
export function caseInput<S>(
  target: FuzzTarget<S>,
  seed: number,
  index: number,
): { input: Uint8Array; from: S; rng: Rng } {
  const rng = caseRng(seed, index);
  const from = rng.pick(target.seeds);
  const input = makeCase(
    [target.bytesOf(from), ...target.seeds.slice(0, 8).map((s) => target.bytesOf(s))],
    rng,
    target.maxLength,
  );
  return { input, from, rng };
}

/** Options of {@link runCampaign}. */
export interface CampaignOptions {
  readonly seed: number;
  /** Number of cases (default 100 000). */
  readonly cases?: number;
  /** Stop at this time (epoch ms) even if fewer cases ran. */
  readonly deadline?: number;
  /** A single case may take at most this long (async targets), ms (default 10 000). */
  readonly caseTimeoutMs?: number;
}

/** Runs the campaign; rejects with {@link FuzzFailureError} on the first failing case. */
export async function runCampaign<S>(target: FuzzTarget<S>, options: CampaignOptions): Promise<CampaignReport> {
  const total = options.cases ?? 100_000;
  const caseTimeoutMs = options.caseTimeoutMs ?? 10_000;
  const codes: Record<string, number> = {};
  let accepted = 0;
  let slowest = 0;
  let heapPeak = process.memoryUsage().heapUsed;
  const started = performance.now();
  let index = 0;
  for (; index < total; index++) {
    if (options.deadline !== undefined && Date.now() >= options.deadline) break;
    const { input, from, rng } = caseInput(target, options.seed, index);
    const t0 = performance.now();
    let result: string;
    try {
      const pending = target.run(input, from, rng);
      result = typeof pending === 'string' ? pending : await withTimeout(pending, caseTimeoutMs);
    } catch (error) {
      throw new FuzzFailureError(target.name, options.seed, index, input, error);
    }
    slowest = Math.max(slowest, performance.now() - t0);
    if (result === 'accepted') accepted++;
    else codes[result] = (codes[result] ?? 0) + 1;
    if (index % 1000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }
  return {
    target: target.name,
    seed: options.seed,
    cases: index,
    accepted,
    codes,
    milliseconds: performance.now() - started,
    slowestCaseMs: slowest,
    heapPeak,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the case did not settle within ${ms} ms (hang)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
