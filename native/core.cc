// Tensor handles, argument conversion, creation, conversion to JS, autograd and runtime facts.
#include "binding.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <malloc.h>
#include <cstdlib>
#include <cmath>
#include <cstring>

namespace halite {

uint64_t Slots::put(at::Tensor t) {
  uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
    tensors_[i] = std::move(t);
  } else {
    i = static_cast<uint32_t>(tensors_.size());
    tensors_.push_back(std::move(t));
    generation_.push_back(0);
  }
  ++live_;
  return (static_cast<uint64_t>(generation_[i]) << 32) | i;
}

const at::Tensor& Slots::get(Napi::Env env, uint64_t handle) const {
  uint32_t i = static_cast<uint32_t>(handle & 0xffffffffu);
  uint32_t gen = static_cast<uint32_t>(handle >> 32);
  if (i >= tensors_.size() || generation_[i] != gen || !tensors_[i].defined()) {
    throw Napi::Error::New(env, "tensor was disposed: it cannot be used after dispose() or after its tidy() scope ended");
  }
  return tensors_[i];
}

bool Slots::release(uint64_t handle) {
  uint32_t i = static_cast<uint32_t>(handle & 0xffffffffu);
  uint32_t gen = static_cast<uint32_t>(handle >> 32);
  if (i >= tensors_.size() || generation_[i] != gen || !tensors_[i].defined()) return false;
  tensors_[i].reset();
  ++generation_[i];
  free_.push_back(i);
  --live_;
  return true;
}

Slots& Slots::of(Napi::Env env) {
  Slots* s = env.GetInstanceData<Slots>();
  if (s == nullptr) {
    s = new Slots();
    env.SetInstanceData<Slots>(s);
  }
  return *s;
}

static bool isHandle(const Napi::Value& v) { return v.IsBigInt(); }

static uint64_t handleOf(const Napi::Value& v) {
  bool lossless = true;
  return v.As<Napi::BigInt>().Uint64Value(&lossless);
}

Napi::Value Args::ret(at::Tensor t) const {
  if (!t.defined()) return env().Null();
  return Napi::BigInt::New(env(), Slots::of(env()).put(std::move(t)));
}

void Args::fail(size_t i, const std::string& what) const {
  throw Napi::TypeError::New(env(), std::string(op_) + ": argument " + std::to_string(i) + " " + what);
}

const at::Tensor& Args::t(size_t i) const {
  if (i >= info_.Length() || !isHandle(info_[i])) fail(i, "must be a Tensor");
  return Slots::of(env()).get(env(), handleOf(info_[i]));
}

c10::optional<at::Tensor> Args::optT(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return t(i);
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) fail(i, "must be an array of Tensors");
  auto arr = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr[k];
    if (!isHandle(v)) fail(i, "must be an array of Tensors (item " + std::to_string(k) + " is not)");
    out.push_back(Slots::of(env()).get(env(), handleOf(v)));
  }
  return out;
}

std::vector<int64_t> Args::ints(size_t i) const {
  if (i >= info_.Length()) fail(i, "is missing");
  if (info_[i].IsNumber()) return {info_[i].As<Napi::Number>().Int64Value()};
  if (!info_[i].IsArray()) fail(i, "must be an array of integers");
  auto arr = info_[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr[k];
    if (!v.IsNumber()) fail(i, "must be an array of integers");
    out[k] = v.As<Napi::Number>().Int64Value();
  }
  return out;
}

int64_t Args::i64(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsNumber()) fail(i, "must be an integer");
  return info_[i].As<Napi::Number>().Int64Value();
}

double Args::f64(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsNumber()) fail(i, "must be a number");
  return info_[i].As<Napi::Number>().DoubleValue();
}

c10::optional<double> Args::optF64(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return f64(i);
}

bool Args::b(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsBoolean()) fail(i, "must be a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}

std::string Args::str(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsString()) fail(i, "must be a string");
  return info_[i].As<Napi::String>().Utf8Value();
}

at::Scalar Args::scalar(size_t i) const {
  if (i < info_.Length() && info_[i].IsBoolean()) return at::Scalar(info_[i].As<Napi::Boolean>().Value());
  // Integral JS numbers become integer scalars so in-place ops on int64 tensors work, as in Python.
  double v = f64(i);
  if (std::nearbyint(v) == v && std::abs(v) < 9007199254740992.0) return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

at::ScalarType Args::dtype(size_t i) const { return parseDtype(str(i)); }

at::Device Args::device(size_t i) const { return at::Device(str(i)); }

Napi::Value Args::ret(std::vector<at::Tensor> ts) const {
  auto arr = Napi::Array::New(env(), ts.size());
  for (uint32_t k = 0; k < ts.size(); ++k) arr.Set(k, ret(std::move(ts[k])));
  return arr;
}

at::ScalarType parseDtype(const std::string& s) {
  if (s == "float32") return at::kFloat;
  if (s == "float64") return at::kDouble;
  if (s == "float16") return at::kHalf;
  if (s == "bfloat16") return at::kBFloat16;
  if (s == "int64") return at::kLong;
  if (s == "int32") return at::kInt;
  if (s == "uint8") return at::kByte;
  if (s == "bool") return at::kBool;
  TORCH_CHECK(false, "unknown dtype '", s, "' (expected float32, float64, float16, bfloat16, int64, int32, uint8 or bool)");
}

std::string dtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return c10::toString(t);
  }
}

void def(Napi::Env env, Napi::Object exports, const char* name, Op fn) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [fn, name](const Napi::CallbackInfo& info) -> Napi::Value {
                          try {
                            return fn(Args(info, name));
                          } catch (const c10::Error& e) {
                            throw Napi::Error::New(info.Env(), std::string(name) + ": " + e.what_without_backtrace());
                          } catch (const Napi::Error&) {
                            throw;
                          } catch (const std::exception& e) {
                            throw Napi::Error::New(info.Env(), std::string(name) + ": " + e.what());
                          }
                        },
                        name));
}

namespace {

at::TensorOptions opts(const Args& a, size_t dtypeAt, size_t deviceAt) {
  return at::TensorOptions().dtype(a.dtype(dtypeAt)).device(a.device(deviceAt));
}

// --- creation -------------------------------------------------------------------------------------
// (typedArray, shape, dtype): copies, so JS may reuse its buffer at once.
Napi::Value fromBuffer(const Args& a) {
  if (!a.has(0) || !a.raw(0).IsTypedArray()) a.fail(0, "must be a typed array");
  auto ta = a.raw(0).As<Napi::TypedArray>();
  auto shape = a.ints(1);
  auto t = at::empty(shape, at::TensorOptions().dtype(a.dtype(2)));
  size_t bytes = t.numel() * t.element_size();
  TORCH_CHECK(bytes == ta.ByteLength(), "fromBuffer: shape ", c10::IntArrayRef(shape), " of ", dtypeName(t.scalar_type()),
              " needs ", bytes, " bytes but the array holds ", ta.ByteLength());
  const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  if (bytes) std::memcpy(t.data_ptr(), src, bytes);
  return a.ret(t);
}

// Copies a tensor's elements (row-major) into a fresh ArrayBuffer; TypeScript picks the view type.
Napi::Value toBuffer(const Args& a) {
  auto t = a.t(0).detach().to(at::kCPU).contiguous();
  auto buf = Napi::ArrayBuffer::New(a.env(), t.numel() * t.element_size());
  if (t.numel()) std::memcpy(buf.Data(), t.data_ptr(), buf.ByteLength());
  return buf;
}

Napi::Value zeros(const Args& a) { return a.ret(at::zeros(a.ints(0), opts(a, 1, 2))); }
Napi::Value ones(const Args& a) { return a.ret(at::ones(a.ints(0), opts(a, 1, 2))); }
Napi::Value empty(const Args& a) { return a.ret(at::empty(a.ints(0), opts(a, 1, 2))); }
Napi::Value full(const Args& a) { return a.ret(at::full(a.ints(0), a.scalar(1), opts(a, 2, 3))); }
Napi::Value rand(const Args& a) { return a.ret(at::rand(a.ints(0), opts(a, 1, 2))); }
Napi::Value randn(const Args& a) { return a.ret(at::randn(a.ints(0), opts(a, 1, 2))); }
Napi::Value randint(const Args& a) { return a.ret(at::randint(a.i64(0), a.i64(1), a.ints(2), opts(a, 3, 4))); }
Napi::Value randperm(const Args& a) { return a.ret(at::randperm(a.i64(0), opts(a, 1, 2))); }
Napi::Value arange(const Args& a) { return a.ret(at::arange(a.scalar(0), a.scalar(1), a.scalar(2), opts(a, 3, 4))); }
Napi::Value uniform_(const Args& a) { return a.ret(a.t(0).uniform_(a.f64(1), a.f64(2))); }
Napi::Value normal_(const Args& a) { return a.ret(a.t(0).normal_(a.f64(1), a.f64(2))); }

// --- lifetime -------------------------------------------------------------------------------------
Napi::Value release(const Args& a) {
  if (!a.has(0) || !isHandle(a.raw(0))) a.fail(0, "must be a Tensor");
  return Napi::Boolean::New(a.env(), Slots::of(a.env()).release(handleOf(a.raw(0))));
}
Napi::Value liveTensors(const Args& a) { return Napi::Number::New(a.env(), static_cast<double>(Slots::of(a.env()).live())); }

// --- properties -----------------------------------------------------------------------------------
Napi::Value shape(const Args& a) {
  auto sizes = a.t(0).sizes();
  auto arr = Napi::Array::New(a.env(), sizes.size());
  for (uint32_t k = 0; k < sizes.size(); ++k) arr.Set(k, Napi::Number::New(a.env(), static_cast<double>(sizes[k])));
  return arr;
}
Napi::Value strides(const Args& a) {
  auto st = a.t(0).strides();
  auto arr = Napi::Array::New(a.env(), st.size());
  for (uint32_t k = 0; k < st.size(); ++k) arr.Set(k, Napi::Number::New(a.env(), static_cast<double>(st[k])));
  return arr;
}
Napi::Value dtype(const Args& a) { return Napi::String::New(a.env(), dtypeName(a.t(0).scalar_type())); }
Napi::Value device(const Args& a) { return Napi::String::New(a.env(), a.t(0).device().str()); }
Napi::Value numel(const Args& a) { return Napi::Number::New(a.env(), static_cast<double>(a.t(0).numel())); }
Napi::Value item(const Args& a) {
  auto t = a.t(0);
  if (t.scalar_type() == at::kBool) return Napi::Boolean::New(a.env(), t.item<bool>());
  return Napi::Number::New(a.env(), t.item<double>());
}
Napi::Value isContiguous(const Args& a) {
  auto fmt = a.has(1) && a.str(1) == "channelsLast" ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  return Napi::Boolean::New(a.env(), a.t(0).is_contiguous(fmt));
}
Napi::Value sameStorage(const Args& a) {
  return Napi::Boolean::New(a.env(), a.t(0).is_alias_of(a.t(1)));
}

// --- autograd -------------------------------------------------------------------------------------
Napi::Value requiresGrad(const Args& a) { return Napi::Boolean::New(a.env(), a.t(0).requires_grad()); }
Napi::Value setRequiresGrad(const Args& a) { a.t(0).requires_grad_(a.b(1)); return a.env().Undefined(); }
Napi::Value isLeaf(const Args& a) { return Napi::Boolean::New(a.env(), a.t(0).is_leaf()); }
Napi::Value grad(const Args& a) { return a.ret(a.t(0).grad()); }
Napi::Value setGrad(const Args& a) {
  if (a.has(1)) a.t(0).mutable_grad() = a.t(1);
  else a.t(0).mutable_grad().reset();
  return a.env().Undefined();
}
Napi::Value backward(const Args& a) {
  auto g = a.optT(1);
  a.t(0).backward(g.has_value() ? *g : at::Tensor(), a.has(2) ? c10::optional<bool>(a.b(2)) : c10::nullopt);
  return a.env().Undefined();
}
Napi::Value detach(const Args& a) { return a.ret(a.t(0).detach()); }
// Swaps a tensor's data but keeps its identity (and every JS handle on it), as param.data = x does.
Napi::Value setData(const Args& a) {
  at::Tensor t = a.t(0);
  t.set_data(a.t(1));
  return a.env().Undefined();
}
Napi::Value setGradEnabled(const Args& a) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(a.b(0));
  return Napi::Boolean::New(a.env(), prev);
}
Napi::Value isGradEnabled(const Args& a) { return Napi::Boolean::New(a.env(), c10::GradMode::is_enabled()); }

// Mixed precision, as torch.autocast does it: (device "cpu" | "cuda", dtype) enters, returning whether
// autocast was on before; autocastExit(device, prev) leaves. Leaving the outermost region clears the
// cache of low-precision weight copies, which would otherwise outlive the optimizer step.
Napi::Value autocastEnter(const Args& a) {
  bool cuda = a.str(0) == "cuda";
  bool prev = cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(a.dtype(1));
    at::autocast::set_enabled(true);
  } else {
    at::autocast::set_autocast_cpu_dtype(a.dtype(1));
    at::autocast::set_cpu_enabled(true);
  }
  at::autocast::increment_nesting();
  return Napi::Boolean::New(a.env(), prev);
}
Napi::Value autocastExit(const Args& a) {
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (a.str(0) == "cuda") at::autocast::set_enabled(a.b(1));
  else at::autocast::set_cpu_enabled(a.b(1));
  return a.env().Undefined();
}

// --- runtime: seeds, threads, devices, build facts -----------------------------------------------
Napi::Value manualSeed(const Args& a) {
  at::manual_seed(static_cast<uint64_t>(a.f64(0)));
  return a.env().Undefined();
}
Napi::Value getRngState(const Args& a) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return a.ret(gen.get_state());
}
Napi::Value setRngState(const Args& a) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(a.t(0));
  return a.env().Undefined();
}
Napi::Value setNumThreads(const Args& a) { at::set_num_threads(static_cast<int>(a.i64(0))); return a.env().Undefined(); }
Napi::Value getNumThreads(const Args& a) { return Napi::Number::New(a.env(), at::get_num_threads()); }
Napi::Value cudaDeviceCount(const Args& a) {
  int n = at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0;
  return Napi::Number::New(a.env(), n);
}

// Where the loaded libtorch_cpu lives, read from the dynamic loader rather than guessed.
std::string libraryPath() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&at::show_config), &info) && info.dli_fname) return info.dli_fname;
  return "unknown";
}

Napi::Value buildInfo(const Args& a) {
  auto o = Napi::Object::New(a.env());
  o.Set("version", TORCH_VERSION);
  o.Set("library", libraryPath());
  o.Set("config", at::show_config());
  o.Set("parallel", at::get_parallel_info());
  o.Set("cudaCompiled", Napi::Boolean::New(a.env(),
#ifdef HALITE_WITH_CUDA
                                           true
#else
                                           false
#endif
                                           ));
  o.Set("cudaConfig", at::hasCUDA() ? at::detail::getCUDAHooks().showConfig() : std::string());
  o.Set("mkldnn", Napi::Boolean::New(a.env(), at::hasMKLDNN()));
  return o;
}

}  // namespace

#define DEF(n) def(env, e, #n, n)
void RegisterCore(Napi::Env env, Napi::Object e) {
  DEF(release);
  DEF(liveTensors);
  DEF(fromBuffer);
  DEF(toBuffer);
  DEF(zeros);
  DEF(ones);
  DEF(empty);
  DEF(full);
  DEF(rand);
  DEF(randn);
  DEF(randint);
  DEF(randperm);
  DEF(arange);
  DEF(uniform_);
  DEF(normal_);
  DEF(shape);
  DEF(strides);
  DEF(dtype);
  DEF(device);
  DEF(numel);
  DEF(item);
  DEF(isContiguous);
  DEF(sameStorage);
  DEF(requiresGrad);
  DEF(setRequiresGrad);
  DEF(isLeaf);
  DEF(grad);
  DEF(setGrad);
  DEF(backward);
  DEF(detach);
  DEF(setData);
  DEF(setGradEnabled);
  DEF(isGradEnabled);
  DEF(autocastEnter);
  DEF(autocastExit);
  DEF(manualSeed);
  DEF(getRngState);
  DEF(setRngState);
  DEF(setNumThreads);
  DEF(getNumThreads);
  DEF(cudaDeviceCount);
  DEF(buildInfo);
}

}  // namespace halite

// libtorch's CPU allocator takes every tensor from malloc. glibc serves a block over its mmap threshold
// (dynamic, at most 32 MiB) with fresh pages and gives them back on free, so every batch's large
// activations (42 MB for 64 tiles x 16 channels x 101 x 101 float32) were page-faulted and zeroed by
// the kernel again, pass after pass: most of the system time of halite predict (issue 24), and half the
// wall time of an inference batch. Blocks up to 1 GiB now come from the heap, which is not trimmed below
// 1 GiB of free top, so a process keeps its peak working set. A user's own MALLOC_MMAP_THRESHOLD_,
// MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES settings are left to glibc (see mallopt(3)).
static void KeepLargeBlocksInHeap() {
#ifdef __GLIBC__
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("GLIBC_TUNABLES")) return;
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  KeepLargeBlocksInHeap();
  halite::RegisterCore(env, exports);
  halite::RegisterMath(env, exports);
  halite::RegisterNN(env, exports);
  halite::RegisterDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(halite_torch, Init)
