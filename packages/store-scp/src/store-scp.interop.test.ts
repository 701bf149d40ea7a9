/**
 * Real DCMTK requestors against StoreScp (PS3.4 Annex A and B over PS3.8): storescu and dcmsend send every fixture
 * kind in every transfer syntax the fixture set produces; each stored file must hold exactly the dataset bytes that
 * went over the wire (recorded by a loopback proxy, so whatever DCMTK re-encodes is accounted for) after a correct
 * File Meta Information (PS3.10 7.1). Then echoscu, and the association refusals of PS3.8 Table 9-21 as DCMTK
 * reports them.
 */
import { readFile } from 'node:fs/promises';
import {
  dcmdumpFiles,
  type Fixture,
  makeFixtureSet,
  parseDcmdump,
  runDcmsend,
  runEchoscu,
  runStorescu,
  storescuConfigArgs,
  TRANSFER_SYNTAXES,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from '@netdicom/test-peers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectScu, datasetOffset, startScp, type TestScp } from './testing/scp.js';
import { startWireRecorder, type WireRecorder } from './testing/wire-recorder.js';

const UNCOMPRESSED = new Set(UNCOMPRESSED_TRANSFER_SYNTAXES);

let fixtures: Fixture[];
beforeAll(async () => {
  fixtures = await makeFixtureSet();
}, 600_000);

let scp: TestScp | undefined;
let recorder: WireRecorder | undefined;
afterEach(async () => {
  await recorder?.close();
  await scp?.close();
  recorder = undefined;
  scp = undefined;
});

/** Checks every fixture arrived: meta by dcmdump, dataset bytes identical to the wire's. */
async function expectStoredAsSent(
  t: TestScp,
  wire: WireRecorder,
  callingAeTitle: string,
  converted: 'never' | 'uncompressed-only',
): Promise<void> {
  expect(wire.errors).toEqual([]);
  expect(t.failed).toEqual([]);
  expect(t.received).toHaveLength(fixtures.length);
  const byUid = new Map(t.received.map((i) => [i.sopInstanceUid, i]));
  const dumps = await dcmdumpFiles(
    t.received.map((i) => i.path),
    ['-M', '-Un'],
    { strict: true },
  );
  for (const fixture of fixtures) {
    const instance = byUid.get(fixture.sopInstanceUid);
    expect(instance, `${fixture.kind} in ${fixture.transferSyntaxUid}`).toBeDefined();
    const sent = wire.stores.find((s) => s.sopInstanceUid === fixture.sopInstanceUid);
    expect(sent, `wire record of ${fixture.kind}`).toBeDefined();
    const file = await readFile(instance!.path);
    const stored = file.subarray(await datasetOffset(instance!.path));
    expect(stored.equals(sent!.dataset), `${fixture.kind} in ${fixture.transferSyntaxUid}: dataset bytes`).toBe(true);
    expect(instance!.bytes).toBe(sent!.dataset.length);
    // Stored in the transfer syntax it travelled in.
    expect(instance!.transferSyntax).toBe(sent!.transferSyntax);
    const meta = parseDcmdump(dumps.get(instance!.path)!);
    expect(meta['0002,0010']).toBe(sent!.transferSyntax);
    if (converted === 'never' || !UNCOMPRESSED.has(fixture.transferSyntaxUid)) {
      expect(sent!.transferSyntax, `${fixture.kind} travelled in its own transfer syntax`).toBe(
        fixture.transferSyntaxUid,
      );
    } else {
      expect(UNCOMPRESSED.has(sent!.transferSyntax!)).toBe(true);
    }
    expect(meta['0002,0002']).toBe(fixture.sopClassUid);
    expect(meta['0002,0003']).toBe(fixture.sopInstanceUid);
    expect(meta['0002,0016']).toBe(callingAeTitle);
    expect(meta['0002,0013']).toMatch(/^NETDICOM/);
    // Routing attributes came from the dataset header, in any transfer syntax (deflated included).
    expect(instance!.studyInstanceUid).toBe(fixture.studyInstanceUid);
    expect(instance!.patientId).toBe(fixture.patientId);
    expect(instance!.relativePath).toBe(
      `${fixture.studyInstanceUid}/${fixture.seriesInstanceUid}/${fixture.sopInstanceUid}.dcm`,
    );
  }
}

describe('DCMTK -> StoreScp, every transfer syntax', () => {
  it('covers every transfer syntax the fixture set can make', () => {
    const syntaxes = new Set(fixtures.map((f) => f.transferSyntaxUid));
    expect([...syntaxes].sort()).toEqual(TRANSFER_SYNTAXES.map((ts) => ts.uid).sort());
    expect(fixtures.length).toBeGreaterThan(40);
  });

  it('storescu, one presentation context per file transfer syntax: every dataset stored byte for byte', async () => {
    scp = await startScp();
    recorder = await startWireRecorder(scp.port);
    const result = await runStorescu({
      port: recorder.port,
      aeTitle: 'DCMTK_SCU',
      calledAeTitle: 'NETDICOM',
      extraArgs: await storescuConfigArgs(fixtures),
      files: fixtures.map((f) => f.path),
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(recorder.stores).toHaveLength(fixtures.length);
    await expectStoredAsSent(scp, recorder, 'DCMTK_SCU', 'never');
    await scp.close();
    expect(scp.ended).toHaveLength(1);
    expect(scp.ended[0]!.reason).toBe('released');
    expect(scp.ended[0]!.instances).toHaveLength(fixtures.length);
  }, 180_000);

  it('dcmsend --decompress-never: every dataset stored byte for byte', async () => {
    scp = await startScp();
    recorder = await startWireRecorder(scp.port);
    const result = await runDcmsend({
      port: recorder.port,
      aeTitle: 'DCMSEND',
      calledAeTitle: 'NETDICOM',
      extraArgs: ['--decompress-never'],
      files: fixtures.map((f) => f.path),
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(0);
    // dcmsend may pick another uncompressed syntax for an uncompressed file (it proposes several); never decompresses.
    await expectStoredAsSent(scp, recorder, 'DCMSEND', 'uncompressed-only');
  }, 180_000);
});

describe('echoscu and association refusals', () => {
  it('C-ECHO succeeds', async () => {
    scp = await startScp();
    const result = await runEchoscu({ port: scp.port, aeTitle: 'ECHO', calledAeTitle: 'NETDICOM', extraArgs: ['-v'] });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Received Echo Response \(Success\)/);
    await scp.close();
    expect(scp.ended.map((e) => [e.callingAeTitle, e.reason])).toEqual([['ECHO', 'released']]);
  });

  it('a wrong called AE title is rejected: called-AE-title-not-recognized', async () => {
    scp = await startScp();
    const result = await runEchoscu({ port: scp.port, aeTitle: 'ECHO', calledAeTitle: 'SOMEONE_ELSE' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Called AE Title Not Recognized/i);
    expect(scp.rejected).toHaveLength(1);
    expect(scp.rejected[0]).toMatchObject({ calledAeTitle: 'SOMEONE_ELSE', result: 1, source: 1, reasonCode: 7 });
  });

  it('a calling AE title not in the allow-list is rejected: calling-AE-title-not-recognized', async () => {
    scp = await startScp({ acceptCallingAeTitles: ['MODALITY1', 'MODALITY2'] });
    const refused = await runEchoscu({ port: scp.port, aeTitle: 'INTRUDER', calledAeTitle: 'NETDICOM' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Calling AE Title Not Recognized/i);
    const allowed = await runEchoscu({ port: scp.port, aeTitle: 'MODALITY2', calledAeTitle: 'NETDICOM' });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(scp.rejected.map((r) => [r.callingAeTitle, r.reasonCode])).toEqual([['INTRUDER', 3]]);
  });

  it('checkCalledAeTitle: false accepts any called AE title', async () => {
    scp = await startScp({ checkCalledAeTitle: false });
    const result = await runEchoscu({ port: scp.port, aeTitle: 'ECHO', calledAeTitle: 'WHATEVER' });
    expect(result.code, result.stderr).toBe(0);
  });

  it('beyond maxAssociations: A-ASSOCIATE-RJ transient, local-limit-exceeded; served again once one ends', async () => {
    scp = await startScp({ maxAssociations: 2 });
    const verification = [{ abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }];
    const held = await Promise.all([connectScu(scp.port, verification), connectScu(scp.port, verification)]);
    const refused = await runEchoscu({ port: scp.port, aeTitle: 'THIRD', calledAeTitle: 'NETDICOM' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Local Limit Exceeded/i);
    expect(refused.stderr).toMatch(/Transient/i);
    expect(scp.rejected.map((r) => [r.callingAeTitle, r.result, r.source, r.reasonCode])).toEqual([['THIRD', 2, 3, 2]]);
    await held[0]!.release();
    const again = await runEchoscu({ port: scp.port, aeTitle: 'FOURTH', calledAeTitle: 'NETDICOM' });
    expect(again.code, again.stderr).toBe(0);
    await held[1]!.release();
  });

  it('an unknown SOP class is refused per presentation context unless acceptUnknownSopClasses', async () => {
    const privateClass = '1.2.826.0.1.3680043.2.1143.999.1';
    const contexts = [
      { abstractSyntax: privateClass, transferSyntaxes: ['1.2.840.10008.1.2'] },
      { abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
      { abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.4.50'] },
    ];
    scp = await startScp();
    const strict = await connectScu(scp.port, contexts);
    const results = strict.association.negotiated.presentationContexts.map((pc) => [pc.abstractSyntax, pc.result]);
    // 3 = abstract-syntax-not-supported (PS3.8 Table 9-18); storage and Verification accepted, JPEG stored as is.
    expect(results).toEqual([
      [privateClass, 3],
      ['1.2.840.10008.1.1', 0],
      ['1.2.840.10008.5.1.4.1.1.2', 0],
    ]);
    await strict.release();
    await scp.close();
    scp = await startScp({ acceptUnknownSopClasses: true });
    const open = await connectScu(scp.port, contexts);
    expect(open.association.negotiated.acceptedContexts.map((pc) => pc.abstractSyntax)).toContain(privateClass);
    await open.release();
  });
});
