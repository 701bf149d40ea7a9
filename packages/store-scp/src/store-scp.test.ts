/**
 * StoreScp behaviour end to end over real associations (our requestor, or DCMTK where it can say what we need):
 * layouts, duplicate policies, the dataset/command match (PS3.4 B.2.3, 0xA900), the size limit (0xA702), the custom
 * `onStore` handler, exec-on-reception, study completion, user identity (PS3.7 D.3.3.7) and close().
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AssociationRejectedError } from '@netdicom/association';
import { makeCtSeries, runStorescu } from '@netdicom/test-peers';
import type { Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StoreScpError, StoreScpOptionsError } from './errors.js';
import { type FileStoreLayout, TEMP_DIR_NAME } from './file-store/index.js';
import { StoreScp } from './store-scp.js';
import {
  buildDataset,
  CT_IMAGE_STORAGE,
  EXPLICIT_VR_LITTLE_ENDIAN,
  randomUid,
  type TestDatasetSpec,
} from './testing/dataset-builder.js';
import { connectScu, datasetOffset, startScp, type TestScp, type TestScu } from './testing/scp.js';
import { listStoredFiles, listTempFiles } from './testing/tree.js';

const CONTEXTS = [
  { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN] },
  { abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN] },
];

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'netdicom-scp-behaviour-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let scp: TestScp | undefined;
let scu: TestScu | undefined;
afterEach(async () => {
  await scu?.release();
  await scp?.close();
  scu = undefined;
  scp = undefined;
});

/** Sends one C-STORE of a built dataset; `command` overrides the command's UIDs. */
function store(
  client: TestScu,
  spec: TestDatasetSpec,
  command: { sopInstanceUid?: string; sopClassUid?: string } = {},
) {
  return client.client.store({
    sopClassUid: command.sopClassUid ?? CT_IMAGE_STORAGE,
    sopInstanceUid: command.sopInstanceUid ?? spec.sopInstanceUid,
    transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
    dataset: buildDataset(spec),
  });
}

async function storedDataset(file: string): Promise<Buffer> {
  const bytes = await readFile(file);
  return bytes.subarray(await datasetOffset(file));
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('layouts', () => {
  const study = randomUid();
  const series = randomUid();
  const cases: [FileStoreLayout, (uid: string) => string][] = [
    ['flat', (uid) => `${uid}.dcm`],
    ['study', (uid) => `${study}/${series}/${uid}.dcm`],
    ['patient', (uid) => `PAT-7/${study}/${series}/${uid}.dcm`],
    ['{Modality}/{PatientName}/{StudyDate}/{SOPInstanceUID}.dcm', (uid) => `CT/Doe^Jane/UNKNOWN/${uid}.dcm`],
  ];
  for (const [layout, expected] of cases) {
    it(`${layout}`, async () => {
      scp = await startScp({ layout });
      scu = await connectScu(scp.port, CONTEXTS);
      const uids = [randomUid(), randomUid()];
      for (const uid of uids) {
        const response = await store(scu, {
          sopInstanceUid: uid,
          studyInstanceUid: study,
          seriesInstanceUid: series,
          patientId: 'PAT-7',
          patientName: 'Doe^Jane',
          modality: 'CT',
          pixelBytes: 1000,
        });
        expect(response.status.code).toBe(0);
      }
      expect((await listStoredFiles(scp.storageDir)).sort()).toEqual(uids.map(expected).sort());
      expect(scp.received.map((i) => i.relativePath)).toEqual(uids.map(expected));
      expect(scp.received[0]).toMatchObject({
        patientId: 'PAT-7',
        patientName: 'Doe^Jane',
        studyInstanceUid: study,
        seriesInstanceUid: series,
        modality: 'CT',
        callingAeTitle: 'TESTSCU',
        calledAeTitle: 'NETDICOM',
        transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
      });
    });
  }
});

describe('duplicates', () => {
  const cases = [
    ['overwrite', 'overwritten', ['second']],
    ['keep-first', 'kept-first', ['first']],
    ['keep-both', 'kept-both', ['first', 'second']],
  ] as const;
  for (const [policy, marker, kept] of cases) {
    it(`${policy}`, async () => {
      scp = await startScp({ layout: 'flat', duplicates: policy });
      scu = await connectScu(scp.port, CONTEXTS);
      const uid = randomUid();
      const first = { sopInstanceUid: uid, patientId: 'first', pixelBytes: 5000 };
      const second = { sopInstanceUid: uid, patientId: 'second', pixelBytes: 7000 };
      expect((await store(scu, first)).status.code).toBe(0);
      expect((await store(scu, second)).status.code).toBe(0);
      expect(scp.received[0]!.duplicate).toBeUndefined();
      expect(scp.received[1]!.duplicate).toBe(marker);
      const files = (await listStoredFiles(scp.storageDir)).sort();
      expect(files).toHaveLength(kept.length);
      const contents = await Promise.all(files.map((f) => storedDataset(path.join(scp!.storageDir, f))));
      const expected = kept.map((which) => Buffer.from(buildDataset(which === 'first' ? first : second)));
      expect(contents.map((c) => c.toString('hex')).sort()).toEqual(expected.map((e) => e.toString('hex')).sort());
      if (policy === 'keep-both') expect(files).toEqual([`${uid}.1.dcm`, `${uid}.dcm`]);
    });
  }
});

describe('the dataset must match the command', () => {
  it('answers 0xA900, keeps nothing, and the association goes on (the unread rest is dropped)', async () => {
    scp = await startScp({ layout: 'flat' });
    scu = await connectScu(scp.port, CONTEXTS);
    const commandUid = randomUid();
    const datasetUid = randomUid();
    const wrongInstance = await store(
      scu,
      { sopInstanceUid: datasetUid, patientId: 'P', pixelBytes: 3 * 1024 * 1024 },
      { sopInstanceUid: commandUid },
    );
    expect(wrongInstance.status.code).toBe(0xa900);
    expect(wrongInstance.errorComment).toMatch(/SOPInstanceUID/);
    const mr = '1.2.840.10008.5.1.4.1.1.4';
    const wrongClass = await store(scu, {
      sopInstanceUid: commandUid,
      sopClassUid: mr,
      patientId: 'P',
      pixelBytes: 64,
    });
    expect(wrongClass.status.code).toBe(0xa900);
    expect(scp.failed.map((f) => [f.status, (f.error as StoreScpError).code])).toEqual([
      [0xa900, 'ERR_NETDICOM_STORE_DATASET_MISMATCH'],
      [0xa900, 'ERR_NETDICOM_STORE_DATASET_MISMATCH'],
    ]);
    expect(await listStoredFiles(scp.storageDir)).toEqual([]);
    const good = await store(scu, { sopInstanceUid: commandUid, patientId: 'P', pixelBytes: 64 });
    expect(good.status.code).toBe(0);
    expect(await listStoredFiles(scp.storageDir)).toEqual([`${commandUid}.dcm`]);
    expect(await listTempFiles(scp.storageDir)).toEqual([]);
  });
});

describe('maxObjectSize', () => {
  it('refuses larger datasets with 0xA702 and keeps serving', async () => {
    scp = await startScp({ layout: 'flat', maxObjectSize: 1024 * 1024 });
    scu = await connectScu(scp.port, CONTEXTS);
    const big = randomUid();
    const response = await store(scu, { sopInstanceUid: big, pixelBytes: 4 * 1024 * 1024 });
    expect(response.status.code).toBe(0xa702);
    expect(scp.failed[0]!.error).toMatchObject({ code: 'ERR_NETDICOM_STORE_OBJECT_TOO_LARGE', limit: 1024 * 1024 });
    const small = randomUid();
    expect((await store(scu, { sopInstanceUid: small, pixelBytes: 512 * 1024 })).status.code).toBe(0);
    expect(await listStoredFiles(scp.storageDir)).toEqual([`${small}.dcm`]);
    expect(await listTempFiles(scp.storageDir)).toEqual([]);
  });
});

describe('metadata to a database', () => {
  interface Row {
    readonly sopInstanceUid: string;
    readonly patientId: string | undefined;
    readonly studyInstanceUid: string | undefined;
    readonly bytes: number;
    readonly sha256: string;
  }

  it('from received$, with the default file store', async () => {
    const database = new Map<string, { path: string; patientId: string | undefined; bytes: number }>();
    scp = await startScp({ layout: 'patient' });
    scp.scp.received$.subscribe((i) =>
      database.set(i.sopInstanceUid, { path: i.relativePath, patientId: i.patientId, bytes: i.bytes }),
    );
    const slices = await makeCtSeries(path.join(work, 'db-series'), 3);
    const sent = await runStorescu({
      port: scp.port,
      aeTitle: 'MODALITY',
      calledAeTitle: 'NETDICOM',
      files: slices.map((s) => s.path),
    });
    expect(sent.code, sent.stderr).toBe(0);
    expect([...database.keys()].sort()).toEqual(slices.map((s) => s.sopInstanceUid).sort());
    for (const slice of slices) {
      const row = database.get(slice.sopInstanceUid)!;
      expect(row.patientId).toBe(slice.patientId);
      expect(row.path).toBe(
        `${slice.patientId}/${slice.studyInstanceUid}/${slice.seriesInstanceUid}/${slice.sopInstanceUid}.dcm`,
      );
      expect(row.bytes).toBe((await storedDataset(path.join(scp.storageDir, row.path))).length);
    }
  });

  it('from a custom onStore handler that stores elsewhere', async () => {
    const database = new Map<string, Row>();
    let calls = 0;
    scp = await startScp({
      maxObjectSize: 2 * 1024 * 1024,
      onStore: async (ctx) => {
        calls++;
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of ctx.dataset) {
          hash.update(chunk);
          bytes += chunk.byteLength;
        }
        if (ctx.attributes.PatientID === 'REFUSE') return { status: 0xa700, errorComment: 'archive is read-only' };
        if (ctx.attributes.PatientID === 'THROW') throw new Error('database is down');
        database.set(ctx.sopInstanceUid, {
          sopInstanceUid: ctx.sopInstanceUid,
          patientId: ctx.attributes.PatientID,
          studyInstanceUid: ctx.header?.studyInstanceUid,
          bytes,
          sha256: hash.digest('hex'),
        });
        return undefined;
      },
    });
    scu = await connectScu(scp.port, CONTEXTS);
    const spec = { sopInstanceUid: randomUid(), patientId: 'DB-1', studyInstanceUid: randomUid(), pixelBytes: 300_000 };
    expect((await store(scu, spec)).status.code).toBe(0);
    const expected = Buffer.from(buildDataset(spec));
    expect(database.get(spec.sopInstanceUid)).toEqual({
      sopInstanceUid: spec.sopInstanceUid,
      patientId: 'DB-1',
      studyInstanceUid: spec.studyInstanceUid,
      bytes: expected.length,
      sha256: createHash('sha256').update(expected).digest('hex'),
    });

    const refused = await store(scu, { sopInstanceUid: randomUid(), patientId: 'REFUSE', pixelBytes: 64 });
    expect(refused.status.code).toBe(0xa700);
    expect(refused.errorComment).toBe('archive is read-only');
    const thrown = await store(scu, { sopInstanceUid: randomUid(), patientId: 'THROW', pixelBytes: 64 });
    expect(thrown.status.code).toBe(0x0110);
    expect(scp.errors.map((e) => (e as StoreScpError).code)).toEqual(['ERR_NETDICOM_STORE_HANDLER']);
    // Checked before the handler runs: a mismatch, and past maxObjectSize even though the handler swallows nothing.
    const mismatch = await store(scu, { sopInstanceUid: randomUid(), pixelBytes: 64 }, { sopInstanceUid: randomUid() });
    expect(mismatch.status.code).toBe(0xa900);
    const tooBig = await store(scu, { sopInstanceUid: randomUid(), patientId: 'BIG', pixelBytes: 3 * 1024 * 1024 });
    expect(tooBig.status.code).toBe(0xa702);
    expect(database.size).toBe(1);
    expect(calls).toBe(4);
    expect(scp.failed.map((f) => [f.status, (f.error as StoreScpError).code])).toEqual([
      [0xa700, 'ERR_NETDICOM_STORE_REFUSED'],
      [0x0110, 'ERR_NETDICOM_STORE_HANDLER'],
      [0xa900, 'ERR_NETDICOM_STORE_DATASET_MISMATCH'],
      [0xa702, 'ERR_NETDICOM_STORE_OBJECT_TOO_LARGE'],
    ]);
    // Nothing went to disk, and received$ is the file store's: silent here.
    expect(scp.received).toEqual([]);
  });

  it('a handler that never reads the dataset does not stall the association', async () => {
    scp = await startScp({ onStore: () => 0 });
    scu = await connectScu(scp.port, CONTEXTS);
    for (let i = 0; i < 3; i++) {
      expect((await store(scu, { sopInstanceUid: randomUid(), pixelBytes: 2 * 1024 * 1024 })).status.code).toBe(0);
    }
    expect((await scu.client.echo()).status.code).toBe(0);
  });
});

describe('exec-on-reception', () => {
  let script: string;
  beforeAll(async () => {
    script = path.join(work, 'append-args.mjs');
    await writeFile(
      script,
      [
        "import { appendFileSync } from 'node:fs';",
        'const [out, ...args] = process.argv.slice(2);',
        "appendFileSync(out, JSON.stringify({ event: 'start', args }) + '\\n');",
        'await new Promise((resolve) => setTimeout(resolve, 50));',
        "appendFileSync(out, JSON.stringify({ event: 'end' }) + '\\n');",
      ].join('\n'),
    );
  });

  async function lines(file: string): Promise<{ event: string; args?: string[] }[]> {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string; args?: string[] });
  }

  it('runs an argv without a shell: hostile values and `;rm -rf` stay literal arguments', async () => {
    const out = path.join(work, 'exec-out.jsonl');
    const canary = path.join(work, 'canary');
    const hostilePatient = `x"; touch ${canary}; echo "`;
    scp = await startScp({
      layout: 'flat',
      execOnReception: [
        process.execPath,
        script,
        out,
        '{path}',
        '{patientId}',
        '{sopInstanceUid} {callingAeTitle}',
        `literal;rm -rf ${work}`,
        `$(touch ${canary})`,
      ],
      execOnReceptionConcurrency: 1,
    });
    scu = await connectScu(scp.port, CONTEXTS);
    const uids = [randomUid(), randomUid(), randomUid()];
    for (const uid of uids) {
      expect((await store(scu, { sopInstanceUid: uid, patientId: hostilePatient, pixelBytes: 64 })).status.code).toBe(
        0,
      );
    }
    await until(async () => (await lines(out)).filter((l) => l.event === 'end').length === 3, 'three runs');
    const log = await lines(out);
    // Concurrency 1: each run ends before the next starts.
    expect(log.map((l) => l.event)).toEqual(['start', 'end', 'start', 'end', 'start', 'end']);
    const runs = log.filter((l) => l.event === 'start').map((l) => l.args);
    expect(runs).toEqual(
      uids.map((uid) => [
        path.join(scp!.storageDir, `${uid}.dcm`),
        hostilePatient,
        `${uid} TESTSCU`,
        `literal;rm -rf ${work}`,
        `$(touch ${canary})`,
      ]),
    );
    await expect(stat(canary)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(scp.errors).toEqual([]);
  });

  it('reports programs that cannot run or fail on errors$; the stores still succeed', async () => {
    scp = await startScp({ layout: 'flat', execOnReception: [path.join(work, 'no-such-program'), '{path}'] });
    scu = await connectScu(scp.port, CONTEXTS);
    expect((await store(scu, { sopInstanceUid: randomUid(), pixelBytes: 64 })).status.code).toBe(0);
    await until(() => scp!.errors.length === 1, 'the exec error');
    expect(scp.errors[0]).toMatchObject({
      code: 'ERR_NETDICOM_STORE_EXEC',
      message: expect.stringMatching(/cannot run/),
    });
    await scu.release();
    await scp.close();

    scp = await startScp({
      layout: 'flat',
      execOnReception: [process.execPath, '-e', 'process.stderr.write("disk quota"); process.exit(3)', '{path}'],
    });
    scu = await connectScu(scp.port, CONTEXTS);
    expect((await store(scu, { sopInstanceUid: randomUid(), pixelBytes: 64 })).status.code).toBe(0);
    await until(() => scp!.errors.length === 1, 'the exit error');
    expect(scp.errors[0]).toMatchObject({ code: 'ERR_NETDICOM_STORE_EXEC', exitCode: 3, stderr: 'disk quota' });
  });

  it('refuses unknown placeholders at construction', () => {
    expect(() => new StoreScp({ execOnReception: ['/bin/echo', '{pathh}'] })).toThrow(StoreScpOptionsError);
    expect(() => new StoreScp({ execOnReception: [] })).toThrow(/at least the program/);
  });
});

describe('studyCompleted$', () => {
  it('groups instances by study after the quiet period', async () => {
    scp = await startScp({ layout: 'flat', studyCompletionTimeout: 1500 });
    scu = await connectScu(scp.port, CONTEXTS);
    const [a, b] = [randomUid(), randomUid()];
    const plan = [
      { study: a, uid: randomUid() },
      { study: b, uid: randomUid() },
      { study: a, uid: randomUid() },
    ];
    for (const { study, uid } of plan) {
      const response = await store(scu, {
        sopInstanceUid: uid,
        studyInstanceUid: study,
        patientId: 'S',
        pixelBytes: 64,
      });
      expect(response.status.code).toBe(0);
    }
    expect(scp.studies).toEqual([]);
    await until(() => scp!.studies.length === 2, 'two completed studies');
    const byStudy = new Map(scp.studies.map((s) => [s.studyInstanceUid, s.instances.map((i) => i.sopInstanceUid)]));
    expect(byStudy.get(a)).toEqual([plan[0]!.uid, plan[2]!.uid]);
    expect(byStudy.get(b)).toEqual([plan[1]!.uid]);
    expect(scp.studies.every((s) => s.patientId === 'S')).toBe(true);
  });
});

describe('user identity', () => {
  it('accepts the identity the hook accepts, rejects the others', async () => {
    const seen: string[] = [];
    scp = await startScp({
      verifyUserIdentity: (identity) => {
        seen.push(identity?.type ?? 'none');
        return (
          identity?.type === 'username-passcode' && identity.username === 'alice' && identity.passcode === 's3cret'
        );
      },
    });
    const [slice] = await makeCtSeries(path.join(work, 'identity'), 1);
    const send = (extra: string[]) =>
      runStorescu({
        port: scp!.port,
        aeTitle: 'MODALITY',
        calledAeTitle: 'NETDICOM',
        extraArgs: extra,
        files: [slice!.path],
      });
    const good = await send(['-usr', 'alice', '-pwd', 's3cret']);
    expect(good.code, good.stderr).toBe(0);
    const wrong = await send(['-usr', 'alice', '-pwd', 'guess']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Association Rejected/i);
    const none = await send([]);
    expect(none.code).not.toBe(0);
    expect(seen).toEqual(['username-passcode', 'username-passcode', 'none']);
    expect(scp.received).toHaveLength(1);
    expect(scp.rejected.map((r) => [r.result, r.source, r.reasonCode])).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });
});

describe('close()', () => {
  /** A dataset that sends its first 64 KiB, then waits for `gate` before the rest. */
  function gated(bytes: Uint8Array, gate: Promise<void>) {
    return (async function* () {
      yield bytes.subarray(0, 64 * 1024);
      await gate;
      yield bytes.subarray(64 * 1024);
    })();
  }

  it('lets a store in flight finish with Success, refusing new associations meanwhile', async () => {
    scp = await startScp({ layout: 'flat', closeTimeout: 30_000 });
    scu = await connectScu(scp.port, CONTEXTS);
    const uid = randomUid();
    const bytes = buildDataset({ sopInstanceUid: uid, patientId: 'C', pixelBytes: 1024 * 1024 });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const storing = scu.client.store({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: uid,
      transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
      dataset: gated(bytes, gate),
    });
    await until(() => scp!.scp.storesInFlight === 1, 'the store to start');
    let closed = false;
    const closing = scp.scp.close().then(() => {
      closed = true;
    });
    await expect(connectScu(scp.port, CONTEXTS, { callingAeTitle: 'LATECOMER' })).rejects.toMatchObject({
      constructor: AssociationRejectedError,
      result: 2,
      source: 3,
      reason: 1,
    });
    expect(closed).toBe(false);
    open();
    const response = await storing;
    expect(response.status.code).toBe(0);
    await closing;
    expect((await storedDataset(scp.received[0]!.path)).equals(Buffer.from(bytes))).toBe(true);
    expect(scp.rejected.map((r) => r.callingAeTitle)).toEqual(['LATECOMER']);
    // Then what was left open was aborted.
    expect(scp.ended.map((e) => [e.reason, e.instances.length])).toEqual([['aborted', 1]]);
    scu = undefined;
  });

  it('aborts a store still in flight at the deadline: nothing kept', async () => {
    scp = await startScp({ layout: 'flat', closeTimeout: 300 });
    scu = await connectScu(scp.port, CONTEXTS);
    const uid = randomUid();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const storing = scu.client.store({
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: uid,
      transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN,
      dataset: gated(buildDataset({ sopInstanceUid: uid, pixelBytes: 1024 * 1024 }), gate),
    });
    storing.catch(() => undefined);
    await until(() => scp!.scp.storesInFlight === 1, 'the store to start');
    await scp.scp.close();
    open();
    await expect(storing).rejects.toThrow();
    expect(scp.received).toEqual([]);
    expect(scp.failed.map((f) => f.sopInstanceUid)).toEqual([uid]);
    expect(await listStoredFiles(scp.storageDir)).toEqual([]);
    expect(await listTempFiles(scp.storageDir)).toEqual([]);
    expect(scp.ended.map((e) => [e.reason, e.instances.length])).toEqual([['aborted', 0]]);
    scu = undefined;
  });

  it('is idempotent and completes every Observable', async () => {
    scp = await startScp();
    let completed = 0;
    const all: Observable<unknown>[] = [
      scp.scp.received$,
      scp.scp.associations$,
      scp.scp.associationEnded$,
      scp.scp.studyCompleted$,
      scp.scp.rejected$,
      scp.scp.failed$,
      scp.scp.errors$,
    ];
    for (const o of all) o.subscribe({ complete: () => completed++ });
    await Promise.all([scp.scp.close(), scp.scp.close()]);
    expect(completed).toBe(all.length);
    await expect(scp.scp.listen()).rejects.toBeInstanceOf(StoreScpOptionsError);
  });
});

describe('idle timeout', () => {
  it('aborts an association that stays silent past timeouts.idle, and keeps serving others', async () => {
    scp = await startScp({ timeouts: { idle: 300 } });
    const silent = await connectScu(scp.port, CONTEXTS);
    const closed = await silent.association.closed;
    // We sent an A-ABORT (PS3.8 7.3.1) when the idle timer expired.
    expect(closed.reason).toBe('peer-aborted');
    await until(() => scp!.ended.length === 1, 'the association to end on our side');
    expect(scp.ended[0]!.reason).toBe('error');
    expect(scp.ended[0]!.instances).toEqual([]);
    scu = await connectScu(scp.port, CONTEXTS);
    expect((await scu.client.echo()).status.code).toBe(0);
  });
});

describe('listen()', () => {
  it('rejects with the system error when the port is taken, leaving nothing open', async () => {
    scp = await startScp();
    const storageDir = path.join(work, 'port-taken');
    const second = new StoreScp({ port: scp.port, host: '127.0.0.1', storageDir });
    await expect(second.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // The file store's session directory was removed again.
    expect(await readdir(path.join(storageDir, TEMP_DIR_NAME))).toEqual([]);
    await second.close();
  });
});

describe('options', () => {
  it('refuses invalid values with StoreScpOptionsError', () => {
    for (const options of [
      { aeTitle: 'A_TITLE_LONGER_THAN_16' },
      { aeTitle: 'BACK\\SLASH' },
      { aeTitle: '   ' },
      { maxAssociations: 0 },
      { maxObjectSize: -1 },
      { port: 70000 },
      { closeTimeout: 1.5 },
    ]) {
      expect(() => new StoreScp(options), JSON.stringify(options)).toThrow(StoreScpOptionsError);
    }
  });
});
