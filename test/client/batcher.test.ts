import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IngestResult, Tick } from '../../src/api/wire.js';
import type { IngestBatch } from '../../src/client/client.js';
import { TickBatcher } from '../../src/client/index.js';

const tick = (i: number, market = 'M'): Tick => ({ id: `t${i}`, market, price: 1, volume: 1, ts: i });

/** A server stand-in that acknowledges each batch after a turn of the event loop. */
function recordingSender() {
  const sent: IngestBatch[] = [];
  let inFlight = 0;
  let inFlightMax = 0;
  let tx = 0;
  const send = async (batch: IngestBatch): Promise<IngestResult> => {
    sent.push(batch);
    inFlightMax = Math.max(inFlightMax, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
    return { tx: ++tx, accepted: batch.ticks?.length ?? 0, duplicates: 0 };
  };
  return { sent, send, inFlightMax: () => inFlightMax };
}

describe('tick batcher', () => {
  it('sends every tick once, in batches of at most batchTicksMax, with bounded concurrency', async () => {
    const sender = recordingSender();
    const batcher = new TickBatcher(sender.send, { batchTicksMax: 100, concurrencyMax: 3 });
    for (let i = 0; i < 1050; i++) await batcher.add(tick(i));
    const totals = await batcher.flush();
    const ids = sender.sent.flatMap((batch) => batch.ticks?.map((t) => t.id) ?? []);
    assert.deepEqual(new Set(ids).size, 1050);
    assert.equal(ids.length, 1050);
    assert.ok(sender.sent.every((batch) => (batch.ticks?.length ?? 0) <= 100));
    assert.ok(sender.inFlightMax() <= 3);
    assert.deepEqual(totals, { batches: 11, accepted: 1050, duplicates: 0, lastTx: 11 });
  });

  it('sends a partial batch after lingerMs', async () => {
    const sender = recordingSender();
    const batcher = new TickBatcher(sender.send, { batchTicksMax: 100, lingerMs: 5 });
    await batcher.add(tick(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(sender.sent.length, 1);
  });

  it('acknowledges a batch that declares markets before sending the next', async () => {
    const sent: string[] = [];
    const pending: (() => void)[] = [];
    const send = (batch: IngestBatch) =>
      new Promise<IngestResult>((resolve) => {
        sent.push(batch.markets?.length ? 'markets' : 'ticks');
        pending.push(() => resolve({ tx: 1, accepted: 0, duplicates: 0 }));
      });
    const batcher = new TickBatcher(send, { batchTicksMax: 1, concurrencyMax: 4 });
    const adding = (async () => {
      await batcher.addMarket({ id: 'N' });
      await batcher.add(tick(1, 'N'));
      await batcher.add(tick(2, 'N'));
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(sent, ['markets']);
    pending.shift()?.();
    await adding;
    while (pending.length > 0) pending.shift()?.();
    await batcher.flush();
    assert.deepEqual(sent, ['markets', 'ticks']);
  });

  it('rethrows a failed batch from flush', async () => {
    const batcher = new TickBatcher(async () => {
      throw new Error('refused');
    });
    await batcher.add(tick(1));
    await assert.rejects(batcher.flush(), /refused/);
  });
});
