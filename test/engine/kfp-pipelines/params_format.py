"""f-string placeholders in constants and optional inputs at every level (modelled on KFP's
pipeline_with_params_containing_format.py and component_with_optional_inputs.py):

- hello gets f'Hello {name}' → 'Hello KFP'; again gets f'{hello.output}, again.';
- in a loop over ['1', '2'], looped gets f'{item} and {name}.' → '1 and KFP.', '2 and KFP.';
- opt-unset: an Optional[str] = None input never passed → the IfPresent placeholder's else: 'absent';
- opt-from-param: gets the optional pipeline input `maybe` → 'absent' when the run omits it,
  its value when given;
- with-default: an input with a default never passed → 'fallback';
- inner-optional (a nested pipeline) with an optional input it leaves unset and one with a
  default → opt-nested 'absent', nested-default 'world'.
"""
from typing import Optional

from kfp import dsl
from kfp.dsl import OutputPath

from _steps import echo

hello = echo('hello')
again = echo('again')
looped = echo('looped')
nested_default = echo('nested-default')


def optional_echo(name: str):
    def f(dir: str, out: OutputPath(str), value: Optional[str] = None):
        return dsl.ContainerSpec(
            image='alpine',
            command=['sh', '-c', 'printf "%s:%s\\n" "{name}" "$1" >> "$0/executions"; mkdir -p "$(dirname "$2")"; printf %s "$1" > "$2"'.format(name=name)],
            args=[dir, dsl.IfPresentPlaceholder(input_name='value', then=[value], else_=['absent']), out])

    f.__name__ = name.replace('-', '_')
    return dsl.container_component(f)


opt_unset = optional_echo('opt-unset')
opt_from_param = optional_echo('opt-from-param')
opt_nested = optional_echo('opt-nested')


@dsl.container_component
def with_default(dir: str, out: OutputPath(str), value: str = 'fallback'):
    return dsl.ContainerSpec(
        image='alpine',
        command=['sh', '-c', 'printf "%s:%s\\n" with-default "$1" >> "$0/executions"; mkdir -p "$(dirname "$2")"; printf %s "$1" > "$2"'],
        args=[dir, value, out])


@dsl.pipeline
def inner_optional(dir: str, maybe: Optional[str] = None, who: str = 'world'):
    opt_nested(dir=dir, value=maybe)
    nested_default(dir=dir, value=who)


@dsl.pipeline(name='params-format')
def params_format(dir: str, name: str = 'KFP', maybe: Optional[str] = None):
    h = hello(dir=dir, value=f'Hello {name}')
    again(dir=dir, value=f'{h.output}, again.')
    with dsl.ParallelFor(['1', '2']) as item:
        looped(dir=dir, value=f'{item} and {name}.')
    opt_unset(dir=dir)
    opt_from_param(dir=dir, value=maybe)
    with_default(dir=dir)
    inner_optional(dir=dir)


PIPELINE = params_format
