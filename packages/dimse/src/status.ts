/**
 * DIMSE status values, PS3.7 Annex C (general statuses) and the service-specific ones of PS3.4 (storage B.2.3,
 * query/retrieve C.4.1.1.4, C.4.2.1.5, C.4.3.1.4). Non-success statuses are values, never exceptions.
 */

/** Category of a status, PS3.7 C.1 to C.5 (success, warning, failure, cancel, pending). */
export type StatusCategory = 'success' | 'warning' | 'failure' | 'pending' | 'cancel';

/** A status value with its category and readable name. */
export interface DimseStatus {
  readonly code: number;
  readonly category: StatusCategory;
  readonly name: string;
}

/** Named status codes, PS3.7 Annex C and PS3.4 B.2.3 / C.4. Ranges (0xA7xx, 0xA9xx, 0xCxxx) are given by their base. */
export const Status = {
  /** PS3.7 Annex C (success). */
  Success: 0x0000,
  /** PS3.7 Annex C (warning): requested optional attributes are not supported (N-GET). */
  AttributesNotSupported: 0x0001,
  /** PS3.7 Annex C (warning): attribute list error. */
  AttributeListError: 0x0107,
  /** PS3.7 Annex C (warning): attribute value out of range. */
  AttributeValueOutOfRange: 0x0116,
  /** PS3.4 B.2.3 Warning: Coercion of Data Elements. C-GET/C-MOVE: sub-operations complete, one or more failures. */
  CoercionOfDataElements: 0xb000,
  /** PS3.4 B.2.3 Warning: Elements Discarded. */
  ElementsDiscarded: 0xb006,
  /** PS3.4 B.2.3 Warning: Data Set does not match SOP Class. */
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  /** PS3.7 Annex C (cancel). */
  Cancel: 0xfe00,
  /** PS3.7 Annex C (pending). */
  Pending: 0xff00,
  /** PS3.4 C.4.1.1.4 Pending: optional keys not supported. */
  PendingWarning: 0xff01,
  /** PS3.7 Annex C (failure): no such attribute. */
  NoSuchAttribute: 0x0105,
  /** Invalid attribute value. */
  InvalidAttributeValue: 0x0106,
  /** PS3.7 Annex C (failure): processing failure. */
  ProcessingFailure: 0x0110,
  /** Duplicate SOP instance. */
  DuplicateSopInstance: 0x0111,
  /** No such SOP instance. */
  NoSuchSopInstance: 0x0112,
  /** No such event type. */
  NoSuchEventType: 0x0113,
  /** No such argument. */
  NoSuchArgument: 0x0114,
  /** Invalid argument value. */
  InvalidArgumentValue: 0x0115,
  /** Invalid object instance. */
  InvalidObjectInstance: 0x0117,
  /** No such SOP class. */
  NoSuchSopClass: 0x0118,
  /** Class-instance conflict. */
  ClassInstanceConflict: 0x0119,
  /** Missing attribute. */
  MissingAttribute: 0x0120,
  /** Missing attribute value. */
  MissingAttributeValue: 0x0121,
  /** PS3.7 Annex C (failure): refused, SOP class not supported. */
  SopClassNotSupported: 0x0122,
  /** No such action. */
  NoSuchAction: 0x0123,
  /** Refused: not authorized. */
  NotAuthorized: 0x0124,
  /** Duplicate invocation (a Message ID already outstanding). */
  DuplicateInvocation: 0x0210,
  /** Unrecognized operation. */
  UnrecognizedOperation: 0x0211,
  /** Mistyped argument. */
  MistypedArgument: 0x0212,
  /** Resource limitation. */
  ResourceLimitation: 0x0213,
  /** PS3.4 B.2.3 Refused: Out of Resources (0xA7xx). */
  OutOfResources: 0xa700,
  /** PS3.4 C.4.2.1.5 Refused: Out of resources, unable to calculate number of matches. */
  OutOfResourcesNumberOfMatches: 0xa701,
  /** PS3.4 C.4.2.1.5 Refused: Out of resources, unable to perform sub-operations. */
  OutOfResourcesSubOperations: 0xa702,
  /** PS3.4 C.4.2.1.5 Refused: Move destination unknown. */
  MoveDestinationUnknown: 0xa801,
  /** PS3.4 B.2.3 Error: Data Set does not match SOP Class (0xA9xx); C-FIND/GET/MOVE: identifier does not match. */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** PS3.4 B.2.3 Error: Cannot understand (0xCxxx); C-FIND/GET/MOVE: unable to process. */
  CannotUnderstand: 0xc000,
} as const;

const GENERAL: ReadonlyMap<number, string> = new Map([
  [0x0000, 'Success'],
  [0x0001, 'Warning: Requested optional Attributes are not supported'],
  [0x0105, 'Failure: No such Attribute'],
  [0x0106, 'Failure: Invalid Attribute value'],
  [0x0107, 'Warning: Attribute list error'],
  [0x0110, 'Failure: Processing failure'],
  [0x0111, 'Failure: Duplicate SOP Instance'],
  [0x0112, 'Failure: No such SOP Instance'],
  [0x0113, 'Failure: No such event type'],
  [0x0114, 'Failure: No such argument'],
  [0x0115, 'Failure: Invalid argument value'],
  [0x0116, 'Warning: Attribute Value Out of Range'],
  [0x0117, 'Failure: Invalid object instance'],
  [0x0118, 'Failure: No such SOP Class'],
  [0x0119, 'Failure: Class-instance conflict'],
  [0x0120, 'Failure: Missing Attribute'],
  [0x0121, 'Failure: Missing Attribute value'],
  [0x0122, 'Refused: SOP Class not supported'],
  [0x0123, 'Failure: No such action'],
  [0x0124, 'Refused: Not authorized'],
  [0x0210, 'Failure: Duplicate invocation'],
  [0x0211, 'Failure: Unrecognized operation'],
  [0x0212, 'Failure: Mistyped argument'],
  [0x0213, 'Failure: Resource limitation'],
  [0xfe00, 'Cancel'],
  [0xff00, 'Pending'],
  [0xff01, 'Pending: Warning (optional keys not supported)'],
]);

const WARNING_CODES = new Set([0x0001, 0x0107, 0x0116]);

/**
 * Category of a status code, PS3.7 Annex C: 0x0000 success; 0xFF00/0xFF01 pending; 0xFE00 cancel; 0x0001, 0x0107,
 * 0x0116 and 0xBxxx warning; everything else failure.
 */
export function statusCategory(code: number): StatusCategory {
  if (code === 0x0000) return 'success';
  if (code === 0xff00 || code === 0xff01) return 'pending';
  if (code === 0xfe00) return 'cancel';
  if (WARNING_CODES.has(code) || (code & 0xf000) === 0xb000) return 'warning';
  return 'failure';
}

/**
 * Describes a status code: category and readable name (PS3.7 Annex C; PS3.4 B.2.3 for C-STORE, C.4 for
 * C-FIND/C-GET/C-MOVE). `commandField` (request or response value, e.g. 0x0001 or 0x8001) selects the service's
 * meaning where codes are service-specific (0xA7xx, 0xA9xx, 0xB000, 0xCxxx); without it the storage meaning is used.
 * Unknown codes still get their category from the PS3.7 ranges.
 */
export function describeStatus(code: number, commandField?: number): DimseStatus {
  const category = statusCategory(code);
  return { code, category, name: statusName(code, commandField === undefined ? undefined : commandField & 0x7fff) };
}

function statusName(code: number, service: number | undefined): string {
  const queryRetrieve = service === 0x0020 || service === 0x0010 || service === 0x0021;
  const getOrMove = service === 0x0010 || service === 0x0021;
  if (getOrMove) {
    if (code === 0xa701) return 'Refused: Out of Resources - Unable to calculate number of matches';
    if (code === 0xa702) return 'Refused: Out of Resources - Unable to perform sub-operations';
    if (code === 0xa801) return 'Refused: Move Destination unknown';
    if (code === 0xb000) return 'Warning: Sub-operations Complete - One or more Failures or Warnings';
  }
  if (queryRetrieve) {
    if ((code & 0xff00) === 0xa700) return 'Refused: Out of Resources';
    if (code === 0xa900) return 'Failed: Identifier does not match SOP Class';
    if ((code & 0xf000) === 0xc000) return 'Failed: Unable to process';
  }
  const general = GENERAL.get(code);
  if (general !== undefined) return general;
  if (service === undefined || service === 0x0001) {
    if ((code & 0xff00) === 0xa700) return 'Refused: Out of Resources';
    if ((code & 0xff00) === 0xa900) return 'Error: Data Set does not match SOP Class';
    if ((code & 0xf000) === 0xc000) return 'Error: Cannot understand';
    if (code === 0xb000) return 'Warning: Coercion of Data Elements';
    if (code === 0xb006) return 'Warning: Elements Discarded';
    if (code === 0xb007) return 'Warning: Data Set does not match SOP Class';
  }
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  const category = statusCategory(code);
  return `${category[0]!.toUpperCase()}${category.slice(1)}: unknown status 0x${hex}`;
}
