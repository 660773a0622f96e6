"""The pipelines `npm run bench` runs through both kfp.local and Sluice, defined once with the kfp SDK.

  compile OUT_DIR CHAIN FANOUT   writes chain.yaml and fanout.yaml (KFP's own compiler) for Sluice
  run ROOT CHAIN FANOUT RESULT   runs the same pipeline functions with kfp.local's SubprocessRunner
                                 (use_venv=False: this interpreter), timing each whole pipeline, and
                                 writes to RESULT, as JSON, each pipeline's time and how many steps
                                 wrote their executor output (the evidence that every step ran)

The chain is CHAIN no-op lightweight Python steps one after another; the fan-out is a
dsl.ParallelFor over FANOUT items whose body is the same no-op step (kfp.local runs a ParallelFor's
iterations in a thread pool, so this is its fan-out). A one-step warm-up runs first on both sides.
Caching is off on both sides, so every step runs. kfp.local's own logs go to this process's
stdout/stderr.
"""
import json
import os
import sys
import time
import warnings

warnings.simplefilter('ignore', FutureWarning)

from kfp import compiler, dsl, local  # noqa: E402


@dsl.component
def noop(i: int):
    """A lightweight Python step that does nothing; `i` only tells the steps apart."""


def chain_pipeline(steps: int):
    @dsl.pipeline(name=f'kfp-local-chain-{steps}')
    def chain():
        previous = None
        for i in range(steps):
            task = noop(i=i).set_caching_options(False)
            if previous is not None:
                task.after(previous)
            previous = task

    return chain


def fanout_pipeline(width: int):
    @dsl.pipeline(name=f'kfp-local-fanout-{width}')
    def fanout():
        with dsl.ParallelFor(items=list(range(width))) as item:
            noop(i=item).set_caching_options(False)

    return fanout


def pipelines(chain_steps: int, fanout_width: int):
    return {'warmup': chain_pipeline(1), 'chain': chain_pipeline(chain_steps), 'fanout': fanout_pipeline(fanout_width)}


def compile_all(out_dir: str, chain_steps: int, fanout_width: int) -> None:
    for name, func in pipelines(chain_steps, fanout_width).items():
        compiler.Compiler().compile(pipeline_func=func, package_path=os.path.join(out_dir, f'{name}.yaml'))


def run_all(pipeline_root: str, chain_steps: int, fanout_width: int, result_path: str) -> None:
    results = {}
    for name, func in pipelines(chain_steps, fanout_width).items():
        root = os.path.join(pipeline_root, name)
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root)
        started = time.perf_counter()
        func()  # raises if a task fails (raise_on_error defaults to True)
        ms = (time.perf_counter() - started) * 1000
        results[name] = {'ms': ms, 'steps': executor_outputs(root)}
    with open(result_path, 'w') as f:
        json.dump(results, f)


def executor_outputs(root: str) -> int:
    """How many steps under `root` wrote their executor output (every step does, even a no-op)."""
    return sum(files.count('executor_output.json') for _, _, files in os.walk(root))


if __name__ == '__main__':
    command, target, chain, width = sys.argv[1:5]
    if command == 'compile':
        compile_all(target, int(chain), int(width))
    elif command == 'run':
        run_all(target, int(chain), int(width), sys.argv[5])
    else:
        sys.exit(f'unknown command {command!r}: compile or run')
