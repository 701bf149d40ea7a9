/**
 * The cells of the interop matrix: every fixture kind of `@netdicom/test-peers` in every transfer syntax it can be
 * made in here (PS3.5 section 10 and Annex A), known before any fixture exists so that each cell is its own test
 * case with a readable name.
 *
 * @packageDocumentation
 */
import {
  FIXTURE_KINDS,
  type Fixture,
  type FixtureKind,
  makeFixtureSet,
  supportsTransferSyntax,
  TRANSFER_SYNTAXES,
  type TransferSyntaxKeyword,
} from '@netdicom/test-peers';

/** One cell: a fixture kind in one transfer syntax (PS3.5 Annex A). */
export interface MatrixCell {
  readonly kind: FixtureKind;
  /** PS3.6 keyword of the transfer syntax, e.g. `JPEGLossless`. */
  readonly keyword: TransferSyntaxKeyword;
  /** Transfer syntax UID, e.g. `1.2.840.10008.1.2.4.57`. */
  readonly transferSyntaxUid: string;
}

/** Every cell, kinds outer and transfer syntaxes inner (the order of `makeFixtureSet`). */
export const MATRIX_CELLS: readonly MatrixCell[] = FIXTURE_KINDS.flatMap(({ kind }) =>
  TRANSFER_SYNTAXES.filter((ts) => supportsTransferSyntax(kind, ts.uid)).map((ts) => ({
    kind,
    keyword: ts.keyword,
    transferSyntaxUid: ts.uid,
  })),
);

/** Key of a cell in the maps below: `kind|transfer syntax UID`. */
export function cellKey(cell: { readonly kind: string; readonly transferSyntaxUid: string }): string {
  return `${cell.kind}|${cell.transferSyntaxUid}`;
}

/** The test name of a cell in one direction: `ct / JPEGLossless / storescu -> netdicom`. */
export function cellName(cell: MatrixCell, direction: string): string {
  return `${cell.kind} / ${cell.keyword} / ${direction}`;
}

/** Transfer syntax of each kind in {@link CLI_CELLS}: every kind once, 10 distinct syntaxes. */
const CLI_SYNTAXES: Readonly<Record<FixtureKind, TransferSyntaxKeyword>> = {
  ct: 'JPEG2000Lossless',
  mr: 'JPEGLSLossless',
  multiframe: 'RLELossless',
  'sc-rgb': 'JPEGBaseline8Bit',
  sr: 'DeflatedExplicitVRLittleEndian',
  pdf: 'ExplicitVRLittleEndian',
  'rt-plan': 'ExplicitVRBigEndian',
  'rt-struct': 'ImplicitVRLittleEndian',
  'odd-latin1': 'JPEGLossless',
  'odd-utf8': 'JPEG2000',
};

/** The subset sent through the command-line tools as child processes: each kind once, in 10 distinct syntaxes. */
export const CLI_CELLS: readonly MatrixCell[] = FIXTURE_KINDS.map(({ kind }) => {
  const cell = MATRIX_CELLS.find((c) => c.kind === kind && c.keyword === CLI_SYNTAXES[kind]);
  if (cell === undefined) throw new Error(`no cell for ${kind} in ${CLI_SYNTAXES[kind]}`);
  return cell;
});

/** The fixtures of every cell (made on first use, cached between runs), keyed by {@link cellKey}. */
export async function loadMatrixFixtures(): Promise<Map<string, Fixture>> {
  const fixtures = await makeFixtureSet();
  return new Map(fixtures.map((fixture) => [cellKey(fixture), fixture]));
}

/** The fixture of a cell; throws when the fixture set lacks it (a cell the fixture set cannot make is a failure). */
export function fixtureOf(fixtures: ReadonlyMap<string, Fixture>, cell: MatrixCell): Fixture {
  const fixture = fixtures.get(cellKey(cell));
  if (fixture === undefined) throw new Error(`the fixture set has no ${cell.kind} in ${cell.keyword}`);
  return fixture;
}

/** Short column names of the kinds, in {@link FIXTURE_KINDS} order. */
const KIND_ORDER: readonly FixtureKind[] = FIXTURE_KINDS.map((k) => k.kind);

/**
 * The cells as a Markdown table (transfer syntaxes down, kinds across): `●` a cell of the matrix, run in every
 * direction; `● cli` also sent through the command-line tools; `–` a combination that cannot exist (no pixel data to
 * compress). The README shows this table; a test keeps the two in step.
 */
export function renderCellTable(): string {
  const header = `| transfer syntax | ${KIND_ORDER.join(' | ')} |`;
  const rule = `| --- | ${KIND_ORDER.map(() => ':-:').join(' | ')} |`;
  const rows = TRANSFER_SYNTAXES.map((ts) => {
    const marks = KIND_ORDER.map((kind) => {
      const cell = MATRIX_CELLS.find((c) => c.kind === kind && c.transferSyntaxUid === ts.uid);
      if (cell === undefined) return '–';
      return CLI_CELLS.includes(cell) ? '● cli' : '●';
    });
    return `| ${ts.keyword} | ${marks.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}
