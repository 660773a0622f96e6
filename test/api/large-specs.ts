import { randomBytes } from 'node:crypto';

/**
 * Pipelines at Temporal's payload limits, generated rather than committed: a wide fan-out of
 * trivial container tasks (the shape `for i in range(n): echo(i=i)` compiles to with kfp), and a
 * spec carrying an incompressible constant.
 */

/** `n` independent container tasks sharing one component, each with its own constant inputs. */
export function fanOutSpec(name: string, n: number, command: string[] = ['sh', '-c', 'echo "$0 $1"']) {
  const tasks: Record<string, unknown> = {};
  for (let i = 0; i < n; i += 1) {
    const task = i === 0 ? 'echo' : `echo-${i + 1}`;
    tasks[task] = {
      taskInfo: { name: task },
      componentRef: { name: 'comp-echo' },
      cachingOptions: { enableCache: true },
      inputs: {
        parameters: {
          i: { runtimeValue: { constant: i } },
          message: { runtimeValue: { constant: `echo task ${i} of the ${n}-way fan-out` } },
        },
      },
    };
  }
  return {
    pipelineInfo: { name },
    schemaVersion: '2.1.0',
    sdkVersion: 'kfp-2.14.6',
    components: {
      'comp-echo': {
        executorLabel: 'exec-echo',
        inputDefinitions: { parameters: { i: { parameterType: 'NUMBER_INTEGER' }, message: { parameterType: 'STRING' } } },
      },
    },
    deploymentSpec: {
      executors: {
        'exec-echo': {
          container: {
            image: 'python:3.11',
            command,
            args: ['{{$.inputs.parameters[\'i\']}}', '{{$.inputs.parameters[\'message\']}}'],
          },
        },
      },
    },
    root: { dag: { tasks } },
  };
}

/** `bytes` characters that gzip cannot shrink below about three quarters (base64 of random bytes). */
export function incompressibleString(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);
}

/** One task whose constant input is `blob`; or, with `asParameter`, a root STRING parameter `blob` the task reads. */
export function blobSpec(name: string, blob?: string) {
  const source = blob === undefined ? { componentInputParameter: 'blob' } : { runtimeValue: { constant: blob } };
  return {
    pipelineInfo: { name },
    schemaVersion: '2.1.0',
    sdkVersion: 'kfp-2.14.6',
    components: {
      'comp-take': { executorLabel: 'exec-take', inputDefinitions: { parameters: { blob: { parameterType: 'STRING' } } } },
    },
    deploymentSpec: { executors: { 'exec-take': { container: { image: 'python:3.11', command: ['true'] } } } },
    root: {
      dag: { tasks: { take: { taskInfo: { name: 'take' }, componentRef: { name: 'comp-take' }, inputs: { parameters: { blob: source } } } } },
      ...(blob === undefined ? { inputDefinitions: { parameters: { blob: { parameterType: 'STRING' } } } } : {}),
    },
  };
}
