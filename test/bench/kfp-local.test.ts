import { runToEnd } from '../../bench/bench-stack';
import { benchKfpLocal, compileKfpLocalPipelines, pipFreeze } from '../../bench/kfp-local';
import { validatePipelineSpec } from '../../ir/validate';
import { startTestEngine, type TestEngine } from '../support/engine';
import { venvPython } from '../support/kfp-compile';

/**
 * `npm run bench`'s comparison with kfp.local, tiny: its pipelines compile with the real kfp SDK
 * into what the bench says they are, and a 2-step chain and a 2-wide fan-out run through both
 * Sluice (the real engine) and kfp.local's SubprocessRunner, every step on both sides, without
 * changing the venv kfp.local runs in.
 */
describe('the kfp.local bench', () => {
  const python = venvPython();

  test('compiles one source into a chain and a ParallelFor of lightweight Python steps, caching off', () => {
    const specs = compileKfpLocalPipelines(python, { chainSteps: 3, fanoutWidth: 4 });
    for (const spec of Object.values(specs)) expect(() => validatePipelineSpec(spec)).not.toThrow();

    const chain = specs.chain.root.dag.tasks;
    expect(Object.keys(chain)).toEqual(['noop', 'noop-2', 'noop-3']);
    expect(chain['noop-3'].dependentTasks).toEqual(['noop-2']);
    expect(chain['noop-2'].dependentTasks).toEqual(['noop']);
    expect(Object.values(chain).map((t) => t.cachingOptions?.enableCache ?? false)).toEqual([false, false, false]);

    const [loop] = Object.values(specs.fanout.root.dag.tasks);
    expect(JSON.parse((loop.parameterIterator as { items: { raw: string } }).items.raw)).toEqual([0, 1, 2, 3]);
    const body = specs.fanout.components[loop.componentRef.name].dag?.tasks ?? {};
    expect(Object.keys(body)).toEqual(['noop']);

    // The same lightweight component everywhere (KFP gives each task its own copy): KFP's executor, run after its `pip install kfp`.
    const containers = [specs.chain, specs.fanout, specs.warmup].flatMap((s) => Object.values(s.deploymentSpec.executors).map((e) => e.container));
    expect(containers).toHaveLength(3 + 1 + 1);
    for (const c of containers) expect(c).toEqual(containers[0]);
    expect(containers[0]?.command?.join(' ')).toMatch(/pip install .*kfp==[\d.]+.*kfp\.dsl\.executor_main/s);
    expect(Object.keys(specs.warmup.root.dag.tasks)).toEqual(['noop']);
  });

  describe('through both paths', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await startTestEngine('kfp-local-bench');
    });
    afterAll(async () => {
      await engine?.stop();
    });

    test('a 2-step chain and a 2-wide fan-out run every step through Sluice and kfp.local, the venv unchanged', async () => {
      const before = pipFreeze(python);
      const lines: string[] = [];
      const result = await benchKfpLocal(engine, runToEnd, { chainSteps: 2, fanoutWidth: 2, venv: engine.config.venv, log: (line) => lines.push(line) });
      expect(pipFreeze(python)).toBe(before);

      expect(result).toMatchObject({ chainSteps: 2, fanoutWidth: 2, venvUnchanged: true });
      for (const c of [result.chain, result.fanout]) {
        expect(c.kfpLocalMs).toBeGreaterThan(0);
        expect(c.sluiceMs).toBeGreaterThan(0);
        expect(c.sluiceStepMedianMs).toBeGreaterThan(0);
        expect(c.ratio).toBeCloseTo(c.kfpLocalMs / c.sluiceMs, 1);
      }
      expect(lines.join('\n')).toMatch(/Sluice done/);
    }, 300_000);
  });
});
