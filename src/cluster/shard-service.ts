/**
 * Writes to a shard go to its leader: a node that receives a write for a shard it does not lead
 * sends it over NATS request/reply (the same, possibly mutual-TLS, connection that carries
 * replication) to `gswarm.<cluster>.shard.<s>.write`. Only the shard's leader listens there, in a
 * queue group so that during a handoff's brief overlap one of them takes each request; a node
 * that leads the shard itself runs the write in place.
 *
 * A call that meets no leader (no responder, a timeout, a deposed leader's GSW_ERR_NOT_LEADER) is
 * tried again until its deadline: a failover moves the write to the new leader instead of failing
 * it. Any other error is the write's own answer and is passed on as it came. Writes are safe to
 * repeat (ingest is idempotent by tick id; reflexes are set by id), so a retry after a lost reply
 * does no harm.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { pack, unpack } from 'msgpackr';
import { type ErrorCode, fail, GswarmError } from '../errors.js';
import type { Reflex } from '../market/reflex-rules.js';
import type { MarketRow, TickRow } from '../market/rows.js';

export type ShardRequest =
  | { op: 'ingest'; markets: MarketRow[]; ticks: TickRow[] }
  | { op: 'putReflex'; reflex: Reflex }
  | { op: 'deleteReflex'; id: string }
  /** Close tx `tx` on the shard (Connection.closeThrough): answers with the log position. */
  | { op: 'close'; tx: number };

type Reply = { ok: unknown } | { error: { code: ErrorCode; message: string; data: Record<string, unknown> } };

/** Runs a request on the shard this node leads. */
export type ShardHandler = (shard: number, request: ShardRequest) => Promise<unknown>;

/** What a call needs of the node: whether it leads the shard, and its NATS connection. */
export interface ShardCaller {
  readonly cluster: string;
  readonly connection: NatsConnection;
  leads(shard: number): boolean;
}

const retryMs = 20;

export function shardSubject(cluster: string, shard: number): string {
  return `gswarm.${cluster}.shard.${shard}.write`;
}

/** Serves `handler` for each shard while `caller` leads it. */
export class ShardService {
  private readonly subscriptions = new Map<number, Subscription>();

  constructor(
    private readonly caller: ShardCaller,
    private readonly handler: ShardHandler,
  ) {}

  /** Starts (true) or stops (false) answering for `shard`. */
  leading(shard: number, leading: boolean): void {
    this.subscriptions.get(shard)?.unsubscribe();
    this.subscriptions.delete(shard);
    if (!leading) return;
    const subscription = this.caller.connection.subscribe(shardSubject(this.caller.cluster, shard), {
      queue: 'leader',
      callback: (error, message) => {
        if (!error) void this.answer(shard, message);
      },
    });
    this.subscriptions.set(shard, subscription);
  }

  close(): void {
    for (const shard of [...this.subscriptions.keys()]) this.leading(shard, false);
  }

  private async answer(shard: number, message: Msg): Promise<void> {
    let reply: Reply;
    try {
      reply = { ok: await this.handler(shard, unpack(message.data) as ShardRequest) };
    } catch (error) {
      reply = { error: errorFields(error) };
    }
    message.respond(pack(reply));
  }
}

/**
 * Runs `request` on `shard`'s leader (here if this node leads it) and returns its answer. Meeting
 * no leader, it tries again every ~20 ms until `deadlineMs` (epoch ms), then fails with
 * GSW_ERR_NOT_LEADER (retryable).
 */
export async function callShard(
  caller: ShardCaller,
  handler: ShardHandler,
  shard: number,
  request: ShardRequest,
  deadlineMs: number,
): Promise<unknown> {
  const subject = shardSubject(caller.cluster, shard);
  const payload = pack(request);
  let lastReason = 'no answer';
  for (;;) {
    const leftMs = deadlineMs - Date.now();
    if (leftMs <= 0) break;
    try {
      if (caller.leads(shard)) return await handler(shard, request);
      const message = await caller.connection.request(subject, payload, { timeout: leftMs });
      const reply = unpack(message.data) as Reply;
      if ('ok' in reply) return reply.ok;
      throw new GswarmError(reply.error.code, reply.error.message, reply.error.data);
    } catch (error) {
      if (error instanceof GswarmError && error.code !== 'GSW_ERR_NOT_LEADER') throw error;
      lastReason = (error as Error).message;
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(retryMs, Math.max(0, deadlineMs - Date.now()))),
    );
  }
  fail(
    'GSW_ERR_NOT_LEADER',
    `no leader of shard ${shard} answered before the deadline (${lastReason}); retry`,
    {
      shard,
    },
  );
}

function errorFields(error: unknown): { code: ErrorCode; message: string; data: Record<string, unknown> } {
  if (error instanceof GswarmError) return { code: error.code, message: error.message, data: error.data };
  // Not an operating error: the leader broke. The caller sees a 500 naming it, never a retry.
  const code: ErrorCode = 'GSW_ERR_INVARIANT';
  return { code, message: `the shard's leader failed: ${(error as Error)?.message}`, data: {} };
}
