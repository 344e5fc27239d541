import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compress } from 'zstd-napi';
import { csvFields, type FileRow, fileFormat, readRows } from '../../src/cli/tick-files.js';

const tick = { id: 't1', market: 'M', price: 1.5, volume: 2, ts: 3 };
const expected: FileRow[] = [{ market: { id: 'M' } }, { tick }];

async function rowsOf(path: string): Promise<FileRow[]> {
  const rows: FileRow[] = [];
  for await (const row of readRows(path)) rows.push(row);
  return rows;
}

describe('tick files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gswarm-files-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, text: string, zstd = false) => {
    const path = join(dir, name);
    await writeFile(path, zstd ? compress(Buffer.from(text)) : text);
    return path;
  };

  it('reads JSON envelopes and arrays', async () => {
    assert.deepEqual(
      await rowsOf(await write('a.json', JSON.stringify({ markets: [{ id: 'M' }], ticks: [tick] }))),
      expected,
    );
    assert.deepEqual(await rowsOf(await write('b.json', JSON.stringify([tick]))), [{ tick }]);
  });

  it('reads NDJSON, plain or zstd-compressed', async () => {
    const text = `${JSON.stringify({ market: { id: 'M' } })}\n\n${JSON.stringify(tick)}\n`;
    assert.deepEqual(await rowsOf(await write('a.ndjson', text)), expected);
    assert.deepEqual(await rowsOf(await write('a.jsonl.zst', text, true)), expected);
  });

  it('reads CSV by its header, in any column order', async () => {
    const text = 'ts,id,market,volume,price\r\n3,t1,"M",2,1.5\r\n';
    assert.deepEqual(await rowsOf(await write('a.csv', text)), [{ tick }]);
    assert.deepEqual(await rowsOf(await write('a.csv.zst', text, true)), [{ tick }]);
    await assert.rejects(rowsOf(await write('bad.csv', 'id,market\nt1,M\n')), /lacks price, volume, ts/);
  });

  it('names the line of malformed NDJSON', async () => {
    await assert.rejects(
      rowsOf(await write('bad.ndjson', `${JSON.stringify(tick)}\n{"id":\n`)),
      /bad\.ndjson:2:/,
    );
  });

  it('tells formats by extension', () => {
    assert.equal(fileFormat('x.JSON'), 'json');
    assert.equal(fileFormat('x.ndjson.zst'), 'ndjson');
    assert.equal(fileFormat('x.csv'), 'csv');
    assert.throws(() => fileFormat('x.txt'), /cannot tell the format/);
  });

  it('splits CSV fields with quotes', () => {
    assert.deepEqual(csvFields('a,"b,x",c'), ['a', 'b,x', 'c']);
    assert.deepEqual(csvFields('"a""q",,c'), ['a"q', '', 'c']);
    assert.deepEqual(csvFields('a,b,'), ['a', 'b', '']);
    assert.deepEqual(csvFields(' a , b '), ['a', 'b']);
  });
});
