// The profiles service: run by `rampart up` (see ../../rampart.yaml and packages/sdk/README.md).
import { runService } from '@rampart/sdk';
import { setupProfiles } from './routes.ts';

await runService(setupProfiles);
