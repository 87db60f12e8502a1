// SPDX-License-Identifier: MIT
// subspace-score: anomaly scores of feature vectors against a PCA model, streamed in blocks.
// Run `subspace-score --help` for the usage; exit codes are listed there (kUsage etc. below).
#include <subspace/io/idx.hpp>
#include <subspace/io/npz.hpp>
#include <subspace/io/sklearn.hpp>
#include <subspace/ml/anomaly.hpp>
#include <subspace/pca.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using subspace::Index;
using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

enum Exit : int { kOk = 0, kOther = 1, kUsage = 2, kIo = 3, kFormat = 4, kDimension = 5 };

const char* const kHelp =
    R"HELP(usage: subspace-score --model MODEL --input FEATURES --output SCORES
                      [--score residual|t2|combined] [--labels LABELS] [--fpr RATE]
                      [--scale S] [--block ROWS] [--quiet]

Scores every row of FEATURES (one sample per row, d columns) against a PCA model:
  residual  |x_c - V V^T x_c|^2, the squared reconstruction error (default; equals
            scikit-learn's |x - inverse_transform(transform(x))|^2)
  t2        Hotelling's T^2 in the subspace, sum_j z_j^2 / lambda_j
  combined  residual / mean training residual + t2 / k

MODEL     a scikit-learn PCA saved with np.savez (mean_, components_, explained_variance_,
          n_samples_, and explained_variance_ratio_ or noise_variance_), or a subspace PCA
          written by PCA::serialize (binary) or PCA::save (text); told apart by content
FEATURES  .npy (float32/float64/integers, 2-D in C order, or 1-D for one feature), IDX
          (a name ending in ubyte, ubyte.gz, .idx or .idx.gz: MNIST's format, plain or gzip; row
          i = index i of the first dimension, the rest flattened, bytes 0..255 as they are) or
          CSV (comma- or whitespace-separated numbers, one sample per line; '#' a comment)
          --scale S multiplies every feature by S first (e.g. 0.00392156862745098 = 1/255 for
          images a model saw as pixel / 255; default 1)
SCORES    .npy (float64, one value per sample) or anything else as CSV (one value per line)
LABELS    .npy, IDX or CSV, one integer per sample, nonzero = anomaly: prints the AUROC and the
          threshold at false-positive rate RATE (default 0.05) with its true-positive rate

Features are read in blocks of ROWS rows (default 4096), so memory stays bounded whatever the
size of FEATURES; a progress line goes to stderr every 2 s (--quiet: none).

exit codes: 0 success, 2 usage, 3 a file cannot be opened, read or written,
            4 a malformed or corrupt file (model, features or labels), 5 a dimension mismatch
            (features with another width than the model, labels of another length), 1 other

example:
  python3 -c "import numpy as np; from sklearn.decomposition import PCA; X = np.load('train.npy');
  p = PCA(0.9).fit(X); np.savez('model.npz', mean_=p.mean_, components_=p.components_,
  explained_variance_=p.explained_variance_, n_samples_=p.n_samples_,
  explained_variance_ratio_=p.explained_variance_ratio_)"
  subspace-score --model model.npz --input test.npy --output scores.npy --labels labels.npy
)HELP";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string model, input, output, labels, score = "residual";
  double fpr = 0.05, scale = 1;
  Index block = 4096;
  bool quiet = false;
};

/// The whole of `text` as a number (std::stod with nothing left over); false otherwise.
bool parse_number(const std::string& text, double& x) {
  std::size_t used = 0;
  try {
    x = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size();
}

bool ends_with(const std::string& s, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/// IDX files by name, as MNIST and Fashion-MNIST ship them (t10k-images-idx3-ubyte.gz).
bool is_idx(const std::string& path) {
  return ends_with(path, "ubyte") || ends_with(path, "ubyte.gz") || ends_with(path, ".idx") ||
         ends_with(path, ".idx.gz");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(a + " needs a value");
      return argv[++i];
    };
    auto number = [&](const std::string& v) {
      double x = 0;
      if (!parse_number(v, x)) throw UsageError(a + ": not a number: '" + v + "'");
      return x;
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kHelp, stdout);
      std::exit(kOk);
    } else if (a == "--model") {
      o.model = value();
    } else if (a == "--input") {
      o.input = value();
    } else if (a == "--output") {
      o.output = value();
    } else if (a == "--labels") {
      o.labels = value();
    } else if (a == "--score") {
      o.score = value();
      if (o.score != "residual" && o.score != "t2" && o.score != "combined")
        throw UsageError("--score must be residual, t2 or combined, not '" + o.score + "'");
    } else if (a == "--fpr") {
      o.fpr = number(value());
      if (!(o.fpr >= 0 && o.fpr < 1)) throw UsageError("--fpr must be in [0, 1)");
    } else if (a == "--scale") {
      o.scale = number(value());
      if (!std::isfinite(o.scale) || o.scale == 0)
        throw UsageError("--scale must be finite and nonzero");
    } else if (a == "--block") {
      const double b = number(value());
      if (!(b >= 1 && b <= 1e7 && b == double(Index(b))))
        throw UsageError("--block must be an integer in [1, 1e7]");
      o.block = Index(b);
    } else if (a == "--quiet") {
      o.quiet = true;
    } else {
      throw UsageError("unknown argument '" + a + "'");
    }
  }
  if (o.model.empty() || o.input.empty() || o.output.empty())
    throw UsageError("--model, --input and --output are required");
  return o;
}

/// The model, by content: a zip archive is a scikit-learn .npz, "sPCA" our binary state,
/// anything else our text format.
subspace::PCA<double> load_model(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw subspace::io::IoError("cannot open model '" + path + "'");
  char magic[4] = {0, 0, 0, 0};
  f.read(magic, 4);
  f.clear();
  f.seekg(0);
  if (magic[0] == 'P' && magic[1] == 'K') return subspace::io::read_sklearn_pca<double>(path);
  subspace::PCA<double> p;
  if (std::memcmp(magic, "sPCA", 4) == 0) {
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                          std::istreambuf_iterator<char>());
    p.deserialize(bytes);
  } else {
    p.load(f);
  }
  if (p.samples() == 0) throw subspace::FormatError("model '" + path + "' is not fitted");
  return p;
}

/// Rows of a CSV file in blocks (numbers separated by commas or whitespace; '#' comments).
class CsvRows {
 public:
  explicit CsvRows(const std::string& path) : path_(path), f_(path) {
    if (!f_) throw subspace::io::IoError("cannot open '" + path + "'");
  }
  /// Up to max_rows rows of width `cols` (fixed by the first row when cols < 0).
  Index next(Matrix& block, Index max_rows, Index& cols) {
    std::vector<double> values;
    Index rows = 0;
    std::string line;
    while (rows < max_rows && std::getline(f_, line)) {
      ++line_no_;
      const std::size_t hash = line.find('#');
      if (hash != std::string::npos) line.resize(hash);
      for (char& ch : line)
        if (ch == ',' || ch == '\t' || ch == ';') ch = ' ';
      std::istringstream ss(line);
      std::string tok;
      Index n = 0;
      while (ss >> tok) {
        double x = 0;
        if (!parse_number(tok, x))
          throw subspace::FormatError(path_ + ":" + std::to_string(line_no_) + ": not a number: '" +
                                      tok + "'");
        values.push_back(x);
        ++n;
      }
      if (n == 0) continue;  // blank or comment line
      if (cols < 0) cols = n;
      if (n != cols)
        throw subspace::DimensionMismatch(path_ + ":" + std::to_string(line_no_) + ": " +
                                          std::to_string(n) + " values, earlier rows have " +
                                          std::to_string(cols));
      ++rows;
    }
    if (f_.bad()) throw subspace::io::IoError("cannot read '" + path_ + "'");
    block = Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        values.data(), rows, std::max<Index>(cols, 0));
    return rows;
  }

 private:
  std::string path_;
  std::ifstream f_;
  long line_no_ = 0;
};

/// A whole vector from .npy, IDX or CSV (labels).
Eigen::VectorXi read_labels(const std::string& path) {
  if (is_idx(path)) {
    const subspace::io::IdxArray a = subspace::io::read_idx(path);
    if (a.dims.size() != 1)
      throw subspace::FormatError("labels '" + path + "' must be a 1-D IDX file");
    Eigen::VectorXi out(Index(a.data.size()));
    for (Index i = 0; i < out.size(); ++i) out(i) = a.data[std::size_t(i)] != 0 ? 1 : 0;
    return out;
  }
  if (ends_with(path, ".npy")) {
    const Eigen::MatrixXd m = subspace::io::read_npy<double>(path);
    if (m.cols() != 1 && m.rows() != 1)
      throw subspace::FormatError("labels '" + path + "' must be one value per sample");
    Eigen::VectorXi out(m.size());
    for (Index i = 0; i < m.size(); ++i) out(i) = m(i) != 0 ? 1 : 0;
    return out;
  }
  CsvRows csv(path);
  std::vector<int> out;
  Matrix block;
  Index cols = -1;
  while (csv.next(block, 1 << 16, cols) > 0) {
    if (cols != 1) throw subspace::FormatError("labels '" + path + "' must be one value per line");
    for (Index i = 0; i < block.rows(); ++i) out.push_back(block(i, 0) != 0 ? 1 : 0);
  }
  return Eigen::Map<Eigen::VectorXi>(out.data(), Index(out.size()));
}

int run(const Options& o) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const subspace::PCA<double> pca = load_model(o.model);
  const Index d = pca.dim();
  std::vector<double> scores;
  std::unique_ptr<subspace::io::NpyRowReader<double>> npy;
  std::unique_ptr<subspace::io::IdxRowReader> idx;
  std::unique_ptr<CsvRows> csv;
  Index total_rows = -1, cols = d;
  auto check_width = [&](Index width) {
    if (width != d)
      throw subspace::DimensionMismatch("features '" + o.input + "' have " + std::to_string(width) +
                                        " columns; the model has dimension " + std::to_string(d));
  };
  if (ends_with(o.input, ".npy")) {
    npy = std::make_unique<subspace::io::NpyRowReader<double>>(o.input);
    total_rows = npy->rows();
    check_width(npy->cols());
    scores.reserve(std::size_t(total_rows));
  } else if (is_idx(o.input)) {
    idx = std::make_unique<subspace::io::IdxRowReader>(o.input);
    total_rows = idx->rows();
    check_width(idx->cols());
    scores.reserve(std::size_t(total_rows));
  } else {
    csv = std::make_unique<CsvRows>(o.input);
    cols = -1;
  }
  Matrix block;
  auto last = Clock::now();
  for (;;) {
    const Index b = npy   ? npy->next(block, o.block)
                    : idx ? idx->next(block, o.block)
                          : csv->next(block, o.block, cols);
    if (b == 0) break;
    check_width(block.cols());
    if (o.scale != 1) block *= o.scale;
    const auto sc = pca.scores(block);
    const Vector& v = o.score == "t2" ? sc.t2 : o.score == "combined" ? sc.combined : sc.residual;
    scores.insert(scores.end(), v.data(), v.data() + v.size());
    if (!o.quiet && std::chrono::duration<double>(Clock::now() - last).count() > 2) {
      last = Clock::now();
      const double secs = std::chrono::duration<double>(last - t0).count();
      if (total_rows > 0)
        std::fprintf(stderr, "subspace-score: %zu / %td rows (%.0f%%), %.0f rows/s\n",
                     scores.size(), total_rows, 100.0 * double(scores.size()) / double(total_rows),
                     double(scores.size()) / secs);
      else
        std::fprintf(stderr, "subspace-score: %zu rows, %.0f rows/s\n", scores.size(),
                     double(scores.size()) / secs);
    }
  }
  const Eigen::Map<const Vector> all(scores.data(), Index(scores.size()));
  if (ends_with(o.output, ".npy")) {
    subspace::io::write_npy(o.output, all, subspace::io::NpyShape::vector);
  } else {
    std::ofstream out(o.output);
    if (!out) throw subspace::io::IoError("cannot write '" + o.output + "'");
    out.precision(17);
    for (const double s : scores) out << s << '\n';
    if (!out) throw subspace::io::IoError("cannot write '" + o.output + "'");
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!o.quiet)
    std::fprintf(stderr, "subspace-score: %zu rows of dimension %td, rank %td, %s score, %.2f s\n",
                 scores.size(), d, pca.rank(), o.score.c_str(), secs);
  if (!o.labels.empty()) {
    const Eigen::VectorXi labels = read_labels(o.labels);
    if (labels.size() != all.size())
      throw subspace::DimensionMismatch("labels '" + o.labels + "' hold " +
                                        std::to_string(labels.size()) + " values for " +
                                        std::to_string(all.size()) + " samples");
    const double auc = subspace::roc_auc(all, labels);
    const auto op = subspace::tpr_at_fpr(all, labels, o.fpr);
    std::printf("AUROC %.6f\nthreshold at FPR <= %g: %.10g (TPR %.4f, FPR %.4f)\n", auc, o.fpr,
                op.threshold, op.tpr, op.fpr);
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "subspace-score: %s (see --help)\n", e.what());
    return kUsage;
  } catch (const subspace::io::IoError& e) {
    std::fprintf(stderr, "subspace-score: %s\n", e.what());
    return kIo;
  } catch (const subspace::FormatError& e) {
    std::fprintf(stderr, "subspace-score: %s\n", e.what());
    return kFormat;
  } catch (const subspace::NonFiniteInput& e) {
    std::fprintf(stderr, "subspace-score: %s\n", e.what());
    return kFormat;
  } catch (const subspace::DimensionMismatch& e) {
    std::fprintf(stderr, "subspace-score: %s\n", e.what());
    return kDimension;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "subspace-score: %s\n", e.what());
    return kOther;
  }
}
