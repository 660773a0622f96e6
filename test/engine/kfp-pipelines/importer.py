"""dsl.importer (modelled on KFP's pipeline_with_importer.py): imports the file at `uri` (a
pipeline parameter the test points at a file it wrote) as a Dataset with metadata, and
read-imported outputs its contents.
"""
from kfp import dsl
from kfp.dsl import Dataset

from _steps import read_data

read_imported = read_data('read-imported')


@dsl.pipeline(name='importer')
def importer_pipeline(dir: str, uri: str):
    imported = dsl.importer(artifact_uri=uri, artifact_class=Dataset, reimport=False, metadata={'origin': 'test'})
    read_imported(dir=dir, data=imported.output)


PIPELINE = importer_pipeline
