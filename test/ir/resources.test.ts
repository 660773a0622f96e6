import { ResourceError } from '../../ir/errors';
import { resolveResources, resourceInputs, staticResourceIssues } from '../../ir/resources';
import type { ParameterValue, ResourceSpec } from '../../ir/types';

const channel = (name: string) => `{{$.inputs.parameters['${name}']}}`;

describe('resolveResources', () => {
  const inputs: Record<string, ParameterValue> = {
    'pipelinechannel--cpu': '500m',
    'pipelinechannel--memory': '1G\n',
    'pipelinechannel--gpus': 2,
    'pipelinechannel--gpu': 'nvidia.com/gpu',
    'pipelinechannel--cores': 1.5,
    'pipelinechannel--none': null,
    'pipelinechannel--empty': '',
  };

  test.each<[string, ResourceSpec | undefined, unknown]>([
    ['no resources', undefined, undefined],
    ['an empty spec', {}, undefined],
    [
      'placeholders filled from the task inputs (a number as its text, an output file\'s trailing newline ignored)',
      {
        resourceCpuLimit: channel('pipelinechannel--cpu'),
        resourceCpuRequest: channel('pipelinechannel--cores'),
        resourceMemoryLimit: channel('pipelinechannel--memory'),
        accelerator: { resourceType: channel('pipelinechannel--gpu'), resourceCount: channel('pipelinechannel--gpus') },
      },
      { cpuLimit: '500m', cpuRequest: '1.5', memoryLimit: '1G', accelerator: { type: 'nvidia.com/gpu', count: 2 } },
    ],
    [
      'static strings win over the deprecated numbers kfp writes beside them',
      { resourceCpuLimit: '2', cpuLimit: 2, resourceMemoryRequest: '512Mi', memoryRequest: 0.536870912 },
      { cpuLimit: '2', memoryRequest: '512Mi' },
    ],
    [
      'the deprecated numbers alone: cores, and GB for memory',
      { cpuRequest: 0.25, memoryLimit: 4, accelerator: { type: 'tpu', count: '4' } },
      { cpuRequest: '0.25', memoryLimit: '4G', accelerator: { type: 'tpu', count: 4 } },
    ],
    ['memory in kfp\'s "K", as Kubernetes spells it', { resourceMemoryLimit: '64K' }, { memoryLimit: '64k' }],
    ['an accelerator count without a type is ignored, as in KFP', { accelerator: { resourceCount: 'x' } }, undefined],
    ['an accelerator type that resolves to "" drops the accelerator', { accelerator: { resourceType: channel('pipelinechannel--empty'), resourceCount: '1' } }, undefined],
  ])('%s', (_name, spec, expected) => {
    expect(resolveResources(spec, inputs, 'train')).toEqual(expected);
  });

  test.each<[string, ResourceSpec, string]>([
    ['a cpu limit that is not a CPU quantity', { resourceCpuLimit: channel('pipelinechannel--x') }, 'resources.cpuLimit "abc" of task \'train\' is not a CPU quantity'],
    ['memory in cores', { resourceMemoryRequest: channel('pipelinechannel--cpu') }, 'resources.memoryRequest "500m" of task \'train\' is not a memory quantity'],
    ['a cpu of 1Gi', { resourceCpuRequest: '1Gi' }, 'resources.cpuRequest "1Gi" of task \'train\' is not a CPU quantity'],
    ['a fractional accelerator count', { accelerator: { resourceType: 'tpu', resourceCount: channel('pipelinechannel--cores') } }, 'resources.accelerator.count "1.5" of task \'train\' is not an accelerator count'],
    ['an input that was not given', { resourceCpuLimit: channel('pipelinechannel--missing') }, 'resources.cpuLimit of task \'train\' reads input "pipelinechannel--missing", which has no value'],
    ['an optional input left unset', { resourceMemoryLimit: channel('pipelinechannel--none') }, 'resources.memoryLimit of task \'train\' reads input "pipelinechannel--none", which has no value'],
    ['an empty value', { resourceCpuLimit: channel('pipelinechannel--empty') }, 'resources.cpuLimit "" of task \'train\' is not a CPU quantity'],
  ])('fails on %s, naming the field, the value and the task', (_name, spec, message) => {
    const resolve = () => resolveResources(spec, { ...inputs, 'pipelinechannel--x': 'abc' }, 'train');
    expect(resolve).toThrow(ResourceError);
    expect(resolve).toThrow(message);
  });
});

describe('what validation reads of a resource spec', () => {
  test('the fields that read inputs, with the inputs and kfp\'s feeder input', () => {
    const spec = {
      resourceCpuLimit: channel('pipelinechannel--cpu'),
      resourceMemoryLimit: '1G',
      accelerator: { resourceType: 'tpu', resourceCount: `${channel('a')}${channel('b')}` },
    };
    expect(resourceInputs(spec)).toEqual([
      { key: 'resourceCpuLimit', reads: ['pipelinechannel--cpu'], feeder: 'cpu_limit' },
      { key: 'accelerator.resourceCount', reads: ['a', 'b'], feeder: 'accelerator_count' },
    ]);
  });

  test('static values that are not quantities; placeholders and malformed documents are left alone', () => {
    expect(staticResourceIssues({ resourceCpuLimit: '2 cores', resourceMemoryLimit: channel('m'), cpuRequest: 1 })).toEqual([
      { key: 'resourceCpuLimit', message: expect.stringMatching(/^"2 cores" is not a CPU quantity/) },
    ]);
    expect(staticResourceIssues('not a mapping')).toEqual([]);
    expect(staticResourceIssues({ accelerator: 'gpu' })).toEqual([]);
  });
});
