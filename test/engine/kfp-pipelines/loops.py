"""dsl.ParallelFor over every kind of items source, with dsl.Collected fan-in (modelled on KFP's
pipeline_with_loops.py, pipeline_with_nested_loops.py and parallelfor_fan_in/*):

- a raw list [1, 2, 3] → tenfold (value * 10), collected into show-tenfold: [10, 20, 30]
  (Collected lists are in iteration order);
- a pipeline input list (names) → greet once per name; beside it task-name and job-name receive
  {{$.pipeline_task_name}} (the task's own name, no iteration index) and
  {{$.pipeline_job_resource_name}} (the run's, the same in every iteration);
- an upstream task's LIST output (emit) → from-upstream once per item;
- a pipeline input list of dicts, each iteration reading item fields (parameterExpressionSelector)
  → field-a gets row.a, field-b gets row.b;
- nested loops ['x', 'y'] × ['1', '2'] → pair once per combination.
"""
from typing import List

from kfp import dsl

from _steps import echo, emit_list, show_list, times

tenfold = times('tenfold')
show_tenfold = show_list('show-tenfold')
greet = echo('greet')
task_name = echo('task-name')
job_name = echo('job-name')
emit = emit_list('emit')
from_upstream = echo('from-upstream')
field_a = echo('field-a')
field_b = echo('field-b')
pair = echo('pair')


@dsl.pipeline(name='loops')
def loops(
    dir: str,
    names: List[str] = ['ann', 'bob'],
    rows: List[dict] = [{'a': 'one', 'b': 'uno'}, {'a': 'two', 'b': 'dos'}, {'a': 'three', 'b': 'tres'}],
):
    with dsl.ParallelFor([1, 2, 3]) as n:
        t = tenfold(dir=dir, value=n, factor=10)
    show_tenfold(dir=dir, items=dsl.Collected(t.output))

    with dsl.ParallelFor(names) as name:
        greet(dir=dir, value=name)
        task_name(dir=dir, value=dsl.PIPELINE_TASK_NAME_PLACEHOLDER)
        job_name(dir=dir, value=dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER)

    src = emit(dir=dir, value='["p", "q", "r", "s"]')
    with dsl.ParallelFor(src.output) as item:
        from_upstream(dir=dir, value=item)

    with dsl.ParallelFor(rows) as row:
        field_a(dir=dir, value=row.a)
        field_b(dir=dir, value=row.b)

    with dsl.ParallelFor(['x', 'y']) as outer:
        with dsl.ParallelFor(['1', '2']) as inner:
            pair(dir=dir, value=f'{outer}-{inner}')


PIPELINE = loops
