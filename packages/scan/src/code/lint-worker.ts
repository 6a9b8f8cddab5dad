// A worker thread of the code module: lints its share of the files and posts the results back.
import { parentPort, workerData } from 'node:worker_threads';
import { lintFiles } from './lint-files.ts';

const { root, files } = workerData as { root: string; files: string[] };
parentPort?.postMessage(await lintFiles(root, files));
