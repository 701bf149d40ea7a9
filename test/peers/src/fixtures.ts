/**
 * DICOM fixtures made locally, never downloaded: every kind of `fixture-datasets.ts` in every transfer syntax DCMTK
 * and GDCM produce here (PS3.5 section 10), and CT series of any length.
 *
 * Fixtures are cached under `os.tmpdir()/netdicom-fixtures-<hash>` (or `$NETDICOM_FIXTURES_DIR`), where the hash
 * covers the generator's source and the tool versions, so repeated runs reuse them and a change regenerates them.
 * Each fixture is made in a private temporary directory and renamed into place whole, so parallel test processes
 * never see a half-made fixture; a lock directory beside it lets one process make it while the others wait.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { dcmdump, parseDcmdump } from './dcmtk.js';
import { FixtureError, InvalidArgumentError } from './errors.js';
import {
  buildFixtureObject,
  FIXTURE_KINDS,
  type FixtureKind,
  type FixtureObject,
  fixtureKindInfo,
} from './fixture-datasets.js';
import { writePart10File } from './part10.js';
import { runTool } from './process.js';
import {
  TRANSFER_SYNTAXES,
  type TransferSyntaxInfo,
  TransferSyntaxUid,
  transferSyntaxInfo,
} from './transfer-syntaxes.js';
import { createUid } from './uids.js';

/** A PS3.10 file ready for a test. */
export interface Fixture {
  /** Absolute path of the file. Treat it as read-only: it is shared by every test (and test process) that asks. */
  readonly path: string;
  readonly kind: FixtureKind;
  readonly transferSyntaxUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly patientId: string;
  /** File size in bytes. */
  readonly size: number;
}

/** Options of {@link makeFixture} and {@link makeFixtureSet}. */
export interface FixtureCacheOptions {
  /** Where to cache; default {@link fixtureCacheDir}(). */
  readonly cacheDir?: string;
}

/** Options of {@link makeFixtureSet}. */
export interface FixtureSetOptions extends FixtureCacheOptions {
  /** Kinds to make; default all ({@link FIXTURE_KINDS}). */
  readonly kinds?: readonly FixtureKind[];
  /** Transfer syntaxes by UID or PS3.6 keyword; default all of {@link TRANSFER_SYNTAXES}. */
  readonly transferSyntaxes?: readonly string[];
  /**
   * Combinations that cannot exist (a compressed transfer syntax for an object without pixel data) are skipped by
   * default; with `strict` they raise `FixtureError`.
   */
  readonly strict?: boolean;
}

const SEED = 'netdicom-fixtures';
const GENERATOR_SOURCES = [
  'fixtures.ts',
  'fixture-datasets.ts',
  'part10.ts',
  'pixels.ts',
  'pdf.ts',
  'tags.ts',
  'uids.ts',
  'transfer-syntaxes.ts',
];

let defaultCacheDir: Promise<string> | undefined;

/**
 * The fixture cache directory of this checkout and tool set: `$NETDICOM_FIXTURES_DIR` if set, otherwise
 * `os.tmpdir()/netdicom-fixtures-<hash of generator sources and DCMTK/GDCM versions>`. Created if missing and marked
 * as used; sibling caches unused for more than a day are removed.
 */
export function fixtureCacheDir(): Promise<string> {
  defaultCacheDir ??= (async () => {
    const fromEnv = process.env['NETDICOM_FIXTURES_DIR'];
    if (fromEnv !== undefined && fromEnv !== '') {
      await mkdir(fromEnv, { recursive: true });
      return fromEnv;
    }
    const hash = createHash('sha256');
    for (const name of GENERATOR_SOURCES) {
      hash.update(name).update(await readFile(fileURLToPath(new URL(`./${name}`, import.meta.url))));
    }
    for (const tool of ['dcmconv', 'gdcmconv']) {
      const { stdout, stderr } = await runTool(tool, ['--version'], { timeoutMs: 20_000 });
      hash.update(`${stdout}${stderr}`.split('\n')[0] ?? '');
    }
    const dir = join(tmpdir(), `netdicom-fixtures-${hash.digest('hex').slice(0, 16)}`);
    await mkdir(dir, { recursive: true });
    // Mark it used now, so no other checkout's run takes it for a stale cache.
    const now = new Date();
    await utimes(dir, now, now);
    await removeStaleCaches(dir);
    return dir;
  })();
  defaultCacheDir.catch(() => {
    defaultCacheDir = undefined;
  });
  return defaultCacheDir;
}

async function removeStaleCaches(current: string): Promise<void> {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of await readdir(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!name.startsWith('netdicom-fixtures-') || path === current) continue;
    try {
      if ((await stat(path)).mtimeMs < dayAgo) await rm(path, { recursive: true, force: true });
    } catch {
      // Another process removed it, or it is not ours to remove.
    }
  }
}

/** True when the kind can be made in the transfer syntax: images in all, other objects in uncompressed ones only. */
export function supportsTransferSyntax(kind: FixtureKind, transferSyntax: string): boolean {
  const info = transferSyntaxInfo(transferSyntax);
  if (info === undefined) return false;
  return !info.encapsulated || fixtureKindInfo(kind).image !== undefined;
}

function resolveTransferSyntax(transferSyntax: string): TransferSyntaxInfo {
  const info = transferSyntaxInfo(transferSyntax);
  if (info === undefined) {
    throw new FixtureError(
      `transfer syntax ${JSON.stringify(transferSyntax)} cannot be produced here; known: ${TRANSFER_SYNTAXES.map((ts) => ts.keyword).join(', ')}`,
    );
  }
  return info;
}

// At most two conversions at a time per process (the machines have two cores).
const MAX_PARALLEL = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const made = new Map<string, Promise<Fixture>>();

/**
 * Returns the fixture of a kind in a transfer syntax (UID or keyword; default Explicit VR Little Endian), making it
 * on first use. Throws `FixtureError` for an unknown kind or transfer syntax, or a combination that cannot exist.
 */
export function makeFixture(
  kind: FixtureKind,
  transferSyntax: string = TransferSyntaxUid.ExplicitVRLittleEndian,
  options: FixtureCacheOptions = {},
): Promise<Fixture> {
  let info: TransferSyntaxInfo;
  try {
    fixtureKindInfo(kind);
    info = resolveTransferSyntax(transferSyntax);
    if (!supportsTransferSyntax(kind, info.uid)) {
      throw new FixtureError(`${kind} has no pixel data, so it cannot be encoded in ${info.keyword}`);
    }
  } catch (error) {
    return Promise.reject(error);
  }
  const key = `${options.cacheDir ?? ''}|${kind}|${info.uid}`;
  let fixture = made.get(key);
  if (fixture === undefined) {
    fixture = (async () => loadOrMake(options.cacheDir ?? (await fixtureCacheDir()), kind, info))();
    made.set(key, fixture);
    fixture.catch(() => made.delete(key));
  }
  return fixture;
}

/**
 * Makes (or reuses) a set of fixtures: every requested kind in every requested transfer syntax, in that order
 * (kinds outer, transfer syntaxes inner). Combinations that cannot exist are skipped unless `strict`.
 *
 * @example
 * const fixtures = await makeFixtureSet({ kinds: ['ct', 'sr'], transferSyntaxes: ['ExplicitVRLittleEndian', 'JPEGLSLossless'] });
 * // -> ct in both, sr in Explicit VR Little Endian only
 */
export async function makeFixtureSet(options: FixtureSetOptions = {}): Promise<Fixture[]> {
  const kinds = options.kinds ?? FIXTURE_KINDS.map((k) => k.kind);
  const syntaxes = (options.transferSyntaxes ?? TRANSFER_SYNTAXES.map((ts) => ts.uid)).map(resolveTransferSyntax);
  const cache: FixtureCacheOptions = options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir };
  const wanted: Promise<Fixture>[] = [];
  for (const kind of kinds) {
    fixtureKindInfo(kind);
    for (const ts of syntaxes) {
      if (!supportsTransferSyntax(kind, ts.uid)) {
        if (options.strict === true)
          throw new FixtureError(`${kind} has no pixel data, so it cannot be encoded in ${ts.keyword}`);
        continue;
      }
      wanted.push(makeFixture(kind, ts.uid, cache));
    }
  }
  return Promise.all(wanted);
}

interface Manifest {
  readonly version: 1;
  readonly kind: FixtureKind;
  readonly transferSyntaxUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly patientId: string;
  readonly size: number;
}

const FILE_NAME = 'object.dcm';
const MANIFEST_NAME = 'fixture.json';

async function loadOrMake(root: string, kind: FixtureKind, ts: TransferSyntaxInfo): Promise<Fixture> {
  const dir = join(root, kind, ts.keyword);
  const lock = `${dir}.lock`;
  for (;;) {
    const existing = await readManifest(dir);
    if (existing !== undefined) return existing;
    await mkdir(join(root, kind), { recursive: true });
    if (await tryLock(lock)) {
      try {
        return (await readManifest(dir)) ?? (await limited(() => makeInto(dir, kind, ts)));
      } finally {
        await rm(lock, { recursive: true, force: true });
      }
    }
    // Another process (another test file or package) is making this fixture: wait for it rather than redo it.
    await waitForOtherMaker(dir, lock);
  }
}

async function tryLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await writeFile(join(lock, 'pid'), String(process.pid));
  return true;
}

async function waitForOtherMaker(dir: string, lock: string): Promise<void> {
  for (;;) {
    await delay(50);
    if ((await readManifest(dir)) !== undefined) return;
    let since: number;
    try {
      since = (await stat(lock)).mtimeMs;
    } catch {
      return; // The lock is gone (its holder failed): try again.
    }
    const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
    const holderAlive = Number.isInteger(pid) && pid > 0 ? isAlive(pid) : Date.now() - since < 30_000;
    if (!holderAlive || Date.now() - since > 10 * 60_000) {
      await rm(lock, { recursive: true, force: true });
      return;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function makeInto(dir: string, kind: FixtureKind, ts: TransferSyntaxInfo): Promise<Fixture> {
  const work = await mkdtemp(join(dirname(dir), `.${ts.keyword}-`));
  try {
    const manifest = await generate(work, kind, ts);
    await writeFile(join(work, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await rename(work, dir);
    } catch (error) {
      // Another process renamed its copy into place first (its lock went stale): use that one.
      const theirs = await readManifest(dir);
      if (theirs === undefined) throw error;
      return theirs;
    }
    return toFixture(dir, manifest);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function readManifest(dir: string): Promise<Fixture | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch {
    return undefined;
  }
  return toFixture(dir, JSON.parse(text) as Manifest);
}

function toFixture(dir: string, manifest: Manifest): Fixture {
  return {
    path: join(dir, FILE_NAME),
    kind: manifest.kind,
    transferSyntaxUid: manifest.transferSyntaxUid,
    sopClassUid: manifest.sopClassUid,
    sopInstanceUid: manifest.sopInstanceUid,
    studyInstanceUid: manifest.studyInstanceUid,
    seriesInstanceUid: manifest.seriesInstanceUid,
    patientId: manifest.patientId,
    size: manifest.size,
  };
}

async function generate(work: string, kind: FixtureKind, ts: TransferSyntaxInfo): Promise<Manifest> {
  const object = buildFixtureObject(kind, {
    seed: SEED,
    instanceKey: ts.keyword,
    implicitVr: !ts.explicitVr,
  });
  const output = join(work, FILE_NAME);
  if (ts.producer.tool === 'writer') {
    await writeObject(output, object, ts.uid);
  } else {
    const base = join(work, 'base.dcm');
    await writeObject(base, object, TransferSyntaxUid.ExplicitVRLittleEndian);
    const args =
      ts.producer.tool === 'gdcmconv'
        ? [...ts.producer.args, '-i', base, '-o', output]
        : [...ts.producer.args, base, output];
    const result = await runTool(ts.producer.tool, args, { timeoutMs: 120_000 });
    if (result.code !== 0) {
      throw new FixtureError(
        `${ts.producer.tool} ${args.join(' ')} failed with code ${result.code} making ${kind} in ${ts.keyword}: ${result.stderr || result.stdout}`,
      );
    }
    await rm(base, { force: true });
  }
  // Read back what the tool wrote: the transfer syntax must be the one asked for; a lossy conversion by GDCM gets
  // a new SOP Instance UID (with a Source Image Sequence pointing at the original).
  const header = parseDcmdump(
    await dcmdump(output, ['-Un', '+P', '0002,0010', '+P', '0008,0016', '+P', '0008,0018', '-s'], { strict: false }),
  );
  const written = header['0002,0010'];
  if (written !== ts.uid) {
    throw new FixtureError(`${ts.producer.tool} wrote ${kind} in ${written ?? 'no transfer syntax'}, not ${ts.uid}`);
  }
  return {
    version: 1,
    kind,
    transferSyntaxUid: ts.uid,
    sopClassUid: header['0008,0016'] ?? object.sopClassUid,
    sopInstanceUid: header['0008,0018'] ?? object.sopInstanceUid,
    studyInstanceUid: object.studyInstanceUid,
    seriesInstanceUid: object.seriesInstanceUid,
    patientId: object.patientId,
    size: (await stat(output)).size,
  };
}

async function writeObject(path: string, object: FixtureObject, transferSyntaxUid: string): Promise<number> {
  const { size } = await writePart10File(path, {
    sopClassUid: object.sopClassUid,
    sopInstanceUid: object.sopInstanceUid,
    transferSyntaxUid,
    dataset: object.dataset,
  });
  return size;
}

/** Options of {@link makeCtSeries}. */
export interface CtSeriesOptions {
  /**
   * Derives every UID (same seed, same series, byte for byte). Default: a fresh random seed, so each call makes a
   * new study and series.
   */
  readonly seed?: string;
  /** Implicit or Explicit VR Little Endian (UID or keyword); default Explicit VR Little Endian. */
  readonly transferSyntax?: string;
  /** File name of slice `i` (0-based); default `CT000001.dcm`, `CT000002.dcm`, ... */
  readonly fileName?: (index: number) => string;
}

/**
 * Writes `count` slices of one CT series (CT Image Storage, 512x512, 16 bits allocated / 12 stored, ~513 KB each,
 * consecutive 2.5 mm positions, one study, one series, UIDs under `2.25.`) into `dir`, created if needed. Files are
 * written one after another, each atomically, so memory stays at one slice. Not cached: the caller owns `dir`.
 */
export async function makeCtSeries(dir: string, count: number, options: CtSeriesOptions = {}): Promise<Fixture[]> {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new InvalidArgumentError(`count must be a non-negative integer, not ${count}`);
  }
  const ts = resolveTransferSyntax(options.transferSyntax ?? TransferSyntaxUid.ExplicitVRLittleEndian);
  if (ts.producer.tool !== 'writer') {
    throw new FixtureError(
      `makeCtSeries writes Implicit or Explicit VR Little Endian, not ${ts.keyword}; convert with makeFixture`,
    );
  }
  const seed = options.seed ?? createUid();
  const fileName = options.fileName ?? ((i: number) => `CT${String(i + 1).padStart(6, '0')}.dcm`);
  await mkdir(dir, { recursive: true });
  const fixtures: Fixture[] = [];
  for (let i = 0; i < count; i++) {
    const object = buildFixtureObject('ct', {
      seed,
      instanceKey: `slice-${i + 1}`,
      instanceNumber: i + 1,
      implicitVr: !ts.explicitVr,
    });
    const path = join(dir, fileName(i));
    const size = await writeObject(path, object, ts.uid);
    fixtures.push({
      path,
      kind: 'ct',
      transferSyntaxUid: ts.uid,
      sopClassUid: object.sopClassUid,
      sopInstanceUid: object.sopInstanceUid,
      studyInstanceUid: object.studyInstanceUid,
      seriesInstanceUid: object.seriesInstanceUid,
      patientId: object.patientId,
      size,
    });
  }
  return fixtures;
}
