// SPDX-License-Identifier: MIT
// examples/common/mlp.hpp: a small multilayer perceptron written with Eigen for the examples:
// dense layers without biases (x -> W x, so that every parameter acts on the layer's input and
// input-space protection such as GPM covers the whole layer), ReLU between layers, softmax
// cross-entropy on the last. Batches are column-major: features x batch.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace subspace_examples {

class Mlp {
 public:
  using Matrix = Eigen::MatrixXf;

  /// sizes = {in, hidden..., classes}; He initialization N(0, 2 / fan_in), seeded.
  Mlp(const std::vector<int>& sizes, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
      std::normal_distribution<float> g(0.0f, std::sqrt(2.0f / float(sizes[l])));
      Matrix w(sizes[l + 1], sizes[l]);
      for (Eigen::Index j = 0; j < w.cols(); ++j)
        for (Eigen::Index i = 0; i < w.rows(); ++i) w(i, j) = g(gen);
      w_.push_back(std::move(w));
    }
  }

  std::size_t layers() const { return w_.size(); }
  Matrix& weight(std::size_t l) { return w_[l]; }
  const Matrix& weight(std::size_t l) const { return w_[l]; }

  /// acts[0] = x, acts[l + 1] = relu(W_l acts[l]) for hidden layers; returns the logits.
  Matrix forward(const Matrix& x, std::vector<Matrix>* acts = nullptr) const {
    Matrix a = x;
    if (acts) acts->assign(1, a);
    for (std::size_t l = 0; l < w_.size(); ++l) {
      Matrix z = w_[l] * a;
      if (l + 1 < w_.size()) z = z.cwiseMax(0.0f);
      a.swap(z);
      if (acts && l + 1 < w_.size()) acts->push_back(a);
    }
    return a;
  }

  /// Gradients of a loss with respect to every weight, given the activations of `forward`
  /// and delta = dL/d(output) (out x B): grads[l] = dL/dW_l. With `dx`, also dL/dx.
  void backward(const std::vector<Matrix>& acts, Matrix delta, std::vector<Matrix>& grads,
                Matrix* dx = nullptr) const {
    grads.resize(w_.size());
    for (std::size_t l = w_.size(); l-- > 0;) {
      grads[l].noalias() = delta * acts[l].transpose();
      if (l > 0 || dx) {
        Matrix prev = w_[l].transpose() * delta;
        if (l > 0)
          delta = prev.cwiseProduct((acts[l].array() > 0.0f).cast<float>().matrix());
        else
          *dx = prev;
      }
    }
  }

  /// Mean softmax cross-entropy of the batch and its gradients: grads[l] = dL/dW_l (same shape
  /// as W_l). labels: one class per column of x.
  float loss_and_gradients(const Matrix& x, const Eigen::VectorXi& labels,
                           std::vector<Matrix>& grads) const {
    std::vector<Matrix> acts;
    Matrix delta = forward(x, &acts);  // logits, C x B
    const float loss = softmax_xent(delta, labels);
    backward(acts, std::move(delta), grads);
    return loss;
  }

  /// In place, logits (C x B) <- dL/dlogits of the mean softmax cross-entropy; returns L.
  static float softmax_xent(Matrix& logits, const Eigen::VectorXi& labels) {
    const Eigen::Index b = logits.cols();
    float loss = 0;
    for (Eigen::Index j = 0; j < b; ++j) {  // softmax - one_hot, stably
      auto col = logits.col(j);
      const float mx = col.maxCoeff();
      col = (col.array() - mx).exp().matrix();
      const float sum = col.sum();
      col /= sum;
      loss -= std::log(std::max(col(labels(j)), 1e-30f));
      col(labels(j)) -= 1.0f;
    }
    logits /= float(b);
    return loss / float(b);
  }

  /// Predicted classes of the columns of x.
  Eigen::VectorXi predict(const Matrix& x) const {
    const Matrix logits = forward(x);
    Eigen::VectorXi out(logits.cols());
    for (Eigen::Index j = 0; j < logits.cols(); ++j) logits.col(j).maxCoeff(&out(j));
    return out;
  }

 private:
  std::vector<Matrix> w_;
};

}  // namespace subspace_examples
