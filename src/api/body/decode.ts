/**
 * An ingest body in two steps. `readWire` takes the bytes as sent off the socket, under the cap on
 * them and a deadline (a body that arrives too slowly ends with GSW_ERR_BODY_TIMEOUT).
 * `decodeBody` undoes the content encoding under the cap on decompressed bytes, counted as it
 * inflates, so a compression bomb is cut off at the cap rather than inflated into memory; it is
 * synchronous, so it can run in a parse worker (./body-pool.ts) as well as on the event loop.
 */
import { gunzipSync } from 'node:zlib';
import zstd from 'zstd-napi/binding.js';
import { fail, GswarmError } from '../../errors.js';

export type ContentEncoding = 'identity' | 'gzip' | 'zstd';

export interface BodyLimits {
  /** Bytes as sent, before decompression. */
  bodyBytesMax: number;
  /** Bytes after decompression. */
  decodedBytesMax: number;
}

export interface ReadControls {
  /** Ends the read with GSW_ERR_BODY_TIMEOUT when it aborts. */
  deadline: AbortSignal;
  /** Called with the size of each chunk as sent before it is kept; may throw to refuse it. */
  onChunk(bytes: number): void;
}

/** zstd frames may ask for a window up to 2^31 bytes; 2^24 (16 MiB) bounds a decoder's memory. */
const zstdWindowLogMax = 24;
const zstdOutChunkBytes = zstd.dStreamOutSize();

export function contentEncoding(header: string | undefined): ContentEncoding {
  const name = (header ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return 'identity';
  if (name === 'gzip' || name === 'x-gzip') return 'gzip';
  if (name === 'zstd') return 'zstd';
  return fail('GSW_ERR_UNSUPPORTED_MEDIA', `content encoding '${name}' is not accepted (zstd, gzip or none)`);
}

/** The body's bytes as sent, at most `bodyBytesMax` of them, before the deadline. */
export async function readWire(
  source: AsyncIterable<Buffer>,
  bodyBytesMax: number,
  controls: ReadControls,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of beforeDeadline(source, controls.deadline)) {
    bytes += chunk.length;
    if (bytes > bodyBytesMax) tooLarge('body', bodyBytesMax);
    controls.onChunk(chunk.length);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body with its content encoding undone, at most `decodedBytesMax` bytes of it. */
export function decodeBody(wire: Buffer, encoding: ContentEncoding, decodedBytesMax: number): Buffer {
  if (encoding === 'zstd') return zstdDecode(wire, decodedBytesMax);
  if (encoding === 'identity') {
    if (wire.length > decodedBytesMax) tooLarge('decompressed body', decodedBytesMax);
    return wire;
  }
  try {
    return gunzipSync(wire, { maxOutputLength: decodedBytesMax });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      tooLarge('decompressed body', decodedBytesMax);
    if (isDecoderError(error))
      throw new GswarmError('GSW_ERR_MALFORMED_BODY', 'gzip data is corrupt', {}, error);
    throw error;
  }
}

function tooLarge(what: string, bytesMax: number): never {
  return fail('GSW_ERR_BODY_TOO_LARGE', `the ${what} exceeds ${bytesMax} bytes`, { bytesMax });
}

/**
 * The chunks of `source` until `deadline` aborts, then GSW_ERR_BODY_TIMEOUT. A pending read is
 * raced rather than awaited: a stalled sender never resolves it (pipeline's own signal does not
 * end a stage that waits on it).
 */
async function* beforeDeadline(source: AsyncIterable<Buffer>, deadline: AbortSignal): AsyncGenerator<Buffer> {
  const chunks = source[Symbol.asyncIterator]();
  let onAbort = () => {};
  const timedOut = new Promise<never>((_resolve, reject) => {
    onAbort = () =>
      reject(
        new GswarmError('GSW_ERR_BODY_TIMEOUT', 'the body did not arrive within bodyTimeoutMs', {
          limit: 'bodyTimeoutMs',
        }),
      );
    if (deadline.aborted) onAbort();
    else deadline.addEventListener('abort', onAbort, { once: true });
  });
  // Observed by each race below; this keeps a rejection between reads from counting as unhandled.
  timedOut.catch(() => {});
  try {
    for (;;) {
      const next = await Promise.race([chunks.next(), timedOut]);
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    deadline.removeEventListener('abort', onAbort);
  }
}

/**
 * zstd decompression one bounded chunk at a time, so the cap stops it (a single-shot decode would
 * inflate the whole frame first).
 */
function zstdDecode(compressed: Buffer, decodedBytesMax: number): Buffer {
  if (compressed.length === 0) return compressed;
  const dctx = new zstd.DCtx();
  dctx.setParameter(zstd.DParameter.windowLogMax, zstdWindowLogMax);
  const chunks: Buffer[] = [];
  let bytes = 0;
  let input = compressed;
  for (;;) {
    const output = Buffer.allocUnsafe(zstdOutChunkBytes);
    const [frameBytesLeft, produced, consumed] = decompressStep(dctx, output, input);
    bytes += produced;
    if (bytes > decodedBytesMax) tooLarge('decompressed body', decodedBytesMax);
    if (produced > 0) chunks.push(output.subarray(0, produced));
    input = input.subarray(consumed);
    if (input.length === 0 && (produced < output.length || frameBytesLeft === 0)) {
      if (frameBytesLeft !== 0) fail('GSW_ERR_MALFORMED_BODY', 'zstd data ends in the middle of a frame');
      return Buffer.concat(chunks);
    }
  }
}

function decompressStep(dctx: zstd.DCtx, output: Buffer, input: Buffer) {
  try {
    return dctx.decompressStream(output, input);
  } catch (error) {
    throw new GswarmError('GSW_ERR_MALFORMED_BODY', 'zstd data is corrupt', {}, error);
  }
}

function isDecoderError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
