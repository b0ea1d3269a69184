import { parentPort, workerData } from 'node:worker_threads';
import { runMeasurement } from './scenarios.ts';
import { sinkValue } from './timing.ts';

// Worker entry: one measurement in a fresh isolate, its rate posted back to main.ts.
const { name } = workerData as { name: string };
parentPort!.postMessage({ rate: runMeasurement(name), sink: sinkValue() });
