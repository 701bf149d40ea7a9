/**
 * The soak, CI size: 2 000 hostile connections (fixed seed, every soak-able class mixed with associations dropped at
 * a random byte) against a StoreScp child while a good peer keeps associating and echoing. The full 10 000 with the
 * 100 ms echo bound is `pnpm --filter @netdicom/hostile soak`; speed is not asserted here, only that the good peer
 * is always answered.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from './soak.js';

describe('soak (CI size)', () => {
  it('2 000 hostile connections: every answer exact, memory flat after warm-up, the good peer always answered', async () => {
    const report = await runSoak({ connections: 2000, seed: 0xc1, warmup: 1250, concurrency: 16 });
    expect(report.mismatches).toEqual([]);
    expect(report.mismatchCount).toBe(0);
    expect(Object.keys(report.byClass).length).toBeGreaterThan(30);
    expect(report.scpAlive).toBe(true);
    expect(report.scpErrors).toBe(0);
    // Memory after forced full collections in the child: resident and heap growth under 20 MB past warm-up.
    expect(report.rssEnd - report.rssWarm).toBeLessThan(20 * 1024 * 1024);
    expect(report.heapEnd - report.heapWarm).toBeLessThan(20 * 1024 * 1024);
    // The good peer: every association and echo succeeded, within a generous bound (not a speed test).
    expect(report.echoFailures).toBe(0);
    expect(report.echo.samples).toBeGreaterThan(10);
    expect(report.echoAssociation.max).toBeLessThan(10_000);
    expect(report.sandbox.outside).toEqual([]);
    expect(report.sandbox.temp).toEqual([]);
    expect(report.sandbox.incomplete).toEqual([]);
    expect(report.sandbox.unannounced).toEqual([]);
  }, 240_000);
});
