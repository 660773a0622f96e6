/**
 * The main container's requests and limits from KFP's ResourceSpec in every form the kfp SDK has
 * written, the runner's defaults, accelerators, and Kubernetes quantities. The spec is resolved
 * once, as `prepareLaunch` does (`resolveResources`), and the pod takes what it resolved.
 */
import { buildPod } from '../../../activities/runners/kubernetes/build-pod';
import { quantityProblem, quantityValue } from '../../../activities/runners/kubernetes/quantities';
import { ResourceError } from '../../../ir/errors';
import { resolveResources } from '../../../ir/resources';
import type { ParameterValue, ResourceSpec } from '../../../ir/types';
import { issueOf, main, podLaunch, runnerConfig } from './pod-fixtures';

const PATH = 'deploymentSpec.executors.exec-train.container.resources';

function resourcesOf(resources: unknown, inputParameters: Record<string, ParameterValue> = {}, config = runnerConfig({ defaultResources: { requests: {}, limits: {} } })) {
  return main(buildPod(podLaunch({ resources: resolveResources(resources as ResourceSpec, inputParameters, 'train'), inputParameters }), config)).resources;
}

describe('container resources', () => {
  test.each([
    ['the string fields (kfp >= 2.2)', { resourceCpuLimit: '1000m', resourceMemoryLimit: '256Mi', resourceCpuRequest: '500m', resourceMemoryRequest: '128Mi' }, { limits: { cpu: '1000m', memory: '256Mi' }, requests: { cpu: '500m', memory: '128Mi' } }],
    ['the deprecated numbers: cores, and GB of memory', { cpuLimit: 1.0, memoryLimit: 4, cpuRequest: 0.5, memoryRequest: 0.268435456 }, { limits: { cpu: '1', memory: '4G' }, requests: { cpu: '0.5', memory: '0.268435456G' } }],
    ['both, as the SDK writes them: the strings win', { cpuLimit: 1.0, memoryLimit: 0.268435456, resourceCpuLimit: '1000m', resourceMemoryLimit: '256Mi' }, { limits: { cpu: '1000m', memory: '256Mi' } }],
    ["the SDK's K for kilo", { resourceMemoryLimit: '512K' }, { limits: { memory: '512k' } }],
    ['an accelerator in both forms (nvidia_gpu_scheduling_check)', { accelerator: { count: '1', resourceCount: '1', resourceType: 'nvidia.com/gpu', type: 'nvidia.com/gpu' } }, { limits: { 'nvidia.com/gpu': '1' } }],
    ['an accelerator named by model asks for the configured GPU resource', { accelerator: { type: 'NVIDIA_TESLA_T4', count: 2 } }, { limits: { 'nvidia.com/gpu': '2' } }],
    ['another vendor resource is taken as named', { accelerator: { resourceType: 'amd.com/gpu', resourceCount: '4' } }, { limits: { 'amd.com/gpu': '4' } }],
    ['an accelerator type without a count asks for nothing, as in KFP', { accelerator: { resourceType: 'nvidia.com/gpu' } }, {}],
    ['nothing at all', {}, {}],
  ])('%s', (_, resources, expected) => {
    expect(resourcesOf(resources)).toEqual(expected);
  });

  test('placeholders read the task inputs (pipeline_with_string_machine_fields_pipeline_input)', () => {
    const resources = {
      accelerator: { resourceCount: "{{$.inputs.parameters['pipelinechannel--accelerator_limit']}}", resourceType: "{{$.inputs.parameters['pipelinechannel--accelerator_type']}}" },
      resourceCpuLimit: "{{$.inputs.parameters['pipelinechannel--cpu_limit']}}",
      resourceMemoryLimit: "{{$.inputs.parameters['pipelinechannel--memory_limit']}}",
    };
    const inputs = { 'pipelinechannel--accelerator_limit': 1, 'pipelinechannel--accelerator_type': 'nvidia.com/gpu', 'pipelinechannel--cpu_limit': '4000m', 'pipelinechannel--memory_limit': '15G' };
    expect(resourcesOf(resources, inputs)).toEqual({ limits: { cpu: '4000m', memory: '15G', 'nvidia.com/gpu': '1' } });
    // An optional input left unset fails the launch in prepareLaunch, before any pod is built.
    expect(() => resourcesOf(resources, { ...inputs, 'pipelinechannel--cpu_limit': null })).toThrow(/has no value/);
  });

  test('the runner defaults fill only resources the executor says nothing about', () => {
    const config = runnerConfig({ defaultResources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi', 'ephemeral-storage': '2Gi' } } });
    expect(resourcesOf({}, {}, config)).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi', 'ephemeral-storage': '2Gi' } });
    // A memory limit of 64Mi with the default request of 128Mi would be refused; the executor's memory settings stand alone.
    expect(resourcesOf({ resourceMemoryLimit: '64Mi' }, {}, config)).toEqual({ requests: { cpu: '100m' }, limits: { memory: '64Mi', 'ephemeral-storage': '2Gi' } });
  });

  test.each([
    ['a request above its limit', { resourceMemoryRequest: '2Gi', resourceMemoryLimit: '1Gi' }, `${PATH}.memoryRequest`, /memory request 2Gi exceeds its limit 1Gi/],
    ['an accelerator resource that is no name', { accelerator: { resourceType: 'vendor.com/gpu/x', resourceCount: '1' } }, `${PATH}.accelerator.type`, /not a resource name/],
  ])('%s is refused by the pod builder, naming the field', (_, resources, path, message) => {
    const issue = issueOf(() => resourcesOf(resources));
    expect(issue.path).toBe(path);
    expect(issue.message).toMatch(message);
  });

  test.each([
    ['a bad string quantity', { resourceCpuLimit: 'two' }, {}, /cpuLimit "two" of task 'train' is not a CPU quantity/],
    ['a negative number', { cpuLimit: -1 }, {}, /cpuLimit "-1" .* is not a CPU quantity/],
    ['a fractional accelerator count', { accelerator: { resourceType: 'nvidia.com/gpu', resourceCount: '0.5' } }, {}, /accelerator.count "0.5" .* whole number/],
    ['a placeholder of an input the task lacks', { resourceCpuLimit: "{{$.inputs.parameters['cpu']}}" }, {}, /reads input "cpu", which has no value/],
    ['a placeholder that resolves to no quantity', { resourceMemoryLimit: "{{$.inputs.parameters['mem']}}" }, { mem: 'lots' }, /memoryLimit "lots" .* is not a memory quantity/],
  ])('%s never reaches the pod builder: resolving the launch refuses it', (_, resources, inputs, message) => {
    expect(() => resourcesOf(resources, inputs)).toThrow(ResourceError);
    expect(() => resourcesOf(resources, inputs)).toThrow(message);
  });
});

describe('quantities', () => {
  test.each([
    ['1', 1],
    ['500m', 0.5],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['2.', 2],
    ['+3', 3],
    ['1k', 1e3],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1E', 1e18],
    ['1Ki', 1024],
    ['1Mi', 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1e3', 1e3],
    ['1E3', 1e3],
    ['12e-3', 0.012],
  ])('%s is %d', (text, value) => {
    expect(quantityValue(text)).toBeCloseTo(value, 9);
    expect(quantityProblem(text)).toBeUndefined();
  });

  test.each(['', ' 1', '1 ', '1 Gi', '1gi', '1K', '1KB', 'Gi', '1e', '1.2.3', '0x10', 'one'])('%j is not a quantity', (text) => {
    expect(quantityValue(text)).toBeUndefined();
    expect(quantityProblem(text)).toMatch(/is not a Kubernetes quantity/);
  });

  test('a negative quantity is not a resource amount', () => {
    expect(quantityProblem('-1Gi')).toMatch(/negative/);
  });
});
