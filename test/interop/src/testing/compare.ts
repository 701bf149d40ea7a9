/**
 * Element-by-element comparison of PS3.10 files through DCMTK's `dcmdump`, for the directions where DCMTK re-encodes
 * what it sends or receives (explicit sequence lengths, deflate redone, trailing padding dropped): every element with
 * its whole value (PS3.5 section 7), and Pixel Data (native or each encapsulated fragment, PS3.5 A.4) by SHA-256.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DCMDUMP_COMPARE_ARGS, dcmdump, dcmdumpFiles, diffElements, parseDcmdump } from '@netdicom/test-peers';
import { DumpError } from '../errors.js';

/** What {@link dumpForComparison} made of one file: its elements, or why dcmdump could not read it cleanly. */
export type ComparisonDump =
  | { readonly ok: true; readonly elements: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly error: DumpError };

/**
 * `dcmdump` arguments: numeric UIDs, values in UTF-8 (PS3.5 6.1), every value loaded whatever its length, and Pixel
 * Data written to raw files (`+W`) that are hashed instead of printed.
 */
function dumpArgs(rawDir: string): string[] {
  return [...DCMDUMP_COMPARE_ARGS, '+R', '4194302', '+W', rawDir];
}

/**
 * Dumps files for comparison, many per dcmdump process. A file that dcmdump cannot read, or reads with a warning,
 * gets `{ ok: false }` with dcmdump's words (the batch is redone file by file to say which). Pixel Data values become
 * `sha256:<hex> (<n> bytes)`.
 */
export async function dumpForComparison(paths: readonly string[]): Promise<Map<string, ComparisonDump>> {
  const work = await mkdtemp(join(tmpdir(), 'netdicom-interop-dump-'));
  try {
    // dcmdump names raw files after the input's base name: give every input a unique one through a symlink.
    const links = paths.map((_, i) => join(work, `f${i}.dcm`));
    await Promise.all(paths.map((path, i) => symlink(path, links[i]!)));
    const rawDir = join(work, 'raw');
    await mkdir(rawDir);
    const result = new Map<string, ComparisonDump>();
    let texts: Map<string, string> | undefined;
    try {
      texts = await dcmdumpFiles(links, dumpArgs(rawDir), { strict: true });
    } catch {
      texts = undefined;
    }
    for (const [i, path] of paths.entries()) {
      const link = links[i]!;
      let text = texts?.get(link);
      if (text === undefined) {
        try {
          text = await dcmdump(link, dumpArgs(rawDir), { strict: true });
        } catch (error) {
          result.set(path, {
            ok: false,
            error: new DumpError(path, `dcmdump could not read it cleanly: ${(error as Error).message}`, {
              cause: error,
            }),
          });
          continue;
        }
      }
      result.set(path, { ok: true, elements: await hashRawValues(parseDcmdump(unknownVrAsUn(text)), rawDir) });
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * dcmdump prints an element of unknown VR (a private tag read in Implicit VR Little Endian, PS3.5 A.1) with the VR
 * `??`, which `parseDcmdump` does not take for an element and drops. Printed as `UN` (PS3.5 6.2.2), the element and
 * its bytes are compared like any other: the same bytes as DCMTK's `UN` once it has converted such a data set to
 * Explicit VR.
 */
export function unknownVrAsUn(text: string): string {
  return text.replace(/^( *\([0-9a-fA-F]{4},[0-9a-fA-F]{4}\)) \?\? /gm, '$1 UN ');
}

async function hashRawValues(elements: Record<string, string>, rawDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(elements)) {
    if (value.startsWith(`${rawDir}/`)) {
      const bytes = await readFile(value);
      out[key] = `sha256:${createHash('sha256').update(bytes).digest('hex')} (${bytes.length} bytes)`;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Elements of a dump, or throws its error: for a test that must have a clean dump to go on. */
export function elementsOf(dump: ComparisonDump | undefined, path: string): Readonly<Record<string, string>> {
  if (dump === undefined) throw new DumpError(path, 'was not dumped');
  if (!dump.ok) throw dump.error;
  return dump.elements;
}

/** One difference between two dumps, values shortened for a readable failure message. */
export interface ShortDifference {
  readonly key: string;
  readonly expected: string | undefined;
  readonly actual: string | undefined;
}

/**
 * The elements that differ between what was sent and what arrived (group 0002, the File Meta Information each
 * writer fills in its own way, left out: PS3.10 7.1), each value cut to 160 characters; `[]` when the same.
 */
export function elementDifferences(
  sent: Readonly<Record<string, string>>,
  arrived: Readonly<Record<string, string>>,
): ShortDifference[] {
  const cut = (value: string | undefined) =>
    value !== undefined && value.length > 160 ? `${value.slice(0, 160)}... (${value.length} characters)` : value;
  return diffElements(sent, arrived).map((d) => ({ key: d.key, expected: cut(d.expected), actual: cut(d.actual) }));
}
