"""Load scikit-learn's bundled digits data set and split it into train and test Datasets.

Each Dataset is an .npz file with two arrays: `features` (n x 64 pixel intensities) and
`labels` (the digit, 0-9). The data ships with scikit-learn, so nothing is downloaded.
"""
import argparse
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def save_dataset(path, features, labels):
    # KFP leaves creating the artifact's parent directory to the step.
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    # Written through a file object: given a path, np.savez would append ".npz" to it.
    with open(path, "wb") as f:
        np.savez(f, features=features, labels=labels)


def main():
    parser = argparse.ArgumentParser(description="Split the digits data set.")
    parser.add_argument("--test-size", type=float, required=True, help="fraction held out for testing")
    parser.add_argument("--seed", type=int, required=True, help="random seed of the split")
    parser.add_argument("--train-data", required=True, help="where to write the training Dataset")
    parser.add_argument("--test-data", required=True, help="where to write the test Dataset")
    args = parser.parse_args()

    digits = load_digits()
    print(f"loaded {len(digits.target)} images of {digits.data.shape[1]} pixels, {len(digits.target_names)} classes")
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data,
        digits.target,
        test_size=args.test_size,
        random_state=args.seed,
        stratify=digits.target,
    )
    save_dataset(args.train_data, x_train, y_train)
    save_dataset(args.test_data, x_test, y_test)
    print(f"wrote {len(y_train)} training rows to {args.train_data}")
    print(f"wrote {len(y_test)} test rows to {args.test_data}")


if __name__ == "__main__":
    main()
