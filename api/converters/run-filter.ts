import { RUN_STATES, isRunState } from '../../ir/states';
import type { RunFilter } from '../../store/types';
import { InvalidArgumentError } from '../errors';
import type { FilterKeys, Predicate } from '../filter';

type StorageState = NonNullable<RunFilter['storageState']>;
const STORAGE_STATES: readonly StorageState[] = ['AVAILABLE', 'ARCHIVED'];

/** What `GET /runs` filters on: all of it runs in the store, so listing 100k runs stays cheap. */
export const RUN_FILTER_KEYS: FilterKeys = {
  state: ['EQUALS', 'NOT_EQUALS', 'IN'],
  experiment_id: ['EQUALS'],
  storage_state: ['EQUALS', 'NOT_EQUALS'],
  recurring_run_id: ['EQUALS'],
};

/**
 * Predicates (already checked against `RUN_FILTER_KEYS`) and the `experiment_id` query parameter
 * as the store's `RunFilter`. Predicates are ANDed; throws `InvalidArgumentError` for an unknown
 * state or predicates that exclude each other.
 */
export function toRunFilter(predicates: readonly Predicate[], experimentId: string | undefined): RunFilter {
  const filter: RunFilter = { experimentId };
  predicates.forEach((p, i) => {
    const at = `filter.predicates.${i}`;
    switch (p.key) {
      case 'state': {
        const states = select(p, RUN_STATES, isRunState, at);
        filter.states = filter.states ? filter.states.filter((s) => states.includes(s)) : states;
        if (filter.states.length === 0) throw InvalidArgumentError.of(at, 'the predicates on state exclude each other');
        break;
      }
      case 'experiment_id':
        if (filter.experimentId !== undefined && filter.experimentId !== p.values[0]) {
          throw InvalidArgumentError.of(at, `asks for experiment "${p.values[0]}" but experiment "${filter.experimentId}" is already selected`);
        }
        filter.experimentId = p.values[0];
        break;
      case 'recurring_run_id':
        filter.recurringRunId = p.values[0];
        break;
      case 'storage_state': {
        const [state] = select(p, STORAGE_STATES, (v): v is StorageState => (STORAGE_STATES as readonly string[]).includes(v), at);
        if (filter.storageState !== undefined && filter.storageState !== state) {
          throw InvalidArgumentError.of(at, 'the predicates on storage_state exclude each other');
        }
        filter.storageState = state;
        break;
      }
      default:
        throw new Error(`RUN_FILTER_KEYS and toRunFilter disagree about key "${p.key}"`);
    }
  });
  return filter;
}

/** The members of `all` a predicate selects. */
function select<T extends string>(p: Predicate, all: readonly T[], isMember: (v: string) => v is T, at: string): T[] {
  const bad = p.values.find((v) => !isMember(v));
  if (bad !== undefined) throw InvalidArgumentError.of(at, `"${bad}" is not a ${p.key}; expected one of ${all.join(', ')}`);
  const values = p.values as T[];
  return p.operation === 'NOT_EQUALS' ? all.filter((s) => s !== values[0]) : values;
}
