// SPDX-License-Identifier: MIT
// pca_anomaly: one-class anomaly detection on Fashion-MNIST with PCA scores (SubspaceAD-style:
// fit a subspace to normal samples, score new samples by how far they fall from it).
//
// Protocol (the standard one-class benchmark): each of the 10 classes in turn is "normal"; PCA
// is fitted on that class's training images (6000 x 784, raw pixels in [0, 1]); all 10 000
// test images are scored and the ROC AUC separates the normal class (label 0) from the other
// nine (anomalies). Reported per class and as the mean over classes, for three scores:
//   residual  |x_c - V V^T x_c|^2 (Q statistic), t2 (Hotelling's T^2 in the subspace),
//   combined  residual / mean training residual + T^2 / k;
// for a sweep of rank rules (one fit per class, PCA::set_rank_rule), and in a few-shot setting
// (1, 5, 10, 50 normal training images, several seeds, mean +- sd over seeds).
//
//   pca_anomaly [--data DIR] [--json FILE] [--svg FILE] [--svg-class C] [--seeds S]
// --data defaults to $SUBSPACE_FASHION_MNIST or /usr/share/datasets/fashion-mnist (Debian's
// dataset-fashion-mnist package). Progress goes to stderr, results to stdout.
#include <subspace/ml/anomaly.hpp>
#include <subspace/pca.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "common/util.hpp"

namespace {

using subspace::Index;
using subspace::RankRule;
using subspace_examples::Clock;
using subspace_examples::mean;
using subspace_examples::sd;
using subspace_examples::seconds_since;
using Pca = subspace::PCA<float>;

const char* const kClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
const char* const kScoreNames[3] = {"residual", "t2", "combined"};

struct Rule {
  std::string name;
  RankRule rule;
};

struct Options {
  std::string data = subspace_examples::default_fashion_mnist_dir();
  std::string json, svg;
  int svg_class = 0;
  int seeds = 5;
};

Options parse(int argc, char** argv) {
  Options o;
  subspace_examples::Args args(
      argc, argv,
      "usage: pca_anomaly [--data DIR] [--json FILE] [--svg FILE] [--svg-class C] [--seeds S]");
  while (args.next()) {
    if (args.is("--data"))
      o.data = args.value();
    else if (args.is("--json"))
      o.json = args.value();
    else if (args.is("--svg"))
      o.svg = args.value();
    else if (args.is("--svg-class"))
      o.svg_class = int(args.integer(0, 9));
    else if (args.is("--seeds"))
      o.seeds = int(args.integer(1, 100));
    else
      args.unknown();
  }
  return o;
}

Eigen::MatrixXf rows_of(const Eigen::MatrixXf& x, const std::vector<Index>& idx) {
  Eigen::MatrixXf out(static_cast<Index>(idx.size()), x.cols());
  for (std::size_t i = 0; i < idx.size(); ++i) out.row(static_cast<Index>(i)) = x.row(idx[i]);
  return out;
}

/// AUROC of the three scores of `pca` on the test set, anomalies = other classes.
std::array<double, 3> aurocs(const Pca& pca, const Eigen::MatrixXf& test,
                             const Eigen::VectorXi& anomalous,
                             std::array<subspace::RocCurve, 3>* curves = nullptr) {
  const auto sc = pca.scores(test);
  const Eigen::VectorXf* v[3] = {&sc.residual, &sc.t2, &sc.combined};
  std::array<double, 3> out{};
  for (int s = 0; s < 3; ++s) {
    out[static_cast<std::size_t>(s)] = subspace::roc_auc(*v[s], anomalous);
    if (curves) (*curves)[static_cast<std::size_t>(s)] = subspace::roc_curve(*v[s], anomalous);
  }
  return out;
}

void write_svg(const std::string& path, const std::array<subspace::RocCurve, 3>& curves,
               const std::array<double, 3>& auc, int cls, const std::string& rule) {
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write " + path);
  const double x0 = 60, y0 = 20, w = 400, h = 400;
  const char* colors[3] = {"#1f77b4", "#d62728", "#2ca02c"};
  f << "<svg xmlns='http://www.w3.org/2000/svg' width='640' height='480' "
       "font-family='sans-serif' font-size='12'>\n"
    << "<rect width='640' height='480' fill='white'/>\n"
    << "<rect x='" << x0 << "' y='" << y0 << "' width='" << w << "' height='" << h
    << "' fill='none' stroke='black'/>\n"
    << "<line x1='" << x0 << "' y1='" << y0 + h << "' x2='" << x0 + w << "' y2='" << y0
    << "' stroke='#999' stroke-dasharray='4 4'/>\n";
  for (int t = 0; t <= 10; t += 2) {
    const double fx = x0 + w * t / 10.0, fy = y0 + h - h * t / 10.0;
    f << "<text x='" << fx << "' y='" << y0 + h + 16 << "' text-anchor='middle'>" << t / 10.0
      << "</text>\n<text x='" << x0 - 6 << "' y='" << fy + 4 << "' text-anchor='end'>" << t / 10.0
      << "</text>\n";
  }
  f << "<text x='" << x0 + w / 2 << "' y='" << y0 + h + 36
    << "' text-anchor='middle'>false-positive rate</text>\n"
    << "<text x='16' y='" << y0 + h / 2 << "' transform='rotate(-90 16 " << y0 + h / 2
    << ")' text-anchor='middle'>true-positive rate</text>\n";
  for (std::size_t s = 0; s < 3; ++s) {
    f << "<polyline fill='none' stroke='" << colors[s] << "' stroke-width='1.5' points='";
    for (std::size_t i = 0; i < curves[s].fpr.size(); ++i)
      f << x0 + w * curves[s].fpr[i] << ',' << y0 + h - h * curves[s].tpr[i] << ' ';
    f << "'/>\n<text x='" << x0 + w + 12 << "' y='" << y0 + 20 + 18 * double(s) << "' fill='"
      << colors[s] << "'>" << kScoreNames[s] << " AUROC " << auc[s] << "</text>\n";
  }
  f << "<text x='" << x0 + w + 12 << "' y='" << y0 + 90 << "'>normal: " << kClassNames[cls]
    << "</text>\n<text x='" << x0 + w + 12 << "' y='" << y0 + 108 << "'>rank rule: " << rule
    << "</text>\n</svg>\n";
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  const auto t_start = Clock::now();
  std::cerr << "loading Fashion-MNIST from " << opt.data << " ..." << std::flush;
  const auto train = subspace_examples::load_fashion_mnist(opt.data, true);
  const auto test = subspace_examples::load_fashion_mnist(opt.data, false);
  std::cerr << " " << train.images.rows() << " train, " << test.images.rows() << " test images ("
            << seconds_since(t_start) << " s)\n";

  // Rank rules of the sweep; the first is the default configuration.
  const std::vector<Rule> rules = {
      {"energy(0.90)", RankRule::energy(0.90)}, {"energy(0.50)", RankRule::energy(0.50)},
      {"energy(0.70)", RankRule::energy(0.70)}, {"energy(0.80)", RankRule::energy(0.80)},
      {"energy(0.95)", RankRule::energy(0.95)}, {"energy(0.99)", RankRule::energy(0.99)},
      {"fixed(5)", RankRule::fixed(5)},         {"fixed(10)", RankRule::fixed(10)},
      {"fixed(20)", RankRule::fixed(20)},       {"fixed(50)", RankRule::fixed(50)}};
  const std::size_t nr = rules.size();
  // auc[rule][score][class], rank[rule][class]
  std::vector<std::array<std::array<double, 10>, 3>> auc(nr);
  std::vector<std::array<Index, 10>> ranks(nr);
  std::array<subspace::RocCurve, 3> svg_curves;
  std::array<double, 3> svg_auc{};

  std::vector<std::vector<Index>> by_class(10);
  for (Index i = 0; i < train.labels.size(); ++i)
    by_class[std::size_t(train.labels(i))].push_back(i);

  const auto t_full = Clock::now();
  for (int c = 0; c < 10; ++c) {
    const auto t0 = Clock::now();
    const Eigen::VectorXi anomalous = (test.labels.array() != c).cast<int>();
    const Eigen::MatrixXf x = rows_of(train.images, by_class[std::size_t(c)]);
    Pca pca(subspace::PcaOptions{});  // automatic rank: the state keeps every direction
    pca.fit(x);
    for (std::size_t r = 0; r < nr; ++r) {
      pca.set_rank_rule(rules[r].rule);
      ranks[r][std::size_t(c)] = pca.rank();
      const bool draw = r == 0 && c == opt.svg_class && !opt.svg.empty();
      const auto a = aurocs(pca, test.images, anomalous, draw ? &svg_curves : nullptr);
      if (draw) svg_auc = a;
      for (std::size_t s = 0; s < 3; ++s) auc[r][s][std::size_t(c)] = a[s];
    }
    std::fprintf(stderr,
                 "  [full] class %d %-11s fitted on %td images, %zu rank rules scored (%.1f s)\n",
                 c, kClassNames[c], x.rows(), nr, seconds_since(t0));
  }
  const double full_seconds = seconds_since(t_full);

  // Few-shot: n normal training images drawn without replacement, default rank rule.
  const std::vector<int> shots = {1, 5, 10, 50};
  // fs[shot][seed][score] = mean over classes; fs_class[shot][score][class] summed over seeds
  std::vector<std::vector<std::array<double, 3>>> fs(shots.size());
  const auto t_few = Clock::now();
  for (std::size_t si = 0; si < shots.size(); ++si) {
    for (int seed = 0; seed < opt.seeds; ++seed) {
      std::array<double, 3> sum{};
      for (int c = 0; c < 10; ++c) {
        std::vector<Index> idx = by_class[std::size_t(c)];
        std::mt19937_64 rng(std::uint64_t(1000 * seed + 17 * c + 1));
        std::shuffle(idx.begin(), idx.end(), rng);
        idx.resize(std::size_t(shots[si]));
        subspace::PcaOptions po;
        po.rank = rules[0].rule;
        Pca pca(po);
        pca.fit(rows_of(train.images, idx));
        const Eigen::VectorXi anomalous = (test.labels.array() != c).cast<int>();
        const auto a = aurocs(pca, test.images, anomalous);
        for (std::size_t s = 0; s < 3; ++s) sum[s] += a[s] / 10;
      }
      fs[si].push_back(sum);
    }
    std::fprintf(stderr, "  [few-shot] %d image(s) per class, %d seeds done (%.1f s)\n", shots[si],
                 opt.seeds, seconds_since(t_few));
  }

  // ---- report ----
  auto class_mean = [](const std::array<double, 10>& a) {
    return std::accumulate(a.begin(), a.end(), 0.0) / 10;
  };
  std::printf("\nPCA one-class anomaly detection on Fashion-MNIST (raw pixels), AUROC\n");
  std::printf("default: rank rule %s, fitted on all training images of the normal class\n\n",
              rules[0].name.c_str());
  std::printf("%-12s %5s %9s %9s %9s\n", "normal class", "rank", "residual", "t2", "combined");
  for (std::size_t c = 0; c < 10; ++c)
    std::printf("%-12s %5td %9.4f %9.4f %9.4f\n", kClassNames[c], ranks[0][c], auc[0][0][c],
                auc[0][1][c], auc[0][2][c]);
  std::printf("%-12s %5s %9.4f %9.4f %9.4f\n\n", "mean", "", class_mean(auc[0][0]),
              class_mean(auc[0][1]), class_mean(auc[0][2]));

  std::printf("rank-rule sweep (mean AUROC over the 10 classes; rank = mean chosen rank)\n");
  std::printf("%-13s %6s %9s %9s %9s\n", "rule", "rank", "residual", "t2", "combined");
  double best = 0;
  std::size_t best_r = 0, best_s = 0;
  for (std::size_t r = 0; r < nr; ++r) {
    const double mr = std::accumulate(ranks[r].begin(), ranks[r].end(), 0.0) / 10;
    std::printf("%-13s %6.1f %9.4f %9.4f %9.4f\n", rules[r].name.c_str(), mr, class_mean(auc[r][0]),
                class_mean(auc[r][1]), class_mean(auc[r][2]));
    for (std::size_t s = 0; s < 3; ++s)
      if (class_mean(auc[r][s]) > best) best = class_mean(auc[r][s]), best_r = r, best_s = s;
  }
  std::printf("best: %s score with %s, mean AUROC %.4f (default residual %.4f)\n\n",
              kScoreNames[best_s], rules[best_r].name.c_str(), best, class_mean(auc[0][0]));

  std::printf("few-shot (rank rule %s; mean over classes, mean +- sd over %d seeds)\n",
              rules[0].name.c_str(), opt.seeds);
  std::printf("%-6s %17s %17s %17s\n", "shots", "residual", "t2", "combined");
  for (std::size_t si = 0; si < shots.size(); ++si) {
    std::printf("%-6d", shots[si]);
    for (std::size_t s = 0; s < 3; ++s) {
      std::vector<double> v;
      for (const auto& x : fs[si]) v.push_back(x[s]);
      std::printf("   %6.4f +- %6.4f", mean(v), sd(v));
    }
    std::printf("\n");
  }
  std::printf("\nfull-data fits and sweeps %.1f s, few-shot %.1f s, total %.1f s\n", full_seconds,
              seconds_since(t_few), seconds_since(t_start));

  if (!opt.json.empty()) {
    std::ofstream j(opt.json);
    if (!j) throw std::runtime_error("cannot write " + opt.json);
    j.precision(6);
    j << "{\n  \"dataset\": \"fashion-mnist\", \"protocol\": \"one-class, raw pixels\",\n"
      << "  \"default_rule\": \"" << rules[0].name << "\",\n  \"classes\": [";
    for (int c = 0; c < 10; ++c) j << (c ? ", " : "") << '"' << kClassNames[c] << '"';
    j << "],\n  \"full\": [\n";
    for (std::size_t r = 0; r < nr; ++r) {
      j << "    {\"rule\": \"" << rules[r].name << "\", \"rank\": [";
      for (std::size_t c = 0; c < 10; ++c) j << (c ? ", " : "") << ranks[r][c];
      j << "]";
      for (std::size_t s = 0; s < 3; ++s) {
        j << ", \"" << kScoreNames[s] << "\": [";
        for (std::size_t c = 0; c < 10; ++c) j << (c ? ", " : "") << auc[r][s][c];
        j << "], \"" << kScoreNames[s] << "_mean\": " << class_mean(auc[r][s]);
      }
      j << "}" << (r + 1 < nr ? "," : "") << "\n";
    }
    j << "  ],\n  \"few_shot\": [\n";
    for (std::size_t si = 0; si < shots.size(); ++si) {
      j << "    {\"shots\": " << shots[si];
      for (std::size_t s = 0; s < 3; ++s) {
        std::vector<double> v;
        for (const auto& x : fs[si]) v.push_back(x[s]);
        j << ", \"" << kScoreNames[s] << "_per_seed\": [";
        for (std::size_t k = 0; k < v.size(); ++k) j << (k ? ", " : "") << v[k];
        j << "], \"" << kScoreNames[s] << "_mean\": " << mean(v) << ", \"" << kScoreNames[s]
          << "_sd\": " << sd(v);
      }
      j << "}" << (si + 1 < shots.size() ? "," : "") << "\n";
    }
    j << "  ],\n  \"seconds\": " << seconds_since(t_start) << "\n}\n";
    std::cerr << "wrote " << opt.json << "\n";
  }
  if (!opt.svg.empty()) {
    write_svg(opt.svg, svg_curves, svg_auc, opt.svg_class, rules[0].name);
    std::cerr << "wrote " << opt.svg << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "pca_anomaly: " << e.what() << "\n";
  return 1;
}
