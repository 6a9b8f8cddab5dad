import { runAccountsContract } from './contract/index.ts';
import { embeddedEngine } from './fixtures.ts';

runAccountsContract(embeddedEngine);
