"""What a failure does to the rest of a run (KFP's driver/compiler semantics):

- boom fails (exit 3); after-boom (.after(boom)) is SKIPPED, after-after-boom (downstream of a
  skipped task) is SKIPPED, neither ever runs;
- cleanup (.after(boom).ignore_upstream_failure(), strategy ALL_UPSTREAM_TASKS_COMPLETED) runs
  after the failure and SUCCEEDS;
- independent → independent-next, unrelated to boom, both SUCCEED;
- a loop over ['ok1', 'bad', 'ok2'] whose step fails only on 'bad': the other
  iterations still SUCCEED, the loop FAILS, and after-loop is SKIPPED;
- a nested pipeline whose inner step fails FAILS, and its dependent after-nested is SKIPPED.
The run FAILS.
"""
from kfp import dsl

from _steps import echo, fail, fail_on

boom = fail('boom')
after_boom = echo('after-boom')
after_after_boom = echo('after-after-boom')
cleanup = echo('cleanup')
independent = echo('independent')
independent_next = echo('independent-next')
iteration = fail_on('iteration', 'bad')
after_loop = echo('after-loop')
inner_boom = fail('inner-boom')
after_nested = echo('after-nested')


@dsl.pipeline
def failing_inner(dir: str):
    inner_boom(dir=dir, value='inner')


@dsl.pipeline(name='failures')
def failures(dir: str):
    bad = boom(dir=dir, value='x')
    child = after_boom(dir=dir, value='c').after(bad)
    after_after_boom(dir=dir, value='g').after(child)
    cleanup(dir=dir, value='cleanup').after(bad).ignore_upstream_failure()

    ok = independent(dir=dir, value='i')
    independent_next(dir=dir, value=ok.output)

    with dsl.ParallelFor(['ok1', 'bad', 'ok2']) as v:
        it = iteration(dir=dir, value=v)
    after_loop(dir=dir, value='after').after(it)

    nested = failing_inner(dir=dir)
    after_nested(dir=dir, value='n').after(nested)


PIPELINE = failures
