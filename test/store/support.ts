/**
 * Shared by the store tests and the crash child: a seeded random source, a digest of a tx's
 * datoms, a mixed workload on a Swarm that reports each tx when it is applied (before it is
 * durable) and when it is acknowledged, a rebuild of a store from the log alone, and an
 * element-wise comparison of store images.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { StoreImage } from '../../src/db/datoms.js';
import { Db } from '../../src/db/db.js';
import { Interner } from '../../src/db/intern.js';
import type { PostingsImage } from '../../src/db/postings.js';
import type { StepsImage } from '../../src/db/step-column.js';
import type { Datom } from '../../src/db/types.js';
import { fromRaw } from '../../src/db/values.js';
import { LmdbLog } from '../../src/log/lmdb-log.js';
import type { TxLog } from '../../src/log/log.js';
import { decodeLogRecord } from '../../src/log/log-record.js';
import type { Swarm } from '../../src/market/swarm.js';
import type { Connection } from '../../src/store/connection.js';

/** A maker of temporary directories, all removed after the test file's tests. */
export function temporaryDirs(prefix: string): () => string {
  const made: string[] = [];
  after(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `gswarm-${prefix}-`));
    made.push(dir);
    return dir;
  };
}

/** mulberry32: a small seeded generator, so failures can be replayed from the seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type DatomLike = Pick<Datom, 'e' | 'a' | 'v' | 'added'>;

/** A digest of a tx's datoms, in order. */
export function digest(datoms: readonly DatomLike[]): string {
  const text = JSON.stringify(datoms.map((d) => [d.e, d.a, d.v, d.added]));
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** The datoms of the last tx applied to the connection's db (its head, durable or not). */
function headTx(conn: Connection): { tx: number; txCount: number; datoms: DatomLike[] } {
  // The head is the Connection's private Db: the tx is applied there as soon as transact returns.
  const db = (conn as unknown as { db: Db }).db;
  const store = db.store;
  const schema = store.schema;
  const datoms: DatomLike[] = [];
  const start = store.txCount === 0 ? 0 : store.txStarts.last();
  for (let p = start; p < store.datomCount; p++) {
    const attr = schema.bySlot[store.a.get(p)]!;
    datoms.push({
      e: store.entityBase + store.entities.at(p),
      a: attr.ident,
      v: fromRaw(store.strings, attr.valueType, store.v.at(p)),
      added: store.added.has(p),
    });
  }
  return { tx: store.lastTxId, txCount: store.txCount, datoms };
}

export interface WorkloadEvents {
  /** The tx is applied in memory and queued; not yet durable. */
  applied(tx: number, digest: string): void;
  /** The tx is durable and its promise resolved. */
  acknowledged(tx: number, digest: string): void;
}

/**
 * A mixed workload: new markets, renames and name retractions (cardinality-one updates and
 * retractions), tick batches with duplicates and band crossings, reflex puts and deletes.
 */
export class Workload {
  private readonly markets: string[];
  private readonly ticks: { id: string; market: string; price: number; volume: number; ts: number }[] = [];
  private readonly reflexes = new Set<string>();
  private n = 0;

  constructor(
    private readonly swarm: Swarm,
    private readonly random: () => number,
    private readonly tag: string,
    private readonly events: WorkloadEvents,
  ) {
    const view = swarm.conn.view;
    this.markets = view.datoms('aevt', 'market/id').map((d) => d.v as string);
    for (const r of swarm.reflexes()) this.reflexes.add(r.id);
  }

  /** Starts one tx now (it is applied before this returns); resolves once it is acknowledged. */
  async step(): Promise<void> {
    const conn = this.swarm.conn;
    const before = (conn as unknown as { db: Db }).db.store.txCount;
    const promise = this.start();
    const head = headTx(conn);
    if (head.txCount === before) {
      await promise;
      return;
    }
    assert.equal(head.txCount, before + 1, 'one tx applied per step');
    const tx = head.tx;
    const d = digest(head.datoms);
    this.events.applied(tx, d);
    const result = await promise;
    if (result !== undefined) assert.equal(result, tx, 'the acknowledged tx is the applied one');
    this.events.acknowledged(tx, d);
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  private start(): Promise<number | undefined> {
    const r = this.random();
    const n = this.n++;
    const { swarm } = this;
    const conn = swarm.conn;
    if (this.markets.length < 2 || r < 0.08) {
      const id = `m${this.tag}-${n}`;
      this.markets.push(id);
      if (this.random() < 0.5)
        return swarm.ingest({ markets: [{ id, name: `name ${n}` }] }).then((x) => x.tx);
      return conn.transact([{ 'market/id': id, 'market/name': `name ${n}` }]).then((x) => x.tx);
    }
    if (r < 0.22) {
      return conn
        .transact([
          ['db/add', ['market/id', this.pick(this.markets)], 'market/name', `rename ${this.tag}-${n}`],
        ])
        .then((x) => x.tx);
    }
    if (r < 0.27) {
      // Retracting a name the market may not have: a no-op then, which takes no tx id.
      return conn
        .transact([['db/retract', ['market/id', this.pick(this.markets)], 'market/name']])
        .then(() => undefined);
    }
    if (r < 0.35) {
      const id = `r${Math.floor(this.random() * 6)}`;
      this.reflexes.add(id);
      const kind = this.random();
      const band =
        kind < 0.4 ? { above: 60 } : kind < 0.8 ? { below: 20 } : { enters: { low: 30, high: 50 } };
      const cooldown = this.random() < 0.3 ? { cooldownMs: 5 } : {};
      return swarm.putReflex({ id, market: this.pick(this.markets), ...band, ...cooldown }).then((x) => x.tx);
    }
    if (r < 0.38 && this.reflexes.size > 0) {
      const id = this.pick([...this.reflexes]);
      this.reflexes.delete(id);
      return swarm.deleteReflex(id).then((x) => x?.tx);
    }
    // A tick batch: new ticks, some re-sent ones (duplicates), sometimes with a new market.
    const markets: { id: string }[] = [];
    if (this.random() < 0.1) {
      const id = `m${this.tag}-${n}`;
      markets.push({ id });
      this.markets.push(id);
    }
    const rows: { id: string; market: string; price: number; volume: number; ts: number }[] = [];
    const count = 1 + Math.floor(this.random() * 8);
    for (let k = 0; k < count; k++) {
      if (this.ticks.length > 0 && this.random() < 0.15) {
        rows.push(this.pick(this.ticks));
        continue;
      }
      const tick = {
        id: `t${this.tag}-${n}-${k}`,
        market: this.pick(this.markets),
        price: Math.round(this.random() * 10_000) / 100,
        volume: Math.floor(this.random() * 1000),
        ts: 1_700_000_000_000 + n * 10 + k,
      };
      rows.push(tick);
    }
    // Only ticks of this run are re-sent: earlier ones may not have become durable.
    for (const row of rows) if (row.id.startsWith(`t${this.tag}-`)) this.ticks.push(row);
    if (this.ticks.length > 200) this.ticks.splice(0, this.ticks.length - 200);
    return swarm
      .ingest({ markets, ticks: rows })
      .then((x) => (x.accepted > 0 || markets.length > 0 ? x.tx : undefined));
  }
}

export interface LogTx {
  position: number;
  tx: number;
  digest: string;
  datoms: Datom[];
}

/** Every entry of `log` as [position, records as byte arrays]. */
export async function entriesOf(log: TxLog): Promise<[number, number[][]][]> {
  const out: [number, number[][]][] = [];
  for await (const entry of log.read(0)) out.push([entry.position, entry.records.map((r) => [...r])]);
  return out;
}

/** A Db rebuilt from every record of the log in `dir`, and each record's tx. */
export async function rebuildFromLog(dir: string): Promise<{ db: Db; txs: LogTx[] }> {
  const log = new LmdbLog(join(dir, 'log.mdb'));
  const db = new Db();
  const txs: LogTx[] = [];
  try {
    let expected = 1;
    for await (const { position, records } of log.read(0)) {
      assert.equal(position, expected++, 'log positions are dense');
      for (const bytes of records) {
        const record = decodeLogRecord(bytes);
        assert.equal(record.kind, 'tx', 'an embedded log holds only tx records');
        if (record.kind !== 'tx') continue;
        const report = db.replay(record.tx);
        txs.push({ position, tx: report.tx, digest: digest(report.datoms), datoms: report.datoms });
      }
    }
  } finally {
    await log.close();
  }
  return { db, txs };
}

type Typed = Uint8Array | Uint16Array | Uint32Array | Float64Array;

function sameArray(actual: Typed, expected: Typed, what: string): void {
  assert.equal(actual.constructor.name, expected.constructor.name, `${what}: element type`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

function samePostings(actual: PostingsImage, expected: PostingsImage, what: string): void {
  if (expected.keys === null) assert.equal(actual.keys, null, `${what} is dense`);
  else sameArray(actual.keys!, expected.keys, `${what}: keys`);
  sameArray(actual.entries, expected.entries, `${what}: entries`);
  assert.equal(actual.lists.length, expected.lists.length, `${what}: lists`);
  expected.lists.forEach((list, i) => sameArray(actual.lists[i]!, list, `${what}: list ${i}`));
}

function sameSteps(
  actual: StepsImage<Uint8Array | Uint16Array>,
  expected: typeof actual,
  what: string,
): void {
  sameArray(actual.bases, expected.bases, `${what}: block bases`);
  sameArray(actual.steps, expected.steps, `${what}: steps`);
  samePostings(actual.far, expected.far, `${what}: far entries`);
}

/** Asserts two store images are identical, typed arrays compared element by element. */
export function assertSameImage(actual: StoreImage, expected: StoreImage): void {
  assert.equal(actual.entityBase, expected.entityBase, 'entityBase');
  assert.deepEqual(Object.keys(actual.columns).sort(), Object.keys(expected.columns).sort(), 'column names');
  for (const name of Object.keys(expected.columns) as (keyof StoreImage['columns'])[]) {
    sameArray(actual.columns[name], expected.columns[name], `column ${name}`);
  }
  assert.equal(actual.byAttr.length, expected.byAttr.length, 'attribute slots');
  expected.byAttr.forEach((list, slot) => sameSteps(actual.byAttr[slot]!, list, `aevt of slot ${slot}`));
  assert.equal(actual.added.length, expected.added.length, 'assertion flags');
  sameArray(actual.added.bits, expected.added.bits, 'assertion flags');
  sameSteps(actual.entities, expected.entities, 'entities');
  assert.equal(actual.values.length, expected.values.length, 'values');
  sameArray(actual.values.small, expected.values.small, 'small values');
  sameArray(actual.values.wide, expected.values.wide, 'wide values');
  sameArray(actual.values.words, expected.values.words, 'which values are small, and counts');
  sameArray(actual.links.steps, expected.links.steps, 'entity chain steps');
  samePostings(actual.links.far, expected.links.far, 'far entity links');
  sameArray(actual.retractions.marked, expected.retractions.marked, 'retracted positions');
  samePostings(actual.retractions.ends, expected.retractions.ends, 'retraction ends');
  assert.equal(actual.avet.length, expected.avet.length, 'avet slots');
  expected.avet.forEach((postings, slot) => {
    const other = actual.avet[slot]!;
    if (postings === null) return assert.equal(other, null, `avet of slot ${slot} is absent`);
    assert.notEqual(other, null, `avet of slot ${slot} is present`);
    samePostings(other!, postings, `avet of slot ${slot}`);
  });
  assert.equal(actual.counts.length, expected.counts.length, 'count timelines');
  expected.counts.forEach((t, slot) => {
    sameArray(actual.counts[slot]!.txIndex, t.txIndex, `count tx indices of slot ${slot}`);
    sameArray(actual.counts[slot]!.count, t.count, `counts of slot ${slot}`);
  });
  assert.deepEqual(stringsOf(actual), stringsOf(expected), 'interned strings');
  sameArray(actual.strings.table, expected.strings.table, 'interner hash table');
  sameArray(actual.strings.tags!, expected.strings.tags!, 'interner hash tags');
  assert.deepEqual(actual.schemas, expected.schemas, 'schema versions');
}

/** The interned strings of an image, decoded. */
export function stringsOf(image: StoreImage): string[] {
  const interner = Interner.restore(image.strings);
  return Array.from({ length: interner.size }, (_, id) => interner.string(id));
}
