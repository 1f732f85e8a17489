// Process groups over PyTorch's c10d (the engine of torch.distributed and DistributedDataParallel):
// a TCPStore or FileStore rendezvous, a Gloo process group, and its collectives. Each export makes
// one c10d call (one per tensor for a list); the collectives return promises and wait on a libuv
// worker thread, so the event loop keeps serving progress and signals while a peer is slow; the one
// exception, the differentiable allreduce of SyncBatchNorm's statistics, waits where it is called.
// Validation, averaging and error wording for users live in src/distributed/.

// Debian's libtorch (and pytorch.org's) is built with Gloo; the header guards its whole body on this.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif

#include "binding.h"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/autograd/custom_function.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace halite {
namespace {

struct Group {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank;
  int size;
  std::chrono::milliseconds timeout;
};

// Live groups by id. JS holds the id (a number), as it holds tensor slots, so nothing depends on GC.
// The map is never freed: destroying a group joins Gloo's threads, which must not happen in static
// destructors at exit (a peer that is gone would hold the exit up to the timeout).
std::mutex groupsMutex;
std::map<int64_t, std::shared_ptr<Group>>& groups() {
  static auto* m = new std::map<int64_t, std::shared_ptr<Group>>();
  return *m;
}
int64_t nextGroupId = 1;

std::shared_ptr<Group> groupOf(const Args& a, int64_t id) {
  std::lock_guard<std::mutex> lock(groupsMutex);
  auto it = groups().find(id);
  if (it == groups().end()) {
    throw Napi::Error::New(a.env(), "process group " + std::to_string(id) + " was destroyed (or never made)");
  }
  return it->second;
}

std::string where(const Group& g) {
  return "rank " + std::to_string(g.rank) + " of " + std::to_string(g.size);
}

// Runs `work` on a libuv worker thread and settles a promise: with `result()` (built on the JS thread)
// or with an Error whose message is `op` followed by what c10d or Gloo said.
class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, std::string op, std::function<void()> work, std::function<Napi::Value(Napi::Env)> result)
      : Napi::AsyncWorker(env, op.c_str()), deferred_(Napi::Promise::Deferred::New(env)), op_(std::move(op)),
        work_(std::move(work)), result_(std::move(result)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_();
    } catch (const c10::Error& e) {
      SetError(op_ + ": " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(op_ + ": " + e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(result_ ? result_(Env()) : Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string op_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> result_;
};

Napi::Value queue(const Args& a, std::string op, std::function<void()> work,
                  std::function<Napi::Value(Napi::Env)> result = nullptr) {
  auto* job = new Job(a.env(), std::move(op), std::move(work), std::move(result));
  auto p = job->promise();
  job->Queue();  // the AsyncWorker deletes itself after OnOK/OnError
  return p;
}

// Issues `collective` on each tensor alone, in list order (Gloo's list form means one tensor per
// device, all one shape), then waits for every work; c10d rethrows the first failure (a Gloo timeout
// or a closed peer).
template <typename Collective>
void eachTensor(const std::vector<at::Tensor>& tensors, std::chrono::milliseconds timeout, Collective collective) {
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t};
    works.push_back(collective(one));
  }
  for (auto& w : works) w->wait(timeout);
}

c10d::ReduceOp reduceOp(const std::string& op) {
  if (op == "sum") return c10d::ReduceOp::SUM;
  if (op == "product") return c10d::ReduceOp::PRODUCT;
  if (op == "min") return c10d::ReduceOp::MIN;
  if (op == "max") return c10d::ReduceOp::MAX;
  // Gloo in libtorch 1.13 refuses ReduceOp::AVG ("Cannot use ReduceOp.AVG with Gloo"): src/distributed divides.
  TORCH_CHECK(false, "unknown reduce op '", op, "' (expected sum, product, min or max)");
}

// Waits until all `size` ranks have counted themselves in the store. Gloo's own rendezvous inside
// ProcessGroupGloo waits with the collectives' timeout, which may be short; this lets the ranks of a
// job start at different times (as torchrun's rendezvous does) and says how many came.
void joinAll(c10d::Store& s, int64_t size, std::chrono::milliseconds timeout) {
  const std::string counter = "halite/joined", all = "halite/all-joined";
  if (s.add(counter, 1) == size) s.set(all, std::vector<uint8_t>{1});
  try {
    s.wait({all}, timeout);
  } catch (const std::exception& e) {
    const c10::Error* ce = dynamic_cast<const c10::Error*>(&e);
    int64_t joined = -1;
    try { joined = s.add(counter, 0); } catch (const std::exception&) {}
    TORCH_CHECK(false, joined < 0 ? std::string("some") : std::to_string(joined), " of ", size,
                " ranks joined the rendezvous within ", timeout.count(), " ms (", ce ? ce->what_without_backtrace() : e.what(), ")");
  }
}

// (backend, store "tcp" | "file", host or path, port, rank, worldSize, timeoutMs, device "interface" |
//  "hostname" | "default", interface or host name, rendezvousTimeoutMs): rendezvous, then a Gloo group;
// resolves to its id. Rank 0 hosts the TCPStore; every rank waits up to rendezvousTimeoutMs for the
// others (ranks of a large job start at different times), and each collective up to timeoutMs.
Napi::Value distInit(const Args& a) {
  auto backend = a.str(0);
  if (backend == "nccl") {
#ifdef HALITE_WITH_CUDA
    TORCH_CHECK(false, "backend 'nccl': halite's addon binds only ProcessGroupGloo so far; use gloo");
#else
    TORCH_CHECK(false, "backend 'nccl': this libtorch has no NCCL (it is a CPU build); use gloo");
#endif
  }
  TORCH_CHECK(backend == "gloo", "unknown backend '", backend, "' (expected gloo)");
  auto store = a.str(1), address = a.str(2), device = a.str(7), deviceName = a.str(8);
  auto port = a.i64(3), rank = a.i64(4), size = a.i64(5);
  auto timeout = std::chrono::milliseconds(a.i64(6));
  auto rendezvous = std::chrono::milliseconds(a.i64(9));
  TORCH_CHECK(store == "tcp" || store == "file", "unknown store '", store, "' (expected tcp or file)");
  TORCH_CHECK(device == "interface" || device == "hostname" || device == "default", "unknown device kind '", device,
              "' (expected interface, hostname or default)");
  auto made = std::make_shared<std::shared_ptr<Group>>();
  std::string op = "init (rank " + std::to_string(rank) + " of " + std::to_string(size) + ")";
  return queue(
      a, op,
      [=]() {
        c10::intrusive_ptr<c10d::Store> s;
        if (store == "tcp") {
          c10d::TCPStoreOptions o;
          o.port = static_cast<std::uint16_t>(port);
          o.isServer = rank == 0;
          o.numWorkers = static_cast<std::size_t>(size);
          o.waitWorkers = false;  // ProcessGroupGloo's own rendezvous waits, within the same timeout
          o.timeout = rendezvous;
          s = c10::make_intrusive<c10d::TCPStore>(address, o);
        } else {
          s = c10::make_intrusive<c10d::FileStore>(address, static_cast<int>(size));
        }
        s->setTimeout(rendezvous);
        joinAll(*s, size, rendezvous);
        auto o = c10d::ProcessGroupGloo::Options::create(timeout);
        if (device == "interface") o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(deviceName));
        else if (device == "hostname") o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(deviceName));
        else o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(s, static_cast<int>(rank), static_cast<int>(size), o);
        s->setTimeout(timeout);
        *made = std::make_shared<Group>(Group{pg, static_cast<int>(rank), static_cast<int>(size), timeout});
      },
      [made](Napi::Env env) {
        std::lock_guard<std::mutex> lock(groupsMutex);
        int64_t id = nextGroupId++;
        groups()[id] = *made;
        return Napi::Number::New(env, static_cast<double>(id));
      });
}

// (group, tensors, op): reduces each tensor in place across the group, one c10d allreduce per tensor.
Napi::Value distAllreduce(const Args& a) {
  auto g = groupOf(a, a.i64(0));
  auto tensors = a.tensors(1);
  c10d::AllreduceOptions o;
  o.reduceOp = reduceOp(a.str(2));
  o.timeout = g->timeout;
  return queue(a, "allreduce (" + where(*g) + ")", [g, tensors, o]() {
    eachTensor(tensors, g->timeout, [&](std::vector<at::Tensor>& one) { return g->pg->allreduce(one, o); });
  });
}

// (group, tensors, root): overwrites each tensor with root's, one c10d broadcast per tensor.
Napi::Value distBroadcast(const Args& a) {
  auto g = groupOf(a, a.i64(0));
  auto tensors = a.tensors(1);
  c10d::BroadcastOptions o;
  o.rootRank = a.i64(2);
  o.timeout = g->timeout;
  return queue(a, "broadcast from rank " + std::to_string(o.rootRank) + " (" + where(*g) + ")", [g, tensors, o]() {
    eachTensor(tensors, g->timeout, [&](std::vector<at::Tensor>& one) { return g->pg->broadcast(one, o); });
  });
}

// (group): resolves once every rank has called it (after this rank's earlier collectives).
Napi::Value distBarrier(const Args& a) {
  auto g = groupOf(a, a.i64(0));
  c10d::BarrierOptions o;
  o.timeout = g->timeout;
  return queue(a, "barrier (" + where(*g) + ")", [g, o]() { g->pg->barrier(o)->wait(g->timeout); });
}

// A copy of t summed over the group, waited for on the calling thread: for the per-channel statistics
// of SyncBatchNorm (a few hundred bytes), inside a synchronous forward or autograd's backward, where a
// promise cannot be awaited. The group's timeout bounds the wait.
at::Tensor allreduceSumNow(int64_t id, const at::Tensor& t) {
  std::shared_ptr<Group> g;
  {
    std::lock_guard<std::mutex> lock(groupsMutex);
    auto it = groups().find(id);
    TORCH_CHECK(it != groups().end(), "process group ", id, " was destroyed (or never made)");
    g = it->second;
  }
  std::vector<at::Tensor> one{t.detach().clone(at::MemoryFormat::Contiguous)};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  o.timeout = g->timeout;
  try {
    g->pg->allreduce(one, o)->wait(g->timeout);
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, "allreduce with autograd (", where(*g), "): ", e.what_without_backtrace());
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "allreduce with autograd (", where(*g), "): ", e.what());
  }
  return one[0];
}

// torch.distributed.nn.functional.all_reduce(SUM): forward sums the input over the ranks, backward
// sums the gradient over the ranks (the output is every rank's, so each rank's loss depends on every
// input). Autograd materialises an unused output's gradient as zeros, so every rank's backward takes
// part in the collective.
struct AllreduceSumFn : public torch::autograd::Function<AllreduceSumFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    return allreduceSumNow(group, x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    return {allreduceSumNow(ctx->saved_data["group"].toInt(), grads[0]), at::Tensor()};
  }
};

// (group, tensor): a new tensor, the sum of tensor over the group, differentiable (AllreduceSumFn);
// blocks this thread until every rank has contributed.
Napi::Value distAllreduceSumAutograd(const Args& a) {
  return a.ret(AllreduceSumFn::apply(a.t(1), a.i64(0)));
}

// (group): forgets the group; false when it was already destroyed. Collectives still in flight keep it
// alive until they settle, so the Gloo threads are joined by whichever holder lets go last.
Napi::Value distDestroy(const Args& a) {
  auto id = a.i64(0);
  std::shared_ptr<Group> g;
  {
    std::lock_guard<std::mutex> lock(groupsMutex);
    auto it = groups().find(id);
    if (it == groups().end()) return Napi::Boolean::New(a.env(), false);
    g = std::move(it->second);
    groups().erase(it);
  }
  return Napi::Boolean::New(a.env(), true);
}

}  // namespace

#define DEF(n) def(env, e, #n, n)
void RegisterDistributed(Napi::Env env, Napi::Object e) {
  DEF(distInit);
  DEF(distAllreduce);
  DEF(distBroadcast);
  DEF(distBarrier);
  DEF(distAllreduceSumAutograd);
  DEF(distDestroy);
}

}  // namespace halite
