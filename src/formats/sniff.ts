// Decides what a file is from its first bytes, never from its name. Pure module.

import type { ModelFileRef } from '../model/loaded-model';
import { ProtoError, ProtoReader, WireType } from './protobuf';

export type FileKind = 'safetensors' | 'onnx' | 'json' | 'gguf' | 'zip' | 'unknown';

export const SNIFF_BYTES = 4096;

/** ModelProto field numbers and their wire types (ir_version, producer, ..., graph, opset_import, ...). */
const MODEL_PROTO_FIELDS: Record<number, number> = {
  1: WireType.varint, 2: WireType.bytes, 3: WireType.bytes, 4: WireType.bytes, 5: WireType.varint,
  6: WireType.bytes, 7: WireType.bytes, 8: WireType.bytes, 14: WireType.bytes, 20: WireType.bytes, 25: WireType.bytes,
};

export async function sniffFile(file: ModelFileRef): Promise<FileKind> {
  const head = new Uint8Array(await file.blob.slice(0, SNIFF_BYTES).arrayBuffer());
  return sniffBytes(head, file.blob.size);
}

/** `head` is the start of the file, `size` the whole file's size. */
export function sniffBytes(head: Uint8Array, size: number): FileKind {
  if (head.length >= 4 && ascii(head, 0, 4) === 'GGUF') return 'gguf';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  if (looksLikeSafetensors(head)) return 'safetensors';
  if (looksLikeJson(head)) return 'json';
  if (looksLikeModelProto(head, size)) return 'onnx';
  return 'unknown';
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** '{' then '"' or '}', or '[' then a JSON value start; and no control bytes in the head. */
function looksLikeJson(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  while (i < head.length && isSpace(head[i])) i++;
  const open = head[i];
  if (open !== 0x7b && open !== 0x5b) return false;
  let j = i + 1;
  while (j < head.length && isSpace(head[j])) j++;
  if (j < head.length) {
    const next = String.fromCharCode(head[j]);
    if (open === 0x7b ? !'"}'.includes(next) : !'{["-0123456789tfn]'.includes(next)) return false;
  }
  return head.every((b) => b >= 0x20 || isSpace(b));
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** u64 LE header length (small, high bytes zero) followed by '{'. A cut file still sniffs as safetensors. */
function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.length < 9 || head[8] !== 0x7b) return false;
  const view = new DataView(head.buffer, head.byteOffset, 8);
  return view.getUint32(4, true) === 0 && view.getUint32(0, true) >= 2;
}

/**
 * Every exporter writes ir_version (field 1, small) first. After it, the fields that fit in the head
 * must be ModelProto fields with the right wire types; a field may run past the head.
 */
function looksLikeModelProto(head: Uint8Array, size: number): boolean {
  if (head[0] !== 0x08) return false;
  const r = new ProtoReader(head, 0, head.length, head.length >= size);
  try {
    r.tag();
    const irVersion = r.varint();
    if (irVersion < 1 || irVersion > 64) return false;
    let fields = 1;
    while (!r.done()) {
      const { field, wireType } = r.tag();
      if (MODEL_PROTO_FIELDS[field] !== wireType) return false;
      if (wireType === WireType.bytes) {
        const len = r.varint();
        if (len > r.end - r.pos) return fields >= 1;
        r.pos += len;
      } else r.varint();
      fields++;
    }
    return fields >= 2;
  } catch (e) {
    if (e instanceof ProtoError) return false;
    throw e;
  }
}
