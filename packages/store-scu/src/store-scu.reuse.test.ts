/**
 * Reusing a StoreScu (issue 5: "`clean()` empties the queue so a retry can reuse the instance") and the names given
 * to `addFileFromMemory`, which stand for the buffer in every callback, warning and log line. Against our StoreScp
 * over TCP on loopback, answering Out of Resources (PS3.4 Table B.2-1) or a Warning on demand.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreFileError } from './errors.js';
import { type FileErrorEvent, type FileSendingEvent, type FileSentEvent, StoreScu } from './store-scu.js';
import { grayImage } from './testing/fixtures.js';
import { type ScriptedScp, startScriptedScp } from './testing/scripted-scp.js';

const UID_ROOT = '1.2.826.0.1.3680043.10.99.800';

let peer: ScriptedScp | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

describe('StoreScu.clean() and a second send()', () => {
  it('sends again only what failed: clean(), queue the failures, send() on the same instance', async () => {
    const buffers = new Map([1, 2, 3, 4].map((n) => [`scan-${n}.dcm`, grayImage(`${UID_ROOT}.${n}`)]));
    // The archive is full for scans 2 and 4 the first time round.
    const refuseOnce = new Set([`${UID_ROOT}.2`, `${UID_ROOT}.4`]);
    peer = await startScriptedScp((store) =>
      refuseOnce.has(store.sopInstanceUid) && store.attempt === 1 ? 0xa700 : 0,
    );
    const scu = new StoreScu({ addr: peer.addr, calledAeTitle: peer.aeTitle, retries: 0 });
    for (const [name, bytes] of buffers) scu.addFileFromMemory(bytes, name);

    const failedNames: string[] = [];
    const first = await scu.send({ onFileError: (_error, event) => failedNames.push(event.file) });
    expect(first).toEqual({ successful: 2, failed: 2, warnings: [], totalFiles: 4 });
    expect(failedNames.sort()).toEqual(['scan-2.dcm', 'scan-4.dcm']);
    // send() leaves the queue as it was: without clean() the next send() would send all four again.
    expect(scu.queued).toBe(4);

    expect(scu.clean()).toBe(scu);
    expect(scu.queued).toBe(0);
    for (const name of failedNames) scu.addFileFromMemory(buffers.get(name)!, name);
    const sent: string[] = [];
    const second = await scu.send({ onFileSent: (_error, event) => sent.push(event.file) });
    expect(second).toEqual({ successful: 2, failed: 0, warnings: [], totalFiles: 2 });
    expect(sent.sort()).toEqual(['scan-2.dcm', 'scan-4.dcm']);

    // Each scan stored once; those stored the first time were not sent again.
    for (const n of [1, 3]) expect(peer.storesOf(`${UID_ROOT}.${n}`).map((s) => s.status)).toEqual([0]);
    for (const n of [2, 4]) expect(peer.storesOf(`${UID_ROOT}.${n}`).map((s) => s.status)).toEqual([0xa700, 0]);
  });

  it('an emptied instance sends nothing and opens no association', async () => {
    peer = await startScriptedScp();
    const scu = new StoreScu({ addr: peer.addr, calledAeTitle: peer.aeTitle });
    scu.addFileFromMemory(grayImage(`${UID_ROOT}.9`), 'never.dcm').clean();
    const started: number[] = [];
    const result = await scu.send({ onTransferStarted: (_error, event) => started.push(event.totalFiles) });
    expect(result).toEqual({ successful: 0, failed: 0, warnings: [], totalFiles: 0 });
    expect(started).toEqual([0]);
    expect(peer.associations).toEqual([]);
    expect(peer.stores).toEqual([]);
  });
});

describe('StoreScu.addFileFromMemory names', () => {
  it('the name stands for the buffer in every callback, warning and log line', async () => {
    peer = await startScriptedScp((store) => {
      if (store.sopInstanceUid === `${UID_ROOT}.11`) return { status: 0xb000, errorComment: 'coerced' };
      if (store.sopInstanceUid === `${UID_ROOT}.12`) return 0xa900;
      return 0;
    });
    const sending: FileSendingEvent[] = [];
    const sent: FileSentEvent[] = [];
    const errors: FileErrorEvent[] = [];
    const lines: string[] = [];
    const scu = new StoreScu({ addr: peer.addr, calledAeTitle: peer.aeTitle, verbose: (line) => lines.push(line) })
      .addFileFromMemory(grayImage(`${UID_ROOT}.10`), 'ward-3/plain.dcm')
      .addFileFromMemory(grayImage(`${UID_ROOT}.11`), 'coerced by peer')
      .addFileFromMemory(grayImage(`${UID_ROOT}.12`), 'mismatch.dcm')
      .addFileFromMemory(Buffer.from('a scanned consent form, not DICOM'), 'consent.pdf');
    const result = await scu.send({
      onFileSending: (_e, event) => sending.push(event),
      onFileSent: (_e, event) => sent.push(event),
      onFileError: (_e, event) => errors.push(event),
    });

    expect(result).toEqual({
      successful: 2,
      failed: 2,
      totalFiles: 4,
      warnings: ['coerced by peer: Warning: Coercion of Data Elements (0xB000): coerced'],
    });
    expect(sending.map((e) => [e.file, e.sopInstanceUid]).sort()).toEqual([
      ['coerced by peer', `${UID_ROOT}.11`],
      ['mismatch.dcm', `${UID_ROOT}.12`],
      ['ward-3/plain.dcm', `${UID_ROOT}.10`],
    ]);
    expect(sent.map((e) => [e.file, e.status.code]).sort()).toEqual([
      ['coerced by peer', 0xb000],
      ['ward-3/plain.dcm', 0],
    ]);
    const byName = new Map(errors.map((e) => [e.file, e]));
    expect([...byName.keys()].sort()).toEqual(['consent.pdf', 'mismatch.dcm']);
    expect(byName.get('consent.pdf')!.error).toBeInstanceOf(StoreFileError);
    expect(byName.get('consent.pdf')!.error).toMatchObject({ reason: 'not-dicom', file: 'consent.pdf' });
    expect(byName.get('consent.pdf')!.message).toMatch(/^consent\.pdf/);
    expect(byName.get('mismatch.dcm')!.error).toMatchObject({ reason: 'store-failed', status: 0xa900 });
    expect(byName.get('mismatch.dcm')!.message).toMatch(/^mismatch\.dcm: the peer answered .*\(0xA900\)/);
    expect(lines.some((line) => line.startsWith('ward-3/plain.dcm: Success'))).toBe(true);
    expect(lines.some((line) => line.startsWith('consent.pdf: failed:'))).toBe(true);
  });
});
