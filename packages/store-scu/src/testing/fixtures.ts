/**
 * Test instances: a dataset rich in VRs and nested sequences (to exercise transcoding), and small images (grey 16-bit,
 * RGB 8-bit, multi-frame) that DCMTK and GDCM compress into every encapsulated transfer syntax.
 */

import { type BuildElement, buildPart10, CT_IMAGE_STORAGE, SECONDARY_CAPTURE_STORAGE } from './dicom-builder.js';

/** Elements with every VR family, sequences of defined and undefined length (nested), context-dependent VRs. */
export function richElements(pixelBytes = 256 * 256 * 2): BuildElement[] {
  const pixels = Buffer.alloc(pixelBytes);
  for (let i = 0; i < pixelBytes / 2; i++) pixels.writeUInt16LE((i * 7919) & 0xffff, i * 2);
  return [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' },
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    {
      tag: 0x00081140,
      vr: 'SQ',
      items: [
        [
          { tag: 0x00081150, vr: 'UI', value: CT_IMAGE_STORAGE },
          { tag: 0x00081155, vr: 'UI', value: '1.2.3.4.5.6.7' },
        ],
        [
          { tag: 0x00081150, vr: 'UI', value: CT_IMAGE_STORAGE },
          { tag: 0x00081155, vr: 'UI', value: '1.2.3.4.5.6.8' },
        ],
      ],
    },
    { tag: 0x00100010, vr: 'PN', value: 'Doe^Jane' },
    { tag: 0x00100020, vr: 'LO', value: 'PID-42' },
    { tag: 0x00180050, vr: 'DS', value: '1.5' },
    { tag: 0x00189089, vr: 'FD', value: [0.25, -1.5, 3e10] },
    { tag: 0x00200032, vr: 'DS', value: '1\\2\\3' },
    { tag: 0x00280002, vr: 'US', value: [1] },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280009, vr: 'AT', value: [0x00181063] },
    { tag: 0x00280010, vr: 'US', value: [256] },
    { tag: 0x00280011, vr: 'US', value: [pixelBytes / 512] },
    { tag: 0x00280100, vr: 'US', value: [16] },
    { tag: 0x00280101, vr: 'US', value: [16] },
    { tag: 0x00280102, vr: 'US', value: [15] },
    { tag: 0x00280103, vr: 'US', value: [1] },
    { tag: 0x00280106, vr: 'SS', value: [-5] },
    { tag: 0x00280107, vr: 'SS', value: [1000] },
    { tag: 0x00281050, vr: 'DS', value: '40' },
    {
      tag: 0x0040a730,
      vr: 'SQ',
      undefinedLength: true,
      items: [
        [
          { tag: 0x0040a010, vr: 'CS', value: 'CONTAINS' },
          {
            tag: 0x0040a043,
            vr: 'SQ',
            items: [
              [
                { tag: 0x00080100, vr: 'SH', value: '121071' },
                { tag: 0x00080102, vr: 'SH', value: 'DCM' },
              ],
            ],
          },
          { tag: 0x0040a160, vr: 'UT', value: 'Some text value' },
        ],
        [{ tag: 0x0040a010, vr: 'CS', value: 'HAS PROPERTIES' }],
      ],
    },
    { tag: 0x00700022, vr: 'FL', value: [1.5, 2.5] },
    { tag: 0x7fe00010, vr: 'OW', value: pixels },
  ];
}

/** A rich test instance in `transferSyntaxUid` (a native syntax). */
export function richInstance(transferSyntaxUid: string, sopInstanceUid = '1.2.826.0.1.3680043.10.99.1'): Uint8Array {
  return buildPart10({
    sopClassUid: CT_IMAGE_STORAGE,
    sopInstanceUid,
    transferSyntaxUid,
    elements: richElements(),
  });
}

/** Image pixel module elements. */
function image(rows: number, columns: number, samples: number, bits: 8 | 16, pixels: Uint8Array, frames?: number) {
  const elements: BuildElement[] = [
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    { tag: 0x00100010, vr: 'PN', value: 'Image^Test' },
    { tag: 0x00280002, vr: 'US', value: [samples] },
    { tag: 0x00280004, vr: 'CS', value: samples === 3 ? 'RGB' : 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: [rows] },
    { tag: 0x00280011, vr: 'US', value: [columns] },
    { tag: 0x00280100, vr: 'US', value: [bits] },
    { tag: 0x00280101, vr: 'US', value: [bits === 16 ? 12 : 8] },
    { tag: 0x00280102, vr: 'US', value: [bits === 16 ? 11 : 7] },
    { tag: 0x00280103, vr: 'US', value: [0] },
    { tag: 0x7fe00010, vr: bits === 16 ? 'OW' : 'OB', value: pixels },
  ];
  if (samples === 3) elements.push({ tag: 0x00280006, vr: 'US', value: [0] });
  if (frames !== undefined) elements.push({ tag: 0x00280008, vr: 'IS', value: String(frames) });
  return elements.sort((a, b) => a.tag - b.tag);
}

/** A 12-bit-in-16 greyscale image, `frames` frames of 64 x 48 (a smooth pattern with noise). */
export function grayImage(sopInstanceUid: string, frames = 1): Uint8Array {
  const rows = 64;
  const columns = 48;
  const pixels = Buffer.alloc(rows * columns * 2 * frames);
  for (let i = 0; i < rows * columns * frames; i++) pixels.writeUInt16LE((i * 37 + (i % 7) * 300) & 0x0fff, i * 2);
  return buildPart10({
    sopClassUid: CT_IMAGE_STORAGE,
    sopInstanceUid,
    elements: image(rows, columns, 1, 16, pixels, frames > 1 ? frames : undefined),
  });
}

/** An 8-bit RGB image of 64 x 48. */
export function rgbImage(sopInstanceUid: string): Uint8Array {
  const rows = 64;
  const columns = 48;
  const pixels = Buffer.alloc(rows * columns * 3);
  for (let i = 0; i < rows * columns; i++) {
    pixels[i * 3] = i & 255;
    pixels[i * 3 + 1] = (i >> 3) & 255;
    pixels[i * 3 + 2] = 200 - (i % 50);
  }
  return buildPart10({
    sopClassUid: SECONDARY_CAPTURE_STORAGE,
    sopInstanceUid,
    elements: image(rows, columns, 3, 8, pixels),
  });
}
