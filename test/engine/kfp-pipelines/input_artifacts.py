"""Pipeline-level input artifacts, given at run creation (`runtime_config.input_artifacts`): the
root's `data: Input[Dataset]` is read by a step at the root and, through a nested pipeline, by a
step two levels down; `extra: Input[Artifact] = None` is optional.

- read-data, inner/inner-read: output the artifact's contents;
- describe, inner/inner-describe: output `<uri>|<path>|<metadata>|<extra>`, where `<extra>` is
  the path of `extra` when the run was given one and `no-extra` otherwise (an IfPresent);
- use-inner: receives inner-read's output through the nested pipeline's dag output.
"""
from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, OutputPath

from _steps import _LOG, _MKOUT, _named, echo, read_data

read_root = read_data('read-data')
inner_read = read_data('inner-read')
use_inner = echo('use-inner')


def describe(name: str):
    """`name(dir, value, data, extra=None) -> out`: the input artifacts' placeholders, as the step saw them."""

    def f(dir: str, value: str, data: Input[Dataset], out: OutputPath(str), extra: Input[Artifact] = None):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', _LOG.format(name=name) + _MKOUT + 'printf "%s|%s|%s|%s" "$3" "$4" "$5" "$6" > "$2"'],
            args=[dir, value, out, data.uri, data.path, data.metadata,
                  dsl.IfPresentPlaceholder(input_name='extra', then=[extra.path], else_=['no-extra'])])

    return _named(f, name)


describe_root = describe('describe')
inner_describe = describe('inner-describe')


@dsl.pipeline
def inner(dir: str, data: Input[Dataset], extra: Input[Artifact] = None) -> str:
    read = inner_read(dir=dir, data=data, value='inner')
    inner_describe(dir=dir, value='inner', data=data, extra=extra)
    return read.outputs['out']


@dsl.pipeline(name='input-artifacts')
def input_artifacts(dir: str, data: Input[Dataset], extra: Input[Artifact] = None):
    read_root(dir=dir, data=data, value='root')
    describe_root(dir=dir, value='root', data=data, extra=extra)
    nested = inner(dir=dir, data=data, extra=extra)
    use_inner(dir=dir, value=nested.output)


PIPELINE = input_artifacts
