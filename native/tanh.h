// tanh and the logistic sigmoid for float32, branch-free so the loops that call them vectorise.
#pragma once

namespace attend {

// tanh(x) = x·P(x²)/Q(x²) on [−7.905, 7.905], ±1 to float precision beyond: Eigen's rational
// approximation (as TensorFlow's and PyTorch's vectorised CPU tanh), within 3.5e-7 of tanh.
static inline __attribute__((always_inline)) float tanh_rational(float x) {
  const float c = 7.90531110763549805f;
  x = x > c ? c : (x < -c ? -c : x);
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return x * p / q;
}

// σ(x) = (1 + tanh(x/2)) / 2, exactly; within 1.8e-7 of σ.
static inline __attribute__((always_inline)) float sigmoid_rational(float x) {
  return 0.5f + 0.5f * tanh_rational(0.5f * x);
}

}  // namespace attend
