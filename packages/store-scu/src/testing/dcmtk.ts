/**
 * Running the DCMTK / GDCM command-line tools in tests (always with `TCP_NODELAY=1`), and comparing datasets through
 * `dcmdump`. These helpers only shell out; they hold no DICOM logic.
 */

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { buildPart10 } from './dicom-builder.js';

const exec = promisify(execFile);

/** Runs a tool and returns its stdout; rejects with stderr on a non-zero exit. */
export async function runTool(tool: string, args: readonly string[]): Promise<string> {
  const { stdout } = await exec(tool, [...args], {
    env: { ...process.env, TCP_NODELAY: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/**
 * `dcmdump` of the dataset of a file (file meta left out), with values printed in full, normalised so that encodings
 * of the same data compare equal: element lengths, "explicit/undefined length" wording and delimitation items are
 * dropped (they depend on the length encoding chosen, not on the data).
 */
export async function dumpDataset(path: string): Promise<string> {
  const out = await runTool('dcmdump', ['+L', '-q', path]);
  const lines = out.split('\n');
  const start = lines.findIndex((line) => line.startsWith('# Dicom-Data-Set'));
  return lines
    .slice(start + 2)
    .filter((line) => !/\((fffe,e00d|fffe,e0dd)\)/.test(line) && !/^# Used TransferSyntax/.test(line))
    .map((line) =>
      line
        .replace(/\s+#\s*(\d+|u\/l),\s*\d+\s+\S+\s*$/, '')
        .replace(/\((Sequence|Item) with (explicit|undefined) length #=\d+\)/, '($1)')
        .replace(/\s+$/, ''),
    )
    .filter((line) => line.length > 0)
    .join('\n');
}

/** Writes dataset bytes with a File Meta Information header so DCMTK can read them. */
export async function writeWithMeta(
  path: string,
  dataset: Uint8Array,
  transferSyntaxUid: string,
  sopClassUid: string,
  sopInstanceUid: string,
): Promise<void> {
  const meta = buildPart10({ transferSyntaxUid, sopClassUid, sopInstanceUid, noMetaDataset: true });
  await writeFile(path, Buffer.concat([meta, dataset]));
}

/** The bytes of a dumped OB / OW value line (`(7fe0,0010) OW 0001\\0203...`), OW words little endian. */
export function dumpedBytes(line: string): Buffer {
  const match = /^\([0-9a-f]{4},[0-9a-f]{4}\) (OB|OW) (\S+)/.exec(line);
  if (!match) throw new Error(`not an OB/OW line: ${line.slice(0, 80)}`);
  const words = match[2]!.split('\\');
  if (match[1] === 'OB') return Buffer.from(words.map((w) => Number.parseInt(w, 16)));
  const out = Buffer.alloc(words.length * 2);
  words.forEach((w, i) => {
    out.writeUInt16LE(Number.parseInt(w, 16), i * 2);
  });
  return out;
}
