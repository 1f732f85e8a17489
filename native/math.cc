// Layout, elementwise, reduction and in-place ops: one ATen call each.
#include "binding.h"

namespace halite {
namespace {

// Second operand may be a Tensor or a JS number.
#define BINARY(NAME, FN)                                              \
  Napi::Value NAME(const Args& a) {                                   \
    if (a.isNumber(1)) return a.ret(at::FN(a.t(0), a.scalar(1)));     \
    return a.ret(at::FN(a.t(0), a.t(1)));                             \
  }
#define UNARY(NAME, FN) \
  Napi::Value NAME(const Args& a) { return a.ret(at::FN(a.t(0))); }

// --- layout ---------------------------------------------------------------------------------------
Napi::Value reshape(const Args& a) { return a.ret(a.t(0).reshape(a.ints(1))); }
Napi::Value view(const Args& a) { return a.ret(a.t(0).view(a.ints(1))); }
Napi::Value permute(const Args& a) { return a.ret(a.t(0).permute(a.ints(1))); }
Napi::Value transpose(const Args& a) { return a.ret(a.t(0).transpose(a.i64(1), a.i64(2))); }
Napi::Value squeeze(const Args& a) { return a.ret(a.has(1) ? a.t(0).squeeze(a.i64(1)) : a.t(0).squeeze()); }
Napi::Value unsqueeze(const Args& a) { return a.ret(a.t(0).unsqueeze(a.i64(1))); }
Napi::Value expand(const Args& a) { return a.ret(a.t(0).expand(a.ints(1))); }
Napi::Value repeat(const Args& a) { return a.ret(a.t(0).repeat(a.ints(1))); }
Napi::Value flatten(const Args& a) { return a.ret(a.t(0).flatten(a.i64(1), a.i64(2))); }
Napi::Value contiguous(const Args& a) {
  auto fmt = a.has(1) && a.str(1) == "channelsLast" ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  return a.ret(a.t(0).contiguous(fmt));
}
Napi::Value clone(const Args& a) { return a.ret(a.t(0).clone()); }
// (t, dtype | null, device | null, channelsLast?)
Napi::Value to(const Args& a) {
  auto t = a.t(0);
  auto o = at::TensorOptions();
  if (a.has(1)) o = o.dtype(a.dtype(1));
  else o = o.dtype(t.scalar_type());
  if (a.has(2)) o = o.device(a.device(2));
  else o = o.device(t.device());
  c10::optional<at::MemoryFormat> fmt = c10::nullopt;
  if (a.has(3)) fmt = a.str(3) == "channelsLast" ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  return a.ret(t.to(o, /*non_blocking=*/false, /*copy=*/false, fmt));
}
Napi::Value slice(const Args& a) { return a.ret(a.t(0).slice(a.i64(1), a.i64(2), a.i64(3), a.i64(4))); }
Napi::Value select(const Args& a) { return a.ret(a.t(0).select(a.i64(1), a.i64(2))); }
Napi::Value narrow(const Args& a) { return a.ret(a.t(0).narrow(a.i64(1), a.i64(2), a.i64(3))); }
Napi::Value indexSelect(const Args& a) { return a.ret(at::index_select(a.t(0), a.i64(1), a.t(2))); }
Napi::Value maskedSelect(const Args& a) { return a.ret(at::masked_select(a.t(0), a.t(1))); }
Napi::Value maskedFill(const Args& a) { return a.ret(at::masked_fill(a.t(0), a.t(1), a.scalar(2))); }
Napi::Value gather(const Args& a) { return a.ret(at::gather(a.t(0), a.i64(1), a.t(2))); }
Napi::Value scatter(const Args& a) { return a.ret(at::scatter(a.t(0), a.i64(1), a.t(2), a.t(3))); }
Napi::Value cat(const Args& a) { return a.ret(at::cat(a.tensors(0), a.i64(1))); }
Napi::Value stack(const Args& a) { return a.ret(at::stack(a.tensors(0), a.i64(1))); }
Napi::Value flip(const Args& a) { return a.ret(at::flip(a.t(0), a.ints(1))); }
Napi::Value roll(const Args& a) { return a.ret(at::roll(a.t(0), a.ints(1), a.ints(2))); }
Napi::Value chunk(const Args& a) { return a.ret(at::chunk(a.t(0), a.i64(1), a.i64(2))); }
Napi::Value split(const Args& a) { return a.ret(at::split_with_sizes(a.t(0), a.ints(1), a.i64(2))); }
Napi::Value nonzero(const Args& a) { return a.ret(at::nonzero(a.t(0))); }

// (t, pads (last dim first, as torch.nn.functional.pad), mode, value)
Napi::Value pad(const Args& a) {
  auto t = a.t(0);
  auto p = a.ints(1);
  auto mode = a.str(2);
  if (mode == "constant") return a.ret(at::constant_pad_nd(t, p, a.has(3) ? a.scalar(3) : at::Scalar(0.0)));
  const size_t n = p.size() / 2;
  TORCH_CHECK(p.size() % 2 == 0 && n >= 1 && n <= 3, "pad: ", mode, " padding takes 2, 4 or 6 values, got ", p.size());
  TORCH_CHECK(t.dim() == static_cast<int64_t>(n) + 1 || t.dim() == static_cast<int64_t>(n) + 2, "pad: ", mode, " padding of ", n,
              " dims needs a ", n + 1, "D or ", n + 2, "D input, got ", t.dim(), "D");
  if (mode == "reflect") {
    if (n == 1) return a.ret(at::reflection_pad1d(t, p));
    if (n == 2) return a.ret(at::reflection_pad2d(t, p));
    return a.ret(at::reflection_pad3d(t, p));
  }
  if (mode == "replicate") {
    if (n == 1) return a.ret(at::replication_pad1d(t, p));
    if (n == 2) return a.ret(at::replication_pad2d(t, p));
    return a.ret(at::replication_pad3d(t, p));
  }
  TORCH_CHECK(false, "pad: unknown mode '", mode, "' (expected constant, reflect or replicate)");
}

// --- elementwise ----------------------------------------------------------------------------------
Napi::Value add(const Args& a) {
  at::Scalar alpha = a.has(2) ? a.scalar(2) : at::Scalar(1);
  if (a.isNumber(1)) return a.ret(at::add(a.t(0), a.scalar(1), alpha));
  return a.ret(at::add(a.t(0), a.t(1), alpha));
}
Napi::Value sub(const Args& a) {
  at::Scalar alpha = a.has(2) ? a.scalar(2) : at::Scalar(1);
  if (a.isNumber(1)) return a.ret(at::sub(a.t(0), a.scalar(1), alpha));
  return a.ret(at::sub(a.t(0), a.t(1), alpha));
}
Napi::Value rsub(const Args& a) { return a.ret(at::rsub(a.t(0), a.scalar(1))); }
BINARY(mul, mul)
BINARY(div, div)
BINARY(pow, pow)
BINARY(eq, eq)
BINARY(ne, ne)
BINARY(lt, lt)
BINARY(le, le)
BINARY(gt, gt)
BINARY(ge, ge)
BINARY(fmod, fmod)
Napi::Value maximum(const Args& a) { return a.ret(at::maximum(a.t(0), a.t(1))); }
Napi::Value minimum(const Args& a) { return a.ret(at::minimum(a.t(0), a.t(1))); }
Napi::Value logicalAnd(const Args& a) { return a.ret(at::logical_and(a.t(0), a.t(1))); }
Napi::Value logicalOr(const Args& a) { return a.ret(at::logical_or(a.t(0), a.t(1))); }
UNARY(logicalNot, logical_not)
UNARY(neg, neg)
UNARY(abs, abs)
UNARY(exp, exp)
UNARY(log, log)
UNARY(log1p, log1p)
UNARY(sqrt, sqrt)
UNARY(rsqrt, rsqrt)
UNARY(sigmoid, sigmoid)
UNARY(tanh, tanh)
UNARY(relu, relu)
UNARY(sign, sign)
UNARY(floor, floor)
UNARY(ceil, ceil)
UNARY(round, round)
UNARY(isnan, isnan)
UNARY(isfinite, isfinite)
Napi::Value elu(const Args& a) { return a.ret(at::elu(a.t(0), a.has(1) ? a.scalar(1) : at::Scalar(1.0))); }
Napi::Value leakyRelu(const Args& a) { return a.ret(at::leaky_relu(a.t(0), a.scalar(1))); }
Napi::Value softmax(const Args& a) { return a.ret(at::softmax(a.t(0), a.i64(1))); }
Napi::Value logSoftmax(const Args& a) { return a.ret(at::log_softmax(a.t(0), a.i64(1))); }
// (cond, a, b): a and b may be numbers.
Napi::Value where(const Args& a) {
  auto c = a.t(0);
  // Two numbers give a float tensor, whatever they are: masks built this way feed float math.
  if (a.isNumber(1) && a.isNumber(2)) return a.ret(at::where(c, at::Scalar(a.f64(1)), at::Scalar(a.f64(2))));
  if (a.isNumber(1)) return a.ret(at::where(c, a.scalar(1), a.t(2)));
  if (a.isNumber(2)) return a.ret(at::where(c, a.t(1), a.scalar(2)));
  return a.ret(at::where(c, a.t(1), a.t(2)));
}
Napi::Value clamp(const Args& a) {
  c10::optional<at::Scalar> lo, hi;
  if (a.has(1)) lo = a.scalar(1);
  if (a.has(2)) hi = a.scalar(2);
  return a.ret(at::clamp(a.t(0), lo, hi));
}

// --- reductions -----------------------------------------------------------------------------------
// (t, dims | null, keepdim)
Napi::Value sum(const Args& a) {
  if (!a.has(1)) return a.ret(at::sum(a.t(0)));
  return a.ret(at::sum(a.t(0), a.ints(1), a.b(2)));
}
Napi::Value mean(const Args& a) {
  if (!a.has(1)) return a.ret(at::mean(a.t(0)));
  return a.ret(at::mean(a.t(0), a.ints(1), a.b(2)));
}
Napi::Value var(const Args& a) {
  if (!a.has(1)) return a.ret(at::var(a.t(0), a.b(3)));
  return a.ret(at::var(a.t(0), at::OptionalIntArrayRef(a.ints(1)), a.b(3), a.b(2)));
}
Napi::Value max(const Args& a) {
  if (!a.has(1)) return a.ret(at::max(a.t(0)));
  auto r = at::max(a.t(0), a.i64(1), a.b(2));
  return a.ret({std::get<0>(r), std::get<1>(r)});
}
Napi::Value min(const Args& a) {
  if (!a.has(1)) return a.ret(at::min(a.t(0)));
  auto r = at::min(a.t(0), a.i64(1), a.b(2));
  return a.ret({std::get<0>(r), std::get<1>(r)});
}
Napi::Value amax(const Args& a) { return a.ret(at::amax(a.t(0), a.ints(1), a.b(2))); }
Napi::Value argmax(const Args& a) {
  if (!a.has(1)) return a.ret(at::argmax(a.t(0)));
  return a.ret(at::argmax(a.t(0), a.i64(1), a.b(2)));
}
Napi::Value any(const Args& a) { return a.ret(at::any(a.t(0))); }
Napi::Value all(const Args& a) { return a.ret(at::all(a.t(0))); }
Napi::Value cumsum(const Args& a) { return a.ret(at::cumsum(a.t(0), a.i64(1))); }
Napi::Value sort(const Args& a) {
  auto r = at::sort(a.t(0), a.i64(1), a.b(2));
  return a.ret({std::get<0>(r), std::get<1>(r)});
}
Napi::Value argsort(const Args& a) { return a.ret(at::argsort(a.t(0), a.i64(1), a.b(2))); }
Napi::Value matmul(const Args& a) { return a.ret(at::matmul(a.t(0), a.t(1))); }
Napi::Value dot(const Args& a) { return a.ret(at::dot(a.t(0), a.t(1))); }
Napi::Value norm(const Args& a) { return a.ret(at::norm(a.t(0))); }
Napi::Value equal(const Args& a) { return Napi::Boolean::New(a.env(), at::equal(a.t(0), a.t(1))); }
Napi::Value allclose(const Args& a) {
  return Napi::Boolean::New(a.env(), at::allclose(a.t(0), a.t(1), a.f64(2), a.f64(3)));
}

// --- in place, for optimizers and initialisers (no autograd history) -----------------------------
Napi::Value add_(const Args& a) {
  at::Scalar alpha = a.has(2) ? a.scalar(2) : at::Scalar(1);
  if (a.isNumber(1)) a.t(0).add_(a.scalar(1), alpha);
  else a.t(0).add_(a.t(1), alpha);
  return a.env().Undefined();
}
Napi::Value mul_(const Args& a) {
  if (a.isNumber(1)) a.t(0).mul_(a.scalar(1));
  else a.t(0).mul_(a.t(1));
  return a.env().Undefined();
}
Napi::Value div_(const Args& a) {
  if (a.isNumber(1)) a.t(0).div_(a.scalar(1));
  else a.t(0).div_(a.t(1));
  return a.env().Undefined();
}
Napi::Value addcmul_(const Args& a) { a.t(0).addcmul_(a.t(1), a.t(2), a.scalar(3)); return a.env().Undefined(); }
Napi::Value addcdiv_(const Args& a) { a.t(0).addcdiv_(a.t(1), a.t(2), a.scalar(3)); return a.env().Undefined(); }
Napi::Value lerp_(const Args& a) { a.t(0).lerp_(a.t(1), a.scalar(2)); return a.env().Undefined(); }
Napi::Value sqrt_(const Args& a) { a.t(0).sqrt_(); return a.env().Undefined(); }
Napi::Value maximum_(const Args& a) {
  at::Tensor out = a.t(0);
  at::maximum_out(out, out, a.t(1));
  return a.env().Undefined();
}
Napi::Value copy_(const Args& a) { a.t(0).copy_(a.t(1)); return a.env().Undefined(); }
Napi::Value zero_(const Args& a) { a.t(0).zero_(); return a.env().Undefined(); }
Napi::Value fill_(const Args& a) { a.t(0).fill_(a.scalar(1)); return a.env().Undefined(); }
Napi::Value clamp_(const Args& a) {
  c10::optional<at::Scalar> lo, hi;
  if (a.has(1)) lo = a.scalar(1);
  if (a.has(2)) hi = a.scalar(2);
  a.t(0).clamp_(lo, hi);
  return a.env().Undefined();
}

}  // namespace

#define DEF(n) def(env, e, #n, n)
void RegisterMath(Napi::Env env, Napi::Object e) {
  DEF(reshape);
  DEF(view);
  DEF(permute);
  DEF(transpose);
  DEF(squeeze);
  DEF(unsqueeze);
  DEF(expand);
  DEF(repeat);
  DEF(flatten);
  DEF(contiguous);
  DEF(clone);
  DEF(to);
  DEF(slice);
  DEF(select);
  DEF(narrow);
  DEF(indexSelect);
  DEF(maskedSelect);
  DEF(maskedFill);
  DEF(gather);
  DEF(scatter);
  DEF(cat);
  DEF(stack);
  DEF(flip);
  DEF(roll);
  DEF(chunk);
  DEF(split);
  DEF(nonzero);
  DEF(pad);
  DEF(add);
  DEF(sub);
  DEF(rsub);
  DEF(mul);
  DEF(div);
  DEF(pow);
  DEF(eq);
  DEF(ne);
  DEF(lt);
  DEF(le);
  DEF(gt);
  DEF(ge);
  DEF(fmod);
  DEF(maximum);
  DEF(minimum);
  DEF(logicalAnd);
  DEF(logicalOr);
  DEF(logicalNot);
  DEF(neg);
  DEF(abs);
  DEF(exp);
  DEF(log);
  DEF(log1p);
  DEF(sqrt);
  DEF(rsqrt);
  DEF(sigmoid);
  DEF(tanh);
  DEF(relu);
  DEF(sign);
  DEF(floor);
  DEF(ceil);
  DEF(round);
  DEF(isnan);
  DEF(isfinite);
  DEF(elu);
  DEF(leakyRelu);
  DEF(softmax);
  DEF(logSoftmax);
  DEF(where);
  DEF(clamp);
  DEF(sum);
  DEF(mean);
  DEF(var);
  DEF(max);
  DEF(min);
  DEF(amax);
  DEF(argmax);
  DEF(any);
  DEF(all);
  DEF(cumsum);
  DEF(sort);
  DEF(argsort);
  DEF(matmul);
  DEF(dot);
  DEF(norm);
  DEF(equal);
  DEF(allclose);
  DEF(add_);
  DEF(mul_);
  DEF(div_);
  DEF(addcmul_);
  DEF(addcdiv_);
  DEF(lerp_);
  DEF(sqrt_);
  DEF(maximum_);
  DEF(copy_);
  DEF(zero_);
  DEF(fill_);
  DEF(clamp_);
}

}  // namespace halite
