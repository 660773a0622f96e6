import { createHash } from 'node:crypto';
import { artifactIdFor, taskIdFor } from '../../ir/ids';
import { runPlaceholderValues } from '../../ir/run-values';
import { sha256Hex } from '../../ir/sha256';

describe('pure SHA-256 and derived ids', () => {
  test.each(['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(1000), 'héllo wörld ✓', 'task\0run\0name'])(
    'matches node:crypto for %j', (text) => {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'));
    });

  test('ids are stable, UUID-shaped (v8) and distinct per input', () => {
    const id = taskIdFor('run-1', 'train');
    expect(id).toBe(taskIdFor('run-1', 'train'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(taskIdFor('run-1', 'eval')).not.toBe(id);
    expect(artifactIdFor('/a/b')).not.toBe(artifactIdFor('/a/c'));
  });
});

describe("a run's placeholder values", () => {
  const run = { runId: 'run-1', runName: 'nightly', pipelineName: 'Train Model', pipelineRoot: '/store', createdAt: '2026-12-05T10:00:00Z' };

  test("the task's uuid is its task id, derived when asked, and copied by a spread", () => {
    const values = runPlaceholderValues(run, 'root/for-loop-2[17]/train');
    expect(values.pipelineTaskUuid).toBe(taskIdFor('run-1', 'root/for-loop-2[17]/train'));
    expect({ ...values }).toMatchObject({ pipelineTaskUuid: taskIdFor('run-1', 'root/for-loop-2[17]/train'), pipelineTaskName: 'train', pipelineJobUuid: 'run-1' });
    expect(JSON.parse(JSON.stringify(values)).pipelineTaskUuid).toBe(values.pipelineTaskUuid);
  });
});
