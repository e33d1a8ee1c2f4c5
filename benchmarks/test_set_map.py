"""The Map tab's layouts of the 10,000 MNIST test images: time and quality.

Times, with the shipped model: the first view (features of one test image in ten, then
PCA), the features of all, PCA of all, and t-SNE in a spawned process as the app runs it
(process start included). Quality of each 2-D layout: how often a vote of an image's 10
nearest neighbours on the map gives its true digit (8,000 images voting for 2,000), and
trustworthiness (k=10, on 2,000 images): whether neighbours on the map are neighbours in
the features.

    python benchmarks/test_set_map.py
"""

import multiprocessing
import time

import _common
import numpy as np
from sklearn.manifold import trustworthiness
from sklearn.neighbors import KNeighborsClassifier

from digitpad import layout_process
from digitpad.core.embedding import features, pca_layout
from digitpad.core.inference import Predictor
from digitpad.core.preprocess import to_model_batch
from digitpad.core.registry import default_model_path
from digitpad.app import limit_blas_threads
from digitpad.gui.test_set_map import FIRST_VIEW_STRIDE


def quality(values, positions, labels):
    order = np.random.default_rng(0).permutation(len(labels))
    train, test = order[:8000], order[8000:]
    vote = KNeighborsClassifier(10).fit(positions[train], labels[train])
    trust = trustworthiness(values[order[:2000]], positions[order[:2000]], n_neighbors=10)
    return vote.score(positions[test], labels[test]), trust


def tsne_in_child(values):
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=layout_process.serve, args=(sender, values))
    process.start()
    sender.close()
    while (message := receiver.recv())[0] == "progress":
        pass
    process.join()
    assert message[0] == "done", message
    return message[1]


def main():
    limit_blas_threads()  # the map is computed in the window's process, under its policy
    predictor = Predictor.load(default_model_path())
    test = _common.load_real_mnist().test
    images = to_model_batch(test.images)
    start = time.perf_counter()
    sample = features(predictor, images[::FIRST_VIEW_STRIDE])
    pca_layout(sample.values)
    first_view = time.perf_counter() - start
    start = time.perf_counter()
    found = features(predictor, images)
    all_features = time.perf_counter() - start
    start = time.perf_counter()
    pca = pca_layout(found.values)
    pca_time = time.perf_counter() - start
    start = time.perf_counter()
    tsne = tsne_in_child(found.values)
    tsne_time = time.perf_counter() - start
    print(f"first view (features of {len(sample.values):,} images + PCA): {first_view:.2f} s")
    print(f"features of all {len(images):,} test images: {all_features:.2f} s")
    for name, positions, seconds in (("PCA", pca, pca_time), ("t-SNE", tsne, tsne_time)):
        vote, trust = quality(found.values, positions, test.labels)
        print(f"{name:<6} {seconds:6.2f} s   10-NN vote on the map {vote:.2%}   "
              f"trustworthiness {trust:.3f}")
    print(f"map ready (features + t-SNE): {all_features + tsne_time:.2f} s")


if __name__ == "__main__":
    main()
