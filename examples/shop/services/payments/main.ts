// The payments service: run by `rampart up` (see ../../rampart.yaml and packages/sdk/README.md).
// Only `orders` may call it (callers: [orders]); it has no route through the gateway.
import { runService } from '@rampart/sdk';
import { setupPayments } from './routes.ts';

await runService(setupPayments);
