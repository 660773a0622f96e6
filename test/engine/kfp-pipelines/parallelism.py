"""dsl.ParallelFor with parallelism=2 over six items (modelled on KFP's
pipeline_with_parallelfor_parallelism.py). Each iteration logs start/end times to <dir>/events
around a sleep, so the test can compute the peak number of iterations running at once: 2.
"""
from kfp import dsl

from _steps import timed

slow = timed('slow')


@dsl.pipeline(name='parallelism')
def parallelism(dir: str, seconds: float = 0.6):
    with dsl.ParallelFor(['a', 'b', 'c', 'd', 'e', 'f'], parallelism=2) as x:
        slow(dir=dir, value=x, seconds=seconds)


PIPELINE = parallelism
