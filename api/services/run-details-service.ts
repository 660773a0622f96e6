import { runsAttempts, type TaskState } from '../../ir/states';
import type { MetadataStore, Page, RunRecord, TaskAttemptRecord, TaskChildren, TaskPageViews, TaskRecord } from '../../store/types';
import type { TaskView } from '../converters/tasks';
import { NotFoundError } from '../errors';

/** How many task details `GET /runs/{id}` carries unless configured otherwise. */
export const DEFAULT_TASK_DETAILS_LIMIT = 1000;

/** How many children each task detail lists in `child_tasks`; `child_task_count` has the rest. */
export const CHILD_TASKS_LIMIT = 100;

export interface RunDetails {
  run: RunRecord;
  /** The top of the run's task tree, in tree order: see `MetadataStore.summariseTasks`. */
  tasks: TaskView[];
  taskCount: number;
  stateCounts: Partial<Record<TaskState, number>>;
}

/** What a page of tasks asks for; the parent is named by its task id, as the API names tasks. */
export interface TaskPageQuery {
  parentTaskId?: string;
  pageSize?: number;
  pageToken?: string;
}

/**
 * One run with its tasks, from PostgreSQL alone: the workflow writes every transition there
 * (see ARCHITECTURE.md, "One writer of task state"), so no workflow query is needed. Bounded
 * however large the run: a page of tasks, their attempts and children are index ranges.
 */
export class RunDetailsService {
  constructor(
    private readonly store: MetadataStore,
    /** Task details in `GET /runs/{id}`: the first page's size. */
    private readonly taskDetailsLimit = DEFAULT_TASK_DETAILS_LIMIT,
  ) {}

  async get(runId: string): Promise<RunDetails> {
    // Every read at once, each on its own connection; the state counts read every task of the
    // run, so the summary need not count them.
    const [run, summary, stateCounts] = await Promise.all([
      this.store.getRun(runId),
      this.store.summariseTasks(runId, this.taskDetailsLimit, CHILD_TASKS_LIMIT),
      this.store.countTasksByState(runId),
    ]);
    if (!run) throw new NotFoundError('run', runId);
    const taskCount = Object.values(stateCounts).reduce((sum, n) => sum + (n ?? 0), 0);
    return { run, tasks: joinViews(summary.tasks, summary.attempts, summary.children), taskCount, stateCounts };
  }

  /**
   * A page of the run's tasks in tree order, or of the tasks directly inside `parentTaskId`.
   * @throws NotFoundError for an unknown run, or an unknown parent (naming `parent_task_id`).
   */
  async listTasks(runId: string, query: TaskPageQuery): Promise<Page<TaskView>> {
    const parent = query.parentTaskId === undefined ? undefined : await this.store.getTaskById(runId, query.parentTaskId);
    if (query.parentTaskId !== undefined && !parent) {
      await this.assertRunExists(runId);
      throw new NotFoundError('task', query.parentTaskId, { field: 'parent_task_id', reason: `run "${runId}" has no task with that id` });
    }
    const opts = { parentTaskPath: parent?.taskPath, pageSize: query.pageSize, pageToken: query.pageToken };
    const [page, views] = await Promise.all([this.store.listTaskPage(runId, opts), this.store.listTaskPageViews(runId, opts, CHILD_TASKS_LIMIT)]);
    if (page.totalSize === 0) await this.assertRunExists(runId);
    return this.withViews(runId, page, views);
  }

  /**
   * Each task of `page` with its attempts (a step) or first children (a DAG instance), from
   * `views`, read beside the page; a task the views do not cover (added between the two reads,
   * which moved the page) is read now, asking only about the tasks that can have them.
   */
  private async withViews(runId: string, page: Page<TaskRecord>, views: TaskPageViews): Promise<Page<TaskView>> {
    const missing = page.items.filter((t) => !views.covers.has(t.taskPath));
    const steps = missing.filter((t) => runsAttempts(t.kind)).map((t) => t.taskPath);
    const dags = missing.filter((t) => !runsAttempts(t.kind)).map((t) => t.taskPath);
    const [attempts, children] = await Promise.all([
      steps.length ? this.store.listTaskAttempts(runId, steps) : [],
      dags.length ? this.store.listTaskChildren(runId, dags, CHILD_TASKS_LIMIT) : [],
    ]);
    return { ...page, items: joinViews(page.items, [...views.attempts, ...attempts], [...views.children, ...children]) };
  }

  private async assertRunExists(runId: string): Promise<void> {
    if (!(await this.store.getRun(runId))) throw new NotFoundError('run', runId);
  }
}

/** Each task with its attempts (a step) or first children (a DAG instance). */
function joinViews(tasks: readonly TaskRecord[], attempts: readonly TaskAttemptRecord[], children: readonly TaskChildren[]): TaskView[] {
  const childrenOf = new Map(children.map((c) => [c.parentTaskPath, c]));
  const attemptsOf = new Map<string, TaskAttemptRecord[]>();
  for (const a of attempts) {
    const list = attemptsOf.get(a.taskPath);
    if (list) list.push(a);
    else attemptsOf.set(a.taskPath, [a]);
  }
  return tasks.map((task) => ({ task, attempts: attemptsOf.get(task.taskPath) ?? [], children: childrenOf.get(task.taskPath) }));
}
