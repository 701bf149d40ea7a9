import { describe, expect, it } from 'vitest';
import { createDirectorySyncer } from './dir-sync.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createDirectorySyncer', () => {
  it('starts at once when idle, and coalesces requests made during a running fsync into one next fsync', async () => {
    const calls: { dir: string; done: ReturnType<typeof deferred> }[] = [];
    const syncer = createDirectorySyncer((dir) => {
      const done = deferred();
      calls.push({ dir, done });
      return done.promise;
    });
    const first = syncer.sync('/a');
    expect(calls).toHaveLength(1);
    // Made while the first is running: they must wait for a fsync that starts after them.
    const settled: string[] = [];
    const second = syncer.sync('/a').then(() => settled.push('second'));
    const third = syncer.sync('/a').then(() => settled.push('third'));
    first.then(() => settled.push('first'));
    expect(calls).toHaveLength(1);
    calls[0]?.done.resolve();
    await first;
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toEqual(['first']);
    expect(calls).toHaveLength(2); // exactly one more fsync for both waiters
    calls[1]?.done.resolve();
    await Promise.all([second, third]);
    expect(settled.sort()).toEqual(['first', 'second', 'third']);
    expect(syncer.issued).toBe(2);
  });

  it('keeps directories independent', async () => {
    const dirs: string[] = [];
    const syncer = createDirectorySyncer(async (dir) => {
      dirs.push(dir);
    });
    await Promise.all([syncer.sync('/a'), syncer.sync('/b'), syncer.sync('/c')]);
    expect(dirs.sort()).toEqual(['/a', '/b', '/c']);
  });

  it('rejects every waiter of a failed fsync and recovers for later requests', async () => {
    let fail = true;
    const syncer = createDirectorySyncer(async () => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw Object.assign(new Error('EIO'), { code: 'EIO' });
    });
    const a = syncer.sync('/d');
    const b = syncer.sync('/d');
    await expect(a).rejects.toThrow('EIO');
    await expect(b).rejects.toThrow('EIO');
    fail = false;
    await expect(syncer.sync('/d')).resolves.toBeUndefined();
  });
});
