/**
 * Storage layouts: where under the storage directory an instance goes, computed from routing attributes. Every
 * component passes through {@link sanitizePathComponent}; UID placeholders through {@link uidForPath}.
 *
 * @packageDocumentation
 */
import { FileStoreConfigError } from '../errors.js';
import { sanitizePathComponent, stripDicomPadding, uidForPath } from './sanitize.js';

/**
 * A layout: one of the named layouts or a template string over {@link ROUTING_PLACEHOLDERS}, e.g.
 * `'{PatientID}/{StudyInstanceUID}/{Modality}_{SeriesInstanceUID}/{SOPInstanceUID}.dcm'`.
 */
export type FileStoreLayout = 'flat' | 'study' | 'patient' | (string & {});

/** The templates behind the named layouts. */
export const NAMED_LAYOUTS = {
  /** `storageDir/<SOPInstanceUID>.dcm` */
  flat: '{SOPInstanceUID}.dcm',
  /** `storageDir/<Study>/<Series>/<SOPInstanceUID>.dcm` */
  study: '{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm',
  /** `storageDir/<PatientID>/<Study>/<Series>/<SOPInstanceUID>.dcm` */
  patient: '{PatientID}/{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm',
} as const;

/**
 * Routing attributes read from the dataset header (PS3.3 keywords, PS3.6 data dictionary). Values are the raw
 * strings; padding is removed before use.
 */
export interface RoutingAttributes {
  readonly PatientID?: string | undefined;
  readonly PatientName?: string | undefined;
  readonly PatientBirthDate?: string | undefined;
  readonly StudyInstanceUID?: string | undefined;
  readonly SeriesInstanceUID?: string | undefined;
  readonly SOPInstanceUID?: string | undefined;
  readonly SOPClassUID?: string | undefined;
  readonly Modality?: string | undefined;
  readonly StudyDate?: string | undefined;
  readonly StudyTime?: string | undefined;
  readonly StudyID?: string | undefined;
  readonly StudyDescription?: string | undefined;
  readonly SeriesDescription?: string | undefined;
  readonly AccessionNumber?: string | undefined;
  readonly SeriesNumber?: string | undefined;
  readonly InstanceNumber?: string | undefined;
  readonly InstitutionName?: string | undefined;
  readonly BodyPartExamined?: string | undefined;
}

/**
 * Placeholders a template may use. Dataset attributes come from {@link RoutingAttributes}; `SOPInstanceUID`,
 * `SOPClassUID` and `TransferSyntaxUID` come from the C-STORE-RQ (PS3.7 9.3.1.1), which the store has checked against
 * the dataset; `CallingAETitle`/`CalledAETitle` from the association; `ReceivedDate` is the local date of reception
 * as `YYYYMMDD`.
 */
export const ROUTING_PLACEHOLDERS = [
  'PatientID',
  'PatientName',
  'PatientBirthDate',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'SOPInstanceUID',
  'SOPClassUID',
  'Modality',
  'StudyDate',
  'StudyTime',
  'StudyID',
  'StudyDescription',
  'SeriesDescription',
  'AccessionNumber',
  'SeriesNumber',
  'InstanceNumber',
  'InstitutionName',
  'BodyPartExamined',
  'TransferSyntaxUID',
  'CallingAETitle',
  'CalledAETitle',
  'ReceivedDate',
] as const;

/** A placeholder name usable in a template. */
export type RoutingPlaceholder = (typeof ROUTING_PLACEHOLDERS)[number];

const UID_PLACEHOLDERS: ReadonlySet<string> = new Set([
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'SOPInstanceUID',
  'SOPClassUID',
  'TransferSyntaxUID',
]);
const KNOWN: ReadonlySet<string> = new Set(ROUTING_PLACEHOLDERS);

/** Values available when rendering a layout for one instance. */
export type LayoutValues = Partial<Record<RoutingPlaceholder, string | undefined>>;

type Part = { readonly literal: string } | { readonly placeholder: RoutingPlaceholder };

/** A compiled layout: renders the relative path components for one instance. */
export interface CompiledLayout {
  /** The template the layout was compiled from. */
  readonly template: string;
  /** Relative path components, each already sanitised; the last one is the file name. */
  render(values: LayoutValues): string[];
}

/** Options of {@link compileLayout}. */
export interface CompileLayoutOptions {
  /** Value substituted for a missing or empty attribute (default `UNKNOWN`); sanitised like any value. */
  readonly missingValue?: string;
  /** Maximum UTF-8 bytes of one component (default 200). */
  readonly maxComponentBytes?: number;
}

/**
 * Compiles a layout name or template. Template syntax: literal text with `{Placeholder}` fields, `/` between
 * directory levels, `{{` and `}}` for literal braces. The template must be relative, must not contain `\`, empty,
 * `.` or `..` levels, and must use `{SOPInstanceUID}` (otherwise distinct instances would share one name).
 *
 * @throws {FileStoreConfigError} for an invalid template or an unknown placeholder.
 */
export function compileLayout(layout: FileStoreLayout, options: CompileLayoutOptions = {}): CompiledLayout {
  const template = (NAMED_LAYOUTS as Record<string, string>)[layout] ?? layout;
  const missingValue = options.missingValue ?? 'UNKNOWN';
  const sanitizeOptions = options.maxComponentBytes === undefined ? {} : { maxBytes: options.maxComponentBytes };
  if (template.length === 0) throw new FileStoreConfigError('layout template is empty');
  if (template.includes('\\')) throw new FileStoreConfigError(`layout template must use "/" only: ${template}`);
  if (template.startsWith('/')) throw new FileStoreConfigError(`layout template must be relative: ${template}`);
  const components = template.split('/').map((text) => {
    if (text === '' || text === '.' || text === '..') {
      throw new FileStoreConfigError(`layout template has an empty, "." or ".." level: ${template}`);
    }
    return parseComponent(text, template);
  });
  const usesInstance = components.some((parts) =>
    parts.some((p) => 'placeholder' in p && p.placeholder === 'SOPInstanceUID'),
  );
  if (!usesInstance) throw new FileStoreConfigError(`layout template must use {SOPInstanceUID}: ${template}`);

  return {
    template,
    render(values) {
      return components.map((parts) => {
        let text = '';
        for (const part of parts) {
          if ('literal' in part) text += part.literal;
          else text += valueFor(part.placeholder, values) ?? missingValue;
        }
        return sanitizePathComponent(text, sanitizeOptions);
      });
    },
  };
}

function valueFor(name: RoutingPlaceholder, values: LayoutValues): string | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (UID_PLACEHOLDERS.has(name)) return uidForPath(raw);
  const v = stripDicomPadding(raw);
  return v.length === 0 ? undefined : v;
}

function parseComponent(text: string, template: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '{' && text[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (c === '}' && text[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (c === '{') {
      const close = text.indexOf('}', i);
      if (close < 0) throw new FileStoreConfigError(`unclosed "{" in layout template: ${template}`);
      const name = text.slice(i + 1, close);
      if (!KNOWN.has(name)) {
        throw new FileStoreConfigError(
          `unknown placeholder {${name}} in layout template ${template}; known: ${ROUTING_PLACEHOLDERS.join(', ')}`,
        );
      }
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ placeholder: name as RoutingPlaceholder });
      i = close + 1;
    } else if (c === '}') {
      throw new FileStoreConfigError(`unmatched "}" in layout template: ${template}`);
    } else {
      literal += c;
      i++;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}
