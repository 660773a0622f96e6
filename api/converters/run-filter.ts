import { RUN_STATES, isRunState } from '../../ir/states';
import type { FieldPredicate, RunFilter } from '../../store/types';
import { InvalidArgumentError } from '../errors';
import { EXACT_KEY, TEXT_KEY, TIME_KEY, type FilterKeys } from '../filter';

type StorageState = NonNullable<RunFilter['storageState']>;
const STORAGE_STATES: readonly StorageState[] = ['AVAILABLE', 'ARCHIVED'];

/** What `GET /runs` filters on (KFP's run fields): all of it runs in the store, so listing 100k runs stays cheap. */
export const RUN_FILTER_KEYS: FilterKeys = {
  state: EXACT_KEY,
  experiment_id: { operations: ['EQUALS'] },
  storage_state: { operations: ['EQUALS', 'NOT_EQUALS'] },
  recurring_run_id: { operations: ['EQUALS'] },
  run_id: EXACT_KEY,
  display_name: TEXT_KEY,
  name: TEXT_KEY,
  description: TEXT_KEY,
  pipeline_id: EXACT_KEY,
  pipeline_version_id: EXACT_KEY,
  created_at: TIME_KEY,
  scheduled_at: TIME_KEY,
  finished_at: TIME_KEY,
};

/**
 * Predicates (already checked against `RUN_FILTER_KEYS`) and the `experiment_id` query parameter
 * as the store's `RunFilter`, with the predicates on plain fields (names, ids, times) left as they
 * are. Predicates are ANDed; throws `InvalidArgumentError` for an unknown state or predicates that
 * exclude each other.
 */
export function toRunFilter(predicates: readonly FieldPredicate[], experimentId: string | undefined): { filter: RunFilter; predicates: FieldPredicate[] } {
  const filter: RunFilter = { experimentId };
  const rest: FieldPredicate[] = [];
  predicates.forEach((p, i) => {
    const at = `filter.predicates.${i}`;
    const values = p.values.map(String);
    switch (p.field) {
      case 'state': {
        const states = select(p, RUN_STATES, isRunState, at);
        filter.states = filter.states ? filter.states.filter((s) => states.includes(s)) : states;
        if (filter.states.length === 0) throw InvalidArgumentError.of(at, 'the predicates on state exclude each other');
        break;
      }
      case 'experiment_id':
        if (filter.experimentId !== undefined && filter.experimentId !== values[0]) {
          throw InvalidArgumentError.of(at, `asks for experiment "${values[0]}" but experiment "${filter.experimentId}" is already selected`);
        }
        filter.experimentId = values[0];
        break;
      case 'recurring_run_id':
        filter.recurringRunId = values[0];
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
        rest.push(p);
    }
  });
  return { filter, predicates: rest };
}

/** The members of `all` a predicate selects. */
function select<T extends string>(p: FieldPredicate, all: readonly T[], isMember: (v: string) => v is T, at: string): T[] {
  const bad = p.values.map(String).find((v) => !isMember(v));
  if (bad !== undefined) throw InvalidArgumentError.of(at, `"${bad}" is not a ${p.field}; expected one of ${all.join(', ')}`);
  const values = p.values as T[];
  return p.operation === 'NOT_EQUALS' ? all.filter((s) => s !== values[0]) : values;
}
