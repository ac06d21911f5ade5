/**
 * Recognises content that deflate cannot shrink (already compressed), from its
 * first bytes, so the archive stores it instead of spending CPU for nothing.
 * deb (ar) and rpm packages count: their payloads are compressed.
 */
const MAGICS: readonly Buffer[] = [
  [0x1f, 0x8b], // gzip
  [0x50, 0x4b, 0x03, 0x04], // zip (also jar, whl, docx)
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
  [0x42, 0x5a, 0x68], // bzip2
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  [0x04, 0x22, 0x4d, 0x18], // lz4
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], // png
  [0xff, 0xd8, 0xff], // jpeg
  [0xed, 0xab, 0xee, 0xdb], // rpm
  Buffer.from('!<arch>\ndebian-binary', 'latin1'), // deb
].map((m) => Buffer.from(m));

export function looksCompressed(head: Buffer): boolean {
  return MAGICS.some((m) => head.length >= m.length && head.subarray(0, m.length).equals(m));
}
