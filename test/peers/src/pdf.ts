/**
 * A minimal, valid one-page PDF (ISO 32000-1: header, objects, cross-reference table with exact byte offsets,
 * trailer), written from scratch for the Encapsulated PDF fixture (PS3.3 A.45.1).
 *
 * @packageDocumentation
 */

/** Escapes text for a PDF literal string. */
function pdfString(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

/**
 * Builds a one-page PDF showing the given lines in Helvetica. With `oddLength` (default true) the file has an odd
 * number of bytes, so the DICOM writer must pad Encapsulated Document (OB) while Encapsulated Document Length keeps
 * the true length (PS3.3 C.24.2).
 */
export function makePdf(lines: readonly string[], oddLength = true): Uint8Array {
  const text = lines.map((line, i) => `BT /F1 18 Tf 72 ${720 - i * 28} Td (${pdfString(line)}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF`;
  const length = Buffer.byteLength(body, 'latin1');
  if ((length % 2 === 1) !== oddLength) body += '\n';
  return Buffer.from(body, 'latin1');
}
