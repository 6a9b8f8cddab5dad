// A repository on the Rampart store that builds SQL by hand.
import type { Store } from '@rampart/sdk';

export async function searchOrders(store: Store, owner: string, status: string): Promise<object[]> {
  return store.all(`SELECT id, total FROM orders WHERE owner = '${owner}' AND status = '${status}'`);
}

export async function renameOrder(store: Store, request: { params: { id: string }; body: { name: string } }) {
  const sql = "UPDATE orders SET name = '" + request.body.name + "' WHERE id = ?";
  return store.run(sql, [request.params.id]);
}

export async function orderById(store: Store, id: string): Promise<object | undefined> {
  return store.get('SELECT id, total FROM orders WHERE id = ?', [id]);
}
