#include "pool.h"

#include <algorithm>

namespace attend {

Pool::Pool(int workers) {
  for (int id = 1; id <= workers; id++) threads_.emplace_back([this, id] { work(id); });
}

void Pool::run(int tasks, const std::function<void(int)>& fn) {
  tasks = std::max(1, std::min(tasks, size()));
  if (tasks == 1) {
    fn(0);
    return;
  }
  std::lock_guard<std::mutex> one_call(call_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    tasks_ = tasks;
    pending_ = tasks - 1;
    generation_++;
  }
  wake_.notify_all();
  fn(0);
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void Pool::work(int id) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (id >= tasks_) continue;  // not needed for this call
      job = job_;
    }
    (*job)(id);
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) done_.notify_one();
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
