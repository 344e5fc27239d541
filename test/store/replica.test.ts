/**
 * Replicas: a connection follows entries another writer appends to the same log, and a deposed
 * writer (its append refused by the fence) drops what it planned by reopening from the log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TxReport } from '../../src/db/db.js';
import { MemoryLog } from '../../src/log/memory-log.js';
import { marketSchema } from '../../src/market/schema.js';
import { type Connection, open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';

const marketIds = '[:find [?id ...] :where [_ :market/id ?id]]';

async function caughtUp(replica: Connection, position: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (replica.position < position) {
    if (Date.now() > deadline) assert.fail(`replica stuck at ${replica.position}, log at ${position}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a replica following a log another connection writes', () => {
  it('applies every durable entry: same answers, listeners told, as_of the same', async () => {
    const log = new MemoryLog();
    const writer = await open({ storage: storage.memory(), log, schema: marketSchema });
    const follower = await open({ storage: storage.memory(), log });
    const heard: TxReport[] = [];
    follower.listen((report) => heard.push(report));
    const stop = new AbortController();
    const following = follower.follow(stop.signal);
    const first = await writer.transact([{ 'market/id': 'a' }]);
    await writer.transact([{ 'market/id': 'b' }]);
    await caughtUp(follower, writer.position);
    assert.deepEqual((follower.q(marketIds) as string[]).sort(), ['a', 'b']);
    assert.deepEqual(follower.asOf(first.tx).q(marketIds), ['a']);
    assert.equal(follower.basisTx, writer.basisTx);
    assert.equal(heard.length, 2);
    stop.abort();
    await following;
    await writer.close();
  });

  it('a deposed writer is fenced, and reopening drops what it planned but never got durable', async () => {
    const log = new MemoryLog();
    const old = await open({ storage: storage.memory(), log, schema: marketSchema });
    await old.transact([{ 'market/id': 'a' }]);
    const taker = await open({ storage: storage.memory(), log });
    await taker.transact([{ 'market/id': 'b' }]);
    await assert.rejects(old.transact([{ 'market/id': 'zombie' }]), { code: 'GSW_ERR_FENCED' });
    assert.equal(old.accepting, false);
    const reopened = await open({ storage: storage.memory(), log });
    assert.deepEqual((reopened.q(marketIds) as string[]).sort(), ['a', 'b']);
    assert.equal(reopened.position, taker.position);
    await taker.close();
  });
});
