/**
 * DCMTK association configuration files (the `-xf file profile` format of storescp, dcmrecv and storescu): which
 * presentation contexts (PS3.8 7.1.1.13, abstract syntax + transfer syntaxes) a DCMTK peer proposes or accepts.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from './errors.js';
import { SopClassUid } from './tags.js';
import { TRANSFER_SYNTAXES, TransferSyntaxUid } from './transfer-syntaxes.js';

/** DCMTK's own association configuration of storescp (Debian path). */
export const DCMTK_STORESCP_CFG = '/etc/dcmtk/storescp.cfg';

/** A DCMTK SCP limit: at most 128 presentation contexts in a profile (PS3.8 allows 128 context IDs). */
const MAX_CONTEXTS = 128;

/**
 * Transfer syntaxes an SCP started with `acceptAll` accepts, in order of preference: native first, then deflated,
 * then every encapsulated one we can produce (retired JPEG processes included, which storescp's own `+xa` refuses),
 * then DCMTK's video transfer syntaxes (by DCMTK's names).
 */
const ANY_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntaxUid.ExplicitVRLittleEndian,
  TransferSyntaxUid.ImplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRBigEndian,
  TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
  ...TRANSFER_SYNTAXES.filter((ts) => ts.encapsulated && !ts.lossy).map((ts) => ts.uid),
  ...TRANSFER_SYNTAXES.filter((ts) => ts.encapsulated && ts.lossy).map((ts) => ts.uid),
  'MPEG2MainProfile@MainLevel',
  'MPEG2MainProfile@HighLevel',
  'MPEG4HighProfile/Level4.1',
  'MPEG4BDcompatibleHighProfile/Level4.1',
  'MPEG4HighProfile/Level4.2For2DVideo',
  'MPEG4HighProfile/Level4.2For3DVideo',
  'MPEG4StereoHighProfile/Level4.2',
  'HEVCMainProfile/Level5.1',
  'HEVCMain10Profile/Level5.1',
];

const UNCOMPRESSED: readonly string[] = [
  TransferSyntaxUid.ExplicitVRLittleEndian,
  TransferSyntaxUid.ImplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRBigEndian,
];

/** One presentation context to propose or accept. */
export interface PresentationContextConfig {
  /** SOP Class UID, or a DCMTK name such as `CTImageStorage`. */
  readonly abstractSyntax: string;
  /** Transfer Syntax UIDs (or DCMTK names), in order of preference. */
  readonly transferSyntaxes: readonly string[];
}

/**
 * Renders a DCMTK association configuration with one profile. Throws `InvalidArgumentError` beyond 128 contexts or
 * for an empty list.
 */
export function renderDcmtkConfig(profiles: Readonly<Record<string, readonly PresentationContextConfig[]>>): string {
  const transferSyntaxGroups = new Map<string, string>();
  const lines: string[] = ['# Written by @netdicom/test-peers', '', '[[TransferSyntaxes]]'];
  const groupOf = (list: readonly string[]): string => {
    const key = list.join('|');
    let name = transferSyntaxGroups.get(key);
    if (name === undefined) {
      name = `TS${transferSyntaxGroups.size + 1}`;
      transferSyntaxGroups.set(key, name);
      lines.push(`[${name}]`, ...list.map((ts, i) => `TransferSyntax${i + 1} = ${ts}`));
    }
    return name;
  };
  const contextLines: string[] = ['', '[[PresentationContexts]]'];
  const profileLines: string[] = ['', '[[Profiles]]'];
  for (const [profile, contexts] of Object.entries(profiles)) {
    if (contexts.length === 0 || contexts.length > MAX_CONTEXTS) {
      throw new InvalidArgumentError(
        `a DCMTK profile holds 1 to ${MAX_CONTEXTS} presentation contexts, not ${contexts.length}`,
      );
    }
    contextLines.push(`[${profile}Contexts]`);
    contexts.forEach((context, i) => {
      if (context.transferSyntaxes.length === 0) {
        throw new InvalidArgumentError(`presentation context ${context.abstractSyntax} proposes no transfer syntax`);
      }
      contextLines.push(
        `PresentationContext${i + 1} = ${context.abstractSyntax}\\${groupOf(context.transferSyntaxes)}`,
      );
    });
    profileLines.push(`[${profile}]`, `PresentationContexts = ${profile}Contexts`);
  }
  return `${[...lines, ...contextLines, ...profileLines].join('\n')}\n`;
}

/**
 * Writes a DCMTK configuration into the temporary directory under a name derived from its content (so concurrent
 * writers agree and nothing needs cleaning up) and returns its path.
 */
export async function writeDcmtkConfig(
  profiles: Readonly<Record<string, readonly PresentationContextConfig[]>>,
): Promise<string> {
  const text = renderDcmtkConfig(profiles);
  const path = join(tmpdir(), `netdicom-dcmtk-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.cfg`);
  try {
    await stat(path);
    return path;
  } catch {
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(temporary, text);
    await rename(temporary, path);
    return path;
  }
}

/**
 * storescu arguments (`-xf file Fixtures`) that propose exactly one presentation context per distinct SOP Class and
 * transfer syntax of the given files, so each file travels in its own transfer syntax (storescu on its own proposes
 * uncompressed ones only and cannot decompress). At most 128 distinct pairs.
 */
export async function storescuConfigArgs(
  files: readonly { readonly sopClassUid: string; readonly transferSyntaxUid: string }[],
): Promise<string[]> {
  const pairs = new Map<string, PresentationContextConfig>();
  for (const file of files) {
    pairs.set(`${file.sopClassUid}|${file.transferSyntaxUid}`, {
      abstractSyntax: file.sopClassUid,
      transferSyntaxes: [file.transferSyntaxUid],
    });
  }
  return ['-xf', await writeDcmtkConfig({ Fixtures: [...pairs.values()] }), 'Fixtures'];
}

let scpConfig: Promise<string> | undefined;

/**
 * The configuration storescp/dcmrecv use here: DCMTK's generic storage SCP SOP Classes (read from
 * {@link DCMTK_STORESCP_CFG}, plus this package's fixture SOP Classes), with two profiles: `Uncompressed` (Explicit
 * and Implicit VR Little Endian, Explicit VR Big Endian) and `Any` (every transfer syntax, see `acceptAll`).
 */
export function scpConfigPath(): Promise<string> {
  scpConfig ??= (async () => {
    const abstractSyntaxes = new Set<string>([SopClassUid.Verification]);
    try {
      const text = await readFile(DCMTK_STORESCP_CFG, 'utf8');
      const section = /^\[GenericStorageSCP\]\s*$([\s\S]*?)(?=^\[)/m.exec(text)?.[1] ?? '';
      for (const match of section.matchAll(/^\s*PresentationContext\d+\s*=\s*([^\\\s]+)\\/gm)) {
        if (match[1] !== 'VerificationSOPClass') abstractSyntaxes.add(match[1]!);
      }
    } catch {
      // No DCMTK configuration here: the fixture SOP Classes below are enough for this package's fixtures.
    }
    for (const uid of Object.values(SopClassUid)) {
      if (abstractSyntaxes.size >= MAX_CONTEXTS) break;
      abstractSyntaxes.add(uid);
    }
    const list = [...abstractSyntaxes].slice(0, MAX_CONTEXTS);
    return writeDcmtkConfig({
      Uncompressed: list.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: UNCOMPRESSED })),
      Any: list.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: ANY_TRANSFER_SYNTAXES })),
    });
  })();
  scpConfig.catch(() => {
    scpConfig = undefined;
  });
  return scpConfig;
}
