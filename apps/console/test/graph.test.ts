import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutGraph } from '../src/graph.ts';

describe('layoutGraph', () => {
  it('places each service one column past its furthest caller', () => {
    const layout = layoutGraph([
      { name: 'orders', callers: ['gateway'] },
      { name: 'payments', callers: ['orders'] },
      { name: 'profiles', callers: ['gateway'] },
    ]);
    const column = new Map(layout.nodes.map((node) => [node.name, node.layer]));
    assert.deepEqual(Object.fromEntries(column), { gateway: 0, orders: 1, payments: 2, profiles: 1 });
    assert.equal(layout.edges.length, 3);
    const ys = layout.nodes.filter((node) => node.layer === 1).map((node) => node.y);
    assert.notEqual(ys[0], ys[1], 'two nodes of a column do not overlap');
  });

  it('terminates on a cycle', () => {
    const layout = layoutGraph([
      { name: 'a', callers: ['b'] },
      { name: 'b', callers: ['a'] },
    ]);
    assert.equal(layout.nodes.length, 2);
  });
});
