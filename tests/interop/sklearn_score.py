#!/usr/bin/env python3
"""scikit-learn -> subspace-score round trip, run by CTest as sklearn_score_interop.

    python3 tests/interop/sklearn_score.py path/to/subspace-score path/to/sklearn_tool

A scikit-learn PCA fitted on Fashion-MNIST (one class as normal, raw pixels; Gaussian data when
the dataset is not installed) is saved with np.savez under its own attribute names, then:
1. subspace-score scores the test images (.npy float64 and float32, and CSV): the residual equals
   |x - inverse_transform(transform(x))|^2, T^2 equals sum z^2 / explained_variance_, and the
   printed AUROC equals sklearn.metrics.roc_auc_score on the same scores;
2. sklearn_tool: our transform equals PCA.transform, and the model we export, set on a fresh
   sklearn PCA, transforms and reconstructs as the original;
3. a model fitted on float32 data (float32 components) scores to float precision;
4. exit codes: 0 (--help), 2 (usage), 3 (missing file), 4 (corrupt model), 5 (wrong width).
Exit 0 when everything matched, 1 otherwise, 77 (skipped) without NumPy and scikit-learn.
"""
import gzip
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from sklearn.decomposition import PCA
    from sklearn.metrics import roc_auc_score
except ImportError:
    print("numpy / scikit-learn not importable: skipped (apt-get install python3-sklearn)")
    sys.exit(77)

score_tool, sk_tool = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


root = os.environ.get("SUBSPACE_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
try:
    xtr = idx(f"{root}/train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    ytr = idx(f"{root}/train-labels-idx1-ubyte.gz")
    xte = idx(f"{root}/t10k-images-idx3-ubyte.gz").reshape(-1, 784)[:3000] / 255.0
    yte = idx(f"{root}/t10k-labels-idx1-ubyte.gz")[:3000]
    xtr = xtr[ytr == 0]
    labels = (yte != 0).astype(np.int64)
    print(f"Fashion-MNIST: {xtr.shape[0]} training images of class 0, {xte.shape[0]} test images")
except OSError:
    rng = np.random.default_rng(5)
    basis = rng.standard_normal((60, 200))
    xtr = rng.standard_normal((2000, 60)) @ basis + 3.0
    xte = rng.standard_normal((1000, 60)) @ basis + 3.0
    xte[500:] += rng.standard_normal((500, 200))
    labels = (np.arange(1000) >= 500).astype(np.int64)
    print("Fashion-MNIST not installed: Gaussian data")

p = PCA(n_components=0.9, svd_solver="full").fit(xtr)
tmp = tempfile.mkdtemp()
model = os.path.join(tmp, "model.npz")
np.savez(model, mean_=p.mean_, components_=p.components_,
         explained_variance_=p.explained_variance_,
         explained_variance_ratio_=p.explained_variance_ratio_,
         n_samples_=p.n_samples_, noise_variance_=p.noise_variance_)
np.save(os.path.join(tmp, "x.npy"), xte)
np.save(os.path.join(tmp, "x32.npy"), xte.astype(np.float32))
np.save(os.path.join(tmp, "labels.npy"), labels)
print(f"sklearn PCA: {p.n_components_} components of {xtr.shape[1]}")


def run(*args):
    r = subprocess.run([score_tool, *args], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def score(kind, features="x.npy", extra=()):
    out = os.path.join(tmp, f"scores_{kind}_{features}.npy")
    code, stdout, err = run("--model", model, "--input", os.path.join(tmp, features),
                            "--output", out, "--score", kind, "--quiet", *extra)
    if code != 0:
        print(err)
    return code, (np.load(out) if code == 0 else None), stdout


recon = ((xte - p.inverse_transform(p.transform(xte))) ** 2).sum(axis=1)
code, ours, stdout = score("residual", extra=("--labels", os.path.join(tmp, "labels.npy")))
check(code == 0, "subspace-score residual exits 0")
err = np.abs(ours - recon).max() / recon.max()
check(err <= 1e-9, f"residual = sklearn reconstruction error (max rel. error {err:.1e})")
auc = float(stdout.split("AUROC")[1].split()[0])
ref_auc = roc_auc_score(labels, recon)
check(abs(auc - ref_auc) <= 1e-6, f"AUROC {auc:.6f} = roc_auc_score {ref_auc:.6f}")

z = p.transform(xte)
t2 = (z ** 2 / p.explained_variance_).sum(axis=1)
code, ours_t2, _ = score("t2")
err = np.abs(ours_t2 - t2).max() / t2.max()
check(code == 0 and err <= 1e-9, f"T^2 = sum z^2 / explained_variance_ (max rel. error {err:.1e})")

x32 = xte.astype(np.float32).astype(np.float64)
recon32 = ((x32 - p.inverse_transform(p.transform(x32))) ** 2).sum(axis=1)
code, ours32, _ = score("residual", "x32.npy")
err = np.abs(ours32 - recon32).max() / recon32.max()
check(code == 0 and err <= 1e-9, f"float32 features (max rel. error {err:.1e})")

csv = os.path.join(tmp, "x.csv")
np.savetxt(csv, xte[:40], delimiter=",", fmt="%.17g")
out_csv = os.path.join(tmp, "scores.csv")
code, _, _ = run("--model", model, "--input", csv, "--output", out_csv, "--quiet")
ours_csv = np.loadtxt(out_csv)
check(code == 0 and np.abs(ours_csv - recon[:40]).max() <= 1e-9 * recon.max(),
      "CSV features in, CSV scores out")

# IDX features and labels straight from the dataset's gzip files, pixels scaled as in Python.
images_idx = f"{root}/t10k-images-idx3-ubyte.gz"
if os.path.exists(images_idx):
    out_idx = os.path.join(tmp, "scores_idx.npy")
    code, stdout, err_text = run("--model", model, "--input", images_idx, "--output", out_idx,
                                 "--scale", repr(1 / 255), "--quiet", "--labels",
                                 f"{root}/t10k-labels-idx1-ubyte.gz")
    ours_idx = np.load(out_idx) if code == 0 else np.zeros(0)
    check(code == 0 and ours_idx.shape == (10000,)
          and np.abs(ours_idx[:3000] - recon).max() <= 1e-9 * recon.max(),
          "IDX features (gzip, --scale 1/255) score as the .npy path; IDX labels read")
    check("AUROC" in stdout, "IDX labels: AUROC printed")

tr = os.path.join(tmp, "transform.npy")
exported = os.path.join(tmp, "exported.npz")
r = subprocess.run([sk_tool, model, os.path.join(tmp, "x.npy"), tr, exported])
check(r.returncode == 0, "sklearn_tool exits 0")
if r.returncode == 0:
    ours_z = np.load(tr)
    check(np.abs(ours_z - z).max() <= 1e-10 * np.abs(z).max(), "transform = PCA.transform")
    e = np.load(exported)
    q = PCA(n_components=int(e["n_components_"]))
    for name in ["mean_", "components_", "explained_variance_", "explained_variance_ratio_",
                 "singular_values_", "noise_variance_"]:
        setattr(q, name, e[name])
    q.n_components_ = int(e["n_components_"])
    q.n_samples_ = int(e["n_samples_"])
    q.n_features_in_ = int(e["n_features_in_"])
    check(np.abs(q.transform(xte) - z).max() <= 1e-10 * np.abs(z).max(),
          "exported model transforms as the original")
    check(np.abs(q.inverse_transform(z) - p.inverse_transform(z)).max() <= 1e-10,
          "exported model reconstructs as the original")
    check(abs(float(e["noise_variance_"]) - p.noise_variance_) <= 1e-9 * p.noise_variance_,
          "exported noise_variance_ = sklearn's")

p32 = PCA(n_components=0.9, svd_solver="full").fit(xtr.astype(np.float32))
model32 = os.path.join(tmp, "model32.npz")
np.savez(model32, mean_=p32.mean_, components_=p32.components_,
         explained_variance_=p32.explained_variance_,
         explained_variance_ratio_=p32.explained_variance_ratio_,
         n_samples_=p32.n_samples_, noise_variance_=p32.noise_variance_)
out32 = os.path.join(tmp, "s32.npy")
code, _, err_text = run("--model", model32, "--input", os.path.join(tmp, "x32.npy"),
                        "--output", out32, "--quiet")
ref32 = ((x32.astype(np.float32) - p32.inverse_transform(p32.transform(x32.astype(np.float32))))
         ** 2).sum(axis=1)
ok = code == 0 and np.abs(np.load(out32) - ref32).max() <= 1e-3 * ref32.max()
check(ok, "a model fitted on float32 data scores to float precision" + ("" if code == 0 else err_text))

code, stdout, _ = run("--help")
check(code == 0 and "example" in stdout, "--help exits 0 with an example")
check(run("--model", model)[0] == 2, "missing arguments: exit 2")
check(run("--model", model, "--input", "x.npy", "--output", "o.npy", "--bogus")[0] == 2,
      "unknown argument: exit 2")
code, _, err_text = run("--model", os.path.join(tmp, "nope.npz"), "--input",
                        os.path.join(tmp, "x.npy"), "--output", os.path.join(tmp, "o.npy"))
check(code == 3 and "nope.npz" in err_text, "missing model: exit 3, named")
bad = os.path.join(tmp, "bad.npz")
with open(bad, "wb") as f:
    f.write(b"PK\x03\x04" + bytes(100))
check(run("--model", bad, "--input", os.path.join(tmp, "x.npy"),
          "--output", os.path.join(tmp, "o.npy"))[0] == 4, "corrupt model: exit 4")
np.save(os.path.join(tmp, "wide.npy"), np.zeros((3, xte.shape[1] + 1)))
code, _, err_text = run("--model", model, "--input", os.path.join(tmp, "wide.npy"),
                        "--output", os.path.join(tmp, "o.npy"))
check(code == 5 and "dimension" in err_text, "features of the wrong width: exit 5")

print("sklearn_score_interop:", "passed" if not failures else f"{len(failures)} FAILED")
sys.exit(1 if failures else 0)
