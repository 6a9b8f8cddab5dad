/** One node of the call graph, placed. */
export interface PlacedNode {
  readonly name: string;
  readonly x: number;
  readonly y: number;
  /** 0 for the gateway and callers nobody calls, then one more per hop. */
  readonly layer: number;
}

export interface Edge {
  readonly from: string;
  readonly to: string;
}

export interface GraphLayout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly Edge[];
  readonly width: number;
  readonly height: number;
}

const COLUMN = 220;
const ROW = 90;
const MARGIN = 60;

/**
 * Lays callers → services out left to right: each node one column past its furthest caller
 * (cycles are cut where they close), nodes of a column spread evenly. Pure, so it is tested alone.
 */
export function layoutGraph(services: readonly { name: string; callers: readonly string[] }[]): GraphLayout {
  const names = new Set<string>();
  const edges: Edge[] = [];
  for (const service of services) {
    names.add(service.name);
    for (const caller of service.callers) {
      names.add(caller);
      edges.push({ from: caller, to: service.name });
    }
  }
  const callersOf = new Map<string, string[]>();
  for (const edge of edges) callersOf.set(edge.to, [...(callersOf.get(edge.to) ?? []), edge.from]);
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (name: string): number => {
    const known = layer.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const callers = callersOf.get(name) ?? [];
    const value = callers.length === 0 ? 0 : Math.max(...callers.map(depth)) + 1;
    visiting.delete(name);
    layer.set(name, value);
    return value;
  };
  const columns = new Map<number, string[]>();
  for (const name of [...names].sort()) {
    const column = depth(name);
    columns.set(column, [...(columns.get(column) ?? []), name]);
  }
  const tallest = Math.max(1, ...[...columns.values()].map((column) => column.length));
  const height = MARGIN * 2 + (tallest - 1) * ROW;
  const nodes: PlacedNode[] = [];
  for (const [column, members] of columns) {
    const offset = (height - (members.length - 1) * ROW) / 2;
    members.forEach((name, index) => {
      nodes.push({ name, layer: column, x: MARGIN + column * COLUMN, y: offset + index * ROW });
    });
  }
  const width = MARGIN * 2 + Math.max(0, ...nodes.map((node) => node.layer)) * COLUMN;
  return { nodes, edges, width, height };
}
