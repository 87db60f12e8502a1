// Writes the seed corpora of tests/fuzz/corpus/<target>/ with the library's own save and
// serialize (small valid states), plus a few edge cases. Not part of any build; run as
//   g++ -std=c++17 -O1 -Iinclude -Iexamples -I/usr/include/eigen3 tests/fuzz/make_corpus.cpp \
//     -o /tmp/make_corpus && /tmp/make_corpus tests/fuzz/corpus
#include <subspace/grassmann.hpp>
#include <subspace/grassmann_product.hpp>
#include <subspace/ml/gcr.hpp>
#include <subspace/optim/riemannian_adam.hpp>
#include <subspace/optim/riemannian_sgd.hpp>
#include <subspace/pca.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

static void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}
template <class T>
static std::string saved(const T& obj) {
  std::ostringstream os;
  obj.save(os);
  return os.str();
}
static std::string str(const std::vector<std::uint8_t>& b) {
  return std::string(b.begin(), b.end());
}

int main(int argc, char** argv) {
  const fs::path root = argc > 1 ? argv[1] : "tests/fuzz/corpus";
  std::mt19937_64 gen(2024);
  std::normal_distribution<double> n01;
  auto gauss = [&](int r, int c) {
    Eigen::MatrixXd a(r, c);
    for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = n01(gen);
    return a;
  };
  // PCA: exact, truncated energy rule, uncentred tolerance rule, fixed streamed, float.
  subspace::PcaOptions o1, o2, o3;
  o1.rank = subspace::RankRule::energy(0.8);
  o1.max_state_rank = 3;
  o2.center = false;
  o2.rank = subspace::RankRule::tolerance(1e-3);
  o3.rank = subspace::RankRule::fixed(2);
  subspace::PCAd a, b(o1), c(o2), d(o3);
  a.fit(gauss(12, 4));
  b.fit(gauss(10, 5));
  c.fit(gauss(6, 3));
  d.partial_fit(gauss(1, 4));
  subspace::PCAf f;
  f.fit(gauss(8, 3).cast<float>());
  subspace::PCAd empty;
  const fs::path pl = root / "fuzz_pca_load", pd = root / "fuzz_pca_deserialize";
  put(pl, "exact", saved(a));
  put(pl, "energy_truncated", saved(b));
  put(pl, "uncentred", saved(c));
  put(pl, "fixed_streamed", saved(d));
  put(pl, "float", saved(f));
  put(pl, "unfitted", saved(empty));
  put(pl, "huge_declared", "subspace::PCA 1\n1 0 0 0 -1\n10\n13 0\n1000000 1000000\n1 2 3\n");
  put(pd, "exact", str(a.serialize()));
  put(pd, "energy_truncated", str(b.serialize()));
  put(pd, "uncentred", str(c.serialize()));
  put(pd, "fixed_streamed", str(d.serialize()));
  put(pd, "float", str(f.serialize()));
  put(pd, "unfitted", str(empty.serialize()));
  // Optimisers: dynamic and fixed Grassmann, a product, before and after steps.
  using Gd = subspace::Grassmannd;
  using Pd = subspace::GrassmannProductd;
  Gd x = Gd::random(5, 2, gen);
  Pd xp = Pd::random(5, 2, 3, gen);
  subspace::RiemannianSGD<Gd> sgd(subspace::SGDOptions{0.05, 0.5});
  subspace::RiemannianAdam<Gd> adam(subspace::AdamOptions{0.05, 0.9, 0.99, 1e-8, true});
  subspace::RiemannianAdam<Pd> adamp;
  const fs::path po = root / "fuzz_optim_load";
  put(po, "sgd_fresh", saved(sgd));
  put(po, "adam_fresh", saved(adam));
  for (int i = 0; i < 3; ++i) {
    sgd.step(x, gauss(5, 2));
    adam.step(x, gauss(5, 2));
    adamp.step(xp, gauss(5, 6));
  }
  put(po, "sgd", saved(sgd));
  put(po, "adam", saved(adam));
  put(po, "adam_product", saved(adamp));
  // GCR heads.
  const fs::path pg = root / "fuzz_gcr_load";
  put(pg, "head_k1", saved(subspace::GcrHead<double>::random(3, 1, 2, gen)));
  put(pg, "head_k2", saved(subspace::GcrHead<double>::random(4, 2, 3, gen)));
  subspace::GcrOptions go;
  go.normalize_features = false;
  go.scale = 2.5;
  put(pg, "head_plain", saved(subspace::GcrHead<float>::random(3, 3, 1, gen, go)));
  // IDX: a 1-d, a 3-d array, and the 4-GiB header of a 25-byte file.
  const fs::path pi = root / "fuzz_idx";
  put(pi, "labels", std::string("\0\0\x08\x01\0\0\0\x03\x01\x02\x09", 11));
  std::string img("\0\0\x08\x03\0\0\0\x02\0\0\0\x02\0\0\0\x02", 16);
  img += std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  put(pi, "images", img);
  put(pi, "huge_header",
      std::string("\0\0\x08\x03\0\x01\0\0\0\x01\0\0\0\0\0\x01\x01\x02\x03\x04\x05\x06\x07\x08\x09",
                  25));
  return 0;
}
