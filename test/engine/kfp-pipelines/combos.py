"""Control flow inside control flow (the other combinations live in nested_pipelines.py — a
nested pipeline in a loop — and exit_handlers.py — an exit handler around a loop):

- a loop inside a condition: when go is true, in-cond-loop runs for 'a' and 'b'; when false the
  condition is not triggered and the loop never starts;
- a condition inside a loop: over ['1', '2', '3', '4'], picked runs only for '3', not-picked for
  the other three (each iteration's other branch is not triggered);
- a loop inside a loop inside a condition, with the inner item compared in a condition.
"""
from kfp import dsl

from _steps import echo

in_cond_loop = echo('in-cond-loop')
picked = echo('picked')
not_picked = echo('not-picked')
deep = echo('deep')


@dsl.pipeline(name='combos')
def combos(dir: str, go: bool = True):
    with dsl.If(go == True):  # noqa: E712 (a pipeline channel, not a bool)
        with dsl.ParallelFor(['a', 'b']) as x:
            in_cond_loop(dir=dir, value=x)
            with dsl.ParallelFor(['1', '2']) as y:
                with dsl.If(y == '2'):
                    deep(dir=dir, value=f'{x}{y}')

    with dsl.ParallelFor(['1', '2', '3', '4']) as n:
        with dsl.If(n == '3'):
            picked(dir=dir, value=n)
        with dsl.Else():
            not_picked(dir=dir, value=n)


PIPELINE = combos
