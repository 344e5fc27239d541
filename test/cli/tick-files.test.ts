import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compress } from 'zstd-napi';
import { type FileRow, fileFormat, readRows } from '../../src/cli/tick-files.js';

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
    await assert.rejects(
      rowsOf(await write('bad.csv', 'id,market\nt1,M\n')),
      /lacks the column\(s\) price, volume, ts/,
    );
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

  it('refuses a CSV field that is empty or does not parse, naming file, line and column', async () => {
    const header = 'id,market,price,volume,ts\n';
    const cases: [string, RegExp][] = [
      ['t1,M,,,\n', /e1\.csv: line 2, column 3 \(price\): is empty/],
      ['t1,M,1,2,3\nt2,M,1,x,3\n', /e2\.csv: line 3, column 4 \(volume\): "x" is not a number/],
      ['t1,M,-1,2,3\n', /column 3 \(price\): "-1" is negative/],
      ['t1,M,1,2,2026-11-30T06:48:50\n', /column 5 \(ts\): .* with a zone/],
      ['t1,M,1,2,2026-02-30\n', /column 5 \(ts\): "2026-02-30" is not a valid date/],
      [',M,1,2,3\n', /column 1 \(id\): is empty/],
      ['t1,"M,1,2,3\n', /e7\.csv: line 2, column 2: .*opening quote/],
      ['t1,M,1,2\n', /e8\.csv: line 2: .*expect 5, got 4/],
    ];
    for (const [i, [rows, message]] of cases.entries()) {
      await assert.rejects(rowsOf(await write(`e${i + 1}.csv`, header + rows)), message);
    }
    await assert.rejects(
      rowsOf(await write('h.csv', 'id,market,price,volume,ts,extra\n')),
      /unknown column "extra"/,
    );
    await assert.rejects(rowsOf(await write('empty.csv', '')), /no header row/);
  });

  it('reads quoted fields, ISO-8601 and epoch timestamps', async () => {
    const text =
      'id,market,price,volume,ts\n"a,1","M ""x""",1e2,0.5,2026-11-30T07:48:50.123+01:00\nb,M,1,2,2026-11-30\nc,M,1,2,17\n';
    const rows = await rowsOf(await write('iso.csv', text));
    assert.deepEqual(rows, [
      {
        tick: {
          id: 'a,1',
          market: 'M "x"',
          price: 100,
          volume: 0.5,
          ts: Date.parse('2026-11-30T06:48:50.123Z'),
        },
      },
      { tick: { id: 'b', market: 'M', price: 1, volume: 2, ts: Date.parse('2026-11-30T00:00:00Z') } },
      { tick: { id: 'c', market: 'M', price: 1, volume: 2, ts: 17 } },
    ]);
  });
});
