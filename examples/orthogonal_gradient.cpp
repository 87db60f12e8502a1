// SPDX-License-Identifier: MIT
// orthogonal_gradient: continual learning on Permuted Fashion-MNIST with orthogonal-gradient
// updates (ml/gradient_projection.hpp).
//
// Task t applies its own fixed pixel permutation to every image (task 0: the identity). A
// 784-256-256-10 ReLU MLP without biases is trained task after task with plain SGD, three ways,
// from the same initialization, data order and budget:
//   finetune  no protection;
//   gpm       Gradient Projection Memory (Saha et al. 2021): after each task, every layer's
//             memory grows from the layer's inputs on 300 training samples of the task, with
//             thresholds 0.95 (first layer) and 0.99 (others), and later gradients are
//             projected off it;
//   spectral  the top singular subspaces of each weight matrix (energy fraction f), recomputed
//             after each task, projected off both sides of later gradients.
// Reported: the accuracy matrix R[i][j] (test accuracy on task j after training task i), the
// average final accuracy ACC = mean_j R[T-1][j], backward transfer
// BWT = mean_{j<T-1} (R[T-1][j] - R[j][j]) (Lopez-Paz & Ranzato 2017), memory dimensions per
// layer after each task, and time per task.
//
//   orthogonal_gradient [--data DIR] [--tasks T] [--epochs E] [--train N] [--seed S]
//                       [--spectral-energy F] [--json FILE] [--svg FILE]
#include <subspace/ml/gradient_projection.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
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
using subspace_examples::Mlp;

struct Options {
  std::string data = subspace_examples::default_fashion_mnist_dir();
  std::string json, svg;
  int tasks = 5, epochs = 1, train = 60000, batch = 64;
  float lr = 0.05f;
  double spectral_energy = 0.7;
  std::uint64_t seed = 1;
};

Options parse(int argc, char** argv) {
  Options o;
  subspace_examples::Args args(
      argc, argv,
      "usage: orthogonal_gradient [--data DIR] [--tasks T] [--epochs E] [--train N] [--seed S] "
      "[--spectral-energy F] [--json FILE] [--svg FILE]");
  while (args.next()) {
    if (args.is("--data"))
      o.data = args.value();
    else if (args.is("--json"))
      o.json = args.value();
    else if (args.is("--svg"))
      o.svg = args.value();
    else if (args.is("--tasks"))
      o.tasks = int(args.integer(2, 20));
    else if (args.is("--epochs"))
      o.epochs = int(args.integer(1, 100));
    else if (args.is("--train"))
      o.train = int(args.integer(o.batch, 60000));
    else if (args.is("--seed"))
      o.seed = std::uint64_t(args.integer(0, 1LL << 62));
    else if (args.is("--spectral-energy"))
      o.spectral_energy = args.real(1e-6, 1.0);
    else
      args.unknown();
  }
  return o;
}

/// Columns = the permuted images of rows idx: 784 x idx.size().
Matrix batch_of(const Matrix& images, const std::vector<int>& perm, const Index* idx, Index n) {
  Matrix x(784, n);
  for (Index j = 0; j < n; ++j) {
    const auto row = images.row(idx[j]);
    for (Index p = 0; p < 784; ++p) x(p, j) = row(perm[std::size_t(p)]);
  }
  return x;
}

double accuracy(const Mlp& net, const subspace_examples::LabelledImages& test,
                const std::vector<int>& perm) {
  std::vector<Index> idx(std::size_t(test.images.rows()));
  std::iota(idx.begin(), idx.end(), Index(0));
  Index correct = 0;
  for (Index s = 0; s < test.images.rows(); s += 1000) {
    const Index n = std::min<Index>(1000, test.images.rows() - s);
    const auto pred = net.predict(batch_of(test.images, perm, idx.data() + s, n));
    for (Index j = 0; j < n; ++j) correct += pred(j) == test.labels(s + j) ? 1 : 0;
  }
  return double(correct) / double(test.images.rows());
}

enum class Method { FineTune, Gpm, Spectral };
const char* const kMethodNames[3] = {"finetune", "gpm", "spectral"};

struct Result {
  std::vector<std::vector<double>> r;           // R[i][j]
  std::vector<std::vector<Index>> memory_dims;  // after task i, per layer
  std::vector<double> seconds;                  // per task
  double acc = 0, bwt = 0;
};

Result run(Method method, const Options& opt, const subspace_examples::LabelledImages& train,
           const subspace_examples::LabelledImages& test,
           const std::vector<std::vector<int>>& perms) {
  Mlp net({784, 256, 256, 10}, opt.seed);
  std::vector<subspace::GradientProjectionMemory<float>> gpm;
  std::vector<subspace::SpectralProtection<float>> spec;
  for (std::size_t l = 0; l < net.layers(); ++l) {
    gpm.emplace_back(net.weight(l).cols());
    spec.emplace_back(net.weight(l).rows(), net.weight(l).cols(), opt.spectral_energy);
  }
  Result res;
  std::mt19937_64 gen(opt.seed * 7919 + 1);
  std::vector<Index> order(std::size_t(train.images.rows()));
  std::iota(order.begin(), order.end(), Index(0));
  std::vector<Matrix> grads;
  for (int t = 0; t < opt.tasks; ++t) {
    const auto t0 = Clock::now();
    const auto& perm = perms[std::size_t(t)];
    for (int e = 0; e < opt.epochs; ++e) {
      std::shuffle(order.begin(), order.end(), gen);
      for (Index s = 0; s + opt.batch <= opt.train; s += opt.batch) {
        const Matrix x = batch_of(train.images, perm, order.data() + s, opt.batch);
        Eigen::VectorXi y(opt.batch);
        for (Index j = 0; j < opt.batch; ++j) y(j) = train.labels(order[std::size_t(s + j)]);
        net.loss_and_gradients(x, y, grads);
        for (std::size_t l = 0; l < net.layers(); ++l) {
          if (method == Method::Gpm) gpm[l].project(grads[l]);
          if (method == Method::Spectral) spec[l].project(grads[l]);
          net.weight(l) -= opt.lr * grads[l];
        }
      }
    }
    // Protect what this task used.
    std::vector<Index> dims;
    if (method == Method::Gpm) {
      std::vector<Index> sample(order.begin(), order.begin() + 300);
      std::vector<Matrix> acts;
      net.forward(batch_of(train.images, perm, sample.data(), 300), &acts);
      for (std::size_t l = 0; l < net.layers(); ++l) {
        gpm[l].update(acts[l], l == 0 ? 0.95 : 0.99);
        dims.push_back(gpm[l].size());
      }
    } else if (method == Method::Spectral) {
      for (std::size_t l = 0; l < net.layers(); ++l) dims.push_back(spec[l].update(net.weight(l)));
    }
    res.seconds.push_back(seconds_since(t0));
    res.memory_dims.push_back(dims);
    std::vector<double> row;
    for (int j = 0; j < opt.tasks; ++j) row.push_back(accuracy(net, test, perms[std::size_t(j)]));
    res.r.push_back(row);
    std::fprintf(stderr, "  [%s] task %d trained (%.1f s), accuracy on task %d: %.4f\n",
                 kMethodNames[int(method)], t, res.seconds.back(), t, row[std::size_t(t)]);
  }
  const auto& last = res.r.back();
  res.acc = std::accumulate(last.begin(), last.end(), 0.0) / double(opt.tasks);
  for (int j = 0; j + 1 < opt.tasks; ++j)
    res.bwt += (last[std::size_t(j)] - res.r[std::size_t(j)][std::size_t(j)]) / (opt.tasks - 1);
  return res;
}

void write_svg(const std::string& path, const std::vector<Result>& results, int tasks) {
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write " + path);
  const double cell = 44, gap = 40, top = 50, left = 30;
  const double w = left + 3 * (tasks * cell + gap), h = top + tasks * cell + 60;
  f << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h
    << "' font-family='sans-serif' font-size='11'>\n<rect width='" << w << "' height='" << h
    << "' fill='white'/>\n";
  for (std::size_t m = 0; m < results.size(); ++m) {
    const double x0 = left + double(m) * (tasks * cell + gap);
    f << "<text x='" << x0 << "' y='20' font-size='13'>" << kMethodNames[m] << ": ACC "
      << results[m].acc << ", BWT " << results[m].bwt << "</text>\n"
      << "<text x='" << x0 << "' y='38'>row i: after task i; column j: task j</text>\n";
    for (int i = 0; i < tasks; ++i)
      for (int j = 0; j < tasks; ++j) {
        const double a = results[m].r[std::size_t(i)][std::size_t(j)];
        const int shade = int(255 - std::clamp(a, 0.0, 1.0) * 200);
        f << "<rect x='" << x0 + j * cell << "' y='" << top + i * cell << "' width='" << cell
          << "' height='" << cell << "' fill='rgb(" << shade << "," << shade << ",255)' "
          << "stroke='white'/>\n<text x='" << x0 + j * cell + cell / 2 << "' y='"
          << top + i * cell + cell / 2 + 4 << "' text-anchor='middle'>" << int(a * 100 + 0.5)
          << "</text>\n";
      }
  }
  f << "</svg>\n";
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  const auto t_start = Clock::now();
  std::cerr << "loading Fashion-MNIST from " << opt.data << " ...\n";
  const auto train = subspace_examples::load_fashion_mnist(opt.data, true);
  const auto test = subspace_examples::load_fashion_mnist(opt.data, false);
  if (opt.train > train.images.rows()) throw std::invalid_argument("--train: at most 60000");
  std::vector<std::vector<int>> perms(std::size_t(opt.tasks), std::vector<int>(784));
  std::mt19937_64 pgen(12345);
  for (int t = 0; t < opt.tasks; ++t) {
    auto& p = perms[std::size_t(t)];
    std::iota(p.begin(), p.end(), 0);
    if (t > 0) std::shuffle(p.begin(), p.end(), pgen);
  }
  std::vector<Result> results;
  for (Method m : {Method::FineTune, Method::Gpm, Method::Spectral})
    results.push_back(run(m, opt, train, test, perms));

  std::printf(
      "\nPermuted Fashion-MNIST, %d tasks, MLP 784-256-256-10 (no biases), SGD lr %.3g, "
      "batch %d, %d epoch(s) of %d images per task, seed %llu\n",
      opt.tasks, double(opt.lr), opt.batch, opt.epochs, opt.train,
      static_cast<unsigned long long>(opt.seed));
  for (std::size_t m = 0; m < results.size(); ++m) {
    const auto& r = results[m];
    std::printf("\n%s: ACC %.4f  BWT %+.4f  (%.1f s per task)\n", kMethodNames[m], r.acc, r.bwt,
                std::accumulate(r.seconds.begin(), r.seconds.end(), 0.0) / double(opt.tasks));
    std::printf("  R[i][j]  ");
    for (int j = 0; j < opt.tasks; ++j) std::printf(" task%-2d", j);
    std::printf("   memory dims per layer\n");
    for (int i = 0; i < opt.tasks; ++i) {
      std::printf("  after %-2d ", i);
      for (int j = 0; j < opt.tasks; ++j)
        std::printf(" %6.4f", r.r[std::size_t(i)][std::size_t(j)]);
      std::printf("  ");
      for (Index d : r.memory_dims[std::size_t(i)]) std::printf(" %td", d);
      std::printf("\n");
    }
  }
  std::printf("\ntotal %.1f s\n", seconds_since(t_start));
  if (!opt.json.empty()) {
    std::ofstream j(opt.json);
    if (!j) throw std::runtime_error("cannot write " + opt.json);
    j << "{\n  \"tasks\": " << opt.tasks << ", \"epochs\": " << opt.epochs
      << ", \"train\": " << opt.train << ", \"seed\": " << opt.seed
      << ", \"spectral_energy\": " << opt.spectral_energy << ",\n  \"methods\": {\n";
    for (std::size_t m = 0; m < results.size(); ++m) {
      const auto& r = results[m];
      j << "    \"" << kMethodNames[m] << "\": {\"acc\": " << r.acc << ", \"bwt\": " << r.bwt
        << ", \"R\": [";
      for (std::size_t i = 0; i < r.r.size(); ++i) {
        j << (i ? ", " : "") << "[";
        for (std::size_t k = 0; k < r.r[i].size(); ++k) j << (k ? ", " : "") << r.r[i][k];
        j << "]";
      }
      j << "], \"memory_dims\": [";
      for (std::size_t i = 0; i < r.memory_dims.size(); ++i) {
        j << (i ? ", " : "") << "[";
        for (std::size_t k = 0; k < r.memory_dims[i].size(); ++k)
          j << (k ? ", " : "") << r.memory_dims[i][k];
        j << "]";
      }
      j << "], \"seconds_per_task\": [";
      for (std::size_t i = 0; i < r.seconds.size(); ++i) j << (i ? ", " : "") << r.seconds[i];
      j << "]}" << (m + 1 < results.size() ? "," : "") << "\n";
    }
    j << "  }\n}\n";
    std::cerr << "wrote " << opt.json << "\n";
  }
  if (!opt.svg.empty()) {
    write_svg(opt.svg, results, opt.tasks);
    std::cerr << "wrote " << opt.svg << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "orthogonal_gradient: " << e.what() << "\n";
  return 1;
}
