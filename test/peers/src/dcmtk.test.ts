import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dcmdump,
  dcmdumpElements,
  dcmdumpElementsOf,
  dcmdumpFiles,
  diffElements,
  parseDcmdump,
  runDcmsend,
  runEchoscu,
  runStorescu,
  startDcmrecv,
  startStorescp,
} from './dcmtk.js';
import { PeerStartError, ToolFailedError } from './errors.js';
import { freePort, probePort } from './ports.js';
import { runTool } from './process.js';

let work: string;
let sample: string;

// A small dataset written by DCMTK's own dump2dcm: a sequence with an item, a private element, an empty value.
const SAMPLE_DUMP = `(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [2.25.1234567890]
(0008,0060) CS [OT]
(0008,1115) SQ (Sequence with undefined length #=2)
(fffe,e000) na (Item with undefined length #=1)
(0008,1150) UI [1.2.3]
(fffe,e00d) na (ItemDelimitationItem)
(fffe,e000) na (Item with undefined length #=2)
(0008,1150) UI [1.2.4]
(0008,1160) IS [7]
(fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(0009,0010) LO [NETDICOM TEST]
(0009,1001) LO [private value]
(0010,0010) PN [Doe^Jane]
(0010,0020) LO [PID-1]
(0010,0030) DA []
(0018,0050) DS [1.5\\2]
(0020,000d) UI [2.25.1]
(0020,000e) UI [2.25.2]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2
(0028,0011) US 2
(0028,0100) US 16
(0028,0101) US 16
(0028,0102) US 15
(0028,0103) US 0
(7fe0,0010) OW 0001\\0002\\0003\\0004
`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'netdicom-peers-test-'));
  await writeFile(join(work, 'sample.dump'), SAMPLE_DUMP);
  sample = join(work, 'sample.dcm');
  await runTool('dump2dcm', ['+te', join(work, 'sample.dump'), sample], { check: true });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('parseDcmdump', () => {
  it('flattens real dcmdump output, sequences and items included', async () => {
    const elements = parseDcmdump(await dcmdump(sample, ['-Un']));
    expect(elements['0002,0010']).toBe('1.2.840.10008.1.2.1');
    expect(elements['0008,0016']).toBe('1.2.840.10008.5.1.4.1.1.7');
    expect(elements['0008,0018']).toBe('2.25.1234567890');
    expect(elements['0008,1115']).toBe('(sequence)');
    expect(elements['0008,1115[0].0008,1150']).toBe('1.2.3');
    expect(elements['0008,1115[1].0008,1150']).toBe('1.2.4');
    expect(elements['0008,1115[1].0008,1160']).toBe('7');
    expect(elements['0009,1001']).toBe('private value');
    expect(elements['0010,0010']).toBe('Doe^Jane');
    expect(elements['0010,0030']).toBe('');
    expect(elements['0018,0050']).toBe('1.5\\2');
    expect(elements['0028,0010']).toBe('2');
    expect(elements['7FE0,0010']).toBe('0001\\0002\\0003\\0004');
    expect(Object.keys(elements).some((key) => key.startsWith('FFFE'))).toBe(false);
  });

  it('reads mapped UID names when dcmdump maps them', async () => {
    const elements = parseDcmdump(await dcmdump(sample));
    expect(elements['0008,0016']).toBe('SecondaryCaptureImageStorage');
  });

  it('keeps elements dcmdump cannot name (VR printed as ??, private tags read in Implicit VR)', () => {
    const text = '(0009,1001) ?? 41\\42\\43\\44                             #   4, 1 Unknown Tag & Data\n';
    expect(parseDcmdump(text)).toEqual({ '0009,1001': '41\\42\\43\\44' });
  });

  it('ignores lines that are not elements', () => {
    expect(parseDcmdump('# Dicom-File-Format\n\nnot a line\n')).toEqual({});
  });
});

describe('dcmdump', () => {
  it('rejects with ToolFailedError on a file that is not DICOM', async () => {
    const bogus = join(work, 'bogus.dcm');
    await writeFile(bogus, 'this is not DICOM');
    const error = await dcmdump(bogus).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as ToolFailedError).stderr).not.toBe('');
  });

  it('in strict mode rejects a file that only draws a warning', async () => {
    // Append an element with an odd length, which PS3.5 7.1.1 forbids: (0010,0020) LO, length 3, "ABC".
    const odd = join(work, 'odd-length.dcm');
    const header = Buffer.from([0x10, 0x00, 0x20, 0x00, 0x4c, 0x4f, 0x03, 0x00]);
    await writeFile(odd, Buffer.concat([await readFile(sample), header, Buffer.from('ABC')]));
    await expect(dcmdump(odd)).resolves.toMatch(/PatientID/);
    const error = await dcmdump(odd, [], { strict: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as ToolFailedError).stderr).toMatch(/odd/);
    await expect(dcmdump(sample, [], { strict: true })).resolves.toMatch(/PatientName/);
  });
});

describe('dcmdumpFiles', () => {
  it('dumps many files in one process and hands back each text by path, in any order asked', async () => {
    const other = join(work, 'other.dcm');
    await writeFile(join(work, 'other.dump'), SAMPLE_DUMP.replace('Doe^Jane', 'Roe^Richard'));
    await runTool('dump2dcm', ['+te', join(work, 'other.dump'), other], { check: true });
    const texts = await dcmdumpFiles([other, sample, other], ['-Un'], { strict: true });
    expect([...texts.keys()].sort()).toEqual([other, sample].sort());
    expect(parseDcmdump(texts.get(sample)!)['0010,0010']).toBe('Doe^Jane');
    expect(parseDcmdump(texts.get(other)!)['0010,0010']).toBe('Roe^Richard');
    const elements = await dcmdumpElementsOf([sample]);
    expect(elements.get(sample)).toEqual(await dcmdumpElements(sample));
    expect((await dcmdumpFiles([])).size).toBe(0);
  });

  it('rejects when one of the files cannot be read', async () => {
    await expect(dcmdumpFiles([sample, join(work, 'missing.dcm')])).rejects.toBeInstanceOf(ToolFailedError);
  });
});

describe('diffElements', () => {
  it('reports changed, missing and added keys and ignores group 0002 by default', () => {
    const differences = diffElements(
      { '0002,0010': 'a', '0010,0010': 'Doe^Jane', '0010,0020': 'X' },
      { '0002,0010': 'b', '0010,0010': 'Doe^John', '0010,0030': '' },
    );
    expect(differences).toEqual([
      { key: '0010,0010', expected: 'Doe^Jane', actual: 'Doe^John' },
      { key: '0010,0020', expected: 'X', actual: undefined },
      { key: '0010,0030', expected: undefined, actual: '' },
    ]);
    expect(diffElements({ a: '1' }, { a: '1' })).toEqual([]);
  });
});

describe('startStorescp', () => {
  it('answers C-ECHO from echoscu and stores what storescu sends, identical to the original', async () => {
    const scp = await startStorescp({ aeTitle: 'PEERS_SCP' });
    try {
      expect(scp.host).toBe('127.0.0.1');
      const echo = await runEchoscu({ port: scp.port, calledAeTitle: 'PEERS_SCP' });
      expect(echo.code).toBe(0);
      const store = await runStorescu({ port: scp.port, calledAeTitle: 'PEERS_SCP', files: [sample] });
      expect(store.stderr).toBe('');
      expect(store.code).toBe(0);
      const files = await scp.receivedFiles();
      expect(files).toHaveLength(1);
      const [received] = files as [string];
      expect(diffElements(await dcmdumpElements(sample), await dcmdumpElements(received))).toEqual([]);
    } finally {
      await scp.stop();
    }
    expect(await probePort(scp.port)).toBe(false);
  });

  it('removes its temporary output directory on stop, but keeps a directory it was given', async () => {
    const scp = await startStorescp();
    const temp = scp.outputDir;
    await scp.stop();
    await scp.stop();
    await expect(stat(temp)).rejects.toThrow();

    const mine = join(work, 'mine');
    const kept = await startStorescp({ outputDir: mine });
    await kept.stop();
    expect((await stat(mine)).isDirectory()).toBe(true);
  });

  it('serves several associations at once with fork', async () => {
    const scp = await startStorescp({ fork: true });
    try {
      const results = await Promise.all([1, 2, 3].map(() => runEchoscu({ port: scp.port })));
      expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    } finally {
      await scp.stop();
    }
  });

  it('passes extra arguments: --refuse makes echoscu fail', async () => {
    const scp = await startStorescp({ extraArgs: ['--refuse'] });
    try {
      const echo = await runEchoscu({ port: scp.port });
      expect(echo.code).not.toBe(0);
      expect(echo.stderr + echo.stdout).toMatch(/reject|refus/i);
    } finally {
      await scp.stop();
    }
  });

  it('captures what the SCP prints', async () => {
    const scp = await startStorescp({ extraArgs: ['-v'] });
    try {
      await runEchoscu({ port: scp.port });
      expect(scp.output()).toMatch(/Association Received/);
    } finally {
      await scp.stop();
    }
  });

  it('fails with PeerStartError when storescp cannot start', async () => {
    const error = await startStorescp({ extraArgs: ['--no-such-option'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerStartError);
    expect((error as PeerStartError).code).toBe('ERR_NETDICOM_PEERS_PEER_START');
    expect((error as PeerStartError).output).toMatch(/no-such-option/);
  });
});

describe('startDcmrecv', () => {
  it('receives from dcmsend and answers echoscu', async () => {
    const scp = await startDcmrecv({ aeTitle: 'RECV', acceptAll: true });
    try {
      expect((await runEchoscu({ port: scp.port, calledAeTitle: 'RECV' })).code).toBe(0);
      const send = await runDcmsend({ port: scp.port, calledAeTitle: 'RECV', files: [sample] });
      expect(send.code).toBe(0);
      const files = await scp.receivedFiles();
      expect(files).toHaveLength(1);
      expect(diffElements(await dcmdumpElements(sample), await dcmdumpElements(files[0]!))).toEqual([]);
    } finally {
      await scp.stop();
    }
  });

  it('rejects fork, which dcmrecv does not have', async () => {
    await expect(startDcmrecv({ fork: true })).rejects.toBeInstanceOf(PeerStartError);
  });
});

describe('SCU runners', () => {
  it('return a non-zero code (not a rejection) when nothing listens', async () => {
    const port = await freePort();
    const echo = await runEchoscu({ port, timeoutMs: 20_000 });
    expect(echo.code).not.toBe(0);
    const store = await runStorescu(['127.0.0.1', String(port), sample]);
    expect(store.code).not.toBe(0);
  });
});
