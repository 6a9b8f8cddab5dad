export {
  counterStore,
  type CounterBackend,
  type CounterOptions,
  type CounterStore,
} from './counter-store.ts';
export {
  createCounterHost,
  threadCounters,
  type CounterHost,
  type ThreadCounters,
} from './thread-counters.ts';
