import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isStorageSopClass,
  STORAGE_SOP_CLASSES,
  type SopClassInfo,
  sopClassName,
  storageSopClassUids,
  VERIFICATION_SOP_CLASS,
} from './sop-classes.js';

/** Counted from PS3.6 2026d Table A-1 (and PS3.4 2026d Table B.5-1 / Annex GG); see sop-classes.ts. */
const CURRENT_COUNT = 194;
const RETIRED_COUNT = 20;

const STORAGE_ARC = '1.2.840.10008.5.1.4.1.1.';

/**
 * UIDs on the storage arc that DCMTK knows but that are deliberately not in the table, each with its reason.
 * Anything else DCMTK knows there must be in the table.
 */
const NOT_STORAGE: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.5.1.4.1.1.12.77', 'retired in 2015c; PS3.6 gives it no name or keyword'],
  ['1.2.840.10008.5.1.4.1.1.40', 'retired in 2015c; PS3.6 gives it no name or keyword'],
  ['1.2.840.10008.5.1.4.1.1.200.4', 'Protocol Approval Information Model - FIND (Q/R)'],
  ['1.2.840.10008.5.1.4.1.1.200.5', 'Protocol Approval Information Model - MOVE (Q/R)'],
  ['1.2.840.10008.5.1.4.1.1.200.6', 'Protocol Approval Information Model - GET (Q/R)'],
  ['1.2.840.10008.5.1.4.1.1.201.1.1', 'Storage Management SOP Instance (well-known instance)'],
  ['1.2.840.10008.5.1.4.1.1.201.2', 'Inventory - FIND (Q/R)'],
  ['1.2.840.10008.5.1.4.1.1.201.3', 'Inventory - MOVE (Q/R)'],
  ['1.2.840.10008.5.1.4.1.1.201.4', 'Inventory - GET (Q/R)'],
  ['1.2.840.10008.5.1.4.1.1.201.5', 'Inventory Creation (N-ACTION)'],
  ['1.2.840.10008.5.1.4.1.1.201.6', 'Repository Query (C-FIND)'],
]);

/** PS3.5 section 9: at most 64 characters, digits and dots, no empty component, no leading zero in a component. */
function isValidUid(uid: string): boolean {
  return uid.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid);
}

function byUid(uid: string): SopClassInfo | undefined {
  return STORAGE_SOP_CLASSES.find((info) => info.uid === uid);
}

/** The DCMTK data library files (`libdcmdata.so*`), wherever the distribution put them. */
function dcmdataLibraries(): string[] {
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  const found: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) if (name.startsWith('libdcmdata.so')) found.push(join(dir, name));
  }
  return found;
}

function shellQuote(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

/**
 * The storage-arc UIDs compiled into DCMTK's data library: `strings libdcmdata.so* | grep -E '^1\.2\.840\.10008\.5\.1\.4\.1\.1\.'`.
 * Without binutils' `strings`, the library's printable runs are read here instead, which is what `strings` does.
 */
function dcmtkStorageArcUids(libraries: readonly string[]): string[] {
  let lines: string[];
  if (spawnSync('strings', ['--version']).status === 0) {
    const pipeline = `strings ${libraries.map(shellQuote).join(' ')} | grep -E '^1\\.2\\.840\\.10008\\.5\\.1\\.4\\.1\\.1\\.' || true`;
    lines = execFileSync('sh', ['-c', pipeline], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).split('\n');
  } else {
    lines = libraries.flatMap((path) =>
      readFileSync(path)
        .toString('latin1')
        .split(/[^\x20-\x7e]+/),
    );
  }
  return [...new Set(lines.map((line) => line.trim()).filter((line) => line.startsWith(STORAGE_ARC)))]
    .filter((uid) => /^[0-9.]+$/.test(uid))
    .sort();
}

const DCMTK_LIBRARIES = dcmdataLibraries();

describe('STORAGE_SOP_CLASSES', () => {
  it('has the count found in PS3.6 2026d: 194 current and 20 retired classes', () => {
    expect(STORAGE_SOP_CLASSES.filter((info) => !info.retired)).toHaveLength(CURRENT_COUNT);
    expect(STORAGE_SOP_CLASSES.filter((info) => info.retired)).toHaveLength(RETIRED_COUNT);
    expect(STORAGE_SOP_CLASSES).toHaveLength(CURRENT_COUNT + RETIRED_COUNT);
  });

  it('has unique, syntactically valid UIDs under the DICOM root', () => {
    const uids = STORAGE_SOP_CLASSES.map((info) => info.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) {
      expect(isValidUid(uid), uid).toBe(true);
      expect(uid.startsWith('1.2.840.10008.'), uid).toBe(true);
    }
    expect(isValidUid('1.2.840.10008.05.1')).toBe(false);
    expect(isValidUid('1.2..3')).toBe(false);
    expect(isValidUid(`1.${'2'.repeat(63)}`)).toBe(false);
  });

  it('has unique names and keywords in the PS3.6 form', () => {
    const names = STORAGE_SOP_CLASSES.map((info) => info.name);
    const keywords = STORAGE_SOP_CLASSES.map((info) => info.keyword);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(keywords).size).toBe(keywords.length);
    for (const info of STORAGE_SOP_CLASSES) {
      expect(info.keyword, info.uid).toMatch(
        /^[A-Z0-9][A-Za-z0-9]*Storage(Retired|Trial|ForPresentation|ForProcessing)?$/,
      );
      expect(info.name, info.uid).toContain('Storage');
      expect(info.name, info.uid).toBe(info.name.trim());
      // PS3.6 marks a retired class in its name, and only a retired one.
      expect(info.name.endsWith(' (Retired)'), info.uid).toBe(info.retired);
    }
  });

  it('is frozen, entries included', () => {
    expect(Object.isFrozen(STORAGE_SOP_CLASSES)).toBe(true);
    for (const info of STORAGE_SOP_CLASSES) expect(Object.isFrozen(info)).toBe(true);
  });

  it.each([
    ['1.2.840.10008.5.1.4.1.1.2', 'CT Image Storage', 'CTImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.2.1', 'Enhanced CT Image Storage', 'EnhancedCTImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.2.3', 'CT Image Storage - For Processing', 'CTImageStorageForProcessing'],
    ['1.2.840.10008.5.1.4.1.1.4', 'MR Image Storage', 'MRImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.4.1', 'Enhanced MR Image Storage', 'EnhancedMRImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.1', 'Computed Radiography Image Storage', 'ComputedRadiographyImageStorage'],
    [
      '1.2.840.10008.5.1.4.1.1.1.2',
      'Digital Mammography X-Ray Image Storage - For Presentation',
      'DigitalMammographyXRayImageStorageForPresentation',
    ],
    ['1.2.840.10008.5.1.4.1.1.6.1', 'Ultrasound Image Storage', 'UltrasoundImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.3.1', 'Ultrasound Multi-frame Image Storage', 'UltrasoundMultiFrameImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.6.3', 'Photoacoustic Image Storage', 'PhotoacousticImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.7', 'Secondary Capture Image Storage', 'SecondaryCaptureImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.9.1.1', '12-lead ECG Waveform Storage', 'TwelveLeadECGWaveformStorage'],
    ['1.2.840.10008.5.1.4.1.1.9.100.1', 'Waveform Presentation State Storage', 'WaveformPresentationStateStorage'],
    [
      '1.2.840.10008.5.1.4.1.1.11.1',
      'Grayscale Softcopy Presentation State Storage',
      'GrayscaleSoftcopyPresentationStateStorage',
    ],
    ['1.2.840.10008.5.1.4.1.1.12.1', 'X-Ray Angiographic Image Storage', 'XRayAngiographicImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.20', 'Nuclear Medicine Image Storage', 'NuclearMedicineImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.30', 'Parametric Map Storage', 'ParametricMapStorage'],
    ['1.2.840.10008.5.1.4.1.1.66', 'Raw Data Storage', 'RawDataStorage'],
    ['1.2.840.10008.5.1.4.1.1.66.1', 'Spatial Registration Storage', 'SpatialRegistrationStorage'],
    ['1.2.840.10008.5.1.4.1.1.66.2', 'Spatial Fiducials Storage', 'SpatialFiducialsStorage'],
    ['1.2.840.10008.5.1.4.1.1.66.4', 'Segmentation Storage', 'SegmentationStorage'],
    ['1.2.840.10008.5.1.4.1.1.66.5', 'Surface Segmentation Storage', 'SurfaceSegmentationStorage'],
    ['1.2.840.10008.5.1.4.1.1.66.6', 'Tractography Results Storage', 'TractographyResultsStorage'],
    ['1.2.840.10008.5.1.4.1.1.67', 'Real World Value Mapping Storage', 'RealWorldValueMappingStorage'],
    ['1.2.840.10008.5.1.4.1.1.77.1.6', 'VL Whole Slide Microscopy Image Storage', 'VLWholeSlideMicroscopyImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.77.1.7', 'Dermoscopic Photography Image Storage', 'DermoscopicPhotographyImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.77.1.8', 'Confocal Microscopy Image Storage', 'ConfocalMicroscopyImageStorage'],
    [
      '1.2.840.10008.5.1.4.1.1.77.1.5.1',
      'Ophthalmic Photography 8 Bit Image Storage',
      'OphthalmicPhotography8BitImageStorage',
    ],
    ['1.2.840.10008.5.1.4.1.1.88.11', 'Basic Text SR Storage', 'BasicTextSRStorage'],
    ['1.2.840.10008.5.1.4.1.1.88.33', 'Comprehensive SR Storage', 'ComprehensiveSRStorage'],
    ['1.2.840.10008.5.1.4.1.1.88.59', 'Key Object Selection Document Storage', 'KeyObjectSelectionDocumentStorage'],
    ['1.2.840.10008.5.1.4.1.1.88.67', 'X-Ray Radiation Dose SR Storage', 'XRayRadiationDoseSRStorage'],
    ['1.2.840.10008.5.1.4.1.1.104.1', 'Encapsulated PDF Storage', 'EncapsulatedPDFStorage'],
    ['1.2.840.10008.5.1.4.1.1.104.2', 'Encapsulated CDA Storage', 'EncapsulatedCDAStorage'],
    ['1.2.840.10008.5.1.4.1.1.104.3', 'Encapsulated STL Storage', 'EncapsulatedSTLStorage'],
    ['1.2.840.10008.5.1.4.1.1.104.4', 'Encapsulated OBJ Storage', 'EncapsulatedOBJStorage'],
    ['1.2.840.10008.5.1.4.1.1.104.5', 'Encapsulated MTL Storage', 'EncapsulatedMTLStorage'],
    [
      '1.2.840.10008.5.1.4.1.1.128',
      'Positron Emission Tomography Image Storage',
      'PositronEmissionTomographyImageStorage',
    ],
    ['1.2.840.10008.5.1.4.1.1.201.1', 'Inventory Storage', 'InventoryStorage'],
    ['1.2.840.10008.5.1.4.1.1.481.1', 'RT Image Storage', 'RTImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.481.2', 'RT Dose Storage', 'RTDoseStorage'],
    ['1.2.840.10008.5.1.4.1.1.481.3', 'RT Structure Set Storage', 'RTStructureSetStorage'],
    ['1.2.840.10008.5.1.4.1.1.481.5', 'RT Plan Storage', 'RTPlanStorage'],
    ['1.2.840.10008.5.1.4.1.1.481.8', 'RT Ion Plan Storage', 'RTIonPlanStorage'],
    ['1.2.840.10008.5.1.4.1.1.501.1', 'DICOS CT Image Storage', 'DICOSCTImageStorage'],
    ['1.2.840.10008.5.1.4.1.1.601.1', 'Eddy Current Image Storage', 'EddyCurrentImageStorage'],
    ['1.2.840.10008.5.1.4.34.7', 'RT Beams Delivery Instruction Storage', 'RTBeamsDeliveryInstructionStorage'],
    ['1.2.840.10008.5.1.4.38.1', 'Hanging Protocol Storage', 'HangingProtocolStorage'],
    ['1.2.840.10008.5.1.4.39.1', 'Color Palette Storage', 'ColorPaletteStorage'],
    ['1.2.840.10008.5.1.4.43.1', 'Generic Implant Template Storage', 'GenericImplantTemplateStorage'],
  ])('has %s as %s (%s), current', (uid, name, keyword) => {
    expect(byUid(uid)).toEqual({ uid, name, keyword, retired: false });
  });

  it.each([
    ['1.2.840.10008.5.1.4.1.1.6', 'Ultrasound Image Storage (Retired)', 'UltrasoundImageStorageRetired'],
    [
      '1.2.840.10008.5.1.4.1.1.3',
      'Ultrasound Multi-frame Image Storage (Retired)',
      'UltrasoundMultiFrameImageStorageRetired',
    ],
    ['1.2.840.10008.5.1.4.1.1.5', 'Nuclear Medicine Image Storage (Retired)', 'NuclearMedicineImageStorageRetired'],
    [
      '1.2.840.10008.5.1.4.1.1.12.3',
      'X-Ray Angiographic Bi-Plane Image Storage (Retired)',
      'XRayAngiographicBiPlaneImageStorage',
    ],
    ['1.2.840.10008.5.1.4.1.1.8', 'Standalone Overlay Storage (Retired)', 'StandaloneOverlayStorage'],
    ['1.2.840.10008.5.1.4.1.1.9', 'Standalone Curve Storage (Retired)', 'StandaloneCurveStorage'],
    ['1.2.840.10008.5.1.4.1.1.10', 'Standalone Modality LUT Storage (Retired)', 'StandaloneModalityLUTStorage'],
    ['1.2.840.10008.5.1.4.1.1.11', 'Standalone VOI LUT Storage (Retired)', 'StandaloneVOILUTStorage'],
    ['1.2.840.10008.5.1.4.1.1.129', 'Standalone PET Curve Storage (Retired)', 'StandalonePETCurveStorage'],
    ['1.2.840.10008.5.1.4.1.1.77.1', 'VL Image Storage - Trial (Retired)', 'VLImageStorageTrial'],
    ['1.2.840.10008.5.1.4.1.1.9.1', 'Waveform Storage - Trial (Retired)', 'WaveformStorageTrial'],
    ['1.2.840.10008.5.1.4.1.1.88.1', 'Text SR Storage - Trial (Retired)', 'TextSRStorageTrial'],
    ['1.2.840.10008.5.1.1.27', 'Stored Print Storage SOP Class (Retired)', 'StoredPrintStorage'],
  ])('has %s as %s (%s), retired', (uid, name, keyword) => {
    expect(byUid(uid)).toEqual({ uid, name, keyword, retired: true });
  });

  it('leaves out the UIDs that are not storage classes', () => {
    for (const uid of [
      VERIFICATION_SOP_CLASS,
      '1.2.840.10008.1.3.10', // Media Storage Directory Storage: DICOMDIR, never sent with C-STORE
      '1.2.840.10008.1.20.1', // Storage Commitment Push Model
      '1.2.840.10008.5.1.4.1.2.2.1', // Study Root Q/R - FIND
      '1.2.840.10008.5.1.4.31', // Modality Worklist - FIND
      ...NOT_STORAGE.keys(),
    ]) {
      expect(byUid(uid), uid).toBeUndefined();
    }
  });
});

describe('cross-check against DCMTK', () => {
  it.skipIf(DCMTK_LIBRARIES.length === 0)(
    'has every storage-arc UID that DCMTK knows, or leaves it out on purpose',
    () => {
      const known = dcmtkStorageArcUids(DCMTK_LIBRARIES);
      // A working extraction finds well over a hundred: an empty answer would make this test prove nothing.
      expect(known.length).toBeGreaterThan(100);
      expect(known).toContain('1.2.840.10008.5.1.4.1.1.2');
      const missing = known.filter((uid) => byUid(uid) === undefined && !NOT_STORAGE.has(uid));
      expect(missing).toEqual([]);
    },
  );
});

describe('isStorageSopClass', () => {
  it('accepts current storage classes and, by default, retired ones', () => {
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.2')).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.38.1')).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.6')).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.6', { includeRetired: true })).toBe(true);
  });

  it('refuses retired ones when asked to, but not current ones', () => {
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.6', { includeRetired: false })).toBe(false);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.5', { includeRetired: false })).toBe(false);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.6.1', { includeRetired: false })).toBe(true);
    for (const info of STORAGE_SOP_CLASSES) {
      expect(isStorageSopClass(info.uid), info.uid).toBe(true);
      expect(isStorageSopClass(info.uid, { includeRetired: false }), info.uid).toBe(!info.retired);
    }
  });

  it('refuses Verification, non-storage classes, prefixes and junk', () => {
    expect(isStorageSopClass(VERIFICATION_SOP_CLASS)).toBe(false);
    expect(isStorageSopClass('1.2.840.10008.1.3.10')).toBe(false);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.200.4')).toBe(false);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1')).toBe(false);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.2.')).toBe(false);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.2.99')).toBe(false);
    expect(isStorageSopClass('1.2.3.4')).toBe(false);
    expect(isStorageSopClass('')).toBe(false);
  });

  it('ignores the NUL or space that pads a UI value to even length', () => {
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.20\0')).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.20 ')).toBe(true);
    expect(isStorageSopClass('\x001.2.840.10008.5.1.4.1.1.20')).toBe(false);
  });
});

describe('sopClassName', () => {
  it('names storage classes, retired ones with their suffix, and Verification', () => {
    expect(sopClassName('1.2.840.10008.5.1.4.1.1.2')).toBe('CT Image Storage');
    expect(sopClassName('1.2.840.10008.5.1.4.1.1.7')).toBe('Secondary Capture Image Storage');
    expect(sopClassName('1.2.840.10008.5.1.4.1.1.6')).toBe('Ultrasound Image Storage (Retired)');
    expect(sopClassName('1.2.840.10008.5.1.4.1.1.104.1\0')).toBe('Encapsulated PDF Storage');
    expect(sopClassName(VERIFICATION_SOP_CLASS)).toBe('Verification SOP Class');
  });

  it('knows nothing else', () => {
    expect(sopClassName('1.2.840.10008.1.3.10')).toBeUndefined();
    expect(sopClassName('1.2.840.10008.5.1.4.1.2.2.1')).toBeUndefined();
    expect(sopClassName('1.2.3.4')).toBeUndefined();
  });
});

describe('storageSopClassUids', () => {
  it('lists all classes by default, current ones only on request, in table order', () => {
    expect(storageSopClassUids()).toEqual(STORAGE_SOP_CLASSES.map((info) => info.uid));
    expect(storageSopClassUids({ includeRetired: true })).toHaveLength(CURRENT_COUNT + RETIRED_COUNT);
    const current = storageSopClassUids({ includeRetired: false });
    expect(current).toHaveLength(CURRENT_COUNT);
    expect(current).toContain('1.2.840.10008.5.1.4.1.1.6.1');
    expect(current).not.toContain('1.2.840.10008.5.1.4.1.1.6');
  });

  it('returns a new array each time', () => {
    const first = storageSopClassUids();
    first.pop();
    expect(storageSopClassUids()).toHaveLength(CURRENT_COUNT + RETIRED_COUNT);
  });
});
