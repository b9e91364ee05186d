"""PCA by plain NumPy SVD, and the principal angles between two subspaces.

PCA (Pearson 1901; Hotelling 1933): centre the data, X_c = X − mean, take the SVD
X_c = U S Vᵀ; the rows of Vᵀ are the principal directions, S²/(N−1) the variances along
them. With V_k the first k principal directions as columns, the code is z = (x − mean) V_k and the
reconstruction x̂ = mean + z V_kᵀ is the best rank-k linear one in squared error
(Eckart & Young 1936). A linear autoencoder trained on squared error spans the same
subspace (Baldi & Hornik 1989) — but with any basis of it, which is why the comparison
uses **principal angles** (Björck & Golub 1973): for orthonormal bases Q_A, Q_B, the
cosines of the angles are the singular values of Q_Aᵀ Q_B.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from explainer.datasets import digits


@dataclass(frozen=True, eq=False)
class PCA:
    mean: np.ndarray  # (64,) the training mean
    components: np.ndarray  # (k, 64) principal directions, orthonormal rows, by variance
    variance: np.ndarray  # (k,) variance along each direction
    total_variance: float  # sum of the variances of all 64 pixels

    @property
    def latent_dim(self) -> int:
        return len(self.components)

    def encode(self, images) -> tuple[np.ndarray, None]:
        """(codes (N, k), None): PCA has no posterior variance."""
        x = np.asarray(images, np.float32).reshape(len(images), -1)  # (N, 64)
        return ((x - self.mean) @ self.components.T).astype(np.float32), None

    def decode(self, z, *, clip: bool = True) -> np.ndarray:
        """Codes (N, k) -> images (N, 8, 8); clipped to [0, 1] unless ``clip=False``."""
        x = np.asarray(z, np.float32) @ self.components + self.mean  # (N, 64)
        x = np.clip(x, 0.0, 1.0) if clip else x
        return x.reshape(-1, 8, 8).astype(np.float32)

    def explained(self) -> np.ndarray:
        """Share of the total variance along each kept direction."""
        return self.variance / self.total_variance


def fit_pca(images: np.ndarray, k: int = 2) -> PCA:
    """PCA of images (N, 8, 8) by SVD of the centred data matrix."""
    x = np.asarray(images, np.float64).reshape(len(images), -1)  # (N, 64)
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)  # vt: (64, 64), rows by singular value
    variance = s**2 / (len(x) - 1)
    signs = np.sign(vt[:k].sum(axis=1, keepdims=True))  # fix each direction's sign (SVD's is arbitrary)
    signs[signs == 0] = 1
    return PCA(mean.astype(np.float32), (vt[:k] * signs).astype(np.float32), variance[:k], float(variance.sum()))


@functools.cache
def digits_pca(k: int = 2) -> PCA:
    """PCA of the digits' train split (cached; arrays are never modified)."""
    return fit_pca(digits.load("train").images, k)


def orthonormal_basis(vectors: np.ndarray) -> np.ndarray:
    """An orthonormal basis (d, k) of the span of the columns of ``vectors`` (d, k)."""
    q, _ = np.linalg.qr(np.asarray(vectors, np.float64))
    return q


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles in degrees, ascending, between the column spans of a (d, k) and b (d, m)."""
    cosines = np.linalg.svd(orthonormal_basis(a).T @ orthonormal_basis(b), compute_uv=False)
    return np.sort(np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0))))
