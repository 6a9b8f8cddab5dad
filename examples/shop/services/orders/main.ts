// The orders service: run by `rampart up` (see ../../rampart.yaml and packages/sdk/README.md).
import { runService } from '@rampart/sdk';
import { setupOrders } from './routes.ts';

await runService(setupOrders);
