"""Resources that inputs feed at run time: train's cpu limit comes from the pipeline parameter
`cpu`, its memory limit from size's output (which echoes the parameter `memory`), its
accelerator count from the integer parameter `gpus`; its cpu request is static. The local
runner records what the launch asked for and runs the step unconstrained; a value that is not a
quantity of its kind fails train before it starts, and at once: train's retries cannot help.
"""
from kfp import dsl

from _steps import echo

size = echo('size')
train = echo('train')


@dsl.pipeline(name='resources')
def resources(dir: str, cpu: str, memory: str = '512Mi', gpus: int = 1):
    s = size(dir=dir, value=memory)
    t = train(dir=dir, value='fit')
    t.set_cpu_limit(cpu).set_memory_limit(s.output).set_cpu_request('100m')
    t.set_accelerator_type('nvidia.com/gpu').set_accelerator_limit(gpus)
    t.set_retry(num_retries=2, backoff_duration='0s')


PIPELINE = resources
