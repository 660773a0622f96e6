"""dsl.ParallelFor with parallelism=2 over `items`, six by default (modelled on KFP's
pipeline_with_parallelfor_parallelism.py). Each iteration logs start/end times to <dir>/events
around a sleep, so the test can compute the peak number of iterations running at once: 2, also
when the items are many enough for the loop to run as child workflows (ir/fanout.ts).
"""
from typing import List

from kfp import dsl

from _steps import timed

slow = timed('slow')


@dsl.pipeline(name='parallelism')
def parallelism(dir: str, seconds: float = 0.6, items: List[str] = ['a', 'b', 'c', 'd', 'e', 'f']):
    with dsl.ParallelFor(items, parallelism=2) as x:
        slow(dir=dir, value=x, seconds=seconds)


PIPELINE = parallelism
