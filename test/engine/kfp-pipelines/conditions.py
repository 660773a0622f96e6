"""dsl.If / dsl.Else and nested conditions, modelled on KFP's pipeline_with_condition.py and
pipeline_with_nested_conditions.py. The "coin flip" takes its side from a parameter, so the
branch taken is deterministic: side=heads, number=7 runs flip, heads, heads-big, after-flip;
side=tails runs flip, tails, after-flip (every other task is not triggered and never executes).
"""
from kfp import dsl

from _steps import echo

flip = echo('flip')
heads = echo('heads')
heads_big = echo('heads-big')
heads_small = echo('heads-small')
tails = echo('tails')
after_flip = echo('after-flip')


@dsl.pipeline(name='conditions')
def conditions(dir: str, side: str = 'heads', number: int = 7):
    coin = flip(dir=dir, value=side)
    with dsl.If(coin.output == 'heads'):
        heads(dir=dir, value='H')
        with dsl.If(number > 5):
            heads_big(dir=dir, value='HB')
        with dsl.If(number <= 5):
            heads_small(dir=dir, value='HS')
    with dsl.Else():
        tails(dir=dir, value='T')
    # Unconditional and independent of the branches: always runs.
    after_flip(dir=dir, value=coin.output)


PIPELINE = conditions
