import type { V1Pod } from '@kubernetes/client-node';
import { classifyPod } from '../../../activities/runners/kubernetes/pod-status';

const NOW = new Date('2026-12-02T10:00:00Z');
const opts = { unschedulableTimeoutMs: 60_000 };

function pod(status: V1Pod['status'], spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return { metadata: { name: 'p', creationTimestamp: new Date('2026-12-02T09:00:00Z') }, spec: { containers: [{ name: 'main', resources: { limits: { memory: '1Gi' } } }], ...spec }, status };
}
const main = (state: object) => ({ containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: false, restartCount: 0, state }] });

describe('classifyPod', () => {
  test.each<[string, V1Pod, object]>([
    ['pending, not yet scheduled', pod({ phase: 'Pending' }), { kind: 'running', phase: 'Pending' }],
    ['running', pod({ phase: 'Running', ...main({ running: {} }) }), { kind: 'running', phase: 'Running' }],
    ['succeeded', pod({ phase: 'Succeeded', ...main({ terminated: { exitCode: 0 } }) }), { kind: 'exited', exitCode: 0 }],
    ['failed with an exit code', pod({ phase: 'Failed', ...main({ terminated: { exitCode: 3, reason: 'Error' } }) }), { kind: 'exited', exitCode: 3 }],
    ['OOMKilled, with the limit', pod({ phase: 'Failed', ...main({ terminated: { exitCode: 137, reason: 'OOMKilled' } }) }), { kind: 'failed', reason: 'OOMKilled', retryable: true, exitCode: 137, message: expect.stringContaining('(1Gi)') }],
    ['evicted: another launch may fare better', pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }), { kind: 'failed', reason: 'Evicted', retryable: true, message: expect.stringContaining('low on resource') }],
    ['past its deadline', pod({ phase: 'Failed', reason: 'DeadlineExceeded' }, { activeDeadlineSeconds: 30 }), { kind: 'failed', reason: 'DeadlineExceeded', timedOut: true, retryable: false, message: expect.stringContaining('30 s') }],
    ['a missing secret never starts', pod({ phase: 'Pending', ...main({ waiting: { reason: 'CreateContainerConfigError', message: 'secret "creds" not found' } }) }), { kind: 'failed', reason: 'CreateContainerConfigError', retryable: false, message: expect.stringContaining('secret "creds" not found') }],
    ['image pull back-off never starts', pod({ phase: 'Pending', ...main({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"' } }) }), { kind: 'failed', reason: 'ImagePullBackOff', retryable: false }],
    ['a first image pull error is waited out', pod({ phase: 'Pending', ...main({ waiting: { reason: 'ErrImagePull', message: 'timeout' } }) }), { kind: 'running', waiting: 'ErrImagePull: timeout' }],
    [
      'unschedulable within the timeout: still running, the reason shown',
      pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available', lastTransitionTime: new Date('2026-12-02T09:59:30Z') }] }),
      { kind: 'running', waiting: 'unschedulable: 0/2 nodes are available' },
    ],
    [
      'unschedulable past the timeout: fails with the scheduler message',
      pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available', lastTransitionTime: new Date('2026-12-02T09:58:00Z') }] }),
      { kind: 'failed', reason: 'Unschedulable', retryable: false, message: expect.stringContaining('0/2 nodes are available') },
    ],
  ])('%s', (_title, p, expected) => {
    expect(classifyPod(p, NOW, opts)).toMatchObject(expected);
  });
});
