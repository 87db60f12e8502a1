// SPDX-License-Identifier: MIT
// gcr_classifier: Grassmann Class Representation (ml/gcr.hpp) against a softmax head on
// Fashion-MNIST, for accuracy and for the transferability of the learned features.
//
//  1. Heads on raw pixels (d = 784): multinomial logistic regression (a linear softmax head),
//     CLAFIC (per-class PCA subspaces, k = 40, not trained) and a trained GCR head (k = 16,
//     initialized by CLAFIC, Riemannian SGD).
//  2. A backbone MLP 784-H1-H2 (ReLU, no biases, H2-dimensional features) trained jointly with
//     each head: softmax (linear), GCR with k in {1, 4, 8, 16}. Same initialization, data order
//     and budget for every head; SGD with momentum 0.9 for the backbone and the softmax head,
//     Riemannian SGD with momentum 0.9 for the GCR bases.
//  3. Transfer: each head trains the backbone on classes 0-4 only; the frozen backbone's
//     (L2-normalized) features of classes 5-9 then train a linear softmax probe, whose test
//     accuracy is reported, with the intra-class variability of the features (the ratio of the
//     mean within-class to the total variance of normalized features, as a measure of how
//     much class-internal structure the features keep; GCR reports it grows with k).
//
//   gcr_classifier [--data DIR] [--seeds S] [--epochs E] [--hidden H1,H2] [--train N]
//                  [--json FILE] [--svg FILE]
// Progress goes to stderr; the tables to stdout.
#include <subspace/ml/gcr.hpp>
#include <subspace/optim/riemannian_sgd.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "common/mlp.hpp"
#include "common/util.hpp"

namespace {

using Eigen::Index;
using subspace_examples::Clock;
using subspace_examples::mean;
using subspace_examples::sd;
using subspace_examples::seconds_since;
using Matrix = Eigen::MatrixXf;
using subspace_examples::LabelledImages;
using subspace_examples::Mlp;
using Head = subspace::GcrHead<float>;
using Opt = subspace::RiemannianSGD<subspace::GrassmannProduct<float>>;

struct Options {
  std::string data = subspace_examples::default_fashion_mnist_dir();
  std::string json, svg;
  int seeds = 1, epochs = 10, h1 = 256, h2 = 128, batch = 64, train = 60000;
  float lr = 0.01f, probe_lr = 0.5f;
  int probe_epochs = 10;
};

Options parse(int argc, char** argv) {
  Options o;
  subspace_examples::Args args(argc, argv,
                               "usage: gcr_classifier [--data DIR] [--seeds S] [--epochs E] "
                               "[--hidden H1,H2] [--train N] [--lr LR] [--json FILE] [--svg FILE]");
  while (args.next()) {
    if (args.is("--data")) {
      o.data = args.value();
    } else if (args.is("--json")) {
      o.json = args.value();
    } else if (args.is("--svg")) {
      o.svg = args.value();
    } else if (args.is("--seeds")) {
      o.seeds = int(args.integer(1, 100));
    } else if (args.is("--epochs")) {
      o.epochs = int(args.integer(1, 100));
    } else if (args.is("--lr")) {
      o.lr = float(args.real(1e-6, 10));
    } else if (args.is("--train")) {
      o.train = int(args.integer(1000, 60000));
    } else if (args.is("--hidden")) {
      const std::string v = args.value();
      const auto comma = v.find(',');
      if (comma == std::string::npos) throw std::invalid_argument("--hidden H1,H2");
      o.h1 = std::stoi(v.substr(0, comma));
      o.h2 = std::stoi(v.substr(comma + 1));
      if (o.h1 < 1 || o.h2 < 16) throw std::invalid_argument("--hidden: H1 >= 1, H2 >= 16");
    } else {
      args.unknown();
    }
  }
  return o;
}

/// Images of rows idx as columns (784 x n), and their labels mapped through `relabel`.
Matrix columns(const Matrix& images, const std::vector<Index>& idx, std::size_t from,
               std::size_t n) {
  Matrix x(images.cols(), Index(n));
  for (std::size_t j = 0; j < n; ++j) x.col(Index(j)) = images.row(idx[from + j]).transpose();
  return x;
}

/// One classifier: an optional backbone (features = backbone output) and a head, softmax
/// (a linear layer, as an Mlp of one layer) or GCR.
struct Model {
  bool has_backbone = false;
  Mlp backbone{{1, 1}, 0};
  bool gcr = false;
  Mlp linear{{1, 1}, 0};
  std::optional<Head> head;
  // Momentum buffers of the Euclidean parameters.
  std::vector<Matrix> vb, vl;

  Matrix features(const Matrix& x, std::vector<Matrix>* acts = nullptr) const {
    return has_backbone ? backbone.forward(x, acts) : x;
  }
  Matrix logits(const Matrix& f) const { return gcr ? head->logits(f) : linear.forward(f); }

  Eigen::VectorXi predict(const Matrix& x) const {
    const Matrix lg = logits(features(x));
    Eigen::VectorXi out(lg.cols());
    for (Index j = 0; j < lg.cols(); ++j) lg.col(j).maxCoeff(&out(j));
    return out;
  }

  void train_step(const Matrix& x, const Eigen::VectorXi& y, float lr, Opt& opt) {
    std::vector<Matrix> acts, gb, gl;
    const Matrix f = features(x, &acts);
    Matrix df;
    if (gcr) {
      Matrix lg = head->logits(f);
      Mlp::softmax_xent(lg, y);
      const auto g = head->backward(f, lg);
      df = g.dx;
      head->step(opt, g.dbases);
    } else {
      std::vector<Matrix> lacts;
      Matrix lg = linear.forward(f, &lacts);
      Mlp::softmax_xent(lg, y);
      linear.backward(lacts, lg, gl, has_backbone ? &df : nullptr);
      momentum(linear, gl, vl, lr);
    }
    if (has_backbone) {
      backbone.backward(acts, df, gb);
      momentum(backbone, gb, vb, lr);
    }
  }

  static void momentum(Mlp& net, const std::vector<Matrix>& g, std::vector<Matrix>& v, float lr) {
    if (v.empty())
      for (const auto& gi : g) v.push_back(Matrix::Zero(gi.rows(), gi.cols()));
    for (std::size_t l = 0; l < g.size(); ++l) {
      v[l] = 0.9f * v[l] + g[l];
      net.weight(l) -= lr * v[l];
    }
  }
};

double accuracy(const Model& m, const Matrix& x, const Eigen::VectorXi& y) {
  Index ok = 0;
  for (Index s = 0; s < x.cols(); s += 2000) {
    const Index n = std::min<Index>(2000, x.cols() - s);
    const auto p = m.predict(x.middleCols(s, n));
    for (Index j = 0; j < n; ++j) ok += p(j) == y(s + j) ? 1 : 0;
  }
  return double(ok) / double(x.cols());
}

/// Trains `m` for `epochs` on (x, y) in a seeded order; returns test accuracy after each epoch.
std::vector<double> train(Model& m, const Matrix& x, const Eigen::VectorXi& y, const Matrix& xt,
                          const Eigen::VectorXi& yt, int epochs, float lr, const Options& opt,
                          std::uint64_t seed, const char* label) {
  subspace::SGDOptions so;
  so.learning_rate = lr;
  so.momentum = 0.9;
  Opt ropt(so);
  std::mt19937_64 gen(seed);
  std::vector<Index> order(std::size_t(x.cols()));
  std::iota(order.begin(), order.end(), Index(0));
  std::vector<double> acc;
  for (int e = 0; e < epochs; ++e) {
    const auto t0 = Clock::now();
    std::shuffle(order.begin(), order.end(), gen);
    for (std::size_t s = 0; s + std::size_t(opt.batch) <= order.size();
         s += std::size_t(opt.batch)) {
      Matrix xb(x.rows(), opt.batch);
      Eigen::VectorXi yb(opt.batch);
      for (Index j = 0; j < opt.batch; ++j) {
        xb.col(j) = x.col(order[s + std::size_t(j)]);
        yb(j) = y(order[s + std::size_t(j)]);
      }
      m.train_step(xb, yb, lr, ropt);
    }
    acc.push_back(accuracy(m, xt, yt));
    std::fprintf(stderr, "  %-22s epoch %d: test accuracy %.4f (%.1f s)\n", label, e + 1,
                 acc.back(), seconds_since(t0));
  }
  return acc;
}

Model make_model(bool backbone, int k, Index d_in, Index classes, const Options& opt,
                 std::uint64_t seed) {
  Model m;
  m.has_backbone = backbone;
  if (backbone) m.backbone = Mlp({int(d_in), opt.h1, opt.h2}, seed);
  const Index d = backbone ? opt.h2 : d_in;
  std::mt19937_64 gen(seed + 99);
  if (k > 0) {
    m.gcr = true;
    m.head = Head::random(d, k, classes, gen);
  } else {
    m.linear = Mlp({int(d), int(classes)}, seed + 7);
  }
  return m;
}

/// Mean within-class variance / total variance of L2-normalized features (columns of f).
double intra_class_variability(const Matrix& f, const Eigen::VectorXi& y, int classes) {
  Matrix z = f;
  for (Index j = 0; j < z.cols(); ++j) {
    const float n = z.col(j).norm();
    if (n > 0) z.col(j) /= n;
  }
  const Eigen::VectorXf mu = z.rowwise().mean();
  const double total = (z.colwise() - mu).squaredNorm();
  double within = 0;
  for (int c = 0; c < classes; ++c) {
    Eigen::VectorXf mc = Eigen::VectorXf::Zero(z.rows());
    Index nc = 0;
    for (Index j = 0; j < z.cols(); ++j)
      if (y(j) == c) mc += z.col(j), ++nc;
    if (nc == 0) continue;
    mc /= float(nc);
    for (Index j = 0; j < z.cols(); ++j)
      if (y(j) == c) within += (z.col(j) - mc).squaredNorm();
  }
  return within / total;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  const auto t_start = Clock::now();
  std::cerr << "loading Fashion-MNIST from " << opt.data << " ...\n";
  const LabelledImages train_set = subspace_examples::load_fashion_mnist(opt.data, true);
  const LabelledImages test_set = subspace_examples::load_fashion_mnist(opt.data, false);
  std::vector<Index> all(std::size_t(train_set.images.rows()));
  std::iota(all.begin(), all.end(), Index(0));
  const Matrix x = columns(train_set.images, all, 0, std::size_t(opt.train));  // first N images
  const Eigen::VectorXi y = train_set.labels.head(opt.train);
  std::vector<Index> all_t(std::size_t(test_set.images.rows()));
  std::iota(all_t.begin(), all_t.end(), Index(0));
  const Matrix xt = columns(test_set.images, all_t, 0, all_t.size());
  const Eigen::VectorXi& yt = test_set.labels;

  // ---- 1. heads on raw pixels ----
  std::cerr << "1. heads on raw pixels\n";
  std::vector<double> raw_lr, raw_gcr;
  double clafic_acc = 0;
  const auto t_clafic = Clock::now();
  const Head clafic40 = Head::from_class_pca(x, y, 40, 10);
  {
    Model clafic;
    clafic.gcr = true;
    clafic.head = clafic40;
    clafic_acc = accuracy(clafic, xt, yt);
    std::fprintf(stderr, "  CLAFIC k = 40: test accuracy %.4f (%.1f s)\n", clafic_acc,
                 seconds_since(t_clafic));
  }
  // GCR k = 16 starts from the 16 leading directions of each CLAFIC subspace (nested).
  Matrix init16(784, 10 * 16);
  for (Index c = 0; c < 10; ++c)
    init16.middleCols(c * 16, 16) = clafic40.bases().block(c).leftCols(16);
  for (int s = 0; s < opt.seeds; ++s) {
    Model lr = make_model(false, 0, 784, 10, opt, 1000 + s);
    raw_lr.push_back(
        train(lr, x, y, xt, yt, opt.epochs, opt.lr, opt, 1 + s, "softmax (pixels)").back());
    Model g;
    g.gcr = true;
    g.head = Head(subspace::GrassmannProduct<float>::from_orthonormal(init16, 16));
    raw_gcr.push_back(
        train(g, x, y, xt, yt, opt.epochs, opt.lr, opt, 1 + s, "GCR k=16 (pixels)").back());
  }

  // ---- 2. backbone + heads ----
  std::cerr << "2. backbone " << 784 << "-" << opt.h1 << "-" << opt.h2 << " with each head\n";
  const std::vector<int> ks = {0, 1, 4, 8, 16};  // 0: softmax
  auto head_name = [](int k) {
    return k == 0 ? std::string("softmax") : "GCR k=" + std::to_string(k);
  };
  std::vector<std::vector<double>> final_acc(ks.size());
  std::vector<std::vector<std::vector<double>>> curves(ks.size());
  std::vector<double> seconds(ks.size(), 0);
  for (int s = 0; s < opt.seeds; ++s)
    for (std::size_t h = 0; h < ks.size(); ++h) {
      const auto t0 = Clock::now();
      Model m = make_model(true, ks[h], 784, 10, opt, 2000 + s);
      const auto c =
          train(m, x, y, xt, yt, opt.epochs, opt.lr, opt, 11 + s, head_name(ks[h]).c_str());
      seconds[h] += seconds_since(t0) / opt.seeds;
      curves[h].push_back(c);
      final_acc[h].push_back(c.back());
    }

  // ---- 3. transfer: classes 0-4 -> probe on 5-9 ----
  std::cerr << "3. transfer: backbone on classes 0-4, linear probe on 5-9\n";
  auto subset = [](const Matrix& xs, const Eigen::VectorXi& ys, bool low) {
    std::vector<Index> idx;
    for (Index j = 0; j < ys.size(); ++j)
      if ((ys(j) < 5) == low) idx.push_back(j);
    Matrix out(xs.rows(), Index(idx.size()));
    Eigen::VectorXi lab(Index(idx.size()));
    for (std::size_t i = 0; i < idx.size(); ++i) {
      out.col(Index(i)) = xs.col(idx[i]);
      lab(Index(i)) = ys(idx[i]) % 5;
    }
    return std::make_pair(out, lab);
  };
  const auto lo = subset(x, y, true), lo_t = subset(xt, yt, true);
  const auto hi = subset(x, y, false), hi_t = subset(xt, yt, false);
  std::vector<std::vector<double>> probe(ks.size()), variability(ks.size()), source(ks.size());
  for (int s = 0; s < opt.seeds; ++s)
    for (std::size_t h = 0; h < ks.size(); ++h) {
      Model m = make_model(true, ks[h], 784, 5, opt, 3000 + s);
      const std::string name = head_name(ks[h]) + " (0-4)";
      source[h].push_back(train(m, lo.first, lo.second, lo_t.first, lo_t.second, opt.epochs, opt.lr,
                                opt, 21 + s, name.c_str())
                              .back());
      auto normalized = [&](const Matrix& in) {
        Matrix f = m.backbone.forward(in);
        for (Index j = 0; j < f.cols(); ++j) {
          const float n = f.col(j).norm();
          if (n > 0) f.col(j) /= n;
        }
        return f;
      };
      const Matrix fh = normalized(hi.first), fht = normalized(hi_t.first);
      variability[h].push_back(intra_class_variability(fh, hi.second, 5));
      Model p = make_model(false, 0, opt.h2, 5, opt, 4000 + s);
      const std::string pname = head_name(ks[h]) + " probe";
      probe[h].push_back(train(p, fh, hi.second, fht, hi_t.second, opt.probe_epochs, opt.probe_lr,
                               opt, 31 + s, pname.c_str())
                             .back());
    }

  // ---- report ----
  std::printf("\nFashion-MNIST, %d seed(s), %d epoch(s), batch %d, lr %.3g (momentum 0.9)\n",
              opt.seeds, opt.epochs, opt.batch, double(opt.lr));
  std::printf("\n1. raw pixels, test accuracy\n");
  std::printf("  softmax (multinomial logistic regression)  %.4f +- %.4f\n", mean(raw_lr),
              sd(raw_lr));
  std::printf("  CLAFIC k = 40 (not trained)                %.4f\n", clafic_acc);
  std::printf("  GCR k = 16 (CLAFIC init, trained)          %.4f +- %.4f\n", mean(raw_gcr),
              sd(raw_gcr));
  std::printf("\n2. backbone 784-%d-%d + head: test accuracy, time per run\n", opt.h1, opt.h2);
  for (std::size_t h = 0; h < ks.size(); ++h)
    std::printf("  %-10s %.4f +- %.4f   %.1f s\n", head_name(ks[h]).c_str(), mean(final_acc[h]),
                sd(final_acc[h]), seconds[h]);
  std::printf("\n3. transfer (backbone trained on classes 0-4 with each head)\n");
  std::printf("  %-10s %12s %18s %22s\n", "head", "source acc", "probe acc on 5-9",
              "intra-class variability");
  for (std::size_t h = 0; h < ks.size(); ++h)
    std::printf("  %-10s %12.4f %11.4f +- %.4f %22.4f\n", head_name(ks[h]).c_str(), mean(source[h]),
                mean(probe[h]), sd(probe[h]), mean(variability[h]));
  std::printf("\ntotal %.1f s\n", seconds_since(t_start));

  if (!opt.json.empty()) {
    std::ofstream j(opt.json);
    if (!j) throw std::runtime_error("cannot write " + opt.json);
    auto arr = [&](const std::vector<double>& v) {
      std::string s = "[";
      for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
      return s + "]";
    };
    j << "{\n  \"seeds\": " << opt.seeds << ", \"epochs\": " << opt.epochs << ", \"hidden\": ["
      << opt.h1 << ", " << opt.h2 << "],\n  \"raw\": {\"softmax\": " << arr(raw_lr)
      << ", \"clafic_k40\": " << clafic_acc << ", \"gcr_k16\": " << arr(raw_gcr) << "},\n"
      << "  \"backbone\": [\n";
    for (std::size_t h = 0; h < ks.size(); ++h) {
      j << "    {\"head\": \"" << head_name(ks[h]) << "\", \"k\": " << ks[h]
        << ", \"test_acc\": " << arr(final_acc[h]) << ", \"seconds\": " << seconds[h]
        << ", \"curves\": [";
      for (std::size_t s = 0; s < curves[h].size(); ++s) j << (s ? ", " : "") << arr(curves[h][s]);
      j << "], \"transfer_source_acc\": " << arr(source[h])
        << ", \"transfer_probe_acc\": " << arr(probe[h])
        << ", \"intra_class_variability\": " << arr(variability[h]) << "}"
        << (h + 1 < ks.size() ? "," : "") << "\n";
    }
    j << "  ],\n  \"seconds\": " << seconds_since(t_start) << "\n}\n";
    std::cerr << "wrote " << opt.json << "\n";
  }
  if (!opt.svg.empty()) {  // test accuracy per epoch of each head (seed 0)
    std::ofstream f(opt.svg);
    if (!f) throw std::runtime_error("cannot write " + opt.svg);
    double lo_acc = 1, hi_acc = 0;
    for (const auto& c : curves)
      for (double a : c[0]) lo_acc = std::min(lo_acc, a), hi_acc = std::max(hi_acc, a);
    lo_acc = std::floor(lo_acc * 50) / 50;
    hi_acc = std::ceil(hi_acc * 50) / 50 + 1e-9;
    const double x0 = 60, y0 = 20, w = 420, hgt = 300;
    const char* colors[5] = {"#000000", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};
    f << "<svg xmlns='http://www.w3.org/2000/svg' width='640' height='380' "
         "font-family='sans-serif' "
         "font-size='12'>\n<rect width='640' height='380' fill='white'/>\n<rect x='"
      << x0 << "' y='" << y0 << "' width='" << w << "' height='" << hgt
      << "' fill='none' stroke='black'/>\n<text x='" << x0 + w / 2 << "' y='" << y0 + hgt + 34
      << "' text-anchor='middle'>epoch</text>\n<text x='" << x0 - 8 << "' y='" << y0 + 4
      << "' text-anchor='end'>" << hi_acc << "</text>\n<text x='" << x0 - 8 << "' y='" << y0 + hgt
      << "' text-anchor='end'>" << lo_acc << "</text>\n";
    const int e = opt.epochs;
    for (std::size_t h = 0; h < ks.size(); ++h) {
      f << "<polyline fill='none' stroke-width='2' stroke='" << colors[h] << "' points='";
      for (int i = 0; i < e; ++i) {
        const double px = x0 + (e == 1 ? w / 2 : w * i / double(e - 1));
        const double py =
            y0 + hgt - hgt * (curves[h][0][std::size_t(i)] - lo_acc) / (hi_acc - lo_acc);
        f << px << ',' << py << ' ';
      }
      f << "'/>\n<text x='" << x0 + w + 12 << "' y='" << y0 + 16 + 18 * double(h) << "' fill='"
        << colors[h] << "'>" << head_name(ks[h]) << " " << curves[h][0].back() << "</text>\n";
    }
    f << "<text x='" << x0 << "' y='" << y0 + hgt + 18 << "'>1</text><text x='" << x0 + w << "' y='"
      << y0 + hgt + 18 << "' text-anchor='end'>" << e << "</text>\n</svg>\n";
    std::cerr << "wrote " << opt.svg << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "gcr_classifier: " << e.what() << "\n";
  return 1;
}
