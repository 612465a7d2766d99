#include "pool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace attend {
namespace {

int64_t spin_ns_from_env() {
  const char* v = std::getenv("ATTEND_POOL_SPIN_US");
  if (!v || !*v) return 200 * 1000;
  char* end;
  const long us = std::strtol(v, &end, 10);
  return *end || us < 0 ? 200 * 1000 : int64_t(us) * 1000;  // a malformed value keeps the default
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

}  // namespace

Pool::Pool(int workers) : spin_ns_(spin_ns_from_env()) {
  for (int i = 0; i < workers; i++) threads_.emplace_back([this] { work(); });
}

void Pool::drain(const std::function<void(int)>& fn, int parts) {
  for (int part = next_.fetch_add(1); part < parts; part = next_.fetch_add(1)) fn(part);
}

void Pool::run(int parts, const std::function<void(int)>& fn) {
  if (parts <= 1 || threads_.empty()) {
    for (int part = 0; part < parts; part++) fn(part);
    return;
  }
  std::lock_guard<std::mutex> one_call(call_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    parts_ = parts;
    next_.store(0);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  drain(fn, parts);
  // close the call: a worker that wakes from now on finds no job; wait for those inside it
  std::unique_lock<std::mutex> lock(mu_);
  job_ = nullptr;
  done_.wait(lock, [this] { return active_ == 0; });
}

void Pool::work() {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* job;
    int parts;
    // spin first: the next call usually comes within microseconds (see pool.h)
    if (spin_ns_ > 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(spin_ns_);
      for (int i = 0; generation_.load(std::memory_order_acquire) == seen; i++) {
        cpu_relax();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() >= until) break;
      }
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      seen = generation_.load();
      if (!job_) continue;  // woke too late: the caller did all the parts
      job = job_;
      parts = parts_;
      active_++;
    }
    drain(*job, parts);
    std::lock_guard<std::mutex> lock(mu_);
    if (--active_ == 0) done_.notify_one();
  }
}

Pool& pool(int threads) {
  // Leaked on purpose: joining sleeping workers from a static destructor at exit buys nothing.
  static Pool* instance = [threads] {
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    if (cores < 1) cores = 1;
    int size = std::min(2, cores);
    if (threads > 0) size = std::min(threads, cores);
    return new Pool(size - 1);
  }();
  return *instance;
}

}  // namespace attend
