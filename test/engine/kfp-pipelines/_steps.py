"""Step components shared by the control-flow pipelines (imported, never compiled on its own).

Every step is a `@dsl.container_component` running `sh -c` on the host, so it is fast and
deterministic. Each takes `dir` (a per-test directory) and appends `<name>:<value>` to
`<dir>/executions` when it runs, so the test can count how often each step executed. The
factories give every role its own component name, so the compiled task names (and therefore the
engine's task paths) are readable: `root/condition-2/heads`, not `root/condition-2/step-3`.
"""
from typing import List

from kfp import dsl
from kfp.dsl import Dataset, Input, Output, OutputPath

# $0 is always `dir`, $1 always `value`; the line identifies the component and its value.
_LOG = 'printf "%s:%s\\n" "{name}" "$1" >> "$0/executions"; '
_MKOUT = 'mkdir -p "$(dirname "$2")"; '


def _named(func, name):
    func.__name__ = name.replace('-', '_')
    return dsl.container_component(func)


def echo(name: str):
    """`name(dir, value) -> out`: logs, then outputs `value` as its output parameter `out`."""

    def f(dir: str, value: str, out: OutputPath(str)):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + _MKOUT + 'printf %s "$1" > "$2"'],
            args=[dir, value, out])

    return _named(f, name)


def times(name: str):
    """`name(dir, value: int, factor: int) -> out: int`: outputs value * factor."""

    def f(dir: str, value: int, factor: int, out: OutputPath(int)):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + _MKOUT + 'printf %s "$(( $1 * $3 ))" > "$2"'],
            args=[dir, value, out, factor])

    return _named(f, name)


def fail(name: str):
    """`name(dir, value)`: logs, prints an error to stderr and exits with code 3."""

    def f(dir: str, value: str):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + 'echo "boom: {name} failed on purpose" >&2; exit 3'.format(name=name)],
            args=[dir, value])

    return _named(f, name)


def emit_list(name: str):
    """`name(dir, value) -> out: list`: outputs `value` (a JSON list) as a LIST parameter."""

    def f(dir: str, value: str, out: OutputPath(List[str])):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + _MKOUT + 'printf %s "$1" > "$2"'],
            args=[dir, value, out])

    return _named(f, name)


def show_list(name: str):
    """`name(dir, items: list) -> out`: outputs the list input as the engine serialised it (JSON)."""

    def f(dir: str, items: list, out: OutputPath(str)):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + _MKOUT + 'printf %s "$1" > "$2"'],
            args=[dir, items, out])

    return _named(f, name)


def write_data(name: str):
    """`name(dir, value) -> data: Dataset, out`: writes `value` into the artifact and the parameter."""

    def f(dir: str, value: str, data: Output[Dataset], out: OutputPath(str)):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + _MKOUT + 'printf %s "$1" > "$2"; mkdir -p "$(dirname "$3")"; printf %s "$1" > "$3"'],
            args=[dir, value, out, data.path])

    return _named(f, name)


def read_data(name: str):
    """`name(dir, data: Dataset, value='') -> out`: outputs the artifact's contents."""

    def f(dir: str, data: Input[Dataset], out: OutputPath(str), value: str = ''):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + _MKOUT + 'cat "$3" > "$2"'],
            args=[dir, value, out, data.path])

    return _named(f, name)


def timed(name: str):
    """`name(dir, value, seconds)`: logs `start`/`end` lines with times to `<dir>/events` around a sleep."""

    def f(dir: str, value: str, seconds: float):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name)
                     + 'echo "start $1 $(date +%s.%N)" >> "$0/events"; sleep "$2"; echo "end $1 $(date +%s.%N)" >> "$0/events"'],
            args=[dir, value, seconds])

    return _named(f, name)


@dsl.container_component
def noop():
    """The cheapest possible step: `true`."""
    return dsl.ContainerSpec(image='alpine', command=['true'])


@dsl.component(base_image="python:3.11")
def report_status(dir: str, value: str, status: dsl.PipelineTaskFinalStatus) -> str:
    """An exit task: logs, then returns the PipelineTaskFinalStatus it received as JSON."""
    import json
    import os
    with open(os.path.join(dir, 'executions'), 'a') as f:
        f.write('report-status:' + value + '\n')
    return json.dumps({
        'state': status.state,
        'pipeline_job_resource_name': status.pipeline_job_resource_name,
        'pipeline_task_name': status.pipeline_task_name,
        'error_code': status.error_code,
        'error_message': status.error_message,
    }, sort_keys=True)


@dsl.component(base_image="python:3.11")
def join_datasets(dir: str, value: str, datasets: Input[List[Dataset]]) -> str:
    """Logs, then returns the contents of a list of artifacts joined by ','."""
    import os
    with open(os.path.join(dir, 'executions'), 'a') as f:
        f.write('join-datasets:' + value + '\n')
    texts = []
    for d in datasets:
        with open(d.path) as f:
            texts.append(f.read())
    return ','.join(texts)


def flaky_until(name: str, succeeds_on: int):
    """`name(dir)`: logs, appends its start time to `<dir>/<name>-launches`, and fails (exit 1)
    until it is launch number `succeeds_on`."""

    def f(dir: str):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', 'echo "{name}:" >> "$0/executions"; date +%s.%N >> "$0/{name}-launches"; '
                     '[ "$(wc -l < "$0/{name}-launches")" -ge {n} ] || {{ echo "boom: not yet" >&2; exit 1; }}'.format(name=name, n=succeeds_on)],
            args=[dir])

    return _named(f, name)


def fail_on(name: str, bad: str):
    """`name(dir, value)`: logs; fails (exit 3) when `value` is `bad`, else outputs `value`."""

    def f(dir: str, value: str, out: OutputPath(str)):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + _MKOUT
                     + 'if [ "$1" = "{bad}" ]; then echo "boom: {name} failed on $1" >&2; exit 3; fi; printf %s "$1" > "$2"'.format(bad=bad, name=name)],
            args=[dir, value, out])

    return _named(f, name)
