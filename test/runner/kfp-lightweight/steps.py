"""Lightweight components the warm-interpreter tests run, compiled by the real kfp SDK."""
from typing import NamedTuple

from kfp import dsl
from kfp.dsl import (HTML, ClassificationMetrics, Dataset, Input, Markdown, Metrics, Output,
                     SlicedClassificationMetrics)


@dsl.component
def noop():
    pass


@dsl.component
def typed(n: int, msg: str, data: Output[Dataset]) -> NamedTuple('Outputs', [('total', int), ('text', str)]):
    with open(data.path, 'w') as f:
        f.write(msg * n)
    data.metadata['rows'] = n
    outputs = NamedTuple('Outputs', [('total', int), ('text', str)])
    return outputs(n * 2, msg.upper())


@dsl.component
def reads(data: Input[Dataset]) -> str:
    with open(data.path) as f:
        return f.read() + '/' + str(data.metadata.get('rows'))


@dsl.component
def fails():
    raise ValueError('boom from the step')


@dsl.component
def exits():
    import os
    print('about to leave', flush=True)
    os._exit(3)


@dsl.component
def sleeps(marker: str):
    import os
    import time
    with open(marker, 'w') as f:
        f.write(str(os.getpid()))
    time.sleep(600)


@dsl.component
def probe() -> str:
    """What a step can tell about the process it runs in: the same through either path."""
    import json
    import os
    import sys
    import tempfile
    env = {k: v for k, v in os.environ.items() if k not in ('PWD', 'SHLVL', '_', 'OLDPWD')}
    return json.dumps({
        'cwd': os.getcwd(), 'uid': os.getuid(), 'gid': os.getgid(), 'groups': os.getgroups(),
        'env': env, 'argv': sys.argv[1:], 'path0': sys.path[0], 'main': sys.modules['__main__'].__name__,
        'module_dir_is_private': oct(os.stat(os.path.dirname(sys.modules['ephemeral_component'].__file__)).st_mode & 0o777),
        'tempdir': tempfile.gettempdir(),
        'kfp_runtime': os.environ.get('_KFP_RUNTIME'),
        'stdout_tty': sys.stdout.isatty(), 'stdin': os.readlink('/proc/self/fd/0'),
        'pgid_is_not_own': os.getpgid(0) != os.getpid(),
    }, sort_keys=True)


@dsl.component
def sandboxed(port: int) -> NamedTuple('Outputs', [('uid', int), ('tmp', str), ('var_tmp', str), ('shm', str), ('reached', bool), ('passwd', str)]):
    import os
    import socket
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(('127.0.0.1', port))
        reached = True
    except OSError:
        reached = False
    with open('/etc/passwd') as f:
        passwd = f.read()
    for left in ('/var/tmp/left-by-the-step', '/dev/shm/left-by-the-step'):
        with open(left, 'w') as f:
            f.write('x')
    outputs = NamedTuple('Outputs', [('uid', int), ('tmp', str), ('var_tmp', str), ('shm', str), ('reached', bool), ('passwd', str)])
    return outputs(os.getuid(), ','.join(sorted(os.listdir('/tmp'))), ','.join(sorted(os.listdir('/var/tmp'))), ','.join(sorted(os.listdir('/dev/shm'))), reached, passwd)


@dsl.component
def metrics(accuracy: Output[Metrics], classification: Output[ClassificationMetrics],
            sliced: Output[SlicedClassificationMetrics], page: Output[HTML], notes: Output[Markdown]):
    accuracy.log_metric('accuracy', 0.9)
    accuracy.log_metric('loss', 0.25)
    classification.log_roc_curve(fpr=[0.0, 0.5, 1.0], tpr=[0.0, 0.8, 1.0], threshold=[1.0, 0.5, 0.0])
    classification.log_confusion_matrix(['cat', 'dog'], [[9, 1], [2, 8]])
    sliced.load_roc_readings('overall', [[1.0, 0.0, 0.0], [0.5, 0.8, 0.5]])
    sliced.set_confusion_matrix_categories('overall', ['cat', 'dog'])
    sliced.log_confusion_matrix_row('overall', 'cat', [9, 1])
    with open(page.path, 'w') as f:
        f.write('<h1>report</h1>')
    with open(notes.path, 'w') as f:
        f.write('# notes')


@dsl.pipeline(name='lightweight-steps')
def lightweight_steps(port: int = 0, marker: str = ''):
    noop()
    t = typed(n=3, msg='ab')
    reads(data=t.outputs['data'])
    fails()
    exits()
    sleeps(marker=marker)
    probe()
    sandboxed(port=port)
    metrics()


PIPELINE = lightweight_steps
