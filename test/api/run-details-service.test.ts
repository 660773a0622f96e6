import { RunDetailsService } from '../../api/services/run-details-service';
import type { MetadataStore, TaskPageOptions, TaskPageViews } from '../../store/types';
import { launch, newRun, transition, useStore } from '../store/fixtures';

const db = useStore('api_run_details');

/**
 * The store, except that a page's views are the ones read before `stale` ran: the page read after
 * it then holds tasks the views never saw, as when tasks are added between the two reads.
 */
function storeWithViewsFrom(before: Map<string, TaskPageViews>): MetadataStore {
  const store = db.store();
  return Object.assign(Object.create(store) as MetadataStore, {
    listTaskPageViews: async (runId: string, opts: TaskPageOptions) => before.get(JSON.stringify([runId, opts])) ?? { covers: new Set(), attempts: [], children: [] },
  });
}

describe('RunDetailsService', () => {
  test('a page of tasks: tasks added between the page and its views are completed from the store: the same details as one read', async () => {
    const { runId } = await db.store().createRun(newRun());
    await db.store().recordTaskTransitions(runId, [transition('root/z', 'RUNNING', 1, { kind: 'DAG' }), transition('root/z/step', 'RUNNING', 1, { parentTaskPath: 'root/z' })]);
    await db.store().recordLaunch(launch(runId, 'root/z/step', { task: { taskPath: 'root/z/step', parentTaskPath: 'root/z', displayName: 'step', kind: 'CONTAINER', componentName: 'comp', state: 'RUNNING' } }));
    const opts = { pageSize: 3 };
    const before = new Map([[JSON.stringify([runId, opts]), await db.store().listTaskPageViews(runId, opts, 100)]]);

    // Sorting before root/z, they push it and its step along the page.
    await db.store().recordTaskTransitions(runId, [transition('root/a', 'RUNNING', 2, { kind: 'DAG' }), transition('root/a/inner', 'RUNNING', 2, { parentTaskPath: 'root/a' })]);
    await db.store().recordLaunch(launch(runId, 'root/a/inner', { task: { taskPath: 'root/a/inner', parentTaskPath: 'root/a', displayName: 'inner', kind: 'CONTAINER', componentName: 'comp', state: 'RUNNING' } }));

    const fresh = await new RunDetailsService(db.store()).listTasks(runId, opts);
    const stale = await new RunDetailsService(storeWithViewsFrom(before)).listTasks(runId, opts);
    expect(fresh.items.map((v) => v.task.taskPath)).toEqual(['root/a', 'root/z', 'root/a/inner']);
    expect(fresh.items.map((v) => [v.children?.children.map((c) => c.taskPath) ?? [], v.attempts.map((a) => a.attempt)])).toEqual([
      [['root/a/inner'], []],
      [['root/z/step'], []],
      [[], [1]],
    ]);
    expect(stale).toEqual(fresh);
  });
});
