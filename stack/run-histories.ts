import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

/** Temporal's per-workflow limits that a run must stay inside. */
export const TEMPORAL_LIMITS = { historyEvents: 51_200, pendingActivities: 2_000, pendingChildren: 2_000 } as const;

export interface HistoryStats {
  workflowId: string;
  events: number;
  /** Most activities scheduled and not yet closed at any point of the history. */
  peakPendingActivities: number;
  /** Most child workflows initiated and not yet closed at any point. */
  peakPendingChildren: number;
}

const ACTIVITY_CLOSED = new Set([
  EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
]);
const CHILD_CLOSED = new Set([
  EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
]);

/**
 * The event count and peak pending work of a run's workflow and of every child workflow it
 * started, recursively, read from their histories: what Temporal's limits apply to.
 */
export async function runHistoryStats(client: Client, runId: string): Promise<HistoryStats[]> {
  const stats: HistoryStats[] = [];
  const queue = [runId];
  while (queue.length > 0) {
    const workflowId = queue.shift() as string;
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    let activities = 0;
    let children = 0;
    const entry: HistoryStats = { workflowId, events: history.events?.length ?? 0, peakPendingActivities: 0, peakPendingChildren: 0 };
    for (const event of history.events ?? []) {
      const type = event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED;
      if (type === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) activities += 1;
      else if (ACTIVITY_CLOSED.has(type)) activities -= 1;
      else if (type === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
        children += 1;
        const id = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        if (id) queue.push(id);
      } else if (CHILD_CLOSED.has(type)) children -= 1;
      entry.peakPendingActivities = Math.max(entry.peakPendingActivities, activities);
      entry.peakPendingChildren = Math.max(entry.peakPendingChildren, children);
    }
    stats.push(entry);
  }
  return stats;
}

