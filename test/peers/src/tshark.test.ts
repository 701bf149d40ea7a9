import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEchoscu, runStorescu, startStorescp } from './dcmtk.js';
import { ToolFailedError } from './errors.js';
import { makeFixture } from './fixtures.js';
import { decodeDicomCapture, parseExpert, startCapture } from './tshark.js';

describe('startCapture / decodeDicomCapture', () => {
  it("captures echoscu and storescu talking to storescp, and Wireshark's DICOM dissector decodes every step", async () => {
    const sr = await makeFixture('sr');
    const scp = await startStorescp();
    const capture = await startCapture({ ports: [scp.port] });
    try {
      expect((await runEchoscu({ port: scp.port })).code).toBe(0);
      expect((await runStorescu({ port: scp.port, files: [sr.path] })).code).toBe(0);
      // dumpcap writes in batches: on a loaded machine the last association needs a moment to reach the file.
      const path = await capture.stop(1000);
      const { frames, expert } = await decodeDicomCapture(path, [scp.port]);
      const infos = frames.map((f) => f.info).join('\n');
      expect(infos).toMatch(/A-ASSOCIATE request/);
      expect(infos).toMatch(/A-ASSOCIATE accept/);
      expect(infos).toMatch(/C-ECHO-RQ/);
      expect(infos).toMatch(/C-ECHO-RSP/);
      expect(infos).toMatch(/C-STORE-RQ/);
      expect(infos).toMatch(/C-STORE-RSP ID=1 \(Success\)/);
      expect(infos).toMatch(/A-RELEASE request/);
      expect(frames.every((f, i) => i === 0 || f.number > frames[i - 1]!.number)).toBe(true);
      expect(
        expert.filter((e) => e.protocol === 'DICOM' && (e.severity === 'error' || e.severity === 'warning')),
      ).toEqual([]);
      await rm(dirname(path), { recursive: true, force: true });
    } finally {
      await capture.stop(0);
      await scp.stop();
    }
  });

  it('rejects a file that is not a capture', async () => {
    const sr = await makeFixture('sr');
    await expect(decodeDicomCapture(sr.path, [104])).rejects.toBeInstanceOf(ToolFailedError);
  });
});

describe('parseExpert', () => {
  it('reads the sections and rows of tshark -z expert', () => {
    const text = [
      '',
      'Errors (1)',
      '=============',
      '   Frequency      Group           Protocol  Summary',
      '           1   Malformed             DICOM  Malformed Packet (Exception occurred)',
      '',
      'Warns (2)',
      '=============',
      '   Frequency      Group           Protocol  Summary',
      '           2   Sequence                TCP  TCP window specified by the receiver is now completely full',
    ].join('\n');
    expect(parseExpert(text)).toEqual([
      {
        severity: 'error',
        count: 1,
        group: 'Malformed',
        protocol: 'DICOM',
        summary: 'Malformed Packet (Exception occurred)',
      },
      {
        severity: 'warning',
        count: 2,
        group: 'Sequence',
        protocol: 'TCP',
        summary: 'TCP window specified by the receiver is now completely full',
      },
    ]);
  });
});
