// Shared helpers of the libtorch binding: the Tensor handle, argument conversion and error mapping.
// The binding stays thin: every exported function converts its arguments, calls one ATen function
// and wraps the result. Shapes, defaults and validation live in TypeScript.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace halite {

// Tensors live in a per-environment slot table; JS holds a BigInt handle (generation << 32 | slot).
// No JS object is created per tensor natively, so nothing waits on deferred GC finalizers and a
// synchronous training loop holds steady memory. The generation makes a stale handle an error
// instead of an alias of whatever reused its slot.
class Slots {
 public:
  uint64_t put(at::Tensor t);
  const at::Tensor& get(Napi::Env env, uint64_t handle) const;
  bool release(uint64_t handle);
  size_t live() const { return live_; }
  static Slots& of(Napi::Env env);

 private:
  std::vector<at::Tensor> tensors_;
  std::vector<uint32_t> generation_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

// Reads the arguments of one call. Every accessor throws a JS TypeError naming the argument.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}
  Napi::Env env() const { return info_.Env(); }
  size_t size() const { return info_.Length(); }
  bool has(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined() && !info_[i].IsNull(); }
  Napi::Value raw(size_t i) const { return info_[i]; }
  bool isNumber(size_t i) const { return i < info_.Length() && (info_[i].IsNumber() || info_[i].IsBoolean()); }

  const at::Tensor& t(size_t i) const;
  c10::optional<at::Tensor> optT(size_t i) const;
  std::vector<at::Tensor> tensors(size_t i) const;
  std::vector<int64_t> ints(size_t i) const;
  int64_t i64(size_t i) const;
  double f64(size_t i) const;
  bool b(size_t i) const;
  std::string str(size_t i) const;
  at::Scalar scalar(size_t i) const;
  c10::optional<double> optF64(size_t i) const;
  at::ScalarType dtype(size_t i) const;
  at::Device device(size_t i) const;

  Napi::Value ret(at::Tensor t) const;
  Napi::Value ret(std::vector<at::Tensor> ts) const;
  [[noreturn]] void fail(size_t i, const std::string& what) const;

 private:
  const Napi::CallbackInfo& info_;
  const char* op_;
};

at::ScalarType parseDtype(const std::string& s);
std::string dtypeName(at::ScalarType t);

using Op = Napi::Value (*)(const Args&);
// Registers fn under name, mapping c10::Error and std::exception to JS errors.
void def(Napi::Env env, Napi::Object exports, const char* name, Op fn);

void RegisterCore(Napi::Env env, Napi::Object exports);
void RegisterMath(Napi::Env env, Napi::Object exports);
void RegisterNN(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);

}  // namespace halite
