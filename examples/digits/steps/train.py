"""Train a support vector classifier on the training Dataset and save it as a Model (joblib).

Also writes the accuracy on the training rows to an output parameter file.
"""
import argparse
import os
import time

import joblib
import numpy as np
from sklearn.svm import SVC


def ensure_parent(path):
    # KFP leaves creating output parents to the step.
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)


def main():
    parser = argparse.ArgumentParser(description="Train an SVC on the digits training set.")
    parser.add_argument("--train-data", required=True, help="the training Dataset (.npz)")
    parser.add_argument("--C", type=float, required=True, help="SVC regularization strength (inverse)")
    parser.add_argument("--gamma", type=float, required=True, help="RBF kernel coefficient")
    parser.add_argument("--model", required=True, help="where to write the Model (joblib)")
    parser.add_argument("--train-accuracy", required=True, help="output parameter file for the training accuracy")
    args = parser.parse_args()

    with np.load(args.train_data) as data:
        features, labels = data["features"], data["labels"]
    print(f"training SVC(C={args.C}, gamma={args.gamma}) on {len(labels)} rows")
    started = time.monotonic()
    model = SVC(C=args.C, gamma=args.gamma).fit(features, labels)
    train_accuracy = float(model.score(features, labels))
    print(f"trained in {time.monotonic() - started:.2f}s, training accuracy {train_accuracy:.4f}")

    ensure_parent(args.model)
    joblib.dump(model, args.model)
    ensure_parent(args.train_accuracy)
    with open(args.train_accuracy, "w") as f:
        f.write(str(train_accuracy))
    print(f"wrote the model to {args.model}")


if __name__ == "__main__":
    main()
