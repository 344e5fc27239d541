/**
 * A check of an LMDB data file before it is mapped. LMDB maps the file and trusts its meta pages:
 * if the file is shorter than the pages the newest meta names (a truncated copy, a disk that lost
 * its tail), reading them kills the process with SIGBUS, with no message. So the two meta pages
 * are read with plain file reads first and the file size checked against them.
 *
 * Layout (LMDB as built into lmdb-js, 64-bit): page p starts at p * pageBytes; a meta page has a
 * 24-byte page header, then the meta: magic (uint32), version, map address, map size, the free
 * and main database records (48 bytes each; the free one's first field is the page size), the
 * last page number and the txn id (uint64 each).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fail } from '../errors.js';

const MAGIC = 0xbeefc0de;
const magicAt = 0x18;
const pageBytesAt = 0x30;
const lastPageAt = 0x90;
const txnIdAt = 0x98;
const metaBytes = 0xa0;
const fallbackPageBytes = 4096;

interface Meta {
  pageBytes: number;
  lastPage: number;
  txnId: number;
}

export interface LmdbFileState {
  fileBytes: number;
  /** Bytes the newest meta page says the data reaches (0 for an empty, new file). */
  usedBytes: number;
}

/**
 * Throws GSW_ERR_LOG_CORRUPT if the LMDB file at `path` cannot be mapped safely; a missing or
 * empty file is a new log and passes.
 */
export function checkLmdbFile(path: string): LmdbFileState {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { fileBytes: 0, usedBytes: 0 };
    throw error;
  }
  try {
    const fileBytes = fstatSync(fd).size;
    if (fileBytes === 0) return { fileBytes, usedBytes: 0 };
    const first = readMeta(fd, 0, fileBytes);
    const pageBytes = first?.pageBytes ?? fallbackPageBytes;
    const second = readMeta(fd, pageBytes, fileBytes);
    const metas = [first, second].filter((m): m is Meta => m !== undefined);
    if (metas.length === 0) {
      damaged(path, `it has no valid LMDB meta page (the file holds ${fileBytes} bytes)`, { fileBytes });
    }
    const newest = metas.reduce((a, b) => (b.txnId > a.txnId ? b : a));
    const usedBytes = (newest.lastPage + 1) * newest.pageBytes;
    if (usedBytes > fileBytes) {
      damaged(
        path,
        `it is truncated: its last page ends at byte ${usedBytes} but the file holds ${fileBytes} bytes`,
        { fileBytes, usedBytes },
      );
    }
    return { fileBytes, usedBytes };
  } finally {
    closeSync(fd);
  }
}

function damaged(path: string, what: string, data: Record<string, unknown>): never {
  fail(
    'GSW_ERR_LOG_CORRUPT',
    `log ${path} is damaged: ${what}; see docs/recovery.md (gswarm verify, gswarm recover)`,
    { file: path, ...data },
  );
}

function readMeta(fd: number, at: number, fileBytes: number): Meta | undefined {
  if (at + metaBytes > fileBytes) return undefined;
  const page = Buffer.alloc(metaBytes);
  readSync(fd, page, 0, metaBytes, at);
  if (page.readUInt32LE(magicAt) !== MAGIC) return undefined;
  const pageBytes = page.readUInt32LE(pageBytesAt);
  // A page size is a power of two of at least 512 bytes.
  if (pageBytes < 512 || (pageBytes & (pageBytes - 1)) !== 0) return undefined;
  return {
    pageBytes,
    lastPage: Number(page.readBigUInt64LE(lastPageAt)),
    txnId: Number(page.readBigUInt64LE(txnIdAt)),
  };
}
