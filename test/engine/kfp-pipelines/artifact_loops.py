"""A loop over artifacts (artifactIterator; modelled on KFP's
pipeline_with_parallelfor_list_artifacts.py and pythonic_artifacts_with_list_of_artifacts.py):
make-datasets (a nested pipeline) writes one Dataset per text in a loop and returns them
Collected (a LIST of artifacts as a dag output); the root loops over that list, read-each reading
one artifact per iteration, and join-datasets receives the whole list: 'red,green,blue'.
"""
from typing import List

from kfp import dsl
from kfp.dsl import Dataset

from _steps import join_datasets, read_data, write_data

make = write_data('make')
read_each = read_data('read-each')


@dsl.pipeline
def make_datasets(dir: str, texts: List[str]) -> List[Dataset]:
    with dsl.ParallelFor(texts) as t:
        m = make(dir=dir, value=t)
    return dsl.Collected(m.outputs['data'])


@dsl.pipeline(name='artifact-loops')
def artifact_loops(dir: str, texts: List[str] = ['red', 'green', 'blue']):
    made = make_datasets(dir=dir, texts=texts)
    with dsl.ParallelFor(made.output) as ds:
        read_each(dir=dir, data=ds)
    join_datasets(dir=dir, value='all', datasets=made.output)


PIPELINE = artifact_loops
