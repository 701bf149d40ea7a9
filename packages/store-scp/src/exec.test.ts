/** The exec-on-reception runner on its own: templates, bounds, timeouts, and what `drain` drops. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecOnReceptionError } from './errors.js';
import { checkExecTemplate, createExecRunner, EXEC_PLACEHOLDERS, type ExecValues, expandExecTemplate } from './exec.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'netdicom-exec-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const values = Object.fromEntries(EXEC_PLACEHOLDERS.map((p) => [p, `<${p}>`])) as unknown as ExecValues;

describe('templates', () => {
  it('replaces every placeholder inside arguments, one argument each', () => {
    expect(
      expandExecTemplate(['prog', '--file={path}', '{patientId} {studyInstanceUid}', 'plain'], {
        ...values,
        patientId: 'a b;c',
      }),
    ).toEqual(['prog', '--file=<path>', 'a b;c <studyInstanceUid>', 'plain']);
  });

  it('turns NUL, which no argv can carry, into _', () => {
    expect(expandExecTemplate(['p', '{patientId}'], { ...values, patientId: 'x\0y' })).toEqual(['p', 'x_y']);
  });

  it('checks the program and the placeholder names', () => {
    expect(() => checkExecTemplate(['p', '{path}', '{calledAeTitle}'])).not.toThrow();
    expect(() => checkExecTemplate([])).toThrow(/at least the program/);
    expect(() => checkExecTemplate([''])).toThrow(/at least the program/);
    expect(() => checkExecTemplate(['p', '{PatientID}'])).toThrow(/unknown placeholder \{PatientID\}/);
  });
});

describe('runner', () => {
  const node = process.execPath;

  it('runs at most `concurrency` programs, queues the rest, and drains', async () => {
    const out = path.join(work, 'order.txt');
    const errors: ExecOnReceptionError[] = [];
    const runner = createExecRunner({ concurrency: 2, onError: (e) => errors.push(e) });
    const program = `const fs=require('node:fs');fs.appendFileSync(process.argv[1],'s');setTimeout(()=>fs.appendFileSync(process.argv[1],'e'),100)`;
    for (let i = 0; i < 5; i++) runner.run([node, '-e', program, out]);
    expect(runner.running).toBe(2);
    expect(runner.queued).toBe(3);
    await runner.drain(Date.now() + 20_000);
    expect(runner.running + runner.queued).toBe(0);
    const order = await readFile(out, 'utf8');
    expect(order.replace(/[^s]/g, '')).toHaveLength(5);
    // Never more than two started and not ended.
    let open = 0;
    for (const c of order) {
      open += c === 's' ? 1 : -1;
      expect(open).toBeLessThanOrEqual(2);
    }
    expect(errors).toEqual([]);
  });

  it('drops what exceeds maxQueued, and what still waits at the drain deadline', async () => {
    const errors: ExecOnReceptionError[] = [];
    const runner = createExecRunner({ concurrency: 1, maxQueued: 2, onError: (e) => errors.push(e) });
    const slow = [node, '-e', 'setTimeout(() => {}, 400)'];
    for (let i = 0; i < 4; i++) runner.run(slow);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/2 programs already waiting/)]);
    await runner.drain(Date.now() + 50);
    expect(runner.queued).toBe(0);
    expect(errors.slice(1).map((e) => e.message)).toEqual([
      expect.stringMatching(/the SCP closed first/),
      expect.stringMatching(/the SCP closed first/),
    ]);
    await runner.drain(Date.now() + 20_000);
  });

  it('kills a program past the timeout and says so', async () => {
    const errors: ExecOnReceptionError[] = [];
    const runner = createExecRunner({ timeout: 200, onError: (e) => errors.push(e) });
    runner.run([node, '-e', 'setTimeout(() => {}, 60000)']);
    await runner.drain(Date.now() + 20_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_NETDICOM_STORE_EXEC', signal: 'SIGKILL', exitCode: undefined });
  });

  it('reports an argument no process can take instead of throwing', async () => {
    const errors: ExecOnReceptionError[] = [];
    const runner = createExecRunner({ onError: (e) => errors.push(e) });
    expect(() => runner.run([node, 'a\0b'])).not.toThrow();
    await runner.drain(Date.now() + 20_000);
    expect(errors[0]).toMatchObject({ code: 'ERR_NETDICOM_STORE_EXEC', message: expect.stringMatching(/cannot run/) });
  });
});
