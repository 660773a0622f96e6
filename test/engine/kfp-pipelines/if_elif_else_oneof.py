"""dsl.If / dsl.Elif / dsl.Else with dsl.OneOf over a parameter and an artifact, a nested
condition in the Elif branch, and the OneOf consumed both downstream and as a pipeline output
(modelled on KFP's if_elif_else_complex.py and if_elif_else_with_oneof_parameters.py).

n < 0 → 'negative' branch; n == 0 → 'zero' branch (its nested If runs 'zero-loud' when loud);
otherwise the Else branch 'positive'. consume-param / consume-data receive the branch's outputs.
"""
from kfp import dsl
from kfp.dsl import Dataset, Output

from _steps import echo, read_data, write_data

negative = write_data('negative')
zero = write_data('zero')
zero_loud = echo('zero-loud')
positive = write_data('positive')
consume_param = echo('consume-param')
consume_data = read_data('consume-data')


@dsl.pipeline(name='branches')
def branches(dir: str, n: int, loud: bool = False) -> str:
    with dsl.If(n < 0):
        a = negative(dir=dir, value='neg')
    with dsl.Elif(n == 0):
        b = zero(dir=dir, value='zero')
        with dsl.If(loud == True):  # noqa: E712 (a pipeline channel, not a bool)
            zero_loud(dir=dir, value='ZERO')
    with dsl.Else():
        c = positive(dir=dir, value='pos')
    picked = dsl.OneOf(a.outputs['out'], b.outputs['out'], c.outputs['out'])
    consume_param(dir=dir, value=picked)
    consume_data(dir=dir, data=dsl.OneOf(a.outputs['data'], b.outputs['data'], c.outputs['data']))
    return picked


PIPELINE = branches
