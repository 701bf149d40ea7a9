/**
 * The Storage SOP Classes a Storage SCP can be asked to accept, with their PS3.6 names and keywords.
 *
 * Sources, all from the 2026d edition of the standard:
 *
 * - PS3.4 Annex B, Table B.5-1 "Standard SOP Classes" of the Storage Service Class: the composite patient objects,
 *   from images to waveforms, presentation states, structured reports, encapsulated documents and RT objects.
 * - PS3.4 Annex GG, the Non-Patient Object Storage Service Class (Hanging Protocol, Color Palette, the three Implant
 *   Template classes, CT / XA Defined Procedure Protocol, Protocol Approval and Inventory): also sent with C-STORE.
 * - PS3.6 Annex A, Table A-1 "UID Values": every UID of type "SOP Class" whose name ends in "Storage", which adds the
 *   classes registered for DICOS (security screening) and DICONDE (ASTM non-destructive evaluation).
 *
 * The retired classes are those Table A-1 still lists as retired Storage SOP Classes; old modalities and archives
 * still send several of them (the 1993 Ultrasound and Nuclear Medicine classes above all), so an SCP that means to
 * receive "anything" has to know them too.
 *
 * Deliberately left out:
 * - Media Storage Directory Storage (1.2.840.10008.1.3.10): the DICOMDIR of PS3.10 media, which is never sent with
 *   C-STORE.
 * - 1.2.840.10008.5.1.4.1.1.12.77 and 1.2.840.10008.5.1.4.1.1.40: retired since 2015c, and Table A-1 gives them neither
 *   a name nor a keyword.
 * - The Query/Retrieve and management classes that share the storage UID arc without being storage classes, such as
 *   Protocol Approval Information Model - FIND/MOVE/GET (…1.1.200.4-6), Inventory - FIND/MOVE/GET, Inventory
 *   Creation, Repository Query (…1.1.201.2-6) and the Storage Management SOP Instance (…1.1.201.1.1).
 *
 * Names are the PS3.6 "UID Name" column, retired ones with the standard's " (Retired)" suffix; keywords are the PS3.6
 * "UID Keyword" column.
 */

/** One Storage SOP Class: its UID, its PS3.6 name and keyword, and whether the standard has retired it. */
export interface SopClassInfo {
  /** The SOP Class UID, as in PS3.6 Table A-1. */
  readonly uid: string;
  /** The PS3.6 UID Name, e.g. `CT Image Storage`; retired classes end in ` (Retired)`. */
  readonly name: string;
  /** The PS3.6 UID Keyword, e.g. `CTImageStorage`. */
  readonly keyword: string;
  /** True for a class PS3.6 lists as retired. */
  readonly retired: boolean;
}

/** Options of the look-ups below. */
export interface StorageSopClassOptions {
  /** Count retired Storage SOP Classes too. Default `true`: a receiver should not refuse old senders. */
  readonly includeRetired?: boolean;
}

/** The Verification SOP Class (PS3.4 Annex A, C-ECHO), which a Storage SCP normally accepts alongside storage. */
export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

const VERIFICATION_SOP_CLASS_NAME = 'Verification SOP Class';

type Row = readonly [uid: string, name: string, keyword: string];

/** The current (not retired) Storage SOP Classes, in PS3.6 Table A-1 order. */
const CURRENT: readonly Row[] = [
  // PS3.4 Table B.5-1: projection radiography, CT, MR, ultrasound, secondary capture.
  ['1.2.840.10008.5.1.4.1.1.1', 'Computed Radiography Image Storage', 'ComputedRadiographyImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.1.1',
    'Digital X-Ray Image Storage - For Presentation',
    'DigitalXRayImageStorageForPresentation',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.1.1.1',
    'Digital X-Ray Image Storage - For Processing',
    'DigitalXRayImageStorageForProcessing',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.1.2',
    'Digital Mammography X-Ray Image Storage - For Presentation',
    'DigitalMammographyXRayImageStorageForPresentation',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.1.2.1',
    'Digital Mammography X-Ray Image Storage - For Processing',
    'DigitalMammographyXRayImageStorageForProcessing',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.1.3',
    'Digital Intra-Oral X-Ray Image Storage - For Presentation',
    'DigitalIntraOralXRayImageStorageForPresentation',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.1.3.1',
    'Digital Intra-Oral X-Ray Image Storage - For Processing',
    'DigitalIntraOralXRayImageStorageForProcessing',
  ],
  ['1.2.840.10008.5.1.4.1.1.2', 'CT Image Storage', 'CTImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.2.1', 'Enhanced CT Image Storage', 'EnhancedCTImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.2.2',
    'Legacy Converted Enhanced CT Image Storage',
    'LegacyConvertedEnhancedCTImageStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.2.3', 'CT Image Storage - For Processing', 'CTImageStorageForProcessing'],
  ['1.2.840.10008.5.1.4.1.1.2.4', 'Enhanced CT Image Storage - For Processing', 'EnhancedCTImageStorageForProcessing'],
  [
    '1.2.840.10008.5.1.4.1.1.2.5',
    'Legacy Converted Enhanced CT Image Storage - For Processing',
    'LegacyConvertedEnhancedCTImageStorageForProcessing',
  ],
  ['1.2.840.10008.5.1.4.1.1.3.1', 'Ultrasound Multi-frame Image Storage', 'UltrasoundMultiFrameImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.4', 'MR Image Storage', 'MRImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.4.1', 'Enhanced MR Image Storage', 'EnhancedMRImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.4.2', 'MR Spectroscopy Storage', 'MRSpectroscopyStorage'],
  ['1.2.840.10008.5.1.4.1.1.4.3', 'Enhanced MR Color Image Storage', 'EnhancedMRColorImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.4.4',
    'Legacy Converted Enhanced MR Image Storage',
    'LegacyConvertedEnhancedMRImageStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.6.1', 'Ultrasound Image Storage', 'UltrasoundImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.6.2', 'Enhanced US Volume Storage', 'EnhancedUSVolumeStorage'],
  ['1.2.840.10008.5.1.4.1.1.6.3', 'Photoacoustic Image Storage', 'PhotoacousticImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.7', 'Secondary Capture Image Storage', 'SecondaryCaptureImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.7.1',
    'Multi-frame Single Bit Secondary Capture Image Storage',
    'MultiFrameSingleBitSecondaryCaptureImageStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.7.2',
    'Multi-frame Grayscale Byte Secondary Capture Image Storage',
    'MultiFrameGrayscaleByteSecondaryCaptureImageStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.7.3',
    'Multi-frame Grayscale Word Secondary Capture Image Storage',
    'MultiFrameGrayscaleWordSecondaryCaptureImageStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.7.4',
    'Multi-frame True Color Secondary Capture Image Storage',
    'MultiFrameTrueColorSecondaryCaptureImageStorage',
  ],

  // PS3.4 Table B.5-1: waveforms and their presentation states.
  ['1.2.840.10008.5.1.4.1.1.9.1.1', '12-lead ECG Waveform Storage', 'TwelveLeadECGWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.1.2', 'General ECG Waveform Storage', 'GeneralECGWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.1.3', 'Ambulatory ECG Waveform Storage', 'AmbulatoryECGWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.1.4', 'General 32-bit ECG Waveform Storage', 'General32bitECGWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.2.1', 'Hemodynamic Waveform Storage', 'HemodynamicWaveformStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.9.3.1',
    'Cardiac Electrophysiology Waveform Storage',
    'CardiacElectrophysiologyWaveformStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.9.4.1', 'Basic Voice Audio Waveform Storage', 'BasicVoiceAudioWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.4.2', 'General Audio Waveform Storage', 'GeneralAudioWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.5.1', 'Arterial Pulse Waveform Storage', 'ArterialPulseWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.6.1', 'Respiratory Waveform Storage', 'RespiratoryWaveformStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.9.6.2',
    'Multi-channel Respiratory Waveform Storage',
    'MultichannelRespiratoryWaveformStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.9.7.1',
    'Routine Scalp Electroencephalogram Waveform Storage',
    'RoutineScalpElectroencephalogramWaveformStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.9.7.2', 'Electromyogram Waveform Storage', 'ElectromyogramWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.7.3', 'Electrooculogram Waveform Storage', 'ElectrooculogramWaveformStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.9.7.4',
    'Sleep Electroencephalogram Waveform Storage',
    'SleepElectroencephalogramWaveformStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.9.8.1', 'Body Position Waveform Storage', 'BodyPositionWaveformStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.100.1', 'Waveform Presentation State Storage', 'WaveformPresentationStateStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.9.100.2',
    'Waveform Acquisition Presentation State Storage',
    'WaveformAcquisitionPresentationStateStorage',
  ],

  // PS3.4 Table B.5-1: softcopy and volumetric presentation states.
  [
    '1.2.840.10008.5.1.4.1.1.11.1',
    'Grayscale Softcopy Presentation State Storage',
    'GrayscaleSoftcopyPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.2',
    'Color Softcopy Presentation State Storage',
    'ColorSoftcopyPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.3',
    'Pseudo-Color Softcopy Presentation State Storage',
    'PseudoColorSoftcopyPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.4',
    'Blending Softcopy Presentation State Storage',
    'BlendingSoftcopyPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.5',
    'XA/XRF Grayscale Softcopy Presentation State Storage',
    'XAXRFGrayscaleSoftcopyPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.6',
    'Grayscale Planar MPR Volumetric Presentation State Storage',
    'GrayscalePlanarMPRVolumetricPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.7',
    'Compositing Planar MPR Volumetric Presentation State Storage',
    'CompositingPlanarMPRVolumetricPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.8',
    'Advanced Blending Presentation State Storage',
    'AdvancedBlendingPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.9',
    'Volume Rendering Volumetric Presentation State Storage',
    'VolumeRenderingVolumetricPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.10',
    'Segmented Volume Rendering Volumetric Presentation State Storage',
    'SegmentedVolumeRenderingVolumetricPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.11',
    'Multiple Volume Rendering Volumetric Presentation State Storage',
    'MultipleVolumeRenderingVolumetricPresentationStateStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.11.12',
    'Variable Modality LUT Softcopy Presentation State Storage',
    'VariableModalityLUTSoftcopyPresentationStateStorage',
  ],

  // PS3.4 Table B.5-1: X-ray angiography, fluoroscopy, 3D X-ray, breast, intravascular OCT, NM, parametric map.
  ['1.2.840.10008.5.1.4.1.1.12.1', 'X-Ray Angiographic Image Storage', 'XRayAngiographicImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.12.1.1', 'Enhanced XA Image Storage', 'EnhancedXAImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.12.2', 'X-Ray Radiofluoroscopic Image Storage', 'XRayRadiofluoroscopicImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.12.2.1', 'Enhanced XRF Image Storage', 'EnhancedXRFImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.13.1.1', 'X-Ray 3D Angiographic Image Storage', 'XRay3DAngiographicImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.13.1.2', 'X-Ray 3D Craniofacial Image Storage', 'XRay3DCraniofacialImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.13.1.3', 'Breast Tomosynthesis Image Storage', 'BreastTomosynthesisImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.13.1.4',
    'Breast Projection X-Ray Image Storage - For Presentation',
    'BreastProjectionXRayImageStorageForPresentation',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.13.1.5',
    'Breast Projection X-Ray Image Storage - For Processing',
    'BreastProjectionXRayImageStorageForProcessing',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.14.1',
    'Intravascular Optical Coherence Tomography Image Storage - For Presentation',
    'IntravascularOpticalCoherenceTomographyImageStorageForPresentation',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.14.2',
    'Intravascular Optical Coherence Tomography Image Storage - For Processing',
    'IntravascularOpticalCoherenceTomographyImageStorageForProcessing',
  ],
  ['1.2.840.10008.5.1.4.1.1.20', 'Nuclear Medicine Image Storage', 'NuclearMedicineImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.30', 'Parametric Map Storage', 'ParametricMapStorage'],

  // PS3.4 Table B.5-1: raw data, registration, segmentation, real world value mapping, surface scan.
  ['1.2.840.10008.5.1.4.1.1.66', 'Raw Data Storage', 'RawDataStorage'],
  ['1.2.840.10008.5.1.4.1.1.66.1', 'Spatial Registration Storage', 'SpatialRegistrationStorage'],
  ['1.2.840.10008.5.1.4.1.1.66.2', 'Spatial Fiducials Storage', 'SpatialFiducialsStorage'],
  ['1.2.840.10008.5.1.4.1.1.66.3', 'Deformable Spatial Registration Storage', 'DeformableSpatialRegistrationStorage'],
  ['1.2.840.10008.5.1.4.1.1.66.4', 'Segmentation Storage', 'SegmentationStorage'],
  ['1.2.840.10008.5.1.4.1.1.66.5', 'Surface Segmentation Storage', 'SurfaceSegmentationStorage'],
  ['1.2.840.10008.5.1.4.1.1.66.6', 'Tractography Results Storage', 'TractographyResultsStorage'],
  ['1.2.840.10008.5.1.4.1.1.66.7', 'Label Map Segmentation Storage', 'LabelMapSegmentationStorage'],
  ['1.2.840.10008.5.1.4.1.1.66.8', 'Height Map Segmentation Storage', 'HeightMapSegmentationStorage'],
  ['1.2.840.10008.5.1.4.1.1.67', 'Real World Value Mapping Storage', 'RealWorldValueMappingStorage'],
  ['1.2.840.10008.5.1.4.1.1.68.1', 'Surface Scan Mesh Storage', 'SurfaceScanMeshStorage'],
  ['1.2.840.10008.5.1.4.1.1.68.2', 'Surface Scan Point Cloud Storage', 'SurfaceScanPointCloudStorage'],

  // PS3.4 Table B.5-1: visible light (endoscopy, microscopy incl. whole slide and confocal, photography,
  // ophthalmology, dermoscopy) and the ophthalmic measurement and report classes.
  ['1.2.840.10008.5.1.4.1.1.77.1.1', 'VL Endoscopic Image Storage', 'VLEndoscopicImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.77.1.1.1', 'Video Endoscopic Image Storage', 'VideoEndoscopicImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.77.1.2', 'VL Microscopic Image Storage', 'VLMicroscopicImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.77.1.2.1', 'Video Microscopic Image Storage', 'VideoMicroscopicImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.77.1.3',
    'VL Slide-Coordinates Microscopic Image Storage',
    'VLSlideCoordinatesMicroscopicImageStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.77.1.4', 'VL Photographic Image Storage', 'VLPhotographicImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.77.1.4.1', 'Video Photographic Image Storage', 'VideoPhotographicImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.77.1.5.1',
    'Ophthalmic Photography 8 Bit Image Storage',
    'OphthalmicPhotography8BitImageStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.77.1.5.2',
    'Ophthalmic Photography 16 Bit Image Storage',
    'OphthalmicPhotography16BitImageStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.77.1.5.3', 'Stereometric Relationship Storage', 'StereometricRelationshipStorage'],
  ['1.2.840.10008.5.1.4.1.1.77.1.5.4', 'Ophthalmic Tomography Image Storage', 'OphthalmicTomographyImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.77.1.5.5',
    'Wide Field Ophthalmic Photography Stereographic Projection Image Storage',
    'WideFieldOphthalmicPhotographyStereographicProjectionImageStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.77.1.5.6',
    'Wide Field Ophthalmic Photography 3D Coordinates Image Storage',
    'WideFieldOphthalmicPhotography3DCoordinatesImageStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.77.1.5.7',
    'Ophthalmic Optical Coherence Tomography En Face Image Storage',
    'OphthalmicOpticalCoherenceTomographyEnFaceImageStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.77.1.5.8',
    'Ophthalmic Optical Coherence Tomography B-scan Volume Analysis Storage',
    'OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.77.1.6', 'VL Whole Slide Microscopy Image Storage', 'VLWholeSlideMicroscopyImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.77.1.7', 'Dermoscopic Photography Image Storage', 'DermoscopicPhotographyImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.77.1.8', 'Confocal Microscopy Image Storage', 'ConfocalMicroscopyImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.77.1.9',
    'Confocal Microscopy Tiled Pyramidal Image Storage',
    'ConfocalMicroscopyTiledPyramidalImageStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.78.1', 'Lensometry Measurements Storage', 'LensometryMeasurementsStorage'],
  ['1.2.840.10008.5.1.4.1.1.78.2', 'Autorefraction Measurements Storage', 'AutorefractionMeasurementsStorage'],
  ['1.2.840.10008.5.1.4.1.1.78.3', 'Keratometry Measurements Storage', 'KeratometryMeasurementsStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.78.4',
    'Subjective Refraction Measurements Storage',
    'SubjectiveRefractionMeasurementsStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.78.5', 'Visual Acuity Measurements Storage', 'VisualAcuityMeasurementsStorage'],
  ['1.2.840.10008.5.1.4.1.1.78.6', 'Spectacle Prescription Report Storage', 'SpectaclePrescriptionReportStorage'],
  ['1.2.840.10008.5.1.4.1.1.78.7', 'Ophthalmic Axial Measurements Storage', 'OphthalmicAxialMeasurementsStorage'],
  ['1.2.840.10008.5.1.4.1.1.78.8', 'Intraocular Lens Calculations Storage', 'IntraocularLensCalculationsStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.79.1',
    'Macular Grid Thickness and Volume Report Storage',
    'MacularGridThicknessAndVolumeReportStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.80.1',
    'Ophthalmic Visual Field Static Perimetry Measurements Storage',
    'OphthalmicVisualFieldStaticPerimetryMeasurementsStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.81.1', 'Ophthalmic Thickness Map Storage', 'OphthalmicThicknessMapStorage'],
  ['1.2.840.10008.5.1.4.1.1.82.1', 'Corneal Topography Map Storage', 'CornealTopographyMapStorage'],

  // PS3.4 Table B.5-1: structured reports, key object selection, content assessment, bulk annotations.
  ['1.2.840.10008.5.1.4.1.1.88.11', 'Basic Text SR Storage', 'BasicTextSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.22', 'Enhanced SR Storage', 'EnhancedSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.33', 'Comprehensive SR Storage', 'ComprehensiveSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.34', 'Comprehensive 3D SR Storage', 'Comprehensive3DSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.35', 'Extensible SR Storage', 'ExtensibleSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.40', 'Procedure Log Storage', 'ProcedureLogStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.50', 'Mammography CAD SR Storage', 'MammographyCADSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.59', 'Key Object Selection Document Storage', 'KeyObjectSelectionDocumentStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.65', 'Chest CAD SR Storage', 'ChestCADSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.67', 'X-Ray Radiation Dose SR Storage', 'XRayRadiationDoseSRStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.88.68',
    'Radiopharmaceutical Radiation Dose SR Storage',
    'RadiopharmaceuticalRadiationDoseSRStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.88.69', 'Colon CAD SR Storage', 'ColonCADSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.70', 'Implantation Plan SR Storage', 'ImplantationPlanSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.71', 'Acquisition Context SR Storage', 'AcquisitionContextSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.72', 'Simplified Adult Echo SR Storage', 'SimplifiedAdultEchoSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.73', 'Patient Radiation Dose SR Storage', 'PatientRadiationDoseSRStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.88.74',
    'Planned Imaging Agent Administration SR Storage',
    'PlannedImagingAgentAdministrationSRStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.88.75',
    'Performed Imaging Agent Administration SR Storage',
    'PerformedImagingAgentAdministrationSRStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.88.76', 'Enhanced X-Ray Radiation Dose SR Storage', 'EnhancedXRayRadiationDoseSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.88.77', 'Waveform Annotation SR Storage', 'WaveformAnnotationSRStorage'],
  ['1.2.840.10008.5.1.4.1.1.90.1', 'Content Assessment Results Storage', 'ContentAssessmentResultsStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.91.1',
    'Microscopy Bulk Simple Annotations Storage',
    'MicroscopyBulkSimpleAnnotationsStorage',
  ],

  // PS3.4 Table B.5-1: encapsulated documents (PDF, CDA, STL, OBJ, MTL).
  ['1.2.840.10008.5.1.4.1.1.104.1', 'Encapsulated PDF Storage', 'EncapsulatedPDFStorage'],
  ['1.2.840.10008.5.1.4.1.1.104.2', 'Encapsulated CDA Storage', 'EncapsulatedCDAStorage'],
  ['1.2.840.10008.5.1.4.1.1.104.3', 'Encapsulated STL Storage', 'EncapsulatedSTLStorage'],
  ['1.2.840.10008.5.1.4.1.1.104.4', 'Encapsulated OBJ Storage', 'EncapsulatedOBJStorage'],
  ['1.2.840.10008.5.1.4.1.1.104.5', 'Encapsulated MTL Storage', 'EncapsulatedMTLStorage'],

  // PS3.4 Table B.5-1: PET and Basic Structured Display.
  [
    '1.2.840.10008.5.1.4.1.1.128',
    'Positron Emission Tomography Image Storage',
    'PositronEmissionTomographyImageStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.128.1',
    'Legacy Converted Enhanced PET Image Storage',
    'LegacyConvertedEnhancedPETImageStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.130', 'Enhanced PET Image Storage', 'EnhancedPETImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.131', 'Basic Structured Display Storage', 'BasicStructuredDisplayStorage'],

  // Procedure protocols: the Performed ones are in PS3.4 Table B.5-1, the Defined ones and Protocol Approval are
  // non-patient objects (PS3.4 Annex GG); Inventory Storage likewise (PS3.4 Annex GG).
  ['1.2.840.10008.5.1.4.1.1.200.1', 'CT Defined Procedure Protocol Storage', 'CTDefinedProcedureProtocolStorage'],
  ['1.2.840.10008.5.1.4.1.1.200.2', 'CT Performed Procedure Protocol Storage', 'CTPerformedProcedureProtocolStorage'],
  ['1.2.840.10008.5.1.4.1.1.200.3', 'Protocol Approval Storage', 'ProtocolApprovalStorage'],
  ['1.2.840.10008.5.1.4.1.1.200.7', 'XA Defined Procedure Protocol Storage', 'XADefinedProcedureProtocolStorage'],
  ['1.2.840.10008.5.1.4.1.1.200.8', 'XA Performed Procedure Protocol Storage', 'XAPerformedProcedureProtocolStorage'],
  ['1.2.840.10008.5.1.4.1.1.201.1', 'Inventory Storage', 'InventoryStorage'],

  // PS3.4 Table B.5-1: radiotherapy, first and second generation.
  ['1.2.840.10008.5.1.4.1.1.481.1', 'RT Image Storage', 'RTImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.2', 'RT Dose Storage', 'RTDoseStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.3', 'RT Structure Set Storage', 'RTStructureSetStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.4', 'RT Beams Treatment Record Storage', 'RTBeamsTreatmentRecordStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.5', 'RT Plan Storage', 'RTPlanStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.6', 'RT Brachy Treatment Record Storage', 'RTBrachyTreatmentRecordStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.7', 'RT Treatment Summary Record Storage', 'RTTreatmentSummaryRecordStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.8', 'RT Ion Plan Storage', 'RTIonPlanStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.9', 'RT Ion Beams Treatment Record Storage', 'RTIonBeamsTreatmentRecordStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.10', 'RT Physician Intent Storage', 'RTPhysicianIntentStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.11', 'RT Segment Annotation Storage', 'RTSegmentAnnotationStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.12', 'RT Radiation Set Storage', 'RTRadiationSetStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.13', 'C-Arm Photon-Electron Radiation Storage', 'CArmPhotonElectronRadiationStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.14', 'Tomotherapeutic Radiation Storage', 'TomotherapeuticRadiationStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.15', 'Robotic-Arm Radiation Storage', 'RoboticArmRadiationStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.16', 'RT Radiation Record Set Storage', 'RTRadiationRecordSetStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.17', 'RT Radiation Salvage Record Storage', 'RTRadiationSalvageRecordStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.481.18',
    'Tomotherapeutic Radiation Record Storage',
    'TomotherapeuticRadiationRecordStorage',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.481.19',
    'C-Arm Photon-Electron Radiation Record Storage',
    'CArmPhotonElectronRadiationRecordStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.481.20', 'Robotic Radiation Record Storage', 'RoboticRadiationRecordStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.481.21',
    'RT Radiation Set Delivery Instruction Storage',
    'RTRadiationSetDeliveryInstructionStorage',
  ],
  ['1.2.840.10008.5.1.4.1.1.481.22', 'RT Treatment Preparation Storage', 'RTTreatmentPreparationStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.23', 'Enhanced RT Image Storage', 'EnhancedRTImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.481.24', 'Enhanced Continuous RT Image Storage', 'EnhancedContinuousRTImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.481.25',
    'RT Patient Position Acquisition Instruction Storage',
    'RTPatientPositionAcquisitionInstructionStorage',
  ],

  // PS3.6 Table A-1, registered for DICOS (security screening, NEMA IIC 1).
  ['1.2.840.10008.5.1.4.1.1.501.1', 'DICOS CT Image Storage', 'DICOSCTImageStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.501.2.1',
    'DICOS Digital X-Ray Image Storage - For Presentation',
    'DICOSDigitalXRayImageStorageForPresentation',
  ],
  [
    '1.2.840.10008.5.1.4.1.1.501.2.2',
    'DICOS Digital X-Ray Image Storage - For Processing',
    'DICOSDigitalXRayImageStorageForProcessing',
  ],
  ['1.2.840.10008.5.1.4.1.1.501.3', 'DICOS Threat Detection Report Storage', 'DICOSThreatDetectionReportStorage'],
  ['1.2.840.10008.5.1.4.1.1.501.4', 'DICOS 2D AIT Storage', 'DICOS2DAITStorage'],
  ['1.2.840.10008.5.1.4.1.1.501.5', 'DICOS 3D AIT Storage', 'DICOS3DAITStorage'],
  ['1.2.840.10008.5.1.4.1.1.501.6', 'DICOS Quadrupole Resonance (QR) Storage', 'DICOSQuadrupoleResonanceStorage'],

  // PS3.6 Table A-1, registered for DICONDE (ASTM E2934, E3440, E2663).
  ['1.2.840.10008.5.1.4.1.1.601.1', 'Eddy Current Image Storage', 'EddyCurrentImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.601.2', 'Eddy Current Multi-frame Image Storage', 'EddyCurrentMultiFrameImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.601.3', 'Thermography Image Storage', 'ThermographyImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.601.4', 'Thermography Multi-frame Image Storage', 'ThermographyMultiFrameImageStorage'],
  ['1.2.840.10008.5.1.4.1.1.601.5', 'Ultrasound Waveform Storage', 'UltrasoundWaveformStorage'],

  // PS3.4 Table B.5-1: RT delivery instructions, on the UPS arc.
  ['1.2.840.10008.5.1.4.34.7', 'RT Beams Delivery Instruction Storage', 'RTBeamsDeliveryInstructionStorage'],
  [
    '1.2.840.10008.5.1.4.34.10',
    'RT Brachy Application Setup Delivery Instruction Storage',
    'RTBrachyApplicationSetupDeliveryInstructionStorage',
  ],

  // PS3.4 Annex GG, Non-Patient Object Storage.
  ['1.2.840.10008.5.1.4.38.1', 'Hanging Protocol Storage', 'HangingProtocolStorage'],
  ['1.2.840.10008.5.1.4.39.1', 'Color Palette Storage', 'ColorPaletteStorage'],
  ['1.2.840.10008.5.1.4.43.1', 'Generic Implant Template Storage', 'GenericImplantTemplateStorage'],
  ['1.2.840.10008.5.1.4.44.1', 'Implant Assembly Template Storage', 'ImplantAssemblyTemplateStorage'],
  ['1.2.840.10008.5.1.4.45.1', 'Implant Template Group Storage', 'ImplantTemplateGroupStorage'],
];

/** The retired Storage SOP Classes of PS3.6 Table A-1, in its order. */
const RETIRED: readonly Row[] = [
  // Print objects once stored with the Storage Service Class (retired 2004).
  ['1.2.840.10008.5.1.1.27', 'Stored Print Storage SOP Class (Retired)', 'StoredPrintStorage'],
  ['1.2.840.10008.5.1.1.29', 'Hardcopy Grayscale Image Storage SOP Class (Retired)', 'HardcopyGrayscaleImageStorage'],
  ['1.2.840.10008.5.1.1.30', 'Hardcopy Color Image Storage SOP Class (Retired)', 'HardcopyColorImageStorage'],
  // The 1993 ultrasound and nuclear medicine classes, still sent by old modalities.
  [
    '1.2.840.10008.5.1.4.1.1.3',
    'Ultrasound Multi-frame Image Storage (Retired)',
    'UltrasoundMultiFrameImageStorageRetired',
  ],
  ['1.2.840.10008.5.1.4.1.1.5', 'Nuclear Medicine Image Storage (Retired)', 'NuclearMedicineImageStorageRetired'],
  ['1.2.840.10008.5.1.4.1.1.6', 'Ultrasound Image Storage (Retired)', 'UltrasoundImageStorageRetired'],
  // Standalone objects (retired 2004) and the trial waveform class.
  ['1.2.840.10008.5.1.4.1.1.8', 'Standalone Overlay Storage (Retired)', 'StandaloneOverlayStorage'],
  ['1.2.840.10008.5.1.4.1.1.9', 'Standalone Curve Storage (Retired)', 'StandaloneCurveStorage'],
  ['1.2.840.10008.5.1.4.1.1.9.1', 'Waveform Storage - Trial (Retired)', 'WaveformStorageTrial'],
  ['1.2.840.10008.5.1.4.1.1.10', 'Standalone Modality LUT Storage (Retired)', 'StandaloneModalityLUTStorage'],
  ['1.2.840.10008.5.1.4.1.1.11', 'Standalone VOI LUT Storage (Retired)', 'StandaloneVOILUTStorage'],
  [
    '1.2.840.10008.5.1.4.1.1.12.3',
    'X-Ray Angiographic Bi-Plane Image Storage (Retired)',
    'XRayAngiographicBiPlaneImageStorage',
  ],
  // Trial visible light and structured report classes.
  ['1.2.840.10008.5.1.4.1.1.77.1', 'VL Image Storage - Trial (Retired)', 'VLImageStorageTrial'],
  ['1.2.840.10008.5.1.4.1.1.77.2', 'VL Multi-frame Image Storage - Trial (Retired)', 'VLMultiFrameImageStorageTrial'],
  ['1.2.840.10008.5.1.4.1.1.88.1', 'Text SR Storage - Trial (Retired)', 'TextSRStorageTrial'],
  ['1.2.840.10008.5.1.4.1.1.88.2', 'Audio SR Storage - Trial (Retired)', 'AudioSRStorageTrial'],
  ['1.2.840.10008.5.1.4.1.1.88.3', 'Detail SR Storage - Trial (Retired)', 'DetailSRStorageTrial'],
  ['1.2.840.10008.5.1.4.1.1.88.4', 'Comprehensive SR Storage - Trial (Retired)', 'ComprehensiveSRStorageTrial'],
  ['1.2.840.10008.5.1.4.1.1.129', 'Standalone PET Curve Storage (Retired)', 'StandalonePETCurveStorage'],
  [
    '1.2.840.10008.5.1.4.34.1',
    'RT Beams Delivery Instruction Storage - Trial (Retired)',
    'RTBeamsDeliveryInstructionStorageTrial',
  ],
];

function toInfo(row: Row, retired: boolean): SopClassInfo {
  const [uid, name, keyword] = row;
  return Object.freeze({ uid, name, keyword, retired });
}

/**
 * Every Storage SOP Class this toolkit knows (PS3.4 Table B.5-1 and Annex GG, PS3.6 Table A-1): the current ones
 * first, then the retired ones, which carry `retired: true`. The list and its entries are frozen.
 */
export const STORAGE_SOP_CLASSES: readonly SopClassInfo[] = Object.freeze([
  ...CURRENT.map((row) => toInfo(row, false)),
  ...RETIRED.map((row) => toInfo(row, true)),
]);

const BY_UID: ReadonlyMap<string, SopClassInfo> = new Map(STORAGE_SOP_CLASSES.map((info) => [info.uid, info]));

/**
 * A UID as it is compared: UI values in a dataset are padded to even length with a trailing NUL (PS3.5 section 6.2),
 * and some senders pad with a space instead, so trailing NULs and spaces are dropped.
 */
function normalize(uid: string): string {
  return uid.replace(/[\0 ]+$/, '');
}

/**
 * Whether `uid` is a Storage SOP Class (PS3.4 Table B.5-1, Annex GG, or a storage class registered in PS3.6 Table
 * Retired classes count unless `includeRetired` is `false`. Trailing NUL or space padding is ignored.
 */
export function isStorageSopClass(uid: string, options: StorageSopClassOptions = {}): boolean {
  const info = BY_UID.get(normalize(uid));
  if (info === undefined) return false;
  return !info.retired || (options.includeRetired ?? true);
}

/**
 * The PS3.6 name of a Storage SOP Class (retired ones end in ` (Retired)`), or of the Verification SOP Class; for any
 * other UID, `undefined`. Trailing NUL or space padding is ignored.
 */
export function sopClassName(uid: string): string | undefined {
  const normalized = normalize(uid);
  if (normalized === VERIFICATION_SOP_CLASS) return VERIFICATION_SOP_CLASS_NAME;
  return BY_UID.get(normalized)?.name;
}

/**
 * The UIDs of the Storage SOP Classes, in the order of {@link STORAGE_SOP_CLASSES}, as a new array the caller may
 * change; the retired ones are included unless `includeRetired` is `false`.
 */
export function storageSopClassUids(options: StorageSopClassOptions = {}): string[] {
  const includeRetired = options.includeRetired ?? true;
  return STORAGE_SOP_CLASSES.filter((info) => includeRetired || !info.retired).map((info) => info.uid);
}
