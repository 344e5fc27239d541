/**
 * Cluster: shards, leaders, epochs, replica lag and nodes alive, when the server reports a
 * cluster in /v2/status. An embedded server reports none, and the panel stays hidden.
 */
export function Cluster({ cluster }: { cluster: unknown }) {
  if (cluster === undefined) return null;
  return (
    <section data-testid="cluster-panel">
      <h2>Cluster</h2>
      <pre>{JSON.stringify(cluster, null, 2)}</pre>
    </section>
  );
}
