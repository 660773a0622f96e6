"""A pipeline whose lightweight steps write every kind of metrics artifact, and one that needs a
package from a local index (SLUICE_TEST_WHEEL_INDEX, a file:// URL), compiled by the real kfp SDK."""
import os

from kfp import dsl
from kfp.dsl import HTML, ClassificationMetrics, Markdown, Metrics, Output, SlicedClassificationMetrics

INDEX = os.environ['SLUICE_TEST_WHEEL_INDEX']


@dsl.component
def evaluate(accuracy: Output[Metrics], classification: Output[ClassificationMetrics],
             sliced: Output[SlicedClassificationMetrics], page: Output[HTML], notes: Output[Markdown]):
    accuracy.log_metric('accuracy', 0.9)
    accuracy.log_metric('loss', 0.25)
    classification.log_roc_curve(fpr=[0.0, 0.5, 1.0], tpr=[0.0, 0.8, 1.0], threshold=[1.0, 0.5, 0.0])
    classification.log_confusion_matrix(['cat', 'dog'], [[9, 1], [2, 8]])
    # kfp's SlicedClassificationMetrics never sets up its slices, and its ROC helpers call methods
    # ClassificationMetrics lacks: a slice's metrics are filled in directly, as users must.
    sliced._sliced_metrics = {}
    sliced.set_confusion_matrix_categories('overall', ['cat', 'dog'])
    sliced.log_confusion_matrix_row('overall', 'cat', [9, 1])
    sliced._sliced_metrics['overall'].log_roc_data_point(fpr=0.2, tpr=0.8, threshold=0.5)
    sliced._update_metadata('overall')
    with open(page.path, 'w') as f:
        f.write('<h1>report</h1>')
    with open(notes.path, 'w') as f:
        f.write('# notes')


@dsl.component(packages_to_install=['sluice-probe-pkg'], pip_index_urls=[INDEX], install_kfp_package=False)
def uses_package() -> str:
    import sluice_probe_pkg
    return sluice_probe_pkg.VALUE


@dsl.pipeline(name='recorded-lightweight')
def recorded():
    evaluate()
    uses_package()


PIPELINE = recorded
