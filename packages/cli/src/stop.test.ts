/**
 * `netdicom send` interrupted by signals, and the `--dimse-timeout` of `send` and `echo`, driven as a child process.
 * The receiver is DCMTK `storescp`, frozen with SIGSTOP while a store is in flight so that the interruption always
 * lands mid-transfer; the peer that never answers is an association acceptor built from `@netdicom/association` that
 * accepts the association and then ignores every P-DATA (the real protocol, deliberately silent). Needs the built CLI
 * (`pnpm build`; the package's test script builds it first).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type Association, createAcceptancePolicy, createAssociationServer } from '@netdicom/association';
import { makeCtSeries, type RunningScp, startStorescp } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NETDICOM_BIN, startNetdicom } from './testing/netdicom-process.js';

const start = startNetdicom;

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The pid of the `storescp` process a peer's guard runs (its only child named storescp). */
async function storescpPid(scp: RunningScp): Promise<number> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'latin1').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'storescp') continue;
    if (Number(stat.slice(close + 2).split(' ')[1]) === scp.process.pid) return Number(name);
  }
  throw new Error('storescp process not found');
}

/** Freezes storescp (SIGSTOP) the moment it logs its first C-STORE request, so that a store is in flight. */
function freezeOnFirstStore(scp: RunningScp, pid: number): Promise<void> {
  return new Promise((resolve) => {
    const onData = () => {
      if (!scp.output().includes('Received Store Request')) return;
      process.kill(pid, 'SIGSTOP');
      scp.process.stdout?.off('data', onData);
      scp.process.stderr?.off('data', onData);
      resolve();
    };
    scp.process.stdout?.on('data', onData);
    scp.process.stderr?.on('data', onData);
  });
}

/** storescp names a stored file MODALITY.SOPInstanceUID. */
const uidOf = (file: string) => basename(file).replace(/^[A-Z]+\./, '');

let work: string;
let studyDir: string;
let study: Awaited<ReturnType<typeof makeCtSeries>>;

beforeAll(async () => {
  expect(existsSync(join(dirname(NETDICOM_BIN), '..', 'dist', 'main.js')), 'run `pnpm build` first').toBe(true);
  work = await mkdtemp(join(tmpdir(), 'netdicom-cli-stop-'));
  studyDir = join(work, 'study');
  study = await makeCtSeries(studyDir, 12);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('send: Ctrl-C and SIGTERM', () => {
  test('first SIGINT: the store in flight finishes, the association is released, the rest is reported not sent (exit 1)', async () => {
    const out = join(work, 'stopped-out');
    await mkdir(out, { recursive: true });
    const scp = await startStorescp({ outputDir: out, extraArgs: ['-v'] });
    const pid = await storescpPid(scp);
    try {
      const frozen = freezeOnFirstStore(scp, pid);
      const report = join(work, 'stopped.json');
      const run = start([
        'send',
        studyDir,
        '--to',
        `127.0.0.1:${scp.port}`,
        '--called',
        scp.aeTitle,
        '--report',
        report,
      ]);
      await frozen;
      run.child.kill('SIGINT');
      await waitFor('the stopping line', () => run.stderr().includes('stopping'));
      expect(run.stderr()).toContain(
        'interrupted: stopping after the 1 file in flight, sending no more; press Ctrl-C again to abort',
      );
      process.kill(pid, 'SIGCONT');
      expect(await run.exited(), run.stderr()).toBe(1);

      const summary = JSON.parse(await readFile(report, 'utf8'));
      const { successful, notSent, failed, files } = summary.totals;
      expect(summary).toMatchObject({ ok: false, stopped: true, cancelled: false });
      expect(files).toBe(12);
      expect(failed).toBe(0);
      expect(successful).toBeGreaterThanOrEqual(1);
      expect(successful + notSent).toBe(12);
      expect(run.stderr()).toMatch(
        new RegExp(
          `^warn: ${successful} of 12 files stored on 127\\.0\\.0\\.1:${scp.port} in .*, stopped: ${notSent} not sent$`,
          'm',
        ),
      );
      const notSentEntries = summary.files.filter((f: { notSent?: boolean }) => f.notSent === true);
      expect(notSentEntries).toHaveLength(notSent);
      const storedUids = summary.files
        .filter((f: { ok: boolean }) => f.ok)
        .map((f: { sopInstanceUid: string }) => f.sopInstanceUid);
      // What was acknowledged is on disk, complete; nothing else is.
      const received = await readdir(out);
      expect(received.map(uidOf).sort()).toEqual([...storedUids].sort());
      for (const file of received) {
        const original = study.find((s) => s.sopInstanceUid === uidOf(file))!;
        const [stored, sent] = [await readFile(join(out, file)), await readFile(original.path)];
        expect(stored.subarray(-4096).equals(sent.subarray(-4096)), file).toBe(true);
      }
      await waitFor('the release', () => scp.output().includes('Association Release'));
      expect(scp.output()).not.toContain('Abort');
    } finally {
      process.kill(pid, 'SIGCONT');
      await scp.stop();
    }
  });

  test('a second SIGINT aborts at once, without waiting for the silent peer (exit 1)', async () => {
    const out = join(work, 'aborted-out');
    await mkdir(out, { recursive: true });
    const scp = await startStorescp({ outputDir: out, extraArgs: ['-v'] });
    const pid = await storescpPid(scp);
    try {
      const frozen = freezeOnFirstStore(scp, pid);
      // --timeout also sets the ARTIM timer: after its A-ABORT the sender would wait that long for the frozen peer
      // to close the connection. It must exit without waiting.
      const run = start([
        'send',
        studyDir,
        '--to',
        `127.0.0.1:${scp.port}`,
        '--called',
        scp.aeTitle,
        '--json',
        '--timeout',
        '600',
      ]);
      await frozen;
      run.child.kill('SIGINT');
      await waitFor('the stopping line', () => run.stderr().includes('stopping'));
      expect(run.stderr()).toContain('interrupted: stopping after the 1 file in flight');
      run.child.kill('SIGINT');
      // The peer is still frozen: the process must end on its own.
      expect(await run.exited(60_000), run.stderr()).toBe(1);
      expect(run.stderr()).toContain('interrupted: aborting the transfer');
      const summary = JSON.parse(run.stdout());
      expect(summary).toMatchObject({ ok: false, cancelled: true, stopped: false });
      expect(summary.totals.successful + summary.totals.failed + summary.totals.notSent).toBe(12);
      expect(summary.totals.notSent).toBeGreaterThanOrEqual(1);
      process.kill(pid, 'SIGCONT');
      await waitFor('storescp to see the abort', () => /Abort/i.test(scp.output()));
      expect(scp.output()).not.toContain('Association Release');
    } finally {
      process.kill(pid, 'SIGCONT');
      await scp.stop();
    }
  });
});

describe('send: a stop (SIGTERM) during the retries of a refused file', () => {
  test('the file is not retried and counts as failed, with the reason (exit 1)', async () => {
    // netdicom listen refuses objects over --max-object-size with 0xA702 (Out of Resources): a transient status that
    // the sender retries with backoff; the stop lands while it waits.
    const listener = start([
      'listen',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--dir',
      join(work, 'refusing'),
      '--max-object-size',
      '1000',
    ]);
    try {
      await waitFor('listen to start', () => /listening on [\d.]+:\d+/.test(listener.stderr()));
      const port = /listening on [\d.]+:(\d+)/.exec(listener.stderr())![1];
      const run = start([
        'send',
        study[0]!.path,
        '--to',
        `127.0.0.1:${port}`,
        '--called',
        'NETDICOM',
        '--retries',
        '5',
      ]);
      await waitFor('the association', () => listener.stderr().includes('association from STORE-SCU'));
      await new Promise((resolve) => setTimeout(resolve, 300)); // the store has started (5 retries span ~8 s)
      run.child.kill('SIGTERM');
      expect(await run.exited(), run.stderr()).toBe(1);
      expect(run.stderr()).toContain('SIGTERM: stopping after the 1 file in flight');
      expect(run.stderr()).toContain(
        `error: ${study[0]!.path}: the peer answered Refused: Out of Resources (0xA702): dataset exceeds the maximum object size`,
      );
      expect(run.stderr()).toContain('; not retried: the transfer was stopped\n');
      expect(run.stderr()).toMatch(/^error: 0 of 1 files stored .*, 1 failed, stopped: 0 not sent$/m);
    } finally {
      listener.child.kill('SIGTERM');
      await listener.exited();
    }
  });
});

describe('--dimse-timeout against a peer that accepts and never answers', () => {
  /** An acceptor that accepts every context and ignores every P-DATA; counts the associations it accepted. */
  async function silentPeer() {
    const server = createAssociationServer({
      onAssociationRequest: createAcceptancePolicy({ abstractSyntaxes: 'any', transferSyntaxes: 'any' }),
    });
    const associations: Association[] = [];
    const subscription = server.associations$.subscribe((a) => associations.push(a));
    const address = await server.listen(0, '127.0.0.1');
    return {
      port: address.port,
      associations,
      close: async () => {
        subscription.unsubscribe();
        await server.close();
      },
    };
  }

  test('send: the file fails with the timeout after one retry on a fresh association (exit 1)', async () => {
    const peer = await silentPeer();
    try {
      const run = start([
        'send',
        study[0]!.path,
        '--to',
        `127.0.0.1:${peer.port}`,
        '--dimse-timeout',
        '1',
        '--retries',
        '1',
      ]);
      expect(await run.exited(), run.stderr()).toBe(1);
      expect(run.stderr()).toContain(
        `${study[0]!.path}: no response from 127.0.0.1:${peer.port} within 1000 ms (timeouts.response), 2 time(s); the association was aborted`,
      );
      expect(run.stderr()).toMatch(/0 of 1 files stored .*, 1 failed$/m);
      expect(peer.associations).toHaveLength(2);
    } finally {
      await peer.close();
    }
  });

  test('echo: no answer within the timeout is one sentence, exit 1', async () => {
    const peer = await silentPeer();
    try {
      const run = start(['echo', `127.0.0.1:${peer.port}`, '--dimse-timeout', '0.5']);
      expect(await run.exited(), run.stderr()).toBe(1);
      expect(run.stderr()).toBe(
        `netdicom echo: 127.0.0.1:${peer.port} (ANY-SCP): C-ECHO 1 got no response within 0.5 s; the association was aborted\n`,
      );
      expect(peer.associations).toHaveLength(1);
    } finally {
      await peer.close();
    }
  });

  test('a bad --dimse-timeout is a usage error', async () => {
    const run = start(['send', studyDir, '--to', '127.0.0.1:104', '--dimse-timeout', 'soon']);
    expect(await run.exited()).toBe(2);
    expect(run.stderr()).toContain("--dimse-timeout: 'soon' must be a number of seconds (0 waits without limit)");
  });
});
