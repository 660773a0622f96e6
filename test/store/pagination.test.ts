import { StoreInputError } from '../../store/errors';
import { Filter, LISTINGS, MAX_PAGE_SIZE, SORT_KEY_COLUMN, pageQuery } from '../../store/pagination';

/** Fake page rows: only the id and sort-key columns matter to `cut`. */
function rows(n: number, sortKey = '2025-01-01 00:00:00+00') {
  return Array.from({ length: n }, (_, i) => ({ run_id: `run-${i}`, [SORT_KEY_COLUMN]: sortKey }));
}

function tokenAfter(sortKey: string, filter = new Filter(), sortBy?: string): string {
  const token = pageQuery(LISTINGS.runs, filter, { pageSize: 1, sortBy }).cut(rows(2, sortKey)).nextPageToken;
  if (!token) throw new Error('expected a token');
  return token;
}

describe('pageQuery', () => {
  test('defaults to 20 rows by created_at ascending, fetching one extra to detect a next page', () => {
    const q = pageQuery(LISTINGS.runs, new Filter(), {});
    expect(q.rows.text).toMatch(/ORDER BY created_at ASC, run_id ASC LIMIT 21$/);
    expect(q.cut(rows(20))).toEqual({ rows: rows(20) });
    const cut = q.cut(rows(21));
    expect(cut.rows).toHaveLength(20);
    expect(cut.nextPageToken).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test(`clamps the page size at ${MAX_PAGE_SIZE}`, () => {
    expect(pageQuery(LISTINGS.runs, new Filter(), { pageSize: 100_000 }).rows.text).toMatch(/LIMIT 1001$/);
  });

  test('filters and cursors are parameters; the count ignores the cursor', () => {
    const filter = new Filter().equals('experiment_id', 'e1').anyOf('state', ['RUNNING', 'FAILED']);
    const hostile = "x'); DROP TABLE runs; --";
    const q = pageQuery(LISTINGS.runs, filter, { pageToken: tokenAfter(hostile, filter, 'display_name desc') });
    expect(q.rows.text).not.toContain('DROP');
    expect(q.rows.text).toContain('(display_name, run_id) < ($3::text, $4)');
    expect(q.rows.values).toEqual(['e1', ['RUNNING', 'FAILED'], hostile, 'run-0']);
    expect(q.count).toEqual({
      text: 'SELECT count(*)::int AS total FROM runs WHERE experiment_id = $1 AND state = ANY($2)',
      values: ['e1', ['RUNNING', 'FAILED']],
    });
  });

  test('predicates are parameters on whitelisted columns; times compare whole seconds as ranges on the column', () => {
    const hostile = "x'); DROP TABLE runs; --";
    const at = new Date('2026-01-02T03:04:05.678Z');
    const predicates = [
      { field: 'display_name', operation: 'IS_SUBSTRING', values: [hostile] },
      { field: 'created_at', operation: 'GREATER_THAN', values: [at] },
      { field: 'pipeline_id', operation: 'IN', values: ['p1', 'p2'] },
    ] as const;
    const filter = new Filter().equals('experiment_id', 'e1');
    const q = pageQuery(LISTINGS.runs, filter, { predicates });
    expect(q.count).toEqual({
      text:
        'SELECT count(*)::int AS total FROM runs WHERE experiment_id = $1 AND strpos(display_name, $2) > 0 ' +
        "AND created_at >= (date_trunc('second', $3::timestamptz) + interval '1 second') AND pipeline_id = ANY($4::text[])",
      values: ['e1', hostile, at, ['p1', 'p2']],
    });
    // The filter given is left as it was, and a token is bound to the predicates too.
    expect(filter.values).toEqual(['e1']);
    const token = pageQuery(LISTINGS.runs, filter, { pageSize: 1, predicates }).cut(rows(2)).nextPageToken;
    expect(() => pageQuery(LISTINGS.runs, filter, { pageToken: token, predicates })).not.toThrow();
    expect(() => pageQuery(LISTINGS.runs, filter, { pageToken: token, predicates: predicates.slice(1) })).toThrow(StoreInputError);
    expect(() => pageQuery(LISTINGS.runs, filter, { predicates: [{ field: 'spec', operation: 'EQUALS', values: ['x'] }] })).toThrow(
      expect.objectContaining({ field: 'predicates', message: expect.stringContaining('cannot filter runs on "spec"') }),
    );
  });

  test('a token is bound to its filter, but not to the order of a state list', () => {
    const token = tokenAfter('v', new Filter().anyOf('state', ['RUNNING', 'FAILED']));
    expect(() => pageQuery(LISTINGS.runs, new Filter().anyOf('state', ['FAILED', 'RUNNING']), { pageToken: token })).not.toThrow();
    expect(() => pageQuery(LISTINGS.runs, new Filter(), { pageToken: token })).toThrow(StoreInputError);
  });

  test('a token naming an unknown sort field is rejected as a token error', () => {
    const forged = Buffer.from(JSON.stringify({ e: 'runs', f: 'spec', d: 'asc', v: 'x', i: 'y', s: new Filter().fingerprint() }));
    expect(() => pageQuery(LISTINGS.runs, new Filter(), { pageToken: forged.toString('base64url') })).toThrow(
      expect.objectContaining({ field: 'pageToken' }),
    );
  });

  test.each([['bogus'], ['created_at up'], ['created_at desc extra'], ['']])('rejects sortBy %j', (sortBy) => {
    expect(() => pageQuery(LISTINGS.pipelines, new Filter(), { sortBy })).toThrow(expect.objectContaining({ field: 'sortBy' }));
  });

  test('accepts each whitelisted field, any case of direction', () => {
    for (const field of Object.keys(LISTINGS.runs.sortable)) {
      expect(() => pageQuery(LISTINGS.runs, new Filter(), { sortBy: `${field} DESC` })).not.toThrow();
    }
  });
});
