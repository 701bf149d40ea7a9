import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sniffFile, walkDirectory } from './scan.js';
import { buildPart10, CT_IMAGE_STORAGE } from './testing/dicom-builder.js';
import { makeTempDir } from './testing/temp-dir.js';
import { TransferSyntax } from './transfer-syntax.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

const instance = (ts: string, extra: Partial<Parameters<typeof buildPart10>[0]> = {}) =>
  buildPart10({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: '1.2.3.4', transferSyntaxUid: ts, ...extra });

describe('sniffFile', () => {
  it('recognises DICOM by content, whatever the name', async () => {
    const cases: [string, Uint8Array, string][] = [
      ['a.txt', instance(TransferSyntax.ExplicitVRLittleEndian), 'part10'],
      ['b', instance(TransferSyntax.ImplicitVRLittleEndian, { preamble: false }), 'meta-without-preamble'],
      ['c.jpg', instance(TransferSyntax.ImplicitVRLittleEndian, { noMeta: true }), 'dataset'],
      ['d.dcm', instance(TransferSyntax.ExplicitVRLittleEndian, { noMeta: true }), 'dataset'],
      ['e.dcm', instance(TransferSyntax.ExplicitVRBigEndian, { noMeta: true }), 'dataset'],
      ['f.dcm', Buffer.from('hello world, this is not DICOM at all, only text.'), 'not-dicom'],
      ['g.dcm', new Uint8Array(0), 'not-dicom'],
      ['h.dcm', new Uint8Array(300), 'not-dicom'],
    ];
    for (const [name, bytes, kind] of cases) {
      await writeFile(join(dir.path, name), bytes);
      expect((await sniffFile(join(dir.path, name))).kind, name).toBe(kind);
    }
    await writeFile(join(dir.path, 'i'), instance(TransferSyntax.ImplicitVRLittleEndian, { noMeta: true }));
    expect(await sniffFile(join(dir.path, 'i'))).toMatchObject({
      transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian,
    });
    await writeFile(join(dir.path, 'j'), instance(TransferSyntax.ExplicitVRBigEndian, { noMeta: true }));
    expect(await sniffFile(join(dir.path, 'j'))).toMatchObject({
      transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian,
    });
  });
});

describe('walkDirectory', () => {
  it('walks recursively, sorted, and survives symlink loops', async () => {
    await mkdir(join(dir.path, 'a/b/c'), { recursive: true });
    await mkdir(join(dir.path, 'z'), { recursive: true });
    await writeFile(join(dir.path, 'top.dcm'), 'x');
    await writeFile(join(dir.path, 'a/one'), 'x');
    await writeFile(join(dir.path, 'a/b/c/deep'), 'xy');
    await writeFile(join(dir.path, 'z/last'), 'x');
    await symlink(dir.path, join(dir.path, 'a/b/loop'));
    await symlink(join(dir.path, 'a'), join(dir.path, 'z/to-a'));
    await symlink(join(dir.path, 'missing'), join(dir.path, 'dangling'));
    const errors: string[] = [];
    const files = await walkDirectory(dir.path, { concurrency: 2, onError: (path) => errors.push(path) });
    expect(files.map((f) => f.path.slice(dir.path.length + 1))).toEqual(['a/b/c/deep', 'a/one', 'top.dcm', 'z/last']);
    expect(files.find((f) => f.path.endsWith('deep'))?.size).toBe(2);
    expect(errors).toEqual([join(dir.path, 'dangling')]);
  });

  it('does not follow symlinks when asked not to', async () => {
    await mkdir(join(dir.path, 'real'));
    await writeFile(join(dir.path, 'real/f'), 'x');
    const other = await makeTempDir();
    try {
      await writeFile(join(other.path, 'outside'), 'x');
      await symlink(other.path, join(dir.path, 'link'));
      const files = await walkDirectory(dir.path, { followSymlinks: false });
      expect(files.map((f) => f.path)).toEqual([join(dir.path, 'real/f')]);
      const followed = await walkDirectory(dir.path);
      expect(followed.map((f) => f.path)).toEqual([join(dir.path, 'link/outside'), join(dir.path, 'real/f')]);
    } finally {
      await other.cleanup();
    }
  });

  it('rejects a missing root and honours an abort signal', async () => {
    await expect(walkDirectory(join(dir.path, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(join(dir.path, 'd'));
    await writeFile(join(dir.path, 'd/f'), 'x');
    const controller = new AbortController();
    controller.abort();
    await expect(walkDirectory(dir.path, { signal: controller.signal })).rejects.toThrow();
  });
});
