#include "pool.h"

#include <algorithm>

namespace attend {

Pool::Pool(int workers) {
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
    generation_++;
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
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
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
