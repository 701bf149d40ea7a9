/**
 * The datasets behind the fixtures, one builder per kind: realistic Patient / Study / Series / Equipment modules
 * (PS3.3 C.7), the modality's own modules, and pixel data from `pixels.ts`. All UIDs are under `2.25.` and derived
 * from a seed, so the same seed gives the same bytes.
 *
 * @packageDocumentation
 */
import { FixtureError } from './errors.js';
import { type DataElement, type Dataset, element as el, type Item } from './part10.js';
import { makePdf } from './pdf.js';
import { ctSlice, mono8Frames, mrSlice, rgbImage } from './pixels.js';
import { SopClassUid, Tag } from './tags.js';
import { uidFromName } from './uids.js';

/** The kinds of fixture this package generates. */
export type FixtureKind =
  | 'ct'
  | 'mr'
  | 'multiframe'
  | 'sc-rgb'
  | 'sr'
  | 'pdf'
  | 'rt-plan'
  | 'rt-struct'
  | 'odd-latin1'
  | 'odd-utf8';

/** Pixel layout of an image kind (PS3.3 C.7.6.3). */
export interface ImageLayout {
  readonly rows: number;
  readonly columns: number;
  readonly frames: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
}

/** What a kind is. */
export interface FixtureKindInfo {
  readonly kind: FixtureKind;
  readonly sopClassUid: string;
  readonly modality: string;
  readonly description: string;
  /** Absent for objects without Pixel Data (SR, PDF, RT): these exist in uncompressed transfer syntaxes only. */
  readonly image?: ImageLayout;
}

/** Every kind with its SOP Class and pixel layout. */
export const FIXTURE_KINDS: readonly FixtureKindInfo[] = [
  {
    kind: 'ct',
    sopClassUid: SopClassUid.CTImageStorage,
    modality: 'CT',
    description: 'CT Image, 512x512, 16 bits allocated / 12 stored, ~513 KB',
    image: { rows: 512, columns: 512, frames: 1, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12 },
  },
  {
    kind: 'mr',
    sopClassUid: SopClassUid.MRImageStorage,
    modality: 'MR',
    description: 'MR Image, 256x256, 16 bits stored',
    image: { rows: 256, columns: 256, frames: 1, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 16 },
  },
  {
    kind: 'multiframe',
    sopClassUid: SopClassUid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    modality: 'OT',
    description: 'Multi-frame Grayscale Byte Secondary Capture, 16 frames of 256x256x8 bits',
    image: { rows: 256, columns: 256, frames: 16, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8 },
  },
  {
    kind: 'sc-rgb',
    sopClassUid: SopClassUid.SecondaryCaptureImageStorage,
    modality: 'OT',
    description: 'Secondary Capture, RGB 320x240, 8 bits per sample, pixel interleaved',
    image: { rows: 240, columns: 320, frames: 1, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8 },
  },
  {
    kind: 'sr',
    sopClassUid: SopClassUid.BasicTextSRStorage,
    modality: 'SR',
    description: 'Basic Text SR: a report with nested content items',
  },
  {
    kind: 'pdf',
    sopClassUid: SopClassUid.EncapsulatedPDFStorage,
    modality: 'DOC',
    description: 'Encapsulated PDF of a one-page report (odd-length document, padded)',
  },
  {
    kind: 'rt-plan',
    sopClassUid: SopClassUid.RTPlanStorage,
    modality: 'RTPLAN',
    description: 'RT Plan: one static photon beam with two control points',
  },
  {
    kind: 'rt-struct',
    sopClassUid: SopClassUid.RTStructureSetStorage,
    modality: 'RTSTRUCT',
    description: 'RT Structure Set: two ROIs with closed planar contours',
  },
  {
    kind: 'odd-latin1',
    sopClassUid: SopClassUid.SecondaryCaptureImageStorage,
    modality: 'OT',
    description:
      'Odd cases, ISO_IR 100: odd-length values, empty values, private tags and a private sequence, undefined-length sequences and items, every binary VR',
    image: { rows: 64, columns: 64, frames: 1, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8 },
  },
  {
    kind: 'odd-utf8',
    sopClassUid: SopClassUid.SecondaryCaptureImageStorage,
    modality: 'OT',
    description: 'Odd cases as odd-latin1, with ISO_IR 192 (UTF-8): Greek, CJK and accented names',
    image: { rows: 64, columns: 64, frames: 1, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8 },
  },
];

/** The facts about a kind; throws `FixtureError` for an unknown one. */
export function fixtureKindInfo(kind: string): FixtureKindInfo {
  const info = FIXTURE_KINDS.find((k) => k.kind === kind);
  if (info === undefined) {
    throw new FixtureError(
      `unknown fixture kind ${JSON.stringify(kind)}; known: ${FIXTURE_KINDS.map((k) => k.kind).join(', ')}`,
    );
  }
  return info;
}

/** Options of {@link buildFixtureObject}. */
export interface BuildOptions {
  /** Derives every UID; the same seed gives the same object. Default `netdicom-fixtures`. */
  readonly seed?: string;
  /** Distinguishes instances of the same kind and seed (SOP Instance UID); default `'1'`. */
  readonly instanceKey?: string;
  /** Instance Number (0020,0013); default 1. */
  readonly instanceNumber?: number;
  /**
   * The object will be written in Implicit VR: the odd kinds then give their private sequence a defined length, since
   * an undefined-length element of unknown VR in Implicit VR can only be read as a sequence by guessing (CP-246), and
   * DCMTK warns about it. The public undefined-length sequences stay.
   */
  readonly implicitVr?: boolean;
}

/** A fixture before it is written: its identifiers and its dataset. */
export interface FixtureObject {
  readonly kind: FixtureKind;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly patientId: string;
  readonly dataset: Dataset;
}

interface Ids {
  readonly seed: string;
  readonly kind: FixtureKind;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
  readonly instanceNumber: number;
  readonly patientId: string;
  readonly implicitVr: boolean;
}

/**
 * Builds the dataset of one fixture kind (not yet encoded). The CT of `makeCtSeries` is the `ct` kind with per-slice
 * geometry.
 */
export function buildFixtureObject(kind: FixtureKind, options: BuildOptions = {}): FixtureObject {
  const info = fixtureKindInfo(kind);
  const seed = options.seed ?? 'netdicom-fixtures';
  const ids: Ids = {
    seed,
    kind,
    sopClassUid: info.sopClassUid,
    sopInstanceUid: uidFromName(`${seed}/${kind}/instance/${options.instanceKey ?? '1'}`),
    studyInstanceUid: uidFromName(`${seed}/study`),
    seriesInstanceUid: uidFromName(`${seed}/${kind}/series`),
    frameOfReferenceUid: uidFromName(`${seed}/frame-of-reference`),
    instanceNumber: options.instanceNumber ?? 1,
    patientId: kind.startsWith('odd-') ? 'ODD-ID1' : 'NETDICOM-0001',
    implicitVr: options.implicitVr === true,
  };
  const dataset = BUILDERS[kind](ids, info);
  return {
    kind,
    sopClassUid: ids.sopClassUid,
    sopInstanceUid: ids.sopInstanceUid,
    studyInstanceUid: ids.studyInstanceUid,
    seriesInstanceUid: ids.seriesInstanceUid,
    patientId: ids.patientId,
    dataset,
  };
}

const STUDY_DATE = '20240115';
const STUDY_TIME = '101500';

/** SOP Common, Patient, General Study, General Series, General Equipment (PS3.3 C.12.1, C.7.1.1, C.7.2.1, C.7.3.1, C.7.5.1). */
function common(ids: Ids, modality: string, seriesDescription: string): DataElement[] {
  return [
    el(Tag.SOPClassUID, 'UI', ids.sopClassUid),
    el(Tag.SOPInstanceUID, 'UI', ids.sopInstanceUid),
    el(Tag.InstanceCreationDate, 'DA', STUDY_DATE),
    el(Tag.InstanceCreationTime, 'TM', '101733'),
    el(Tag.StudyDate, 'DA', STUDY_DATE),
    el(Tag.SeriesDate, 'DA', STUDY_DATE),
    el(Tag.ContentDate, 'DA', STUDY_DATE),
    el(Tag.StudyTime, 'TM', STUDY_TIME),
    el(Tag.SeriesTime, 'TM', '101600'),
    el(Tag.ContentTime, 'TM', '101733.250000'),
    el(Tag.AccessionNumber, 'SH', 'ACC-2024-0042'),
    el(Tag.Modality, 'CS', modality),
    el(Tag.Manufacturer, 'LO', 'netdicom'),
    el(Tag.InstitutionName, 'LO', 'netdicom Test Hospital'),
    el(Tag.ReferringPhysicianName, 'PN', 'House^Gregory^^Dr.'),
    el(Tag.StudyDescription, 'LO', 'netdicom interop fixtures'),
    el(Tag.SeriesDescription, 'LO', seriesDescription),
    el(Tag.ManufacturerModelName, 'LO', 'test-peers'),
    el(Tag.PatientName, 'PN', 'Doe^Jane'),
    el(Tag.PatientID, 'LO', ids.patientId),
    el(Tag.PatientBirthDate, 'DA', '19700101'),
    el(Tag.PatientSex, 'CS', 'F'),
    el(Tag.PatientAge, 'AS', '054Y'),
    el(Tag.SoftwareVersions, 'LO', 'netdicom-test-peers 1'),
    el(Tag.StudyInstanceUID, 'UI', ids.studyInstanceUid),
    el(Tag.SeriesInstanceUID, 'UI', ids.seriesInstanceUid),
    el(Tag.StudyID, 'SH', 'S1'),
    el(Tag.SeriesNumber, 'IS', seriesNumber(ids.kind)),
    el(Tag.InstanceNumber, 'IS', ids.instanceNumber),
  ];
}

function seriesNumber(kind: FixtureKind): number {
  return FIXTURE_KINDS.findIndex((k) => k.kind === kind) + 1;
}

/** Image Pixel module (PS3.3 C.7.6.3) for a layout, with the given pixel bytes. */
function imagePixel(layout: ImageLayout, photometric: string, pixels: Uint8Array, signed = false): DataElement[] {
  const elements: DataElement[] = [
    el(Tag.SamplesPerPixel, 'US', layout.samplesPerPixel),
    el(Tag.PhotometricInterpretation, 'CS', photometric),
    el(Tag.Rows, 'US', layout.rows),
    el(Tag.Columns, 'US', layout.columns),
    el(Tag.BitsAllocated, 'US', layout.bitsAllocated),
    el(Tag.BitsStored, 'US', layout.bitsStored),
    el(Tag.HighBit, 'US', layout.bitsStored - 1),
    el(Tag.PixelRepresentation, 'US', signed ? 1 : 0),
    el(Tag.PixelData, layout.bitsAllocated > 8 ? 'OW' : 'OB', pixels),
  ];
  if (layout.samplesPerPixel > 1) elements.push(el(Tag.PlanarConfiguration, 'US', 0));
  const expected = layout.rows * layout.columns * layout.frames * layout.samplesPerPixel * (layout.bitsAllocated / 8);
  if (pixels.byteLength !== expected) {
    throw new FixtureError(`pixel data of ${pixels.byteLength} bytes, expected ${expected}`);
  }
  return elements;
}

function layoutOf(info: FixtureKindInfo): ImageLayout {
  if (info.image === undefined) throw new FixtureError(`${info.kind} has no pixel data`);
  return info.image;
}

function code(value: string, scheme: string, meaning: string): DataElement[] {
  return [
    el(Tag.CodeValue, 'SH', value),
    el(Tag.CodingSchemeDesignator, 'SH', scheme),
    el(Tag.CodeMeaning, 'LO', meaning),
  ];
}

/** Per-slice geometry of the CT series (Image Plane module, PS3.3 C.7.6.2): 2.5 mm axial slices. */
export function ctSliceGeometry(index: number): { position: number[]; location: number } {
  const z = -200 + index * 2.5;
  return { position: [-249.51171875, -249.51171875, z], location: z };
}

function ct(ids: Ids, info: FixtureKindInfo): Dataset {
  const layout = layoutOf(info);
  const slice = ids.instanceNumber - 1;
  const geometry = ctSliceGeometry(slice);
  return [
    ...common(ids, 'CT', 'Thorax 2.5 mm'),
    el(Tag.ImageType, 'CS', ['ORIGINAL', 'PRIMARY', 'AXIAL']),
    el(Tag.BodyPartExamined, 'CS', 'CHEST'),
    el(Tag.SliceThickness, 'DS', '2.5'),
    el(Tag.KVP, 'DS', '120'),
    el(Tag.ProtocolName, 'LO', 'Chest routine'),
    el(Tag.ExposureTime, 'IS', 500),
    el(Tag.XRayTubeCurrent, 'IS', 250),
    el(Tag.ConvolutionKernel, 'SH', 'B30f'),
    el(Tag.PatientPosition, 'CS', 'HFS'),
    el(Tag.AcquisitionNumber, 'IS', 1),
    el(Tag.ImagePositionPatient, 'DS', geometry.position),
    el(Tag.ImageOrientationPatient, 'DS', [1, 0, 0, 0, 1, 0]),
    el(Tag.FrameOfReferenceUID, 'UI', ids.frameOfReferenceUid),
    el(Tag.PositionReferenceIndicator, 'LO', ''),
    el(Tag.SliceLocation, 'DS', geometry.location),
    el(Tag.PixelSpacing, 'DS', ['0.9765625', '0.9765625']),
    el(Tag.WindowCenter, 'DS', ['40', '-600']),
    el(Tag.WindowWidth, 'DS', ['400', '1500']),
    el(Tag.RescaleIntercept, 'DS', '-1024'),
    el(Tag.RescaleSlope, 'DS', '1'),
    el(Tag.RescaleType, 'LO', 'HU'),
    ...imagePixel(layout, 'MONOCHROME2', ctSlice(layout.rows, layout.columns, slice)),
  ];
}

function mr(ids: Ids, info: FixtureKindInfo): Dataset {
  const layout = layoutOf(info);
  return [
    ...common(ids, 'MR', 'T2 TSE axial'),
    el(Tag.ImageType, 'CS', ['ORIGINAL', 'PRIMARY', 'M', 'ND']),
    el(Tag.BodyPartExamined, 'CS', 'HEAD'),
    el(Tag.ScanningSequence, 'CS', 'SE'),
    el(Tag.SequenceVariant, 'CS', ['SK', 'SP']),
    el(Tag.ScanOptions, 'CS', ''),
    el(Tag.MRAcquisitionType, 'CS', '2D'),
    el(Tag.SliceThickness, 'DS', '5'),
    el(Tag.RepetitionTime, 'DS', '4000'),
    el(Tag.EchoTime, 'DS', '98'),
    el(Tag.ImagedNucleus, 'SH', '1H'),
    el(Tag.MagneticFieldStrength, 'DS', '1.5'),
    el(Tag.SpacingBetweenSlices, 'DS', '6'),
    el(Tag.EchoTrainLength, 'IS', 15),
    el(Tag.FlipAngle, 'DS', '150'),
    el(Tag.PatientPosition, 'CS', 'HFS'),
    el(Tag.AcquisitionNumber, 'IS', 1),
    el(Tag.ImagePositionPatient, 'DS', [-115, -128.5, 12.25]),
    el(Tag.ImageOrientationPatient, 'DS', [1, 0, 0, 0, 1, 0]),
    el(Tag.FrameOfReferenceUID, 'UI', ids.frameOfReferenceUid),
    el(Tag.PositionReferenceIndicator, 'LO', ''),
    el(Tag.SliceLocation, 'DS', 12.25),
    el(Tag.PixelSpacing, 'DS', ['0.8984375', '0.8984375']),
    el(Tag.WindowCenter, 'DS', 32_000),
    el(Tag.WindowWidth, 'DS', 64_000),
    ...imagePixel(layout, 'MONOCHROME2', mrSlice(layout.rows, layout.columns, 3)),
  ];
}

function multiframe(ids: Ids, info: FixtureKindInfo): Dataset {
  const layout = layoutOf(info);
  return [
    ...common(ids, 'OT', 'Multi-frame capture'),
    el(Tag.ImageType, 'CS', ['DERIVED', 'SECONDARY']),
    el(Tag.ConversionType, 'CS', 'WSD'),
    el(Tag.PatientOrientation, 'CS', ''),
    el(Tag.BurnedInAnnotation, 'CS', 'NO'),
    el(Tag.NumberOfFrames, 'IS', layout.frames),
    el(Tag.FrameIncrementPointer, 'AT', Tag.FrameLabelVector),
    el(
      Tag.FrameLabelVector,
      'SH',
      Array.from({ length: layout.frames }, (_, i) => `F${i + 1}`),
    ),
    ...imagePixel(layout, 'MONOCHROME2', mono8Frames(layout.rows, layout.columns, layout.frames)),
  ];
}

function scRgb(ids: Ids, info: FixtureKindInfo): Dataset {
  const layout = layoutOf(info);
  return [
    ...common(ids, 'OT', 'Screen capture'),
    el(Tag.ImageType, 'CS', ['DERIVED', 'SECONDARY']),
    el(Tag.ConversionType, 'CS', 'WSD'),
    el(Tag.PatientOrientation, 'CS', ''),
    el(Tag.BurnedInAnnotation, 'CS', 'NO'),
    ...imagePixel(layout, 'RGB', rgbImage(layout.rows, layout.columns)),
  ];
}

function sr(ids: Ids): Dataset {
  const finding = (text: string): Item => [
    el(Tag.RelationshipType, 'CS', 'CONTAINS'),
    el(Tag.ValueType, 'CS', 'TEXT'),
    el(Tag.ConceptNameCodeSequence, 'SQ', [code('121071', 'DCM', 'Finding')]),
    el(Tag.TextValue, 'UT', text),
  ];
  return [
    ...common(ids, 'SR', 'Radiology report'),
    el(Tag.ReferencedPerformedProcedureStepSequence, 'SQ', []),
    el(Tag.PerformedProcedureCodeSequence, 'SQ', []),
    el(Tag.CompletionFlag, 'CS', 'COMPLETE'),
    el(Tag.VerificationFlag, 'CS', 'UNVERIFIED'),
    el(Tag.ValueType, 'CS', 'CONTAINER'),
    el(Tag.ConceptNameCodeSequence, 'SQ', [code('18748-4', 'LN', 'Diagnostic Imaging Report')]),
    el(Tag.ContinuityOfContent, 'CS', 'SEPARATE'),
    el(
      Tag.ContentSequence,
      'SQ',
      [
        [
          el(Tag.RelationshipType, 'CS', 'CONTAINS'),
          el(Tag.ValueType, 'CS', 'CONTAINER'),
          el(Tag.ConceptNameCodeSequence, 'SQ', [code('121070', 'DCM', 'Findings')]),
          el(Tag.ContinuityOfContent, 'CS', 'SEPARATE'),
          el(Tag.ContentSequence, 'SQ', [finding('No focal lesion.'), finding('Lungs are clear; no effusion.')], true),
        ],
        [
          el(Tag.RelationshipType, 'CS', 'CONTAINS'),
          el(Tag.ValueType, 'CS', 'TEXT'),
          el(Tag.ConceptNameCodeSequence, 'SQ', [code('121076', 'DCM', 'Conclusion')]),
          el(Tag.TextValue, 'UT', 'Normal chest CT.\r\nNo follow-up needed.'),
        ],
      ],
      true,
    ),
  ];
}

function pdf(ids: Ids): Dataset {
  const document = makePdf(['netdicom test report', 'Patient: Doe^Jane', `Instance: ${ids.instanceNumber}`]);
  return [
    ...common(ids, 'DOC', 'Scanned report'),
    el(Tag.ConversionType, 'CS', 'WSD'),
    el(Tag.AcquisitionDateTime, 'DT', `${STUDY_DATE}101700`),
    el(Tag.BurnedInAnnotation, 'CS', 'YES'),
    el(Tag.DocumentTitle, 'ST', 'netdicom test report'),
    el(Tag.ConceptNameCodeSequence, 'SQ', []),
    el(Tag.MIMETypeOfEncapsulatedDocument, 'LO', 'application/pdf'),
    el(Tag.EncapsulatedDocument, 'OB', document),
    el(Tag.EncapsulatedDocumentLength, 'UL', document.byteLength),
  ];
}

function rtSeries(ids: Ids, modality: string, description: string): DataElement[] {
  return [...common(ids, modality, description), el(Tag.OperatorsName, 'PN', '')];
}

function rtPlan(ids: Ids): Dataset {
  const controlPoint = (index: number, weight: string, first: boolean): Item => [
    el(Tag.ControlPointIndex, 'IS', index),
    el(Tag.CumulativeMetersetWeight, 'DS', weight),
    ...(first
      ? [
          el(Tag.NominalBeamEnergy, 'DS', '6'),
          el(Tag.BeamLimitingDevicePositionSequence, 'SQ', [
            [el(Tag.RTBeamLimitingDeviceType, 'CS', 'ASYMX'), el(Tag.LeafJawPositions, 'DS', ['-50', '50'])],
            [el(Tag.RTBeamLimitingDeviceType, 'CS', 'ASYMY'), el(Tag.LeafJawPositions, 'DS', ['-60', '60'])],
          ]),
          el(Tag.GantryAngle, 'DS', '0'),
          el(Tag.GantryRotationDirection, 'CS', 'NONE'),
          el(Tag.BeamLimitingDeviceAngle, 'DS', '0'),
          el(Tag.BeamLimitingDeviceRotationDirection, 'CS', 'NONE'),
          el(Tag.PatientSupportAngle, 'DS', '0'),
          el(Tag.PatientSupportRotationDirection, 'CS', 'NONE'),
          el(Tag.TableTopEccentricAngle, 'DS', '0'),
          el(Tag.TableTopEccentricRotationDirection, 'CS', 'NONE'),
          el(Tag.IsocenterPosition, 'DS', ['0', '0', '0']),
        ]
      : []),
  ];
  return [
    ...rtSeries(ids, 'RTPLAN', 'Plan'),
    el(Tag.FrameOfReferenceUID, 'UI', ids.frameOfReferenceUid),
    el(Tag.PositionReferenceIndicator, 'LO', ''),
    el(Tag.RTPlanLabel, 'SH', 'CHEST AP'),
    el(Tag.RTPlanName, 'LO', 'Chest AP single field'),
    el(Tag.RTPlanDate, 'DA', STUDY_DATE),
    el(Tag.RTPlanTime, 'TM', '120000'),
    el(Tag.RTPlanGeometry, 'CS', 'TREATMENT_DEVICE'),
    el(Tag.PatientSetupSequence, 'SQ', [[el(Tag.PatientPosition, 'CS', 'HFS'), el(Tag.PatientSetupNumber, 'IS', 1)]]),
    el(Tag.FractionGroupSequence, 'SQ', [
      [
        el(Tag.FractionGroupNumber, 'IS', 1),
        el(Tag.NumberOfFractionsPlanned, 'IS', 25),
        el(Tag.NumberOfBeams, 'IS', 1),
        el(Tag.NumberOfBrachyApplicationSetups, 'IS', 0),
        el(Tag.ReferencedBeamSequence, 'SQ', [
          [el(Tag.BeamMeterset, 'DS', '200'), el(Tag.ReferencedBeamNumber, 'IS', 1)],
        ]),
      ],
    ]),
    el(Tag.BeamSequence, 'SQ', [
      [
        el(Tag.TreatmentMachineName, 'SH', 'LINAC1'),
        el(Tag.PrimaryDosimeterUnit, 'CS', 'MU'),
        el(Tag.SourceAxisDistance, 'DS', '1000'),
        el(Tag.BeamLimitingDeviceSequence, 'SQ', [
          [el(Tag.RTBeamLimitingDeviceType, 'CS', 'ASYMX'), el(Tag.NumberOfLeafJawPairs, 'IS', 1)],
          [el(Tag.RTBeamLimitingDeviceType, 'CS', 'ASYMY'), el(Tag.NumberOfLeafJawPairs, 'IS', 1)],
        ]),
        el(Tag.BeamNumber, 'IS', 1),
        el(Tag.BeamName, 'LO', 'AP'),
        el(Tag.BeamType, 'CS', 'STATIC'),
        el(Tag.RadiationType, 'CS', 'PHOTON'),
        el(Tag.TreatmentDeliveryType, 'CS', 'TREATMENT'),
        el(Tag.NumberOfWedges, 'IS', 0),
        el(Tag.NumberOfCompensators, 'IS', 0),
        el(Tag.NumberOfBoli, 'IS', 0),
        el(Tag.NumberOfBlocks, 'IS', 0),
        el(Tag.FinalCumulativeMetersetWeight, 'DS', '1'),
        el(Tag.NumberOfControlPoints, 'IS', 2),
        el(Tag.ControlPointSequence, 'SQ', [controlPoint(0, '0', true), controlPoint(1, '1', false)]),
        el(Tag.ReferencedPatientSetupNumber, 'IS', 1),
      ],
    ]),
    el(Tag.ApprovalStatus, 'CS', 'UNAPPROVED'),
  ];
}

function circle(cx: number, cy: number, z: number, radius: number, points: number): string[] {
  const data: string[] = [];
  for (let i = 0; i < points; i++) {
    const angle = (2 * Math.PI * i) / points;
    data.push((cx + radius * Math.cos(angle)).toFixed(2), (cy + radius * Math.sin(angle)).toFixed(2), z.toFixed(2));
  }
  return data;
}

function rtStruct(ids: Ids): Dataset {
  const rois = [
    { number: 1, name: 'BODY', color: [0, 255, 0], type: 'EXTERNAL', radius: 180 },
    { number: 2, name: 'PTV', color: [255, 0, 0], type: 'PTV', radius: 30 },
  ];
  return [
    ...rtSeries(ids, 'RTSTRUCT', 'Structures'),
    el(Tag.FrameOfReferenceUID, 'UI', ids.frameOfReferenceUid),
    el(Tag.PositionReferenceIndicator, 'LO', ''),
    el(Tag.StructureSetLabel, 'SH', 'CHEST'),
    el(Tag.StructureSetName, 'LO', 'Chest structures'),
    el(Tag.StructureSetDate, 'DA', STUDY_DATE),
    el(Tag.StructureSetTime, 'TM', '113000'),
    el(Tag.ReferencedFrameOfReferenceSequence, 'SQ', [[el(Tag.FrameOfReferenceUID, 'UI', ids.frameOfReferenceUid)]]),
    el(
      Tag.StructureSetROISequence,
      'SQ',
      rois.map((roi) => [
        el(Tag.ROINumber, 'IS', roi.number),
        el(Tag.ReferencedFrameOfReferenceUID, 'UI', ids.frameOfReferenceUid),
        el(Tag.ROIName, 'LO', roi.name),
        el(Tag.ROIGenerationAlgorithm, 'CS', 'MANUAL'),
      ]),
    ),
    el(
      Tag.ROIContourSequence,
      'SQ',
      rois.map((roi) => [
        el(Tag.ROIDisplayColor, 'IS', roi.color),
        el(
          Tag.ContourSequence,
          'SQ',
          [-5, 0, 5].map((z) => [
            el(Tag.ContourGeometricType, 'CS', 'CLOSED_PLANAR'),
            el(Tag.NumberOfContourPoints, 'IS', 64),
            el(Tag.ContourData, 'DS', circle(0, 0, z, roi.radius, 64)),
          ]),
        ),
        el(Tag.ReferencedROINumber, 'IS', roi.number),
      ]),
    ),
    el(
      Tag.RTROIObservationsSequence,
      'SQ',
      rois.map((roi) => [
        el(Tag.ObservationNumber, 'IS', roi.number),
        el(Tag.ReferencedROINumber, 'IS', roi.number),
        el(Tag.RTROIInterpretedType, 'CS', roi.type),
        el(Tag.ROIInterpreter, 'PN', ''),
      ]),
    ),
    el(Tag.ApprovalStatus, 'CS', 'UNAPPROVED'),
  ];
}

/** Private tags of the odd fixtures: block 0x10 of group 0009 reserved by this creator (PS3.5 7.8.1). */
export const ODD_PRIVATE_CREATOR = 'NETDICOM TEST';
const P = (element: number) => (0x0009 << 16) | (0x1000 + element);

function odd(ids: Ids, info: FixtureKindInfo, utf8: boolean): Dataset {
  const layout = layoutOf(info);
  const text = utf8
    ? {
        charset: 'ISO_IR 192',
        patient: 'Ñoño^José=山田^太郎=やまだ^たろう',
        institution: 'Κλινική Αθηνών',
        description: 'Étude ünïcödé 東京',
        physician: 'Ωμέγα^Άλφα',
      }
    : {
        charset: 'ISO_IR 100',
        patient: 'Müller^Jürgen',
        institution: 'Hôpital Universitaire',
        description: 'Étude spéciale à Zürich',
        physician: 'Ødegård^Åse',
      };
  const codeItem = (value: string, meaning: string): DataElement[] => code(value, '99NETDICOM', meaning);
  return [
    el(Tag.SpecificCharacterSet, 'CS', text.charset),
    el(Tag.ImageType, 'CS', ['DERIVED', 'SECONDARY', 'ODD']),
    el(Tag.SOPClassUID, 'UI', ids.sopClassUid),
    el(Tag.SOPInstanceUID, 'UI', ids.sopInstanceUid),
    el(Tag.StudyDate, 'DA', STUDY_DATE),
    el(Tag.ContentDate, 'DA', STUDY_DATE),
    el(Tag.StudyTime, 'TM', '0915'),
    el(Tag.ContentTime, 'TM', '091501.5'),
    // Empty values of type 2 attributes.
    el(Tag.AccessionNumber, 'SH', ''),
    el(Tag.Modality, 'CS', 'OT'),
    el(Tag.ConversionType, 'CS', 'WSD'),
    el(Tag.Manufacturer, 'LO', null),
    el(Tag.InstitutionName, 'LO', text.institution),
    el(Tag.ReferringPhysicianName, 'PN', text.physician),
    el(Tag.StudyDescription, 'LO', text.description),
    el(Tag.SeriesDescription, 'LO', 'odd'),
    // An empty sequence, and undefined-length sequences nested three deep with undefined- and defined-length items.
    el(Tag.ReferencedPerformedProcedureStepSequence, 'SQ', []),
    el(
      Tag.ReferencedSeriesSequence,
      'SQ',
      [
        {
          undefinedLength: true,
          elements: [
            el(
              Tag.ReferencedImageSequence,
              'SQ',
              [
                {
                  undefinedLength: false,
                  elements: [
                    el(Tag.ReferencedSOPClassUID, 'UI', ids.sopClassUid),
                    el(Tag.ReferencedSOPInstanceUID, 'UI', uidFromName(`${ids.seed}/odd/ref/1`)),
                  ],
                },
                {
                  undefinedLength: true,
                  elements: [
                    el(Tag.ReferencedSOPClassUID, 'UI', ids.sopClassUid),
                    el(Tag.ReferencedSOPInstanceUID, 'UI', uidFromName(`${ids.seed}/odd/ref/2`)),
                  ],
                },
              ],
              true,
            ),
            el(Tag.SeriesInstanceUID, 'UI', uidFromName(`${ids.seed}/odd/ref-series`)),
          ],
        },
        // An empty item.
        { undefinedLength: false, elements: [] },
      ],
      true,
    ),
    // Private block: creator (odd length, padded), then one element per VR family.
    el(0x00090010, 'LO', ODD_PRIVATE_CREATOR),
    el(P(0x01), 'LO', 'private odd'),
    el(P(0x02), 'US', [1, 2, 65535]),
    el(P(0x03), 'OB', Uint8Array.of(1, 2, 3, 4, 5)),
    el(P(0x04), 'FL', [1.5, -0.25]),
    el(P(0x05), 'FD', [Math.PI, -1e300]),
    el(P(0x06), 'SL', [-123456, 2147483647]),
    el(P(0x07), 'SS', [-7, 32767]),
    el(P(0x08), 'UL', 4294967295),
    el(P(0x09), 'AT', [Tag.PatientName, Tag.PixelData]),
    el(P(0x0a), 'DS', ['1.5e-3', '-0', '+12']),
    el(P(0x0b), 'IS', ['-42', '7']),
    el(P(0x0c), 'UT', `${'A long private text. '.repeat(500)}end`),
    el(P(0x0d), 'UN', Uint8Array.of(0xde, 0xad, 0xbe)),
    el(P(0x0e), 'OW', Uint8Array.of(0x34, 0x12, 0x78, 0x56)),
    el(P(0x0f), 'SH', null),
    // A private sequence (undefined length) whose items hold public codes and a private block of their own.
    el(
      P(0x10),
      'SQ',
      [
        [
          ...codeItem('ODD1', 'First odd code'),
          el(0x00290010, 'LO', 'NETDICOM NESTED'),
          el(0x00291001, 'SH', 'nested'),
        ],
        { undefinedLength: true, elements: codeItem('ODD2', 'Second odd code') },
      ],
      !ids.implicitVr,
    ),
    el(Tag.PatientName, 'PN', text.patient),
    el(Tag.PatientID, 'LO', ids.patientId),
    el(Tag.PatientBirthDate, 'DA', ''),
    el(Tag.PatientSex, 'CS', null),
    el(Tag.PatientComments, 'LT', 'Line one\\with a backslash\r\nLine two, odd'),
    el(Tag.StudyInstanceUID, 'UI', ids.studyInstanceUid),
    el(Tag.SeriesInstanceUID, 'UI', ids.seriesInstanceUid),
    el(Tag.StudyID, 'SH', ''),
    el(Tag.SeriesNumber, 'IS', seriesNumber(ids.kind)),
    el(Tag.InstanceNumber, 'IS', ids.instanceNumber),
    el(Tag.PatientOrientation, 'CS', ''),
    el(Tag.ImageComments, 'LT', 'odd'),
    el(Tag.BurnedInAnnotation, 'CS', 'NO'),
    ...imagePixel(layout, 'MONOCHROME2', mono8Frames(layout.rows, layout.columns, 1)),
  ];
}

const BUILDERS: Record<FixtureKind, (ids: Ids, info: FixtureKindInfo) => Dataset> = {
  ct,
  mr,
  multiframe,
  'sc-rgb': scRgb,
  sr,
  pdf,
  'rt-plan': rtPlan,
  'rt-struct': rtStruct,
  'odd-latin1': (ids, info) => odd(ids, info, false),
  'odd-utf8': (ids, info) => odd(ids, info, true),
};
