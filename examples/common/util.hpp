// SPDX-License-Identifier: MIT
// examples/common/util.hpp: what the example programs share besides data and models: a minimal
// "--flag value" command line, wall-clock timing, and mean / sample standard deviation.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace subspace_examples {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

/// Sample standard deviation (0 for fewer than two values).
inline double sd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean(v);
  double acc = 0;
  for (double x : v) acc += (x - m) * (x - m);
  return std::sqrt(acc / double(v.size() - 1));
}

/// Command line of "--name value" pairs:
///   Args args(argc, argv, "usage: ...");
///   while (args.next()) { if (args.is("--data")) o.data = args.value(); ... else args.unknown(); }
/// --help / -h print the usage and exit; a missing value, a value out of range or an unknown
/// flag throws std::invalid_argument naming the flag.
class Args {
 public:
  Args(int argc, char** argv, std::string usage)
      : argc_(argc), argv_(argv), usage_(std::move(usage)) {}

  bool next() {
    if (++i_ >= argc_) return false;
    cur_ = argv_[i_];
    if (cur_ == "--help" || cur_ == "-h") {
      std::cout << usage_ << "\n";
      std::exit(0);
    }
    return true;
  }
  bool is(const char* name) const { return cur_ == name; }
  std::string value() {
    if (i_ + 1 >= argc_) throw std::invalid_argument(cur_ + " needs a value");
    return argv_[++i_];
  }
  long long integer(long long lo, long long hi) {
    const std::string v = value();
    std::size_t used = 0;
    long long x = 0;
    try {
      x = std::stoll(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || x < lo || x > hi)
      throw std::invalid_argument(cur_ + ": expected an integer in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "], got " + v);
    return x;
  }
  double real(double lo, double hi) {
    const std::string v = value();
    std::size_t used = 0;
    double x = 0;
    try {
      x = std::stod(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || !(x >= lo && x <= hi))
      throw std::invalid_argument(cur_ + ": expected a number in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "], got " + v);
    return x;
  }
  [[noreturn]] void unknown() const {
    throw std::invalid_argument("unknown option " + cur_ + " (try --help)");
  }

 private:
  int argc_, i_ = 0;
  char** argv_;
  std::string usage_, cur_;
};

}  // namespace subspace_examples
