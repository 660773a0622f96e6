"""A loop large enough to run as child workflows (ir/fanout.ts: over 200 tasks), whose body uses
a nested pipeline that the root uses too; each child must receive only the body's part of the
spec and of its inputs (ir/sub-spec.ts):

- inner (a nested pipeline) runs shout, which outputs its word with '!';
- the root runs inner for 'top' (report receives 'top!'), then for each of 101 words a body of
  inner and tag: 2 tasks an iteration, 202 in all, so three children of 50, 50 and 1 iterations;
- show-shouts receives the loop's shouts, Collected in iteration order: ['w0!', …, 'w100!'].
"""
from typing import List

from kfp import dsl

from _steps import echo, show_list

WORDS = [f'w{i}' for i in range(101)]

shout = echo('shout')
tag = echo('tag')
show_shouts = show_list('show-shouts')
report = echo('report')


@dsl.pipeline
def inner(dir: str, word: str) -> str:
    return shout(dir=dir, value=f'{word}!').output


@dsl.pipeline(name='loop-children')
def loop_children(dir: str, words: List[str] = WORDS):
    top = inner(dir=dir, word='top')
    report(dir=dir, value=top.output)
    with dsl.ParallelFor(words) as word:
        each = inner(dir=dir, word=word)
        tag(dir=dir, value=word)
    show_shouts(dir=dir, items=dsl.Collected(each.output))


PIPELINE = loop_children
