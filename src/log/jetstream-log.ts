/**
 * The log on NATS JetStream, for a cluster: one stream per shard, file storage, replicated on
 * 3 servers, or as many as there are. Consensus is JetStream's (Raft inside); none of it is ours.
 *
 * - append publishes one message per entry with the stream-level expected-last-sequence header:
 *   the server refuses it unless the stream ends exactly there (the fence; see DESIGN.md for why
 *   this header and not KV or per-subject sequences).
 * - read and follow use an ordered consumer from a start sequence; stream sequences are the
 *   log's positions (the stream never deletes, so they are dense from 1).
 * - last is the stream's last sequence, from stream info.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { assert } from '../db/assert.js';
import { fail, GswarmError } from '../errors.js';
import { checkEntryBytes, decodeEntry, encodeEntry } from './entry-codec.js';
import type { LogEntry, TxLog } from './log.js';

export interface JetStreamLogOptions {
  /** From connectNats; shared by every shard's log of a node. */
  nats: NatsConnection;
  /** Names the streams and subjects: letters, digits, `-` and `_`. */
  cluster: string;
  shard: number;
  /** Copies of the stream when it is made; default 3, or as many as JetStream can place. */
  replicas?: number;
  /** Default: the server's max_payload less room for headers. */
  entryBytesMax?: number;
  /** How long an append waits for the stream's acknowledgement, ms. */
  appendMsMax?: number;
  /** Close the NATS connection too when the log closes (when the log is its only user). */
  ownsConnection?: boolean;
}

/** Room left in a NATS message for the headers an append carries. */
const headerBytesMax = 16 * 1024;
const appendMsMaxDefault = 5_000;
/** How long a consumer's pull waits before asking again; its heartbeats are half of it. */
const pullMsMax = 2_000;
/** How soon a follow asks again after the stream could not be asked, ms. */
const followRetryMs = 250;
/** How long a consumer may deliver nothing before the stream is asked whether it holds more. */
const stallCheckMs = 1_000;

export function streamName(cluster: string, shard: number): string {
  return `GSWARM_${cluster}_${shard}`;
}

export function streamSubject(cluster: string, shard: number): string {
  return `gswarm.${cluster}.log.${shard}`;
}

export class JetStreamLog implements TxLog {
  private readonly stopping = new AbortController();

  private constructor(
    private readonly options: JetStreamLogOptions,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly entryBytesMax: number,
    /** The stream's name. */
    readonly stream: string,
    private readonly subject: string,
  ) {}

  /** Opens the shard's stream, creating it if no node has yet. */
  static async open(options: JetStreamLogOptions): Promise<JetStreamLog> {
    if (!/^[A-Za-z0-9_-]+$/.test(options.cluster)) {
      fail(
        'GSW_ERR_BAD_REQUEST',
        `cluster name ${JSON.stringify(options.cluster)} may hold only letters, digits, - and _`,
      );
    }
    assert(Number.isSafeInteger(options.shard) && options.shard >= 0, 'a shard is a non-negative integer');
    const { nats } = options;
    const maxPayload = nats.info?.max_payload;
    assert(maxPayload !== undefined, 'a connected NATS connection knows its server');
    const entryBytesMax = options.entryBytesMax ?? maxPayload - headerBytesMax;
    if (entryBytesMax + headerBytesMax > maxPayload) {
      fail(
        'GSW_ERR_ENTRY_TOO_LARGE',
        `entryBytesMax ${entryBytesMax} leaves no room for headers under the server's max_payload ${maxPayload}`,
        { entryBytesMax, maxPayload },
      );
    }
    const stream = streamName(options.cluster, options.shard);
    const subject = streamSubject(options.cluster, options.shard);
    const jsm = await unavailableOnError(`open stream ${stream}`, () => jetstreamManager(nats));
    await unavailableOnError(`open stream ${stream}`, () =>
      ensureStream(jsm, stream, subject, options.replicas),
    );
    return new JetStreamLog(options, jetstream(nats), jsm, entryBytesMax, stream, subject);
  }

  async append(records: readonly Uint8Array[], options: { expectedLast: number }): Promise<number> {
    this.checkOpen();
    checkEntryBytes(records, this.entryBytesMax);
    const { expectedLast } = options;
    try {
      const ack = await this.js.publish(this.subject, encodeEntry(records), {
        expect: { lastSequence: expectedLast, streamName: this.stream },
        timeout: this.options.appendMsMax ?? appendMsMaxDefault,
      });
      assert(ack.seq === expectedLast + 1, 'a fenced append lands right after the expected position');
      return ack.seq;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) {
        fail(
          'GSW_ERR_FENCED',
          `expected the log to end at ${expectedLast}, but it ends elsewhere (${error.message})`,
          {
            expectedLast,
            stream: this.stream,
          },
        );
      }
      throw unavailable(`append to ${this.stream}`, error);
    }
  }

  async *read(from: number): AsyncIterable<LogEntry> {
    this.checkOpen();
    const last = await this.last();
    if (last <= from) return;
    for await (const entry of this.consume(from, this.stopping.signal)) {
      yield entry;
      if (entry.position >= last) return;
    }
  }

  /**
   * Goes on through the loss of NATS servers: the ordered consumer recreates itself, and when the
   * stream cannot be asked (no leader yet), following starts again after the last entry yielded.
   */
  async *follow(from: number, options: { signal?: AbortSignal } = {}): AsyncIterable<LogEntry> {
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.stopping.signal])
      : this.stopping.signal;
    let position = from;
    while (!signal.aborted && !this.options.nats.isClosed()) {
      try {
        for await (const entry of this.consume(position, signal)) {
          yield entry;
          position = entry.position;
        }
      } catch (error) {
        if (!(error instanceof GswarmError && error.code === 'GSW_ERR_LOG_UNAVAILABLE')) throw error;
        await sleep(followRetryMs, undefined, { signal }).catch(() => {});
      }
    }
  }

  /**
   * When the stream was created, as its servers report it now: a stream deleted and made again
   * under its name differs. Not to be trusted right after the stream is made: nats-server 2.9
   * takes every node's concurrent create, each with its own time, and the last one applied wins
   * (an answer 10 ms off the settled time was seen).
   */
  async created(): Promise<string> {
    this.checkOpen();
    const info = await unavailableOnError(`read ${this.stream}`, () => this.jsm.streams.info(this.stream));
    return info.created;
  }

  async last(): Promise<number> {
    this.checkOpen();
    const info = await unavailableOnError(`read the end of ${this.stream}`, () =>
      this.jsm.streams.info(this.stream),
    );
    return info.state.last_seq;
  }

  async close(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    if (this.options.ownsConnection) await this.options.nats.close();
  }

  private checkOpen(): void {
    if (this.stopping.signal.aborted) fail('GSW_ERR_CLOSED', 'the log is closed');
  }

  /** Entries after `from` through an ordered consumer, until `signal` aborts. */
  private nextOrStall<T>(iterator: AsyncIterator<T>, position: number): Promise<IteratorResult<T>> {
    return nextOrStallOf(iterator, position, () => this.last(), this.stream);
  }

  private async *consume(from: number, signal: AbortSignal): AsyncIterable<LogEntry> {
    const consumer = await unavailableOnError(`read ${this.stream}`, () =>
      this.js.consumers.get(this.stream, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: from + 1,
      }),
    );
    const messages = await unavailableOnError(`read ${this.stream}`, () =>
      consumer.consume({ expires: pullMsMax }),
    );
    const stop = () => messages.stop();
    signal.addEventListener('abort', stop);
    const iterator = messages[Symbol.asyncIterator]();
    try {
      if (signal.aborted) return;
      let expected = from + 1;
      for (;;) {
        const next = await this.nextOrStall(iterator, expected - 1);
        if (next.done) return;
        const message = next.value;
        assert(message.seq === expected, 'an ordered consumer delivers every position in order');
        expected++;
        yield {
          position: message.seq,
          records: decodeEntry(message.data, `entry ${message.seq} of ${this.stream}`),
        };
        if (signal.aborted) return;
      }
    } finally {
      signal.removeEventListener('abort', stop);
      messages.stop();
    }
  }
}

/**
 * The next message, or GSW_ERR_LOG_UNAVAILABLE when none has come for stallCheckMs although the
 * stream holds entries after `position`: a consumer whose NATS server died can stall without an
 * error, and following starts again with a new one.
 */
async function nextOrStallOf<T>(
  iterator: AsyncIterator<T>,
  position: number,
  last: () => Promise<number>,
  stream: string,
): Promise<IteratorResult<T>> {
  const pending = iterator.next();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), stallCheckMs);
    });
    const next = await Promise.race([pending, stalled]);
    clearTimeout(timer);
    if (next !== undefined) return next;
    if ((await last()) > position) throw unavailable(`read ${stream}`, new Error('the consumer stalled'));
  }
}

/**
 * Makes the stream if missing, with `replicas` copies, or by default with 3, else 2, else 1: as
 * many as JetStream can place. (Counting the servers the connection has heard of is not enough:
 * right after connecting it may have heard of none but its own, and the stream would have one copy.)
 */
async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subject: string,
  replicas: number | undefined,
): Promise<void> {
  const config = {
    name,
    subjects: [subject],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
  };
  let refused: unknown;
  for (const num_replicas of replicas === undefined ? [3, 2, 1] : [replicas]) {
    try {
      await jsm.streams.add({ ...config, num_replicas });
      return;
    } catch (error) {
      refused = error;
      // Another node created it first (with other replicas, perhaps): use the one there is.
      const info = await jsm.streams.info(name).catch(() => undefined);
      if (info === undefined) continue;
      if (!info.config.subjects?.includes(subject)) {
        fail('GSW_ERR_LOG_CORRUPT', `stream ${name} exists but does not hold subject ${subject}`, {
          stream: name,
        });
      }
      return;
    }
  }
  throw refused;
}

async function unavailableOnError<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw unavailable(what, error);
  }
}

function unavailable(what: string, error: unknown): GswarmError {
  if (error instanceof GswarmError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GswarmError('GSW_ERR_LOG_UNAVAILABLE', `could not ${what}: ${message}`, { what }, error);
}
