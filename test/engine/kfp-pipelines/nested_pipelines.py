"""Pipelines in pipelines (modelled on KFP's pipeline_in_pipeline.py and
pipeline_in_pipeline_complex.py): sub-DAG components with dag.outputs (a parameter and an
artifact), an input artifact at pipeline level (the nested pipelines take `data: Input[Dataset]`),
an optional input with a default at a nested level, two levels of nesting, and a nested pipeline
inside a loop whose outputs are Collected (a LIST of parameters and a LIST of artifacts).

- source writes 'seed' → middle → inner: inner-read reads the artifact ('seed'), inner-write
  writes f'{word}{suffix}' ('top!' with the default suffix) → use-middle receives 'top!';
- for each word in ['a', 'b', 'c']: inner with suffix '?' → show-texts: ['a?', 'b?', 'c?'],
  join-datasets: 'a?,b?,c?' (both in iteration order).
"""
from typing import List, NamedTuple

from kfp import dsl
from kfp.dsl import Dataset, Input

from _steps import echo, join_datasets, read_data, show_list, write_data

source = write_data('source')
inner_read = read_data('inner-read')
inner_write = write_data('inner-write')
use_middle = echo('use-middle')
show_texts = show_list('show-texts')


@dsl.pipeline
def inner(dir: str, word: str, data: Input[Dataset], suffix: str = '!') -> NamedTuple('Outputs', text=str, copy=Dataset):
    inner_read(dir=dir, data=data, value=word)
    w = inner_write(dir=dir, value=f'{word}{suffix}')
    Outputs = NamedTuple('Outputs', text=str, copy=Dataset)
    return Outputs(text=w.outputs['out'], copy=w.outputs['data'])


@dsl.pipeline
def middle(dir: str, word: str, data: Input[Dataset]) -> str:
    i = inner(dir=dir, word=word, data=data)
    return i.outputs['text']


@dsl.pipeline(name='nested-pipelines')
def nested_pipelines(dir: str, words: List[str] = ['a', 'b', 'c']):
    src = source(dir=dir, value='seed')
    m = middle(dir=dir, word='top', data=src.outputs['data'])
    use_middle(dir=dir, value=m.output)

    with dsl.ParallelFor(words) as w:
        each = inner(dir=dir, word=w, data=src.outputs['data'], suffix='?')
    show_texts(dir=dir, items=dsl.Collected(each.outputs['text']))
    join_datasets(dir=dir, value='texts', datasets=dsl.Collected(each.outputs['copy']))


PIPELINE = nested_pipelines
