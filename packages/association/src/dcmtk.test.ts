/**
 * Interop with real DCMTK peers (storescp, echoscu, storescu) over loopback, PS3.8 as DCMTK implements it.
 * Every tool runs with TCP_NODELAY=1 (through @netdicom/test-peers).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEchoscu, runStorescu, runTool, startStorescp } from '@netdicom/test-peers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import { AssociationRejectedError } from './errors.js';
import { IMPLEMENTATION_CLASS_UID } from './negotiation.js';
import { createAcceptancePolicy } from './policy.js';
import { answerVerificationAndStorage } from './testing/command-set.js';
import { LOOPBACK, startServer, VERIFICATION, verificationOptions } from './testing/helpers.js';
import type { Association, AssociationClosed } from './types.js';

const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

let workDir: string;
let dicomFile: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'netdicom-association-'));
  const dump = join(workDir, 'sc.dump');
  dicomFile = join(workDir, 'sc.dcm');
  await writeFile(
    dump,
    [
      `(0008,0016) UI [${SECONDARY_CAPTURE}]`,
      '(0008,0018) UI [2.25.1234567890123456789]',
      '(0008,0060) CS [OT]',
      '(0010,0010) PN [Interop^Test]',
      '(0010,0020) LO [ID1]',
      '(0020,000d) UI [2.25.111]',
      '(0020,000e) UI [2.25.222]',
    ].join('\n'),
  );
  const made = await runTool('dump2dcm', ['+te', dump, dicomFile]);
  expect(made.code).toBe(0);
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function storescp(extraArgs: string[] = []) {
  const scp = await startStorescp({ extraArgs: ['-v', ...extraArgs] });
  cleanups.push(() => scp.stop());
  return scp;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('our requestor with DCMTK storescp', () => {
  it('associates (Verification), reads DCMTK’s negotiation, and releases', async () => {
    const scp = await storescp();
    const association = await connect(verificationOptions(scp.port, { calledAeTitle: scp.aeTitle }));
    expect(association.negotiated.acceptedContexts.map((pc) => pc.abstractSyntax)).toEqual([VERIFICATION]);
    expect(association.negotiated.peerImplementationVersionName).toMatch(/^OFFIS_DCMTK_/);
    expect(association.negotiated.maxPduLengthToSend).toBe(16384);
    await association.release();
    expect(await association.closed).toEqual({ reason: 'released' });
    await until(() => /Association Release/i.test(scp.output()));
  });

  it('honours the maximum PDU storescp announces (-pdu) and sends up to it', async () => {
    const scp = await storescp(['-pdu', '8192']);
    const association = await connect(verificationOptions(scp.port, { calledAeTitle: scp.aeTitle }));
    expect(association.negotiated.maxPduLengthToSend).toBe(8192);
    await association.release();
  });

  it('aborts, and storescp reports the abort', async () => {
    const scp = await storescp();
    const association = await connect(verificationOptions(scp.port, { calledAeTitle: scp.aeTitle }));
    await association.abort();
    expect((await association.closed).reason).toBe('aborted');
    await until(() => /Abort/i.test(scp.output()));
  });

  it('is rejected by storescp --refuse with a typed error', async () => {
    const scp = await storescp(['--refuse']);
    const attempt = connect(verificationOptions(scp.port, { calledAeTitle: scp.aeTitle }));
    await expect(attempt).rejects.toBeInstanceOf(AssociationRejectedError);
    await expect(attempt).rejects.toMatchObject({ result: 1, source: 1 });
  });

  it('gets "abstract syntax not supported" for a SOP class storescp does not serve', async () => {
    const scp = await storescp();
    const association = await connect(
      verificationOptions(scp.port, {
        calledAeTitle: scp.aeTitle,
        presentationContexts: [
          { abstractSyntax: VERIFICATION, transferSyntaxes: ['1.2.840.10008.1.2'] },
          { abstractSyntax: '1.2.3.4.5.6', transferSyntaxes: ['1.2.840.10008.1.2'] },
        ],
      }),
    );
    expect(association.negotiated.presentationContexts.map((pc) => pc.result)).toEqual([0, 3]);
    await association.release();
  });
});

describe('DCMTK SCUs with our acceptor', () => {
  async function acceptor(options: Parameters<typeof startServer>[0] = {}) {
    const started = await startServer(options);
    cleanups.push(started.close);
    const associations: Association[] = [];
    const closings: Promise<AssociationClosed>[] = [];
    const commands: number[][] = [];
    started.server.associations$.subscribe((association) => {
      associations.push(association);
      closings.push(association.closed);
      commands.push(answerVerificationAndStorage(association));
    });
    return { ...started, associations, closings, commands };
  }

  it('echoscu associates, echoes and releases (exit 0)', async () => {
    const { port, closings, commands } = await acceptor();
    const result = await runEchoscu({ port, calledAeTitle: 'NETDICOM', extraArgs: ['-v'] });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Association Accepted/);
    expect(result.stdout + result.stderr).toMatch(/Received Echo Response \(Success\)/);
    expect(commands[0]).toEqual([0x0030]);
    expect((await closings[0])?.reason).toBe('released');
  });

  it('echoscu --abort: our side sees the peer abort', async () => {
    const { port, closings } = await acceptor();
    const result = await runEchoscu({ port, extraArgs: ['--abort', '-v'] });
    expect(result.code).toBe(0);
    const closed = await closings[0];
    expect(closed?.reason).toBe('peer-aborted');
    expect(closed?.error).toMatchObject({ code: 'ERR_NETDICOM_ASSOCIATION_ABORTED', source: 0 });
  });

  it('echoscu with a small max PDU: we never send more than it announced', async () => {
    const { port, associations } = await acceptor();
    const result = await runEchoscu({ port, extraArgs: ['-pdu', '4096'] });
    expect(result.code).toBe(0);
    expect(associations[0]?.negotiated.maxPduLengthToSend).toBe(4096);
  });

  it.each([
    ['called AE title', ['-aec', 'SOMEONE-ELSE'], /Called AE Title Not Recognized/i],
    ['calling AE title', ['-aet', 'STRANGER', '-aec', 'NETDICOM'], /Calling AE Title Not Recognized/i],
  ])('echoscu reports the rejection we sent: %s', async (_what, args, message) => {
    const { port } = await acceptor({
      onAssociationRequest: createAcceptancePolicy({
        aeTitle: 'NETDICOM',
        callingAeTitles: ['ECHOSCU'],
        abstractSyntaxes: [VERIFICATION],
        transferSyntaxes: 'any',
      }),
    });
    const result = await runEchoscu([...args, LOOPBACK, String(port)]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Association Rejected/i);
    expect(result.stdout + result.stderr).toMatch(message);
  });

  it('echoscu reports "local limit exceeded" (transient) beyond maxAssociations', async () => {
    const { port } = await acceptor({ maxAssociations: 1 });
    const holder = await connect(verificationOptions(port));
    const result = await runEchoscu({ port });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Rejected Transient/i);
    expect(result.stdout + result.stderr).toMatch(/Local Limit Exceeded/i);
    await holder.release();
  });

  it('storescu user identity: wrong passcode rejected, right one accepted with a positive response', async () => {
    const { port, commands } = await acceptor({
      onAssociationRequest: createAcceptancePolicy({
        abstractSyntaxes: 'any',
        transferSyntaxes: 'any',
        verifyUserIdentity: (identity) =>
          identity?.type === 'username-passcode' && identity.username === 'ann' && identity.passcode === 'open sesame',
      }),
    });
    const wrong = await runStorescu(['-usr', 'ann', '-pwd', 'guess', LOOPBACK, String(port), dicomFile]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(/Association Rejected/i);
    const right = await runStorescu([
      '-v',
      '-usr',
      'ann',
      '-pwd',
      'open sesame',
      '-rsp',
      LOOPBACK,
      String(port),
      dicomFile,
    ]);
    expect(right.stdout + right.stderr).toMatch(/Received Store Response \(Success\)/);
    expect(right.code).toBe(0);
    expect(commands.at(-1)).toEqual([0x0001]);
  });

  it('our implementation class UID reaches DCMTK', async () => {
    const { port } = await acceptor();
    const result = await runEchoscu({ port, extraArgs: ['-d'] });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toContain(IMPLEMENTATION_CLASS_UID);
  });
});
