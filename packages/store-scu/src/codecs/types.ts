/** Shared types of the frame decoders (PS3.5 section 8.2: native pixel data is what they produce). */

/** Image Pixel Module attributes a decoder needs (PS3.3 C.7.6.3). */
export interface FrameInfo {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly pixelRepresentation: number;
  readonly photometricInterpretation: string;
  readonly planarConfiguration: number;
}

/** Decodes the frames of one encapsulated transfer syntax (PS3.5 A.4) into native pixel data. */
export interface FrameDecoder {
  /** Library doing the work, for messages. */
  readonly library: string;
  /**
   * Decodes one frame into interleaved (Planar Configuration 0) samples of `bitsAllocated / 8` bytes, little endian;
   * the result has exactly rows x columns x samples x bytes per sample bytes.
   */
  decode(frame: Uint8Array, info: FrameInfo): Promise<Uint8Array>;
  /** Photometric Interpretation of the decoded pixels (PS3.3 C.7.6.3.1.2), when the decoder converts colour. */
  outputPhotometricInterpretation(info: FrameInfo): string;
}
