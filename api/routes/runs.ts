import { Router } from 'express';
import { toApiArtifact } from '../converters/artifacts';
import { toListResponse } from '../converters/common';
import { toApiRun, toApiRunWithDetails } from '../converters/runs';
import { toApiTaskDetail } from '../converters/tasks';
import { CreateRunBody, ListRunsQuery, ListTasksQuery, TaskLogQuery } from '../schemas/runs';
import type { NamespaceGuard } from '../auth/namespace-guard';
import { accessOf } from '../auth/principal';
import type { ArtifactService } from '../services/artifact-service';
import type { RunDetailsService } from '../services/run-details-service';
import type { RunService } from '../services/run-service';
import type { TaskLogService } from '../services/task-log-service';
import { customMethodPath } from './custom-method';
import { guardPathParameters, noQuery } from '../request-guards';

export interface RunRoutesDeps {
  runs: RunService;
  details: RunDetailsService;
  logs: TaskLogService;
  artifacts: ArtifactService;
  namespaces: NamespaceGuard;
}

/** KFP's RunService routes, plus Sluice's task logs and run artifacts. */
export function runsRouter({ runs, details, logs, artifacts, namespaces }: RunRoutesDeps): Router {
  const router = Router();
  guardPathParameters(router);
  namespaces.guardParam(router, 'run_id');

  router.post('/runs', noQuery, async (req, res) => {
    res.json(toApiRun(await runs.create(CreateRunBody.parse(req.body ?? {}), accessOf(res))));
  });

  router.get('/runs', async (req, res) => {
    const query = ListRunsQuery.parse(req.query);
    res.json(toListResponse('runs', await runs.list(query, accessOf(res).listNamespaces(query.namespace)), (run) => toApiRun(run)));
  });

  router.get('/runs/:run_id', noQuery, async (req, res) => {
    const { run, tasks, taskCount, stateCounts } = await details.get(req.params.run_id);
    res.json(toApiRunWithDetails(run, { task_details: tasks.map(toApiTaskDetail), task_count: taskCount, task_state_counts: stateCounts }));
  });

  /** Sluice: the run's tasks page by page in tree order, or (`parent_task_id`) the tasks inside one task. */
  router.get('/runs/:run_id/tasks', async (req, res) => {
    const q = ListTasksQuery.parse(req.query);
    const page = await details.listTasks(req.params.run_id, { parentTaskId: q.parent_task_id, pageSize: q.page_size, pageToken: q.page_token });
    res.json(toListResponse('tasks', page, toApiTaskDetail));
  });

  router.delete('/runs/:run_id', noQuery, async (req, res) => {
    await runs.delete(req.params.run_id);
    res.json({});
  });

  router.post(customMethodPath('runs', 'run_id', 'terminate'), noQuery, async (req, res) => {
    await runs.terminate(req.params.run_id);
    res.json({});
  });

  router.post(customMethodPath('runs', 'run_id', 'retry'), noQuery, async (req, res) => {
    await runs.retry(req.params.run_id);
    res.json({});
  });

  router.post(customMethodPath('runs', 'run_id', 'archive'), noQuery, async (req, res) => {
    await runs.setStorageState(req.params.run_id, 'ARCHIVED');
    res.json({});
  });

  router.post(customMethodPath('runs', 'run_id', 'unarchive'), noQuery, async (req, res) => {
    await runs.setStorageState(req.params.run_id, 'AVAILABLE');
    res.json({});
  });

  /**
   * Sluice: a task's log as text; `?follow=true` streams it (chunked) until the task ends.
   * `{task}` is the task's path (URL-encoded), or the name of a task of the root DAG.
   */
  router.get('/runs/:run_id/tasks/:task/logs', async (req, res) => {
    const q = TaskLogQuery.parse(req.query);
    const logRequest = { runId: req.params.run_id, task: req.params.task, attempt: q.attempt };
    if (!q.follow) {
      res.type('text/plain; charset=utf-8').send(await logs.read(logRequest));
      return;
    }
    const clientGone = new AbortController();
    res.on('close', () => clientGone.abort());
    const chunks = await logs.follow(logRequest, clientGone.signal);
    res.type('text/plain; charset=utf-8').setHeader('Cache-Control', 'no-cache');
    res.flushHeaders();
    for await (const chunk of chunks) res.write(chunk);
    res.end();
  });

  /** Sluice: the run's artifacts, each with the tasks that produced and consumed it. */
  router.get('/runs/:run_id/artifacts', noQuery, async (req, res) => {
    const { artifacts: list, lineage } = await artifacts.listForRun(req.params.run_id);
    res.json({ artifacts: list.map((a) => toApiArtifact(a, lineage)) });
  });

  return router;
}
