/**
 * DIMSE command sets, PS3.7 section 6.3, 9.3 (DIMSE-C), 10.3 (DIMSE-N) and Annex E (the command dictionary).
 *
 * A command set is the group 0000 part of a DIMSE message. It is always encoded in Implicit VR Little Endian
 * (PS3.7 6.3.1), starts with Command Group Length (0000,0000) and lists its elements in ascending tag order.
 * Everything about command types lives in one table ({@link commandTypes}); encoder and decoder are driven by it.
 */

import { InvalidCommandSetError } from './errors.js';

/** Command Field (0000,0100) values, PS3.7 Annex E Table E.1-1. */
export const CommandField = {
  'C-STORE-RQ': 0x0001,
  'C-STORE-RSP': 0x8001,
  'C-GET-RQ': 0x0010,
  'C-GET-RSP': 0x8010,
  'C-FIND-RQ': 0x0020,
  'C-FIND-RSP': 0x8020,
  'C-MOVE-RQ': 0x0021,
  'C-MOVE-RSP': 0x8021,
  'C-ECHO-RQ': 0x0030,
  'C-ECHO-RSP': 0x8030,
  'N-EVENT-REPORT-RQ': 0x0100,
  'N-EVENT-REPORT-RSP': 0x8100,
  'N-GET-RQ': 0x0110,
  'N-GET-RSP': 0x8110,
  'N-SET-RQ': 0x0120,
  'N-SET-RSP': 0x8120,
  'N-ACTION-RQ': 0x0130,
  'N-ACTION-RSP': 0x8130,
  'N-CREATE-RQ': 0x0140,
  'N-CREATE-RSP': 0x8140,
  'N-DELETE-RQ': 0x0150,
  'N-DELETE-RSP': 0x8150,
  'C-CANCEL-RQ': 0x0fff,
} as const;
/** Name of a command type, as PS3.7 spells it. */
export type CommandName = keyof typeof CommandField;

/**
 * Command Data Set Type (0000,0800), PS3.7 Table E.1-1: 0x0101 means "no data set"; any other value means a data set
 * follows the command. We send 0x0001 when there is one, as DCMTK does.
 */
export const CommandDataSetType = { Present: 0x0001, Absent: 0x0101 } as const;

/** Priority (0000,0700), PS3.7 Table E.1-1. */
export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;
export type PriorityValue = (typeof Priority)[keyof typeof Priority];

/** Value representations that occur in group 0000 (PS3.7 Annex E, PS3.5 6.2). */
export type CommandVr = 'UL' | 'US' | 'UI' | 'AE' | 'AT' | 'LO' | 'SH' | 'LT' | 'CS' | 'IS';

/**
 * The typed elements of a command set, keyed by a camel-cased form of the PS3.7 keyword. AT values are tags as
 * 32-bit numbers `(group << 16) | element`.
 */
export interface CommandElements {
  readonly affectedSopClassUid?: string;
  readonly requestedSopClassUid?: string;
  readonly commandField: number;
  readonly messageId?: number;
  readonly messageIdBeingRespondedTo?: number;
  readonly moveDestination?: string;
  readonly priority?: number;
  /** 0x0101 = no data set follows; any other value = a data set follows. */
  readonly commandDataSetType: number;
  readonly status?: number;
  readonly offendingElement?: readonly number[];
  readonly errorComment?: string;
  readonly errorId?: number;
  readonly affectedSopInstanceUid?: string;
  readonly requestedSopInstanceUid?: string;
  readonly eventTypeId?: number;
  readonly attributeIdentifierList?: readonly number[];
  readonly actionTypeId?: number;
  readonly numberOfRemainingSuboperations?: number;
  readonly numberOfCompletedSuboperations?: number;
  readonly numberOfFailedSuboperations?: number;
  readonly numberOfWarningSuboperations?: number;
  readonly moveOriginatorApplicationEntityTitle?: string;
  readonly moveOriginatorMessageId?: number;
}
/** Property name of a typed command element. */
export type CommandProperty = keyof CommandElements;

/** An element of group 0000 that has no typed property (retired ones, private or unknown), kept verbatim. */
export interface RawCommandElement {
  readonly tag: number;
  /** The value bytes, without padding removed. */
  readonly value: Uint8Array;
}

/** Opaque record the decoder keeps so that re-encoding reproduces the received bytes exactly (padding choices). */
export interface CommandSetPreserved {
  readonly values: ReadonlyMap<number, { readonly decoded: unknown; readonly bytes: Uint8Array }>;
}

/** A decoded (or to-be-encoded) command set, PS3.7 6.3. Command Group Length is computed, never stored. */
export interface CommandSet extends CommandElements {
  /** Elements of group 0000 outside the typed dictionary, in tag order. */
  readonly otherElements?: readonly RawCommandElement[];
  /** Set by the decoder; encoders reuse it only where it still agrees with the typed values. */
  readonly preserved?: CommandSetPreserved;
}

/** One entry of the command dictionary, PS3.7 Annex E Table E.1-1 (and E.2-1 for retired elements). */
export interface CommandElementDefinition {
  readonly tag: number;
  /** The PS3.7 keyword, e.g. `AffectedSOPClassUID`. */
  readonly keyword: string;
  /** The typed property, or undefined for retired elements kept as raw. */
  readonly property: CommandProperty | undefined;
  readonly vr: CommandVr;
  readonly vm: '1' | '1-n';
  readonly retired: boolean;
}

const def = (
  tag: number,
  keyword: string,
  property: CommandProperty | undefined,
  vr: CommandVr,
  vm: '1' | '1-n' = '1',
  retired = false,
): CommandElementDefinition => ({ tag, keyword, property, vr, vm, retired });

/** The command dictionary, PS3.7 Annex E: group 0000 elements in tag order (retired ones included for their VR). */
export const commandElements: readonly CommandElementDefinition[] = [
  def(0x00000000, 'CommandGroupLength', undefined, 'UL'),
  def(0x00000001, 'CommandLengthToEnd', undefined, 'UL', '1', true),
  def(0x00000002, 'AffectedSOPClassUID', 'affectedSopClassUid', 'UI'),
  def(0x00000003, 'RequestedSOPClassUID', 'requestedSopClassUid', 'UI'),
  def(0x00000010, 'CommandRecognitionCode', undefined, 'SH', '1', true),
  def(0x00000100, 'CommandField', 'commandField', 'US'),
  def(0x00000110, 'MessageID', 'messageId', 'US'),
  def(0x00000120, 'MessageIDBeingRespondedTo', 'messageIdBeingRespondedTo', 'US'),
  def(0x00000200, 'Initiator', undefined, 'AE', '1', true),
  def(0x00000300, 'Receiver', undefined, 'AE', '1', true),
  def(0x00000400, 'FindLocation', undefined, 'AE', '1', true),
  def(0x00000600, 'MoveDestination', 'moveDestination', 'AE'),
  def(0x00000700, 'Priority', 'priority', 'US'),
  def(0x00000800, 'CommandDataSetType', 'commandDataSetType', 'US'),
  def(0x00000850, 'NumberOfMatches', undefined, 'US', '1', true),
  def(0x00000860, 'ResponseSequenceNumber', undefined, 'US', '1', true),
  def(0x00000900, 'Status', 'status', 'US'),
  def(0x00000901, 'OffendingElement', 'offendingElement', 'AT', '1-n'),
  def(0x00000902, 'ErrorComment', 'errorComment', 'LO'),
  def(0x00000903, 'ErrorID', 'errorId', 'US'),
  def(0x00001000, 'AffectedSOPInstanceUID', 'affectedSopInstanceUid', 'UI'),
  def(0x00001001, 'RequestedSOPInstanceUID', 'requestedSopInstanceUid', 'UI'),
  def(0x00001002, 'EventTypeID', 'eventTypeId', 'US'),
  def(0x00001005, 'AttributeIdentifierList', 'attributeIdentifierList', 'AT', '1-n'),
  def(0x00001008, 'ActionTypeID', 'actionTypeId', 'US'),
  def(0x00001020, 'NumberOfRemainingSuboperations', 'numberOfRemainingSuboperations', 'US'),
  def(0x00001021, 'NumberOfCompletedSuboperations', 'numberOfCompletedSuboperations', 'US'),
  def(0x00001022, 'NumberOfFailedSuboperations', 'numberOfFailedSuboperations', 'US'),
  def(0x00001023, 'NumberOfWarningSuboperations', 'numberOfWarningSuboperations', 'US'),
  def(0x00001030, 'MoveOriginatorApplicationEntityTitle', 'moveOriginatorApplicationEntityTitle', 'AE'),
  def(0x00001031, 'MoveOriginatorMessageID', 'moveOriginatorMessageId', 'US'),
  def(0x00004000, 'DialogReceiver', undefined, 'LT', '1', true),
  def(0x00004010, 'TerminalType', undefined, 'LT', '1', true),
  def(0x00005010, 'MessageSetID', undefined, 'SH', '1', true),
  def(0x00005020, 'EndMessageID', undefined, 'SH', '1', true),
  def(0x00005110, 'DisplayFormat', undefined, 'LT', '1', true),
  def(0x00005120, 'PagePositionID', undefined, 'LT', '1', true),
  def(0x00005130, 'TextFormatID', undefined, 'CS', '1', true),
  def(0x00005140, 'NormalReverse', undefined, 'CS', '1', true),
  def(0x00005150, 'AddGrayScale', undefined, 'CS', '1', true),
  def(0x00005160, 'Borders', undefined, 'CS', '1', true),
  def(0x00005170, 'Copies', undefined, 'IS', '1', true),
  def(0x00005180, 'CommandMagnificationType', undefined, 'CS', '1', true),
  def(0x00005190, 'Erase', undefined, 'CS', '1', true),
  def(0x000051a0, 'Print', undefined, 'CS', '1', true),
  def(0x000051b0, 'Overlays', undefined, 'US', '1-n', true),
];

const elementByTag = new Map<number, CommandElementDefinition>(commandElements.map((e) => [e.tag, e]));
const elementByProperty = new Map<CommandProperty, CommandElementDefinition>(
  commandElements.filter((e) => e.property !== undefined).map((e) => [e.property as CommandProperty, e]),
);

/** The command dictionary entry of a group 0000 tag, PS3.7 Annex E. */
export function commandElementByTag(tag: number): CommandElementDefinition | undefined {
  return elementByTag.get(tag);
}

/** DIMSE service of a command type. */
export type DimseService =
  | 'C-STORE'
  | 'C-GET'
  | 'C-FIND'
  | 'C-MOVE'
  | 'C-ECHO'
  | 'C-CANCEL'
  | 'N-EVENT-REPORT'
  | 'N-GET'
  | 'N-SET'
  | 'N-ACTION'
  | 'N-CREATE'
  | 'N-DELETE';

/** One command type of PS3.7 9.3 / 10.3: what its command set must, may and can contain. */
export interface CommandTypeDefinition {
  readonly commandField: number;
  readonly name: CommandName;
  readonly service: DimseService;
  readonly type: 'request' | 'response';
  /** Where PS3.7 defines its command set, e.g. `PS3.7 9.3.1.1` (Table 9.3-1). */
  readonly section: string;
  /** Mandatory elements (M) besides Command Group Length, which is always there. */
  readonly required: readonly CommandProperty[];
  /** Conditional elements (C): present when the standard's condition holds (e.g. Error Comment on failure). */
  readonly conditional: readonly CommandProperty[];
  /** User-option elements (U). */
  readonly optional: readonly CommandProperty[];
  /** Whether a data set follows: always, never, or depending on the operation. */
  readonly dataSet: 'required' | 'none' | 'optional';
}

const RSP_CORE: readonly CommandProperty[] = [
  'commandField',
  'messageIdBeingRespondedTo',
  'commandDataSetType',
  'status',
];
const SUBOPS: readonly CommandProperty[] = [
  'numberOfRemainingSuboperations',
  'numberOfCompletedSuboperations',
  'numberOfFailedSuboperations',
  'numberOfWarningSuboperations',
];

/**
 * All DIMSE-C and DIMSE-N command types, PS3.7 Tables 9.3-1..9.3-13 (DIMSE-C) and 10.3-1..10.3-12 (DIMSE-N).
 * C-CANCEL-RQ (0x0FFF) serves C-FIND, C-GET and C-MOVE alike (PS3.7 9.3.2.3, 9.3.3.3, 9.3.4.3).
 */
export const commandTypes: readonly CommandTypeDefinition[] = [
  {
    commandField: 0x0001,
    name: 'C-STORE-RQ',
    service: 'C-STORE',
    type: 'request',
    section: 'PS3.7 9.3.1.1',
    required: [
      'affectedSopClassUid',
      'commandField',
      'messageId',
      'priority',
      'commandDataSetType',
      'affectedSopInstanceUid',
    ],
    conditional: [],
    optional: ['moveOriginatorApplicationEntityTitle', 'moveOriginatorMessageId'],
    dataSet: 'required',
  },
  {
    commandField: 0x8001,
    name: 'C-STORE-RSP',
    service: 'C-STORE',
    type: 'response',
    section: 'PS3.7 9.3.1.2',
    required: RSP_CORE,
    conditional: ['offendingElement', 'errorComment'],
    optional: ['affectedSopClassUid', 'affectedSopInstanceUid'],
    dataSet: 'none',
  },
  {
    commandField: 0x0020,
    name: 'C-FIND-RQ',
    service: 'C-FIND',
    type: 'request',
    section: 'PS3.7 9.3.2.1',
    required: ['affectedSopClassUid', 'commandField', 'messageId', 'priority', 'commandDataSetType'],
    conditional: [],
    optional: [],
    dataSet: 'required',
  },
  {
    commandField: 0x8020,
    name: 'C-FIND-RSP',
    service: 'C-FIND',
    type: 'response',
    section: 'PS3.7 9.3.2.2',
    required: RSP_CORE,
    conditional: ['offendingElement', 'errorComment'],
    optional: ['affectedSopClassUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x0010,
    name: 'C-GET-RQ',
    service: 'C-GET',
    type: 'request',
    section: 'PS3.7 9.3.3.1',
    required: ['affectedSopClassUid', 'commandField', 'messageId', 'priority', 'commandDataSetType'],
    conditional: [],
    optional: [],
    dataSet: 'required',
  },
  {
    commandField: 0x8010,
    name: 'C-GET-RSP',
    service: 'C-GET',
    type: 'response',
    section: 'PS3.7 9.3.3.2',
    required: RSP_CORE,
    conditional: [...SUBOPS, 'offendingElement', 'errorComment'],
    optional: ['affectedSopClassUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x0021,
    name: 'C-MOVE-RQ',
    service: 'C-MOVE',
    type: 'request',
    section: 'PS3.7 9.3.4.1',
    required: ['affectedSopClassUid', 'commandField', 'messageId', 'priority', 'commandDataSetType', 'moveDestination'],
    conditional: [],
    optional: [],
    dataSet: 'required',
  },
  {
    commandField: 0x8021,
    name: 'C-MOVE-RSP',
    service: 'C-MOVE',
    type: 'response',
    section: 'PS3.7 9.3.4.2',
    required: RSP_CORE,
    conditional: [...SUBOPS, 'offendingElement', 'errorComment'],
    optional: ['affectedSopClassUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x0030,
    name: 'C-ECHO-RQ',
    service: 'C-ECHO',
    type: 'request',
    section: 'PS3.7 9.3.5.1',
    required: ['affectedSopClassUid', 'commandField', 'messageId', 'commandDataSetType'],
    conditional: [],
    optional: [],
    dataSet: 'none',
  },
  {
    commandField: 0x8030,
    name: 'C-ECHO-RSP',
    service: 'C-ECHO',
    type: 'response',
    section: 'PS3.7 9.3.5.2',
    required: RSP_CORE,
    conditional: ['errorComment'],
    optional: ['affectedSopClassUid'],
    dataSet: 'none',
  },
  {
    commandField: 0x0fff,
    name: 'C-CANCEL-RQ',
    service: 'C-CANCEL',
    type: 'request',
    section: 'PS3.7 9.3.2.3',
    required: ['commandField', 'messageIdBeingRespondedTo', 'commandDataSetType'],
    conditional: [],
    optional: [],
    dataSet: 'none',
  },
  {
    commandField: 0x0100,
    name: 'N-EVENT-REPORT-RQ',
    service: 'N-EVENT-REPORT',
    type: 'request',
    section: 'PS3.7 10.3.1.1',
    required: [
      'affectedSopClassUid',
      'commandField',
      'messageId',
      'commandDataSetType',
      'affectedSopInstanceUid',
      'eventTypeId',
    ],
    conditional: [],
    optional: [],
    dataSet: 'optional',
  },
  {
    commandField: 0x8100,
    name: 'N-EVENT-REPORT-RSP',
    service: 'N-EVENT-REPORT',
    type: 'response',
    section: 'PS3.7 10.3.1.2',
    required: RSP_CORE,
    conditional: ['eventTypeId', 'errorComment', 'errorId'],
    optional: ['affectedSopClassUid', 'affectedSopInstanceUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x0110,
    name: 'N-GET-RQ',
    service: 'N-GET',
    type: 'request',
    section: 'PS3.7 10.3.2.1',
    required: ['requestedSopClassUid', 'commandField', 'messageId', 'commandDataSetType', 'requestedSopInstanceUid'],
    conditional: [],
    optional: ['attributeIdentifierList'],
    dataSet: 'none',
  },
  {
    commandField: 0x8110,
    name: 'N-GET-RSP',
    service: 'N-GET',
    type: 'response',
    section: 'PS3.7 10.3.2.2',
    required: RSP_CORE,
    conditional: ['errorComment', 'errorId'],
    optional: ['affectedSopClassUid', 'affectedSopInstanceUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x0120,
    name: 'N-SET-RQ',
    service: 'N-SET',
    type: 'request',
    section: 'PS3.7 10.3.3.1',
    required: ['requestedSopClassUid', 'commandField', 'messageId', 'commandDataSetType', 'requestedSopInstanceUid'],
    conditional: [],
    optional: [],
    dataSet: 'required',
  },
  {
    commandField: 0x8120,
    name: 'N-SET-RSP',
    service: 'N-SET',
    type: 'response',
    section: 'PS3.7 10.3.3.2',
    required: RSP_CORE,
    conditional: ['errorComment', 'errorId', 'attributeIdentifierList'],
    optional: ['affectedSopClassUid', 'affectedSopInstanceUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x0130,
    name: 'N-ACTION-RQ',
    service: 'N-ACTION',
    type: 'request',
    section: 'PS3.7 10.3.4.1',
    required: [
      'requestedSopClassUid',
      'commandField',
      'messageId',
      'commandDataSetType',
      'requestedSopInstanceUid',
      'actionTypeId',
    ],
    conditional: [],
    optional: [],
    dataSet: 'optional',
  },
  {
    commandField: 0x8130,
    name: 'N-ACTION-RSP',
    service: 'N-ACTION',
    type: 'response',
    section: 'PS3.7 10.3.4.2',
    required: RSP_CORE,
    conditional: ['actionTypeId', 'errorComment', 'errorId'],
    optional: ['affectedSopClassUid', 'affectedSopInstanceUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x0140,
    name: 'N-CREATE-RQ',
    service: 'N-CREATE',
    type: 'request',
    section: 'PS3.7 10.3.5.1',
    required: ['affectedSopClassUid', 'commandField', 'messageId', 'commandDataSetType'],
    conditional: [],
    optional: ['affectedSopInstanceUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x8140,
    name: 'N-CREATE-RSP',
    service: 'N-CREATE',
    type: 'response',
    section: 'PS3.7 10.3.5.2',
    required: RSP_CORE,
    conditional: ['affectedSopInstanceUid', 'errorComment', 'errorId'],
    optional: ['affectedSopClassUid'],
    dataSet: 'optional',
  },
  {
    commandField: 0x0150,
    name: 'N-DELETE-RQ',
    service: 'N-DELETE',
    type: 'request',
    section: 'PS3.7 10.3.6.1',
    required: ['requestedSopClassUid', 'commandField', 'messageId', 'commandDataSetType', 'requestedSopInstanceUid'],
    conditional: [],
    optional: [],
    dataSet: 'none',
  },
  {
    commandField: 0x8150,
    name: 'N-DELETE-RSP',
    service: 'N-DELETE',
    type: 'response',
    section: 'PS3.7 10.3.6.2',
    required: RSP_CORE,
    conditional: ['errorComment', 'errorId'],
    optional: ['affectedSopClassUid', 'affectedSopInstanceUid'],
    dataSet: 'none',
  },
];

const typeByField = new Map<number, CommandTypeDefinition>(commandTypes.map((t) => [t.commandField, t]));

/** The table entry of a Command Field value, PS3.7 Annex E; undefined for values PS3.7 does not define. */
export function commandType(commandField: number): CommandTypeDefinition | undefined {
  return typeByField.get(commandField);
}

/** Readable name of a Command Field value (`C-STORE-RQ`), or `0xNNNN` when unknown. PS3.7 Annex E. */
export function commandName(commandField: number): string {
  return typeByField.get(commandField)?.name ?? `0x${hex4(commandField)}`;
}

/** Whether a command set says a data set follows it (Command Data Set Type != 0x0101), PS3.7 Table E.1-1. */
export function hasDataSet(command: Pick<CommandElements, 'commandDataSetType'>): boolean {
  return command.commandDataSetType !== CommandDataSetType.Absent;
}

/** Formats a tag as `(gggg,eeee)`. */
export function formatTag(tag: number): string {
  return `(${hex4(tag >>> 16)},${hex4(tag & 0xffff)})`;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

const MAX_STRING_LENGTH: Partial<Record<CommandVr, number>> = {
  UI: 64,
  AE: 16,
  LO: 64,
  SH: 16,
  LT: 10240,
  CS: 16,
  IS: 12,
};

/* ------------------------------------------------------------------------------------------------ decoding ---- */

/** Options of {@link decodeCommandSet}. */
export interface DecodeCommandSetOptions {
  /**
   * Validate against the command table (known Command Field, mandatory elements, data set presence). Default true;
   * false still checks structure, group length and value lengths.
   */
  readonly validate?: boolean;
}

const latin1 = new TextDecoder('latin1');

/**
 * Decodes a command set (PS3.7 6.3, Implicit VR Little Endian). The Command Group Length must be the first element
 * and match the bytes that follow it exactly; tags must ascend and stay in group 0000; fixed-size values (US, UL,
 * AT) must have the size their VR demands; the Command Field must be one PS3.7 defines and every element its command
 * type makes mandatory must be present. Unknown elements of group 0000 are kept in `otherElements`, padding choices in
 * `preserved`, so that {@link encodeCommandSet} reproduces the input byte for byte.
 *
 * @throws InvalidCommandSetError with `problem` telling what is wrong.
 */
export function decodeCommandSet(bytes: Uint8Array, options: DecodeCommandSetOptions = {}): CommandSet {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw: { tag: number; value: Uint8Array }[] = [];
  let offset = 0;
  let previousTag = -1;
  while (offset < bytes.length) {
    if (bytes.length - offset < 8) {
      throw new InvalidCommandSetError(`truncated element header at offset ${offset}`, 'truncated');
    }
    const group = view.getUint16(offset, true);
    const element = view.getUint16(offset + 2, true);
    const length = view.getUint32(offset + 4, true);
    const tag = ((group << 16) | element) >>> 0;
    if (group !== 0x0000) {
      throw new InvalidCommandSetError(`element ${formatTag(tag)} outside the command group`, 'not-command-group', {
        tag,
      });
    }
    if (length === 0xffffffff || length > bytes.length - offset - 8) {
      throw new InvalidCommandSetError(
        `element ${formatTag(tag)} announces ${length} bytes but only ${bytes.length - offset - 8} remain`,
        'truncated',
        { tag },
      );
    }
    if (tag === previousTag) {
      throw new InvalidCommandSetError(`element ${formatTag(tag)} appears twice`, 'duplicate-element', { tag });
    }
    if (tag < previousTag) {
      throw new InvalidCommandSetError(`element ${formatTag(tag)} out of ascending tag order`, 'tag-order', { tag });
    }
    previousTag = tag;
    raw.push({ tag, value: bytes.subarray(offset + 8, offset + 8 + length) });
    offset += 8 + length;
  }

  const first = raw[0];
  if (first === undefined || first.tag !== 0x00000000) {
    throw new InvalidCommandSetError('Command Group Length (0000,0000) missing or not first', 'group-length', {
      tag: 0,
    });
  }
  if (first.value.length !== 4) {
    throw new InvalidCommandSetError(
      `Command Group Length has ${first.value.length} bytes, UL needs 4`,
      'bad-value-length',
      { tag: 0 },
    );
  }
  const groupLength = view.getUint32(first.value.byteOffset - bytes.byteOffset, true);
  const actual = bytes.length - 12;
  if (groupLength !== actual) {
    throw new InvalidCommandSetError(
      `Command Group Length says ${groupLength} bytes but ${actual} follow it`,
      'group-length',
      { tag: 0 },
    );
  }

  // Salvage Command Field and Message ID early so that later errors can carry them (the receiver may answer).
  const peekUs = (tag: number): number | undefined => {
    const e = raw.find((r) => r.tag === tag);
    return e && e.value.length === 2 ? e.value[0]! | (e.value[1]! << 8) : undefined;
  };
  const salvage: { commandField?: number; messageId?: number } = {};
  const cf = peekUs(0x00000100);
  const mid = peekUs(0x00000110);
  if (cf !== undefined) salvage.commandField = cf;
  if (mid !== undefined) salvage.messageId = mid;

  const result: Record<string, unknown> = {};
  const others: RawCommandElement[] = [];
  const preserved = new Map<number, { decoded: unknown; bytes: Uint8Array }>();
  for (const { tag, value } of raw.slice(1)) {
    const definition = elementByTag.get(tag);
    if (definition === undefined || definition.property === undefined) {
      others.push({ tag, value });
      continue;
    }
    const decoded = decodeValue(definition, value, salvage, options.validate !== false);
    result[definition.property] = decoded;
    preserved.set(tag, { decoded, bytes: value });
  }
  if (others.length > 0) result['otherElements'] = others;
  result['preserved'] = { values: preserved } satisfies CommandSetPreserved;

  if (result['commandField'] === undefined) {
    throw new InvalidCommandSetError('Command Field (0000,0100) missing', 'missing-element', {
      tag: 0x00000100,
      ...salvage,
    });
  }
  if (result['commandDataSetType'] === undefined) {
    throw new InvalidCommandSetError('Command Data Set Type (0000,0800) missing', 'missing-element', {
      tag: 0x00000800,
      ...salvage,
    });
  }
  const command = result as unknown as CommandSet;
  if (options.validate !== false) validateAgainstTable(command, salvage);
  return command;
}

function decodeValue(
  definition: CommandElementDefinition,
  value: Uint8Array,
  salvage: { commandField?: number; messageId?: number },
  checkForms: boolean,
): unknown {
  const { tag, vr } = definition;
  const lengthError = (expected: string) =>
    new InvalidCommandSetError(
      `${definition.keyword} ${formatTag(tag)} (${vr}) has ${value.length} bytes, expected ${expected}`,
      'bad-value-length',
      { tag, ...salvage },
    );
  switch (vr) {
    case 'US':
      if (value.length !== 2) throw lengthError('2');
      return value[0]! | (value[1]! << 8);
    case 'UL':
      if (value.length !== 4) throw lengthError('4');
      return (value[0]! | (value[1]! << 8) | (value[2]! << 16) | (value[3]! << 24)) >>> 0;
    case 'AT': {
      if (value.length % 4 !== 0) throw lengthError('a multiple of 4');
      const tags: number[] = [];
      for (let i = 0; i < value.length; i += 4) {
        const group = value[i]! | (value[i + 1]! << 8);
        const element = value[i + 2]! | (value[i + 3]! << 8);
        tags.push(((group << 16) | element) >>> 0);
      }
      return tags;
    }
    case 'UI': {
      const text = latin1.decode(value).replace(/[\0 ]+$/, '');
      // Without validation the value is kept as sent, so that a mistyped request can still be answered 0x0212.
      if (checkForms && !/^[0-9.]*$/.test(text)) {
        throw new InvalidCommandSetError(
          `${definition.keyword} ${formatTag(tag)} is not a UID: ${JSON.stringify(text)}`,
          'bad-value',
          {
            tag,
            ...salvage,
          },
        );
      }
      return text;
    }
    case 'AE':
      return latin1
        .decode(value)
        .replace(/^ +/, '')
        .replace(/[ \0]+$/, '');
    default:
      return latin1.decode(value).replace(/[ \0]+$/, '');
  }
}

function validateAgainstTable(command: CommandSet, salvage: { commandField?: number; messageId?: number }): void {
  const type = typeByField.get(command.commandField);
  if (type === undefined) {
    throw new InvalidCommandSetError(`unknown Command Field 0x${hex4(command.commandField)}`, 'unknown-command-field', {
      tag: 0x00000100,
      ...salvage,
    });
  }
  for (const property of type.required) {
    if (command[property] === undefined) {
      const definition = elementByProperty.get(property)!;
      throw new InvalidCommandSetError(
        `${type.name} lacks mandatory ${definition.keyword} ${formatTag(definition.tag)} (${type.section})`,
        'missing-element',
        { tag: definition.tag, ...salvage },
      );
    }
  }
  const present = hasDataSet(command);
  if ((type.dataSet === 'required' && !present) || (type.dataSet === 'none' && present)) {
    throw new InvalidCommandSetError(
      `${type.name} ${type.dataSet === 'required' ? 'needs' : 'cannot have'} a data set but Command Data Set Type is 0x${hex4(command.commandDataSetType)}`,
      'data-set-type',
      { tag: 0x00000800, ...salvage },
    );
  }
}

/* ------------------------------------------------------------------------------------------------ encoding ---- */

/** Options of {@link encodeCommandSet}. */
export interface EncodeCommandSetOptions {
  /** Validate against the command table, as {@link decodeCommandSet} does. Default true. */
  readonly validate?: boolean;
}

/**
 * Encodes a command set in Implicit VR Little Endian (PS3.7 6.3.1) with its Command Group Length (0000,0000) computed,
 * elements in ascending tag order, UIDs padded with NUL and other strings with spaces to even length (PS3.5 6.2).
 * Values decoded by {@link decodeCommandSet} and left unchanged are written back with their original bytes.
 *
 * @throws InvalidCommandSetError for values that do not fit their VR or a command set the table does not allow.
 */
export function encodeCommandSet(command: CommandSet, options: EncodeCommandSetOptions = {}): Uint8Array {
  if (options.validate !== false) {
    const salvage: { commandField?: number; messageId?: number } = { commandField: command.commandField };
    if (command.messageId !== undefined) salvage.messageId = command.messageId;
    validateAgainstTable(command, salvage);
  }
  const parts: { tag: number; bytes: Uint8Array }[] = [];
  for (const definition of commandElements) {
    if (definition.property === undefined) continue;
    const value = command[definition.property];
    if (value === undefined) continue;
    const kept = command.preserved?.values.get(definition.tag);
    if (kept !== undefined && sameValue(kept.decoded, value)) {
      parts.push({ tag: definition.tag, bytes: kept.bytes });
    } else {
      parts.push({ tag: definition.tag, bytes: encodeValue(definition, value) });
    }
  }
  for (const other of command.otherElements ?? []) {
    if (other.tag >>> 16 !== 0 || other.tag === 0) {
      throw new InvalidCommandSetError(
        `raw element ${formatTag(other.tag)} is not a command element`,
        'not-command-group',
        {
          tag: other.tag,
        },
      );
    }
    const definition = elementByTag.get(other.tag);
    if (definition?.property !== undefined) {
      throw new InvalidCommandSetError(
        `raw element ${formatTag(other.tag)} duplicates typed ${definition.property}`,
        'duplicate-element',
        { tag: other.tag },
      );
    }
    parts.push({ tag: other.tag, bytes: other.value });
  }
  parts.sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < parts.length; i++) {
    if (parts[i]!.tag === parts[i - 1]!.tag) {
      throw new InvalidCommandSetError(`element ${formatTag(parts[i]!.tag)} given twice`, 'duplicate-element', {
        tag: parts[i]!.tag,
      });
    }
  }
  let total = 12;
  for (const p of parts) total += 8 + p.bytes.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0, true);
  view.setUint32(4, 4, true);
  view.setUint32(8, total - 12, true);
  let offset = 12;
  for (const p of parts) {
    view.setUint16(offset, p.tag >>> 16, true);
    view.setUint16(offset + 2, p.tag & 0xffff, true);
    view.setUint32(offset + 4, p.bytes.length, true);
    out.set(p.bytes, offset + 8);
    offset += 8 + p.bytes.length;
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

function encodeValue(definition: CommandElementDefinition, value: unknown): Uint8Array {
  const { tag, vr, keyword } = definition;
  const bad = (why: string) => new InvalidCommandSetError(`${keyword} ${formatTag(tag)}: ${why}`, 'bad-value', { tag });
  switch (vr) {
    case 'US': {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) {
        throw bad(`US needs an integer 0..65535, got ${String(value)}`);
      }
      return new Uint8Array([value & 0xff, value >>> 8]);
    }
    case 'UL': {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        throw bad(`UL needs an integer 0..2^32-1, got ${String(value)}`);
      }
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, value, true);
      return out;
    }
    case 'AT': {
      if (!Array.isArray(value)) throw bad('AT needs an array of tags');
      const out = new Uint8Array(value.length * 4);
      const view = new DataView(out.buffer);
      value.forEach((t: unknown, i) => {
        if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 0xffffffff) throw bad(`bad tag ${String(t)}`);
        view.setUint16(i * 4, t >>> 16, true);
        view.setUint16(i * 4 + 2, t & 0xffff, true);
      });
      return out;
    }
    default: {
      if (typeof value !== 'string') throw bad(`${vr} needs a string`);
      const max = MAX_STRING_LENGTH[vr] ?? 64;
      if (value.length > max) throw bad(`${vr} allows ${max} characters, got ${value.length}`);
      if (vr === 'UI') {
        if (!/^[0-9.]*$/.test(value)) throw bad(`not a UID: ${JSON.stringify(value)}`);
      } else if (!/^[\x20-\x7e]*$/.test(value) || value.includes('\\')) {
        throw bad(`${vr} allows printable ASCII without backslash only`);
      }
      const padded = value.length % 2 === 1 ? value + (vr === 'UI' ? '\0' : ' ') : value;
      const out = new Uint8Array(padded.length);
      for (let i = 0; i < padded.length; i++) out[i] = padded.charCodeAt(i);
      return out;
    }
  }
}
