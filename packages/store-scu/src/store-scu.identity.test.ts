/**
 * User Identity negotiation (PS3.7 D.3.3.7) through StoreScu's `userIdentity` option (issue 5): against our StoreScp
 * with a verifier that accepts or rejects (a rejection is the typed "association rejected" error with the reason the
 * peer gave, PS3.8 Table 9-21, and is not retried), and against DCMTK storescp, which reads the sub-item and ignores
 * it unless configured.
 */
import type { UnknownUserIdentity, UserIdentity } from '@netdicom/association';
import { startStorescp } from '@netdicom/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { AssociationRejectedError } from './errors.js';
import { StoreScuSession } from './session.js';
import { StoreScu } from './store-scu.js';
import { grayImage } from './testing/fixtures.js';
import { type ScriptedScp, startScriptedScp } from './testing/scripted-scp.js';

const UID_ROOT = '1.2.826.0.1.3680043.10.99.600';

let peer: ScriptedScp | undefined;
let presented: (UserIdentity | UnknownUserIdentity | undefined)[] = [];
afterEach(async () => {
  await peer?.close();
  peer = undefined;
  presented = [];
});

/** A StoreScp that lets in `alice` (username only) and `bob` with passcode `s3cret`, nobody else. */
async function guardedPeer(): Promise<ScriptedScp> {
  return startScriptedScp(undefined, {
    verifyUserIdentity: (identity) => {
      presented.push(identity);
      if (identity?.type === 'username') return identity.username === 'alice';
      if (identity?.type === 'username-passcode') return identity.username === 'bob' && identity.passcode === 's3cret';
      return false;
    },
  });
}

describe('StoreScu user identity against our StoreScp', () => {
  it('username only: accepted, the files are stored, the peer saw the name', async () => {
    peer = await guardedPeer();
    const result = await new StoreScu({
      addr: peer.addr,
      calledAeTitle: peer.aeTitle,
      userIdentity: { type: 'username', username: 'alice' },
    })
      .addFileFromMemory(grayImage(`${UID_ROOT}.1`), 'one.dcm')
      .addFileFromMemory(grayImage(`${UID_ROOT}.2`), 'two.dcm')
      .send();
    expect(result).toEqual({ successful: 2, failed: 0, warnings: [], totalFiles: 2 });
    expect(presented).toEqual([{ type: 'username', username: 'alice', positiveResponseRequested: false }]);
    expect(peer.successesOf(`${UID_ROOT}.1`)).toHaveLength(1);
    expect(peer.successesOf(`${UID_ROOT}.2`)).toHaveLength(1);
  });

  it('username and passcode: accepted; the peer saw both (UTF-8, PS3.7 D.3.3.7.1)', async () => {
    peer = await guardedPeer();
    const result = await new StoreScu({
      addr: peer.addr,
      calledAeTitle: peer.aeTitle,
      userIdentity: { type: 'username-passcode', username: 'bob', passcode: 's3cret', positiveResponseRequested: true },
    })
      .addFileFromMemory(grayImage(`${UID_ROOT}.3`), 'three.dcm')
      .send();
    expect(result).toMatchObject({ successful: 1, failed: 0 });
    expect(presented).toEqual([
      { type: 'username-passcode', username: 'bob', passcode: 's3cret', positiveResponseRequested: true },
    ]);
    expect(peer.successesOf(`${UID_ROOT}.3`)).toHaveLength(1);
  });

  it('a wrong passcode is rejected: AssociationRejectedError with the reason given, not retried, nothing sent', async () => {
    peer = await guardedPeer();
    const completed: (Error | null)[] = [];
    const error = await new StoreScu({
      addr: peer.addr,
      calledAeTitle: peer.aeTitle,
      userIdentity: { type: 'username-passcode', username: 'bob', passcode: 'guess' },
      retries: { attempts: 3, initialDelayMs: 5 },
    })
      .addFileFromMemory(grayImage(`${UID_ROOT}.4`), 'four.dcm')
      .send({ onTransferCompleted: (err) => completed.push(err) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssociationRejectedError);
    expect(error).toMatchObject({
      code: 'ERR_NETDICOM_STORE_SCU_ASSOCIATION_REJECTED',
      result: 1,
      source: 1,
      reasonCode: 1,
      transient: false,
    });
    expect((error as Error).message).toBe(
      `${peer.addr} rejected the association: rejected-permanent, source: DICOM UL service-user, reason: no-reason-given`,
    );
    expect(completed).toEqual([error]);
    // A permanent rejection is final: one request, no C-STORE.
    expect(presented).toHaveLength(1);
    expect(peer.stores).toEqual([]);
  });

  it('no identity at all is rejected by a peer that requires one; the session API reports it the same way', async () => {
    peer = await guardedPeer();
    const error = await new StoreScu({ addr: peer.addr, calledAeTitle: peer.aeTitle, retries: 0 })
      .addFileFromMemory(grayImage(`${UID_ROOT}.5`), 'five.dcm')
      .send()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssociationRejectedError);
    const sessionError = await StoreScuSession.connect({
      addr: peer.addr,
      calledAeTitle: peer.aeTitle,
      userIdentity: { type: 'username', username: 'mallory' },
    }).catch((e: unknown) => e);
    expect(sessionError).toBeInstanceOf(AssociationRejectedError);
    expect((sessionError as Error).message).toMatch(/rejected-permanent, source: DICOM UL service-user/);
    expect(presented).toEqual([undefined, { type: 'username', username: 'mallory', positiveResponseRequested: false }]);
    const session = await StoreScuSession.connect({
      addr: peer.addr,
      calledAeTitle: peer.aeTitle,
      userIdentity: { type: 'username', username: 'alice' },
    });
    expect(await session.store(grayImage(`${UID_ROOT}.6`))).toMatchObject({ code: 0 });
    await session.release();
    expect(peer.stores.map((s) => s.sopInstanceUid)).toEqual([`${UID_ROOT}.6`]);
  });
});

describe('StoreScu user identity against storescp', () => {
  it('storescp decodes the identity sub-item as sent and accepts the association; the files arrive', async () => {
    const scp = await startStorescp({ extraArgs: ['-d'] });
    try {
      for (const [n, userIdentity] of [
        [7, { type: 'username', username: 'alice' }],
        [8, { type: 'username-passcode', username: 'bob', passcode: 's3cret' }],
      ] as const) {
        const result = await new StoreScu({ addr: `127.0.0.1:${scp.port}`, calledAeTitle: scp.aeTitle, userIdentity })
          .addFileFromMemory(grayImage(`${UID_ROOT}.${n}`), `${n}.dcm`)
          .send();
        expect(result).toMatchObject({ successful: 1, failed: 0 });
      }
      // DCMTK decodes our sub-items as sent (an independent check of the encoding, PS3.7 D.3.3.7.1).
      const output = scp.output();
      expect(output).toMatch(/Authentication mode 1: Username\nD: {3}Username: \[alice\]/);
      expect(output).toMatch(
        /Authentication mode 2: Username\/Password\nD: {3}Username: \[bob\]\nD: {3}Password: \[s3cret\]/,
      );
      expect(output.match(/Association Acknowledged/g)).toHaveLength(2);
      expect((await scp.receivedFiles()).map((path) => path.slice(path.lastIndexOf('/') + 1)).sort()).toEqual([
        `CT.${UID_ROOT}.7`,
        `CT.${UID_ROOT}.8`,
      ]);
    } finally {
      await scp.stop();
    }
  });
});
