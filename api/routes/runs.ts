import { Router } from 'express';
import { toApiArtifact } from '../converters/artifacts';
import { toListResponse } from '../converters/common';
import { toApiRun } from '../converters/runs';
import { toApiTaskDetail } from '../converters/tasks';
import { CreateRunBody, ListRunsQuery, TaskLogQuery } from '../schemas/runs';
import type { ArtifactService } from '../services/artifact-service';
import type { RunDetailsService } from '../services/run-details-service';
import type { RunService } from '../services/run-service';
import type { TaskLogService } from '../services/task-log-service';
import { customMethodPath } from './custom-method';

export interface RunRoutesDeps {
  runs: RunService;
  details: RunDetailsService;
  logs: TaskLogService;
  artifacts: ArtifactService;
}

/** KFP's RunService routes, plus Sluice's task logs and run artifacts. */
export function runsRouter({ runs, details, logs, artifacts }: RunRoutesDeps): Router {
  const router = Router();

  router.post('/runs', async (req, res) => {
    res.json(toApiRun(await runs.create(CreateRunBody.parse(req.body ?? {}))));
  });

  router.get('/runs', async (req, res) => {
    res.json(toListResponse('runs', await runs.list(ListRunsQuery.parse(req.query)), (run) => toApiRun(run)));
  });

  router.get('/runs/:run_id', async (req, res) => {
    const { run, tasks } = await details.get(req.params.run_id);
    res.json(toApiRun(run, tasks.map(toApiTaskDetail)));
  });

  router.delete('/runs/:run_id', async (req, res) => {
    await runs.delete(req.params.run_id);
    res.json({});
  });

  router.post(customMethodPath('runs', 'run_id', 'terminate'), async (req, res) => {
    await runs.terminate(req.params.run_id);
    res.json({});
  });

  router.post(customMethodPath('runs', 'run_id', 'archive'), async (req, res) => {
    await runs.setStorageState(req.params.run_id, 'ARCHIVED');
    res.json({});
  });

  router.post(customMethodPath('runs', 'run_id', 'unarchive'), async (req, res) => {
    await runs.setStorageState(req.params.run_id, 'AVAILABLE');
    res.json({});
  });

  /** Sluice: a task's log as text; `?follow=true` streams it (chunked) until the task ends. */
  router.get('/runs/:run_id/tasks/:task_name/logs', async (req, res) => {
    const q = TaskLogQuery.parse(req.query);
    const logRequest = { runId: req.params.run_id, taskName: req.params.task_name, attempt: q.attempt };
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
  router.get('/runs/:run_id/artifacts', async (req, res) => {
    const { artifacts: list, lineage } = await artifacts.listForRun(req.params.run_id);
    res.json({ artifacts: list.map((a) => toApiArtifact(a, lineage)) });
  });

  return router;
}
