/**
 * `timeouts.response` against DCMTK storescp frozen with SIGSTOP once the association is up: a real peer that accepts
 * the association and then never answers the C-STORE, as a hung PACS does. The file fails with a
 * `ResponseTimeoutError`, or is retried on a fresh association (served by a new storescp child with `--fork`) when
 * retries are configured; a file already acknowledged is never sent again.
 */
import { basename } from 'node:path';
import { startStorescp } from '@netdicom/test-peers';
import { describe, expect, it } from 'vitest';
import { AssociationLostError, InvalidOptionError, ResponseTimeoutError, type StoreScuError } from './errors.js';
import { StoreScuSession } from './session.js';
import { StoreScu } from './store-scu.js';
import { buildPart10, SECONDARY_CAPTURE_STORAGE } from './testing/dicom-builder.js';
import { signalProcess, storescpProcesses } from './testing/processes.js';

/**
 * A small instance: its whole request fits in the socket buffers of a peer that has stopped reading, so the request
 * is completely sent and only its response is missing (a larger one would be caught by `timeouts.write` instead).
 */
function smallInstance(sopInstanceUid: string): Uint8Array {
  return buildPart10({
    sopClassUid: SECONDARY_CAPTURE_STORAGE,
    sopInstanceUid,
    elements: [{ tag: 0x00080060, vr: 'CS', value: 'OT' }],
  });
}

const uidOf = (file: string) => basename(file).replace(/^[A-Z]+\./, '');

describe('timeouts.response against a silent storescp', () => {
  it('reports the file with ResponseTimeoutError when no retry is configured', async () => {
    const scp = await startStorescp({ extraArgs: ['-v'] });
    const { main } = storescpProcesses(scp.process.pid!);
    try {
      const scu = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        retries: 0,
        timeouts: { response: 1000 },
      });
      scu.addFileFromMemory(smallInstance('1.2.826.0.1.3680043.10.99.600.1'), 'silent.dcm');
      const errors: StoreScuError[] = [];
      const result = await scu.send({
        onFileSending: () => signalProcess(main.pid, 'SIGSTOP'),
        onFileError: (_err, event) => errors.push(event.error),
      });
      expect(result).toEqual({ successful: 0, failed: 1, warnings: [], totalFiles: 1 });
      expect(errors).toHaveLength(1);
      const error = errors[0]!;
      expect(error).toBeInstanceOf(ResponseTimeoutError);
      expect(error).toBeInstanceOf(AssociationLostError);
      expect(error.code).toBe('ERR_NETDICOM_STORE_SCU_RESPONSE_TIMEOUT');
      expect((error as ResponseTimeoutError).timeoutMs).toBe(1000);
      expect(error.message).toBe(
        `silent.dcm: no response from 127.0.0.1:${scp.port} within 1000 ms (timeouts.response), 1 time(s); the association was aborted`,
      );
    } finally {
      signalProcess(main.pid, 'SIGCONT');
      await scp.stop();
    }
  });

  it('retries on a fresh association: every file stored once, the acknowledged ones not sent again', async () => {
    const scp = await startStorescp({ fork: true, extraArgs: ['-v'] });
    let frozen: number | undefined;
    try {
      const lines: string[] = [];
      const scu = new StoreScu({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        retries: { attempts: 1, initialDelayMs: 10 },
        timeouts: { response: 1000 },
        verbose: (line) => lines.push(line),
      });
      const uids = [1, 2, 3, 4].map((n) => `1.2.826.0.1.3680043.10.99.601.${n}`);
      for (const uid of uids) scu.addFileFromMemory(smallInstance(uid), `${uid}.dcm`);
      const sending: string[] = [];
      const sent: string[] = [];
      const result = await scu.send({
        onFileSending: (_e, event) => {
          sending.push(event.file);
          // The third store: the first association's storescp child freezes with two files acknowledged.
          if (sending.length === 3) {
            const child = storescpProcesses(scp.process.pid!).children.at(-1)!;
            frozen = child.pid;
            signalProcess(child.pid, 'SIGSTOP');
          }
        },
        onFileSent: (_e, event) => sent.push(event.file),
      });
      expect(result).toEqual({ successful: 4, failed: 0, warnings: [], totalFiles: 4 });
      // The third file was sent twice (its first request went unanswered), the others once.
      expect(sending).toEqual([uids[0], uids[1], uids[2], uids[2], uids[3]].map((uid) => `${uid}.dcm`));
      expect(sent.sort()).toEqual(uids.map((uid) => `${uid}.dcm`).sort());
      expect(lines.some((line) => /association lost: no response within 1000 ms/.test(line))).toBe(true);
      expect(scp.output().match(/Association Acknowledged/g)).toHaveLength(2);
      // The frozen child never stores what it holds: each instance is on disk once.
      signalProcess(frozen!, 'SIGKILL');
      expect((await scp.receivedFiles()).map(uidOf).sort()).toEqual([...uids].sort());
    } finally {
      if (frozen !== undefined) signalProcess(frozen, 'SIGKILL');
      await scp.stop();
    }
  });

  it('StoreScuSession.store rejects with ResponseTimeoutError and the session is over', async () => {
    const scp = await startStorescp({ extraArgs: ['-v'] });
    const { main } = storescpProcesses(scp.process.pid!);
    try {
      const session = await StoreScuSession.connect({
        addr: `127.0.0.1:${scp.port}`,
        calledAeTitle: scp.aeTitle,
        timeouts: { response: 800 },
      });
      expect(await session.echo()).toMatchObject({ code: 0 });
      signalProcess(main.pid, 'SIGSTOP');
      const error = await session.store(smallInstance('1.2.826.0.1.3680043.10.99.602.1')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponseTimeoutError);
      expect((error as Error).message).toBe(
        'no response within 800 ms (timeouts.response): the association was aborted',
      );
      await expect(session.echo()).rejects.toMatchObject({ code: 'ERR_NETDICOM_STORE_SCU_INVALID_STATE' });
    } finally {
      signalProcess(main.pid, 'SIGCONT');
      await scp.stop();
    }
  });
});

describe('timeouts.response option checks', () => {
  it.each([-1, Number.NaN, 2 ** 31, Number.POSITIVE_INFINITY])('rejects %s at once', async (response) => {
    expect(() => new StoreScu({ addr: '127.0.0.1:104', timeouts: { response } })).toThrow(InvalidOptionError);
    await expect(
      StoreScuSession.connect({ addr: '127.0.0.1:104', timeouts: { response, connect: 1 } }),
    ).rejects.toThrow(/timeouts\.response must be 0 \(no limit\) or a positive number of milliseconds/);
  });

  it('accepts 0 and leaves the association timers alone', () => {
    expect(() => new StoreScu({ addr: '127.0.0.1:104', timeouts: { response: 0, idle: 5000 } })).not.toThrow();
  });
});
