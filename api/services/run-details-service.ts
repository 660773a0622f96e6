import { runsAttempts, type TaskState } from '../../ir/states';
import type { MetadataStore, Page, RunRecord, TaskAttemptRecord, TaskRecord } from '../../store/types';
import type { TaskView } from '../converters/tasks';
import { NotFoundError } from '../errors';

/** How many task details `GET /runs/{id}` carries unless configured otherwise. */
export const DEFAULT_TASK_DETAILS_LIMIT = 1000;

/** How many children each task detail lists in `child_tasks`; `child_task_count` has the rest. */
export const CHILD_TASKS_LIMIT = 100;

export interface RunDetails {
  run: RunRecord;
  /** The first page of the run's tasks, in tree order. */
  tasks: Page<TaskView>;
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
    // The run and its first page are read together (a run that does not exist has no tasks
    // either), and the state counts, which read every task of the run, beside both the page
    // and its attempts and children. The counts cover every task: the page need not count them.
    const withTasks = Promise.all([
      this.store.getRun(runId),
      this.store.listTaskPage(runId, { pageSize: this.taskDetailsLimit, withTotal: false }),
    ]).then(async ([run, page]) => {
      if (!run) throw new NotFoundError('run', runId);
      return { run, page: await this.withViews(runId, page) };
    });
    const [{ run, page }, stateCounts] = await Promise.all([withTasks, this.store.countTasksByState(runId)]);
    const totalSize = Object.values(stateCounts).reduce((sum, n) => sum + (n ?? 0), 0);
    return { run, tasks: { ...page, totalSize }, stateCounts };
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
    const page = await this.store.listTaskPage(runId, { parentTaskPath: parent?.taskPath, pageSize: query.pageSize, pageToken: query.pageToken });
    if (page.totalSize === 0) await this.assertRunExists(runId);
    return this.withViews(runId, page);
  }

  /**
   * Each task of `page` with its attempts and first children: two queries for the whole page,
   * each asking only about the tasks that can have them (a step has attempts, a DAG instance
   * children), so a page of a loop's iterations reads no attempts.
   */
  private async withViews(runId: string, page: Page<TaskRecord>): Promise<Page<TaskView>> {
    const steps = page.items.filter((t) => runsAttempts(t.kind)).map((t) => t.taskPath);
    const dags = page.items.filter((t) => !runsAttempts(t.kind)).map((t) => t.taskPath);
    const [attempts, children] = await Promise.all([
      steps.length ? this.store.listTaskAttempts(runId, steps) : [],
      this.store.listTaskChildren(runId, dags, CHILD_TASKS_LIMIT),
    ]);
    const childrenOf = new Map(children.map((c) => [c.parentTaskPath, c]));
    const attemptsOf = new Map<string, TaskAttemptRecord[]>();
    for (const a of attempts) attemptsOf.set(a.taskPath, [...(attemptsOf.get(a.taskPath) ?? []), a]);
    return {
      ...page,
      items: page.items.map((task) => ({ task, attempts: attemptsOf.get(task.taskPath) ?? [], children: childrenOf.get(task.taskPath) })),
    };
  }

  private async assertRunExists(runId: string): Promise<void> {
    if (!(await this.store.getRun(runId))) throw new NotFoundError('run', runId);
  }
}
