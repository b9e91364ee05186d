"""PCA against independent computations, principal angles, and AE ≈ PCA on the shipped models."""

from __future__ import annotations

import numpy as np
import pytest

from explainer import vae
from explainer.datasets import digits
from explainer.vae.evaluate import linear_ae_angles, pca_metrics
from explainer.vae.pca import fit_pca, principal_angles


def test_pca_matches_the_eigenvectors_of_the_covariance():
    x = digits.load("train").images.reshape(-1, 64).astype(np.float64)
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))  # ascending eigenvalues
    pca = fit_pca(digits.load("train").images, k=3)
    np.testing.assert_allclose(pca.variance, values[::-1][:3], rtol=1e-6)
    for k in range(3):  # same direction up to sign
        assert abs(abs(float(pca.components[k] @ vectors[:, -1 - k])) - 1.0) < 1e-4
    np.testing.assert_allclose(pca.total_variance, values.sum(), rtol=1e-6)


def test_pca_matches_scikit_learn():
    from sklearn.decomposition import PCA as SkPCA

    images = digits.load("train").images
    ours = fit_pca(images, k=2)
    ref = SkPCA(n_components=2, svd_solver="full").fit(images.reshape(len(images), -1))
    np.testing.assert_allclose(ours.explained(), ref.explained_variance_ratio_, rtol=1e-5)
    test = digits.load("test").images
    ref_recon = ref.inverse_transform(ref.transform(test.reshape(len(test), -1))).reshape(-1, 8, 8)
    np.testing.assert_allclose(ours.decode(ours.encode(test)[0], clip=False), ref_recon, atol=1e-4)


def test_principal_angles_of_known_subspaces():
    e = np.eye(5)
    assert principal_angles(e[:, :2], e[:, :2]) == pytest.approx([0, 0], abs=1e-6)
    assert principal_angles(e[:, :2], e[:, 2:4]) == pytest.approx([90, 90], abs=1e-6)
    theta = np.radians(30)
    tilted = np.stack([e[0], np.cos(theta) * e[1] + np.sin(theta) * e[2]], axis=1)
    assert principal_angles(e[:, :2], tilted) == pytest.approx([0, 30], abs=1e-6)
    basis = e[:, :2] @ np.array([[2.0, 1.0], [-1.0, 3.0]])  # another basis of the same plane
    assert principal_angles(e[:, :2], basis) == pytest.approx([0, 0], abs=1e-6)


def test_linear_autoencoder_spans_pca_subspace_within_two_degrees():
    angles = linear_ae_angles(vae.load("vae_linear_ae").model)
    assert angles.max() <= 2.0, angles
    assert vae.metrics("vae_linear_ae")["pca_angles_deg"] == pytest.approx(angles.tolist(), abs=1e-2)


def test_reconstruction_errors_rank_as_expected():
    pca = pca_metrics()["test_mse"]
    linear = vae.metrics("vae_linear_ae")["test_mse"]
    assert linear == pytest.approx(pca, rel=0.05)  # the same subspace: nearly the same error
    assert vae.metrics("vae_ae")["test_mse"] < 0.8 * pca  # a nonlinear code does better at 2-D
    assert vae.metrics("vae_vae")["test_mse"] < pca
