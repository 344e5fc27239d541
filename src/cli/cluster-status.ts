/** `gswarm cluster status`: GET /v2/cluster as two tables, shards then nodes. */
import type { ClusterResponse } from '../api/wire.js';

export function formatClusterStatus(cluster: ClusterResponse): string {
  const shards = cluster.shards.map((s) => [
    String(s.shard),
    s.leader ?? '(none)',
    String(s.epoch),
    String(s.last_seq),
    String(s.applied_seq),
    String(Math.max(0, s.last_seq - s.applied_seq)),
    s.role,
  ]);
  const nodes = cluster.nodes.map((n) => [
    n.node + (n.node === cluster.node ? ' *' : ''),
    n.alive ? 'alive' : 'silent',
    n.url ?? '-',
  ]);
  return [
    `node ${cluster.node}`,
    '',
    table(['shard', 'leader', 'epoch', 'last_seq', 'applied_seq', 'lag', 'role here'], shards),
    '',
    table(['node', 'state', 'url'], nodes),
    '',
  ].join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
