// A persistent pool of worker threads for the native kernels.
//
// The calling (JavaScript) thread is task 0 and runs its share itself; tasks 1..n−1 go to workers
// that sleep on a condition variable between calls. No spinning: on a loaded 2-core machine a
// spinning thread steals the core of the one it waits for (measured 4× slower in the WASM pool,
// src/node/threads.ts). The pool is sized once, min(2, hardware_concurrency) by default, so the
// kernels never run more threads than cores.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace attend {

class Pool {
 public:
  // workers: threads besides the caller (size − 1).
  explicit Pool(int workers);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Threads available to one call, the caller included.
  int size() const { return static_cast<int>(threads_.size()) + 1; }

  // Runs fn(0) … fn(tasks − 1) with tasks ≤ size(), fn(0) on the calling thread; returns when all are done.
  // Calls from several threads are serialised (one JavaScript thread per addon instance in practice).
  void run(int tasks, const std::function<void(int)>& fn);

 private:
  void work(int id);

  std::mutex call_;  // one run() at a time
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  uint64_t generation_ = 0;
  int tasks_ = 0;
  int pending_ = 0;
  const std::function<void(int)>* job_ = nullptr;
  std::vector<std::thread> threads_;
};

// The process-wide pool, created at the first call with min(2, hardware_concurrency) threads in all
// (or `threads` when given first and smaller than the cores). Never destroyed: its workers sleep
// until the process exits.
Pool& pool(int threads = 0);

}  // namespace attend
