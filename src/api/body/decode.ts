/**
 * Reads a request body through its content encoding with two caps: the bytes on the wire and the
 * bytes after decompression. Both are counted while streaming, so a compression bomb is cut off
 * at the cap rather than inflated into memory. A deadline ends a body that arrives too slowly.
 */
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
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
  /** Called with the size of each decompressed chunk before it is kept; may throw to refuse it. */
  onDecoded(bytes: number): void;
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

export async function readBody(
  source: AsyncIterable<Buffer>,
  encoding: ContentEncoding,
  limits: BodyLimits,
  controls: ReadControls,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const collect = async (decoded: AsyncIterable<Buffer>) => {
    for await (const chunk of decoded) {
      controls.onDecoded(chunk.length);
      chunks.push(chunk);
    }
  };
  const wire = capped(limits.bodyBytesMax, 'body');
  const inflated = capped(limits.decodedBytesMax, 'decompressed body');
  const arriving = beforeDeadline(source, controls.deadline);
  try {
    if (encoding === 'identity') await pipeline(arriving, wire, inflated, collect);
    else if (encoding === 'gzip') await pipeline(arriving, wire, createGunzip(), inflated, collect);
    else await pipeline(arriving, wire, zstdDecode, inflated, collect);
  } catch (error) {
    if (error instanceof GswarmError) throw error;
    if (isDecoderError(error)) {
      throw new GswarmError('GSW_ERR_MALFORMED_BODY', `${encoding} data is corrupt`, {}, error);
    }
    throw error;
  }
  return Buffer.concat(chunks);
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

function capped(bytesMax: number, what: string) {
  return async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let bytes = 0;
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (bytes > bytesMax)
        fail('GSW_ERR_BODY_TOO_LARGE', `the ${what} exceeds ${bytesMax} bytes`, { bytesMax });
      yield chunk;
    }
  };
}

/**
 * Streaming zstd decompression that yields one bounded chunk at a time, so the consumer's cap
 * stops it (zstd-napi's DecompressStream inflates a whole input chunk before yielding).
 */
async function* zstdDecode(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const dctx = new zstd.DCtx();
  dctx.setParameter(zstd.DParameter.windowLogMax, zstdWindowLogMax);
  let inFrame = false;
  for await (const chunk of compressed) {
    let input = chunk;
    for (;;) {
      const output = Buffer.allocUnsafe(zstdOutChunkBytes);
      const [frameBytesLeft, produced, consumed] = decompressStep(dctx, output, input);
      if (produced > 0) yield output.subarray(0, produced);
      input = input.subarray(consumed);
      if (input.length === 0 && (produced < output.length || frameBytesLeft === 0)) {
        inFrame = frameBytesLeft !== 0;
        break;
      }
    }
  }
  if (inFrame) fail('GSW_ERR_MALFORMED_BODY', 'zstd data ends in the middle of a frame');
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
