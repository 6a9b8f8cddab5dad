import { runAccountsContract } from './contract/index.ts';
import { postgresEngine } from './fixtures.ts';

runAccountsContract(await postgresEngine());
