"""Evaluate the Model on the test Dataset: accuracy and the confusion matrix, in KFP's formats.

KFP reads artifact metadata from the executor output file, shaped like KFP's ExecutorOutput:
`Metrics` get `{"accuracy": ...}` (as `Metrics.log_metric` writes it) and `ClassificationMetrics`
get `{"confusionMatrix": {...}}` (as `ClassificationMetrics.log_confusion_matrix` writes it).
The same JSON is written to each artifact's own file, and the accuracy to its parameter file.
"""
import argparse
import json
import os

import joblib
import numpy as np
from sklearn.metrics import confusion_matrix


def write_file(path, text):
    # KFP leaves creating output parents to the step.
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def confusion_matrix_metadata(labels, predictions, classes):
    matrix = confusion_matrix(labels, predictions, labels=classes)
    return {
        "confusionMatrix": {
            "annotationSpecs": [{"displayName": str(c)} for c in classes],
            "rows": [{"row": [int(n) for n in row]} for row in matrix],
        }
    }


def main():
    parser = argparse.ArgumentParser(description="Evaluate the digits classifier.")
    parser.add_argument("--model", required=True, help="the trained Model (joblib)")
    parser.add_argument("--test-data", required=True, help="the test Dataset (.npz)")
    parser.add_argument("--metrics", required=True, help="where to write the Metrics artifact")
    parser.add_argument("--metrics-uri", required=True, help="the Metrics artifact's URI")
    parser.add_argument("--confusion-matrix", required=True, help="where to write the ClassificationMetrics artifact")
    parser.add_argument("--confusion-matrix-uri", required=True, help="the ClassificationMetrics artifact's URI")
    parser.add_argument("--accuracy", required=True, help="output parameter file for the test accuracy")
    parser.add_argument("--executor-output", required=True, help="KFP's executor output file")
    args = parser.parse_args()

    model = joblib.load(args.model)
    with np.load(args.test_data) as data:
        features, labels = data["features"], data["labels"]
    predictions = model.predict(features)
    accuracy = float(np.mean(predictions == labels))
    print(f"test accuracy {accuracy:.4f} on {len(labels)} rows")

    metrics = {"accuracy": accuracy}
    classification = confusion_matrix_metadata(labels, predictions, classes=list(range(10)))
    write_file(args.metrics, json.dumps(metrics))
    write_file(args.confusion_matrix, json.dumps(classification))
    write_file(args.accuracy, str(accuracy))
    executor_output = {
        "artifacts": {
            "metrics": {"artifacts": [{"name": "metrics", "uri": args.metrics_uri, "metadata": metrics}]},
            "confusion_matrix": {
                "artifacts": [{"name": "confusion_matrix", "uri": args.confusion_matrix_uri, "metadata": classification}]
            },
        }
    }
    write_file(args.executor_output, json.dumps(executor_output))
    print(f"wrote metrics to {args.metrics} and the confusion matrix to {args.confusion_matrix}")


if __name__ == "__main__":
    main()
