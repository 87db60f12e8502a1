#!/usr/bin/env python3
"""Writes the seed corpora written by the Python side, with NumPy and scikit-learn:
  corpus/fuzz_npz/    small valid scikit-learn PCA models (np.savez and np.savez_compressed,
                      float64 and float32), an archive with integer, 1-D, 3-D and empty members,
                      a plain .npy and an empty zip;
  corpus/fuzz_bases/  orthonormal class bases C x d x k as PyTorch holds them (float32 and
                      float64, C and Fortran order), side by side d x C k, a GPM basis d x m,
                      and a non-orthonormal one.
Not part of any build:  /usr/bin/python3 tests/fuzz/make_py_corpus.py tests/fuzz/corpus"""
import os
import sys
import zipfile

import numpy as np
from sklearn.decomposition import PCA

root = sys.argv[1]
out = os.path.join(root, "fuzz_npz")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
x = rng.standard_normal((12, 5)) @ np.diag([3.0, 2.0, 1.0, 0.5, 0.1])
p = PCA(n_components=2).fit(x)
attrs = dict(mean_=p.mean_, components_=p.components_, explained_variance_=p.explained_variance_,
             explained_variance_ratio_=p.explained_variance_ratio_, n_samples_=p.n_samples_,
             noise_variance_=p.noise_variance_)
np.savez(os.path.join(out, "sklearn_pca.npz"), **attrs)
np.savez_compressed(os.path.join(out, "sklearn_pca_deflated.npz"), **attrs)
f4 = {k: (np.asarray(v, dtype=np.float32) if k != "n_samples_" else v) for k, v in attrs.items()}
np.savez(os.path.join(out, "sklearn_pca_f4.npz"), **f4)
no_ratio = {k: v for k, v in attrs.items() if k != "explained_variance_ratio_"}
np.savez(os.path.join(out, "sklearn_pca_noise_only.npz"), **no_ratio)
np.savez(os.path.join(out, "mixed.npz"), ints=np.arange(6, dtype=">i4").reshape(2, 3),
         vec=np.linspace(0, 1, 4), stack=np.zeros((2, 2, 1)), empty=np.zeros((0, 3)),
         fortran=np.asfortranarray(np.arange(6.0).reshape(3, 2)))
np.save(os.path.join(out, "plain.npy"), np.eye(2))
with zipfile.ZipFile(os.path.join(out, "empty.zip"), "w"):
    pass

out = os.path.join(root, "fuzz_bases")
os.makedirs(out, exist_ok=True)
stack = np.stack([np.linalg.qr(rng.standard_normal((6, 2)))[0] for _ in range(3)])  # 3 x 6 x 2
np.save(os.path.join(out, "gcr_c_d_k_f8.npy"), stack)
np.save(os.path.join(out, "gcr_c_d_k_f4.npy"), stack.astype(np.float32))
np.save(os.path.join(out, "gcr_c_d_k_fortran.npy"), np.asfortranarray(stack))
np.save(os.path.join(out, "gcr_side_by_side.npy"), np.concatenate(list(stack), axis=1))
np.save(os.path.join(out, "gpm_d_m.npy"), np.linalg.qr(rng.standard_normal((8, 3)))[0])
np.save(os.path.join(out, "not_orthonormal.npy"), rng.standard_normal((2, 4, 2)))
