/**
 * Hostile peers against a StoreScp running in a child process (a crash would show as a dead process). Each class
 * gets the exact answer PS3.8 / PS3.7 / PS3.4 prescribe (compared byte for byte or status by status) and a close
 * within a bound; right after it, a real DCMTK `echoscu` must still be answered, nothing may have been written outside
 * the storage directory, and no partial or unannounced file may sit inside it.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { runEchoscu } from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_CLASSES, type HostileContext, hostileClass } from './classes.js';
import { RawPeer } from './testing/raw-peer.js';
import { createRng } from './testing/rng.js';
import { inspectSandbox } from './testing/sandbox.js';
import { type ScpProcess, startScpProcess } from './testing/scp-process.js';
import { deflateBomb, encodeExplicitLe } from './testing/dataset.js';
import {
  associateRq,
  CT_IMAGE_STORAGE,
  commandPdu,
  DEFLATED_EXPLICIT_VR_LE,
  datasetPdus,
  echoRq,
  hex,
  IMPLICIT_VR_LE,
  storeRq,
  VERIFICATION,
} from './testing/wire.js';

/** The SCP's timers in this suite: short, so that the close bound is short too. */
const ARTIM_MS = 500;
const WRITE_MS = 2000;
const IDLE_MS = 3000;
/** Bound within which the SCP must close a connection after answering it: ARTIM plus a generous margin. */
const CLOSE_BOUND_MS = ARTIM_MS + 10_000;

let scp: ScpProcess;
beforeAll(async () => {
  scp = await startScpProcess({
    scp: { aeTitle: 'HOSTILE', layout: 'patient', timeouts: { artim: ARTIM_MS, idle: IDLE_MS, write: WRITE_MS } },
  });
});
afterAll(async () => {
  await scp?.dispose();
});

/** Paths a traversal payload would have reached had it escaped the storage directory. */
function escapeTargets(): string[] {
  const targets = ['/tmp/netdicom-escape', '/tmp/netdicom-x', '/tmp/netdicom-escape.dcm'];
  for (const name of ['netdicom-escape', 'netdicom-escape.dcm', 'netdicom-x']) {
    targets.push(path.join(scp.sandbox, name), path.join(path.dirname(scp.sandbox), name));
  }
  return targets;
}

/** After every class: alive, a real echoscu answered, nothing outside the storage dir, no partial file. */
async function expectScpHealthy(): Promise<void> {
  expect(scp.alive()).toBe(true);
  const echo = await runEchoscu({ port: scp.port, calledAeTitle: 'HOSTILE', aeTitle: 'ECHOSCU', timeoutMs: 30_000 });
  expect(echo.code, echo.stderr).toBe(0);
  const report = await inspectSandbox(scp);
  expect(report.outside).toEqual([]);
  expect(report.temp).toEqual([]);
  expect(report.incomplete).toEqual([]);
  expect(report.unannounced).toEqual([]);
  expect(escapeTargets().filter((p) => existsSync(p))).toEqual([]);
  expect(scp.events.filter((e) => e.event === 'error')).toEqual([]);
}

const context = (seed: number): HostileContext => ({
  port: scp.port,
  seed,
  waitForClose: true,
  closeBoundMs: CLOSE_BOUND_MS,
});

describe('each hostile class gets its exact answer, then the SCP still serves echoscu', () => {
  it.each(HOSTILE_CLASSES.map((c, i) => [c.id, c, i] as const))('%s', async (_id, hostile, index) => {
    const outcome = await hostile.run(context(0x5eed0000 + index));
    expect(outcome).toEqual(hostile.expected);
    await expectScpHealthy();
  });

  it('traversal values were stored inside the storage directory under sanitised names', async () => {
    const report = await inspectSandbox(scp);
    // Layout `patient`: {PatientID}/{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm, every component
    // through one sanitiser; the hostile ones are there, none contains `..` as a component.
    expect(report.stored.length).toBeGreaterThanOrEqual(3);
    for (const file of report.stored) expect(file.split('/').filter((c) => c === '..' || c === '')).toEqual([]);
    expect(report.stored.some((f) => f.includes('INVALID-UID-'))).toBe(true);
  });
});

describe('deflate bombs', () => {
  // A deflate bomb: the header reader inflates at most 64 MiB (maxInflatedLength) while looking for the routing
  // attributes, so 4 MB on the wire cannot cost the SCP gigabytes of inflate work; the attributes past the bound are
  // not read and the instance is stored under UNKNOWN, as an uncompressed data set with megabytes before them is.
  it('the header reader bounds what it inflates: a Patient ID after 256 MiB of zeros is not read', async () => {
    const rng = createRng(0xb0b);
    const sopInstanceUid = `2.25.${rng.u32()}${rng.u32()}`;
    const after = encodeExplicitLe([{ tag: 0x00100020, vr: 'LO', value: 'BOMB' }]);
    const peer = await RawPeer.connect(scp.port);
    try {
      await peer.associate({
        contexts: [{ id: 5, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [DEFLATED_EXPLICIT_VR_LE] }],
      });
      peer.write(commandPdu(5, storeRq(1, CT_IMAGE_STORAGE, sopInstanceUid)));
      for (const pdu of datasetPdus(5, deflateBomb(256, after))) await peer.writeAll(pdu);
      const received = await scp.waitFor((e) => e.event === 'received' && e['sopInstanceUid'] === sopInstanceUid);
      expect(path.relative(scp.storageDir, received['path'] as string).split(path.sep)[0]).toBe('UNKNOWN');
    } finally {
      peer.destroy();
    }
  });
});

describe('connection floods', () => {
  it('hundreds of idle sockets (300, nothing sent) are each closed by ARTIM without a byte', async () => {
    const peers = await Promise.all(Array.from({ length: 300 }, () => RawPeer.connect(scp.port)));
    try {
      const closed = await Promise.all(peers.map((p) => p.waitClosed(CLOSE_BOUND_MS + 10_000)));
      expect(closed.every((c) => c.byScp)).toBe(true);
      expect(peers.map((p) => p.received.length).filter((n) => n > 0)).toEqual([]);
    } finally {
      for (const peer of peers) peer.destroy();
    }
    await expectScpHealthy();
  });

  it('2 000 association attempts dropped at random points (seeded) leave nothing behind', async () => {
    const rng = createRng(0xd0d0);
    const good = Buffer.concat([
      associateRq({
        calledAeTitle: 'HOSTILE',
        contexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }],
      }),
      commandPdu(1, echoRq(1)),
    ]);
    let next = 0;
    const worker = async () => {
      while (next < 2000) {
        next++;
        const peer = await RawPeer.connect(scp.port);
        const cut = rng.int(good.length + 1);
        peer.write(good.subarray(0, cut));
        if (rng.chance(0.5)) await new Promise((resolve) => setImmediate(resolve));
        if (rng.chance(0.3)) peer.socket.resetAndDestroy();
        else peer.destroy();
        await peer.closed;
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    await expectScpHealthy();
  });

  it('a peer that never reads its responses is dropped by the write or idle timer; the SCP stays small', async () => {
    const before = await scp.procMemory('VmRSS');
    const endedBefore = scp.events.filter((e) => e.event === 'ended').length;
    const peer = await RawPeer.connect(scp.port);
    try {
      await peer.associate({ contexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }] });
      peer.stopReading();
      const burst = Buffer.concat(Array.from({ length: 1000 }, (_, i) => commandPdu(1, echoRq((i % 65535) + 1))));
      // Keep asking until TCP pushes back for good (the SCP stopped reading us too, or closed).
      for (let bursts = 0; bursts < 10_000 && !peer.isDone; bursts++) {
        if (!peer.write(burst)) {
          const drained = await Promise.race([
            new Promise<boolean>((resolve) => peer.socket.once('drain', () => resolve(true))),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000)),
          ]);
          if (!drained) break;
        }
      }
      // The SCP ends the association itself (write timer once its own buffer is full, else the idle timer)...
      const ended = await scp.waitFor(
        (e) => e.event === 'ended' && scp.events.filter((x) => x.event === 'ended').indexOf(e) >= endedBefore,
        IDLE_MS + WRITE_MS + CLOSE_BOUND_MS,
      );
      expect(ended['reason']).toBe('error');
      // ...and the connection is gone: a peer that finally reads finds the end of the stream after what was queued.
      peer.socket.resume();
      const closed = await peer.waitClosed(CLOSE_BOUND_MS);
      expect(closed.byScp).toBe(true);
    } finally {
      peer.destroy();
    }
    const after = await scp.procMemory('VmRSS');
    // Bounded by the DIMSE send queue (256 messages) and the transport's high-water mark, never by what the peer asked.
    expect(after - before).toBeLessThan(64 * 1024 * 1024);
    await expectScpHealthy();
  });

  it('a half-sent P-DATA header after association is aborted by the idle timer', async () => {
    const peer = await RawPeer.connect(scp.port);
    try {
      await peer.associate({ contexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }] });
      peer.write(new Uint8Array([0x04, 0x00, 0x00]));
      const closed = await peer.waitClosed(IDLE_MS + CLOSE_BOUND_MS);
      expect(closed.byScp).toBe(true);
      // Sta6 idle timeout: the SCP aborts (A-ABORT source 0, reason 0), then closes.
      expect(hex(peer.receivedAfter(1))).toBe('07000000000400000000');
    } finally {
      peer.destroy();
    }
    await expectScpHealthy();
  });
});
