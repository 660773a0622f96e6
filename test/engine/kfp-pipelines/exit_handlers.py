"""Two dsl.ExitHandlers with PipelineTaskFinalStatus exit tasks (modelled on KFP's
pipeline_with_exit_handler.py, pipeline_with_multiple_exit_handlers.py and
pipeline_with_task_final_status.py):

- the first guards a ParallelFor over ['1', '2', '3'] that succeeds → its exit task receives
  state COMPLETE (KFP's backend passes the MLMD state name);
- the second guards before-fail → boom (exits 3) → after-boom, plus an independent sibling →
  boom FAILS, after-boom is SKIPPED and never runs, sibling SUCCEEDS; the exit task still runs,
  SUCCEEDS, and receives state FAILED for its exit-handler group;
- independent, outside both handlers, SUCCEEDS. The run FAILS.
"""
from kfp import dsl

from _steps import echo, fail, report_status

looped = echo('looped')
before_fail = echo('before-fail')
boom = fail('boom')
after_boom = echo('after-boom')
sibling = echo('sibling')
independent = echo('independent')


@dsl.pipeline(name='exit-handlers')
def exit_handlers(dir: str):
    ok_status = report_status(dir=dir, value='loop-handler')
    with dsl.ExitHandler(ok_status):
        with dsl.ParallelFor(['1', '2', '3']) as i:
            looped(dir=dir, value=i)

    fail_status = report_status(dir=dir, value='fail-handler')
    with dsl.ExitHandler(fail_status):
        b = before_fail(dir=dir, value='b')
        f = boom(dir=dir, value='f').after(b)
        after_boom(dir=dir, value='a').after(f)
        sibling(dir=dir, value='s')

    independent(dir=dir, value='i')


PIPELINE = exit_handlers
