"""A 1,000-iteration dsl.ParallelFor of a no-op container step (`true`), parallelism unset: the
run must SUCCEED with every iteration run once, and no Temporal workflow of the run may come near
Temporal's limits (51,200 history events, 2,000 pending activities or child workflows).
"""
from kfp import dsl

from _steps import noop

ITERATIONS = 1000


@dsl.pipeline(name='big-loop')
def big_loop():
    with dsl.ParallelFor(list(range(ITERATIONS))):
        noop()


PIPELINE = big_loop
