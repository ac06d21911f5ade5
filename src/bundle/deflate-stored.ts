/** Deflate stored blocks (RFC 1951, BTYPE 00), written by hand: data that will not shrink, copied as is. */
export const FINAL_EMPTY_BLOCK = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);
const MAX_STORED = 0xffff;

/** not-final stored blocks holding chunk (a 5-byte header per 64 KiB - 1); they must start on a byte boundary */
export function storedBlocks(chunk: Buffer): Buffer {
  const blocks = Math.ceil(chunk.length / MAX_STORED);
  const out = Buffer.allocUnsafe(chunk.length + 5 * blocks);
  let o = 0;
  for (let i = 0; i < chunk.length; i += MAX_STORED) {
    const len = Math.min(MAX_STORED, chunk.length - i);
    out[o] = 0x00;
    out.writeUInt16LE(len, o + 1);
    out.writeUInt16LE(~len & 0xffff, o + 3);
    chunk.copy(out, o + 5, i, i + len);
    o += 5 + len;
  }
  return out;
}
