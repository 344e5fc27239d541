/**
 * Leadership scenarios as data (test/cluster/scenarios/*.txt), in the shape of etcd raft's
 * testdata: blocks of `command`, `----`, the actions it produced, a blank line. `#` lines are
 * commentary. Run with GSWARM_REWRITE_SCENARIOS=1 to rewrite the expected output on purpose, then
 * read the diff.
 *
 * Commands (one machine, the node under test):
 *   new node=a shards=N [heartbeat=MS] [silence=INTERVALS] [stable=INTERVALS] [lag=RECORDS]
 *   tick MS | tick FROM..TO every=MS [quiet] [beats=NODE,...]
 *     quiet: our heartbeats are not shown; beats: before each tick, those nodes' last `beat` again
 *   beat NODE | SHARD applied=P epoch=E leader=X [leading] | ...
 *   stream-last SHARD P
 *   applied SHARD P [epoch=E leader=X]
 *   epoch-appended SHARD epoch=E position=P  |  epoch-fenced SHARD epoch=E  |  epoch-failed SHARD epoch=E
 *   write-fenced SHARD expected-last=P       |  writes-stopped SHARD last=P
 *   status
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  Leadership,
  type LeadershipAction,
  type LeadershipEvent,
  type ShardBeat,
} from '../../src/cluster/leadership.js';

const dir = join(import.meta.dirname, 'scenarios');
const rewrite = process.env.GSWARM_REWRITE_SCENARIOS === '1';

interface Block {
  preamble: string[];
  command: string;
  output: string[];
}

function parseScenario(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let preamble: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#') || line.trim() === '') {
      preamble.push(line);
      continue;
    }
    assert.equal(lines[i + 1], '----', `line ${i + 2}: a command is followed by ----`);
    const output: string[] = [];
    for (i += 2; i < lines.length && lines[i] !== ''; i++) output.push(lines[i]!);
    blocks.push({ preamble, command: line, output });
    preamble = [''];
  }
  return blocks;
}

function printScenario(blocks: Block[]): string {
  return `${blocks.map((b) => [...b.preamble, b.command, '----', ...b.output].join('\n')).join('\n')}\n`;
}

/** `key=value` words and bare flags of a command line. */
function words(parts: string[]): { args: string[]; kv: Map<string, string>; flags: Set<string> } {
  const kv = new Map<string, string>();
  const flags = new Set<string>();
  const args: string[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq > 0) kv.set(part.slice(0, eq), part.slice(eq + 1));
    else if (/^[0-9]/.test(part)) args.push(part);
    else flags.add(part);
  }
  return { args, kv, flags };
}

function num(value: string | undefined, what: string): number {
  const n = Number(value);
  assert.ok(value !== undefined && Number.isFinite(n), `${what} is a number (got ${value})`);
  return n;
}

function printBeat(shards: ShardBeat[]): string {
  return shards
    .map((b) => {
      const lead = b.leading ? ' leading' : '';
      return `| ${b.shard} applied=${b.applied} epoch=${b.epoch} leader=${b.leader ?? '-'}${lead}`;
    })
    .join(' ');
}

function printAction(a: LeadershipAction): string {
  switch (a.type) {
    case 'publishHeartbeat':
      return `publish-heartbeat ${printBeat(a.beat.shards)}`;
    case 'appendEpoch':
      return `append-epoch shard=${a.shard} epoch=${a.record.epoch} leader=${a.record.leader} expected-last=${a.expectedLast}`;
    case 'becomeLeader':
      return `become-leader shard=${a.shard} epoch=${a.epoch} position=${a.position}`;
    case 'stopWrites':
      return `stop-writes shard=${a.shard} epoch=${a.epoch}`;
    case 'resumeWrites':
      return `resume-writes shard=${a.shard} epoch=${a.epoch}`;
    case 'stepDown':
      return `step-down shard=${a.shard} epoch=${a.epoch} reason=${a.reason}`;
  }
}

function parseBeat(command: string): Extract<LeadershipEvent, { type: 'heartbeat' }> {
  const [head, ...shardParts] = command.split('|');
  const node = head!.trim().split(/\s+/)[1]!;
  const shards = shardParts.map((part) => {
    const { args, kv, flags } = words(part.trim().split(/\s+/));
    const leader = kv.get('leader');
    return {
      shard: num(args[0], 'shard'),
      applied: num(kv.get('applied'), 'applied'),
      epoch: num(kv.get('epoch'), 'epoch'),
      leader: leader === undefined || leader === '-' ? null : leader,
      leading: flags.has('leading'),
    };
  });
  return { type: 'heartbeat', beat: { node, shards } };
}

class Runner {
  private machine: Leadership | null = null;
  private readonly lastBeats = new Map<string, LeadershipEvent>();

  run(command: string): string[] {
    const [name, ...rest] = command.trim().split(/\s+/);
    if (name === 'new') return this.create(words(rest).kv);
    const machine = this.machine;
    assert.ok(machine !== null, `"${command}" comes after a "new"`);
    if (name === 'tick') return this.tick(machine, rest);
    if (name === 'status') return this.status(machine);
    const actions = machine.step(this.event(name!, command, rest));
    return actions.length === 0 ? ['(no actions)'] : actions.map(printAction);
  }

  private create(kv: Map<string, string>): string[] {
    const optional = (key: string) => (kv.has(key) ? num(kv.get(key), key) : undefined);
    this.machine = new Leadership({
      node: kv.get('node')!,
      shards: num(kv.get('shards'), 'shards'),
      heartbeatIntervalMs: optional('heartbeat'),
      silenceIntervals: optional('silence'),
      handoffStableIntervals: optional('stable'),
      handoffLagRecordsMax: optional('lag'),
    });
    return ['ok'];
  }

  private tick(machine: Leadership, rest: string[]): string[] {
    const { args, kv, flags } = words(rest);
    const [from, to] = args[0]!.split('..').map((x) => num(x, 'tick time'));
    const every = kv.has('every') ? num(kv.get('every'), 'every') : 1;
    const beats = (kv.get('beats')?.split(',') ?? []).map((node) => {
      const beat = this.lastBeats.get(node);
      assert.ok(beat !== undefined, `${node} has beaten before it beats again`);
      return beat;
    });
    const out: string[] = [];
    for (let now = from!; now <= (to ?? from!); now += every) {
      const actions = beats.flatMap((beat) => machine.step(beat));
      actions.push(...machine.step({ type: 'tick', nowMs: now }));
      for (const action of actions) {
        if (flags.has('quiet') && action.type === 'publishHeartbeat') continue;
        out.push(to === undefined ? printAction(action) : `@${now} ${printAction(action)}`);
      }
    }
    return out.length === 0 ? ['(no actions)'] : out;
  }

  private status(machine: Leadership): string[] {
    const live = `live nodes: ${machine.liveNodes().join(' ')}`;
    const rows = machine
      .status()
      .map(
        (s) =>
          `shard ${s.shard}: ${s.role} epoch=${s.epoch} leader=${s.leader ?? '-'} applied=${s.applied} known-last=${s.knownLast}`,
      );
    return [live, ...rows];
  }

  private event(name: string, command: string, rest: string[]): LeadershipEvent {
    if (name === 'beat') {
      const beat = parseBeat(command);
      this.lastBeats.set(beat.beat.node, beat);
      return beat;
    }
    const { args, kv } = words(rest);
    const shard = num(args[0], 'shard');
    switch (name) {
      case 'stream-last':
        return { type: 'streamLast', shard, position: num(args[1], 'position') };
      case 'applied': {
        const position = num(args[1], 'position');
        if (!kv.has('epoch')) return { type: 'applied', shard, position };
        const epoch = { epoch: num(kv.get('epoch'), 'epoch'), leader: kv.get('leader')! };
        return { type: 'applied', shard, position, epoch };
      }
      case 'epoch-appended':
        return {
          type: 'epochAppended',
          shard,
          epoch: num(kv.get('epoch'), 'epoch'),
          position: num(kv.get('position'), 'position'),
        };
      case 'epoch-fenced':
        return { type: 'epochFenced', shard, epoch: num(kv.get('epoch'), 'epoch') };
      case 'epoch-failed':
        return { type: 'epochFailed', shard, epoch: num(kv.get('epoch'), 'epoch') };
      case 'write-fenced':
        return { type: 'writeFenced', shard, expectedLast: num(kv.get('expected-last'), 'expected-last') };
      case 'writes-stopped':
        return { type: 'writesStopped', shard, last: num(kv.get('last'), 'last') };
      default:
        throw new Error(`unknown scenario command "${command}"`);
    }
  }
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
  test(`scenario ${file}`, () => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const blocks = parseScenario(text.replace(/\n+$/, ''));
    const runner = new Runner();
    const actual = blocks.map((b) => ({ ...b, output: runner.run(b.command) }));
    const printed = printScenario(actual);
    if (rewrite) writeFileSync(path, printed);
    else assert.equal(printed, text, `${file} differs; GSWARM_REWRITE_SCENARIOS=1 rewrites it`);
  });
}
