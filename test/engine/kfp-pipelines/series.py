"""A fan-out wider than the run's series width, so its tasks run in series (workflows/task-series.ts):

- a ParallelFor over `items`, each iteration `each` outputting its item after `pause` seconds
  (failing, exit 3, on the item 'bad'), their outputs collected by `collect` as a LIST; each
  is given `blob` as an input it does not read, which makes its resolved inputs as large;
- beside it, `flaky` fails its first launch and succeeds on its second (num_retries=1), and `slow`
  sleeps `seconds`, longer than a series' window, so its series leaves it running for runTask.
"""
from kfp import dsl

from _steps import flaky_until, show_list, timed

collect = show_list('collect')
slow = timed('slow')
flaky = flaky_until('flaky', succeeds_on=2)


@dsl.container_component
def each(dir: str, value: str, pause: float, out: dsl.OutputPath(str), blob: str = ''):
    return dsl.ContainerSpec(
        image='alpine',
        command=['sh', '-c', 'printf "each:%s\\n" "$1" >> "$0/executions"; sleep "$3"; '
                 'if [ "$1" = bad ]; then echo "boom: each failed on bad" >&2; exit 3; fi; '
                 'mkdir -p "$(dirname "$2")"; printf %s "$1" > "$2"'],
        args=[dir, value, out, pause])


@dsl.pipeline(name='series')
def series(dir: str, items: list, seconds: float, pause: float = 0.0, blob: str = ''):
    with dsl.ParallelFor(items) as item:
        one = each(dir=dir, value=item, pause=pause, blob=blob)
    collect(dir=dir, items=dsl.Collected(one.outputs['out']))
    flaky(dir=dir).set_retry(num_retries=1, backoff_duration='0s')
    slow(dir=dir, value='slow', seconds=seconds)


PIPELINE = series
