// Network ops, called exactly as torch.nn.functional calls them so both run the same kernels.
#include "binding.h"

namespace halite {
namespace {

// (x, w, b | null, stride, padding, dilation, groups)
Napi::Value conv2d(const Args& a) {
  return a.ret(at::conv2d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i64(6)));
}
// (x, w, b | null, stride, padding, outputPadding, groups, dilation)
Napi::Value convTranspose2d(const Args& a) {
  return a.ret(at::conv_transpose2d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i64(6), a.ints(7)));
}
// (x, w, b | null)
Napi::Value linear(const Args& a) { return a.ret(at::linear(a.t(0), a.t(1), a.optT(2))); }
// (x, weight | null, bias | null, runningMean | null, runningVar | null, training, momentum, eps)
Napi::Value batchNorm(const Args& a) {
  return a.ret(at::batch_norm(a.t(0), a.optT(1), a.optT(2), a.optT(3), a.optT(4), a.b(5), a.f64(6), a.f64(7),
                              /*cudnn_enabled=*/true));
}
// (x, kernel, stride, padding, dilation, ceilMode)
Napi::Value maxPool2d(const Args& a) {
  return a.ret(at::max_pool2d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.b(5)));
}
// (x, kernel, stride, padding, ceilMode, countIncludePad)
Napi::Value avgPool2d(const Args& a) {
  return a.ret(at::avg_pool2d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.b(4), a.b(5)));
}
Napi::Value adaptiveAvgPool2d(const Args& a) { return a.ret(at::adaptive_avg_pool2d(a.t(0), a.ints(1))); }
Napi::Value adaptiveMaxPool2d(const Args& a) { return a.ret(std::get<0>(at::adaptive_max_pool2d(a.t(0), a.ints(1)))); }
// (x, outputSize [h, w], mode, alignCorners)
Napi::Value interpolate(const Args& a) {
  auto mode = a.str(2);
  if (mode == "nearest") return a.ret(at::upsample_nearest2d(a.t(0), a.ints(1)));
  if (mode == "bilinear") return a.ret(at::upsample_bilinear2d(a.t(0), a.ints(1), a.b(3)));
  TORCH_CHECK(false, "interpolate: unknown mode '", mode, "' (expected nearest or bilinear)");
}
// (theta [N,2,3], size [N,C,H,W], alignCorners)
Napi::Value affineGrid(const Args& a) { return a.ret(at::affine_grid_generator(a.t(0), a.ints(1), a.b(2))); }
// (x, grid, mode, paddingMode, alignCorners), modes named as torch.nn.functional.grid_sample's.
Napi::Value gridSample(const Args& a) {
  auto mode = a.str(2), pad = a.str(3);
  int64_t m = mode == "bilinear" ? 0 : mode == "nearest" ? 1 : mode == "bicubic" ? 2 : -1;
  int64_t p = pad == "zeros" ? 0 : pad == "border" ? 1 : pad == "reflection" ? 2 : -1;
  TORCH_CHECK(m >= 0, "gridSample: unknown mode '", mode, "' (expected bilinear, nearest or bicubic)");
  TORCH_CHECK(p >= 0, "gridSample: unknown padding mode '", pad, "' (expected zeros, border or reflection)");
  return a.ret(at::grid_sampler(a.t(0), a.t(1), m, p, a.b(4)));
}
// (x, p, training)
Napi::Value dropout(const Args& a) { return a.ret(at::dropout(a.t(0), a.f64(1), a.b(2))); }
// Zeroes whole channels, as torch.nn.functional.dropout2d does.
Napi::Value dropout2d(const Args& a) { return a.ret(at::feature_dropout(a.t(0), a.f64(1), a.b(2))); }

int64_t reduction(const std::string& r) {
  if (r == "none") return at::Reduction::None;
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  TORCH_CHECK(false, "unknown reduction '", r, "' (expected none, mean or sum)");
}
// (logits, target, weight | null, posWeight | null, reduction)
Napi::Value bceWithLogits(const Args& a) {
  return a.ret(at::binary_cross_entropy_with_logits(a.t(0), a.t(1), a.optT(2), a.optT(3), reduction(a.str(4))));
}
Napi::Value mseLoss(const Args& a) { return a.ret(at::mse_loss(a.t(0), a.t(1), reduction(a.str(2)))); }

}  // namespace

#define DEF(n) def(env, e, #n, n)
void RegisterNN(Napi::Env env, Napi::Object e) {
  DEF(conv2d);
  DEF(convTranspose2d);
  DEF(linear);
  DEF(batchNorm);
  DEF(maxPool2d);
  DEF(avgPool2d);
  DEF(adaptiveAvgPool2d);
  DEF(adaptiveMaxPool2d);
  DEF(interpolate);
  DEF(affineGrid);
  DEF(gridSample);
  DEF(dropout);
  DEF(dropout2d);
  DEF(bceWithLogits);
  DEF(mseLoss);
}

}  // namespace halite
